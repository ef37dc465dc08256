// Public types: options, and the wire format of the ingestion API (docs/ingestion.md).

export type SpanKind = 'agent' | 'llm' | 'tool' | 'retrieval' | 'chain' | 'embedding' | 'guardrail' | 'event';
export type TraceStatus = 'success' | 'error' | 'timeout';
export type ScoreSource = 'api' | 'human' | 'eval';

/** Token counts; `total` defaults to input + output on the server. */
export interface TokenUsage {
  input?: number;
  output?: number;
  cachedInput?: number;
  total?: number;
}

/** Options of one traced call (`obs.trace`, `ctx.span`, the decorator, `obs.wrap`). */
export interface TraceOptions {
  /** Span name; for the outermost call also the trace name. */
  name?: string;
  /** Which agent ran (outermost call only). Defaults to the client's `agentId`, then the name. */
  agentId?: string;
  /** Span kind. Defaults to `agent` for the outermost call and `chain` for nested ones. */
  kind?: SpanKind;
  /** End user and conversation (trace level). */
  userId?: string;
  sessionId?: string;
  /** Recorded as the span's input (and the trace's, for the outermost call). */
  input?: unknown;
  /** Trace metadata for the outermost call, span attributes for nested ones. */
  metadata?: Record<string, unknown>;
  /** Span attributes. */
  attributes?: Record<string, unknown>;
  /** Trace tags. */
  tags?: string[];
  model?: string;
  modelProvider?: string;
  /** Use this trace id instead of a random one (outermost call only), e.g. a request id. */
  traceId?: string;
  /** Record arguments / return values (defaults from the client options). */
  captureInput?: boolean;
  captureOutput?: boolean;
}

export interface ScoreOptions {
  comment?: string;
  source?: ScoreSource;
  /** Idempotency key; defaults to the name (and span). */
  scoreId?: string;
}

/** Minimal fetch signature the SDK needs; the platform `fetch` fits. */
export type FetchLike = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string;
    signal?: AbortSignal;
    keepalive?: boolean;
  },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export type DropReason = 'queue_full' | 'rejected' | 'retries_exhausted' | 'too_large' | 'unauthorized' | 'shutdown';

export interface AgentObservabilityOptions {
  /** API key; falls back to `AGENTOBS_API_KEY`. Without one nothing is sent. */
  apiKey?: string;
  /** Server URL; falls back to `AGENTOBS_BASE_URL`, then `http://localhost:8000`. */
  baseUrl?: string;
  /** Default agent id of traces; falls back to `AGENTOBS_AGENT_ID`, then the trace name. */
  agentId?: string;
  /** `false` turns the SDK into a pass-through (also `AGENTOBS_ENABLED=false`). */
  enabled?: boolean;
  /** Fraction of traces kept, 0..1 (also `AGENTOBS_SAMPLE_RATE`). Default 1. */
  sampleRate?: number;
  /** Traces per request (server default limit is 100). Default 100. */
  maxBatchSize?: number;
  /** Upper bound of one request body in bytes (server default limit is 8 MiB). Default 4 MiB. */
  maxBatchBytes?: number;
  /** How long a finished trace may wait for its batch to fill. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Finished traces kept in memory while the server is slow or away. Default 10000. */
  maxQueueSize?: number;
  /** Which trace is dropped when the queue is full. Default `drop-newest`. */
  dropPolicy?: 'drop-newest' | 'drop-oldest';
  /** Requests in flight at once. Default 2. */
  maxConcurrentRequests?: number;
  /** Retries of a failed request (429, 5xx, network). Default 5. */
  maxRetries?: number;
  /** First retry delay; doubles each retry, with jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Longest wait between retries, also caps `Retry-After`. Default 30000 ms. */
  maxRetryDelayMs?: number;
  /** Timeout of one request. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** Longest `input`/`output` text kept, in characters. Default 32768. */
  maxFieldLength?: number;
  /** Record function arguments and return values. Default true. */
  captureInput?: boolean;
  captureOutput?: boolean;
  /** Flush when a Node process is about to exit (or a browser page is hidden). Default true. */
  flushOnExit?: boolean;
  /** Most time spent flushing at exit or in `shutdown()`. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Replaces the platform fetch (tests, proxies, custom agents). */
  fetch?: FetchLike;
  /** Called (never awaited) when data is dropped or a request fails for good. */
  onError?: (error: Error) => void;
  /** Log what the SDK does to the console (also `AGENTOBS_DEBUG=1`). */
  debug?: boolean;
}

/** Counters of the exporter, for health checks and tests. */
export interface ExportStats {
  /** Trace records accepted into the queue. */
  enqueued: number;
  /** Trace items acknowledged by the server. */
  sent: number;
  /** Trace records or items dropped, in total and by reason. */
  dropped: number;
  droppedByReason: Record<DropReason, number>;
  /** Traces skipped by sampling. */
  sampledOut: number;
  /** Requests made, and how many of them were retries. */
  requests: number;
  retries: number;
  /** Items waiting in memory and requests in flight now. */
  queued: number;
  inFlight: number;
}

// ---- wire format ----

export interface SpanInput {
  span_id: string;
  parent_span_id?: string;
  kind?: SpanKind;
  name: string;
  start_time: string;
  end_time?: string;
  latency_ms?: number;
  status?: TraceStatus;
  status_message?: string;
  model?: string;
  model_provider?: string;
  tokens_input?: number;
  tokens_output?: number;
  tokens_cached_input?: number;
  tokens_total?: number;
  cost_usd?: number;
  input?: string;
  output?: string;
  attributes?: Record<string, unknown>;
}

export interface ScoreInput {
  name: string;
  value: number;
  span_id?: string;
  comment?: string;
  source?: ScoreSource;
  score_id?: string;
}

export interface TraceInput {
  trace_id: string;
  agent_id: string;
  timestamp: string;
  end_time?: string;
  name?: string;
  user_id?: string;
  session_id?: string;
  input?: string;
  output?: string;
  latency_ms?: number;
  status?: TraceStatus;
  error_type?: string;
  error_message?: string;
  model?: string;
  model_provider?: string;
  metadata?: Record<string, unknown>;
  tags?: string[];
  spans?: SpanInput[];
  scores?: ScoreInput[];
}
