// The SDK class: turns traced calls into records and hands finished traces to the exporter.

import { NOOP_CONTEXT, SPAN_KINDS, SpanRecord, TraceContext, TraceRecord } from './context.js';
import { makeDecorator, wrapFunction, type TraceDecorator } from './decorators.js';
import { sendEvent, type EventInput, type EventSenderConfig, type StoredEvent } from './events.js';
import { newSpanId, newTraceId } from './ids.js';
import type {
  AgentObservabilityOptions,
  ExportStats,
  FetchLike,
  ScoreInput,
  SpanKind,
  TraceOptions,
} from './models.js';
import { createContextStore, monotonicNow, onShutdownSignal, readEnv } from './platform.js';
import { errorText, toText, truncate } from './serialize.js';
import { Exporter, type ExportError, type ExporterLog } from './transport.js';

export const SDK_VERSION = '0.1.0';

const DEFAULT_BASE_URL = 'http://localhost:8000';
/** A long-running trace sends its finished spans in parts of this size instead of holding them. */
const MAX_BUFFERED_SPANS = 1000;
const MAX_MESSAGE = 16384;

/** Marks calls below a sampled-out trace, so they are not recorded as traces of their own. */
export const UNSAMPLED: unique symbol = Symbol('agentobs.unsampled');
type Active = SpanRecord | typeof UNSAMPLED;

// One store for every client: a call traced by one client inside a trace of another still
// lands in the same tree.
const store = createContextStore<Active>();

let defaultClient: AgentObservability | undefined;

// One exit listener for all clients, which only knows the clients that have something to send:
// idle clients stay collectable and many clients add no listeners.
const busyClients = new Set<AgentObservability>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  onShutdownSignal((kind) => {
    for (const c of [...busyClients]) c._onExit(kind);
  });
}

/** The most recently created client (used by integrations such as `wrapOpenAI`). */
export function getDefaultClient(): AgentObservability | undefined {
  return defaultClient;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

function generatorKind(v: unknown): 'sync' | 'async' | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const tag = Object.prototype.toString.call(v);
  if (tag === '[object AsyncGenerator]') return 'async';
  if (tag === '[object Generator]') return 'sync';
  return undefined;
}

function isTimeoutError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /timeout/i.test(name);
}

function positiveInt(v: unknown, fallback: number, min = 1): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? Math.floor(v) : fallback;
}

function nonNegative(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

function envBool(name: string): boolean | undefined {
  const v = readEnv(name)?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  return undefined;
}

function envNumber(name: string): number | undefined {
  const v = readEnv(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function platformFetch(): FetchLike | undefined {
  const f = (globalThis as { fetch?: unknown }).fetch;
  if (typeof f !== 'function') return undefined;
  // Called through globalThis: some browsers throw "Illegal invocation" for a detached fetch.
  return (url, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(url, init);
}

class Logger implements ExporterLog {
  private readonly warned = new Set<string>();
  constructor(
    private readonly debugOn: boolean,
    private readonly onError: ((e: Error) => void) | undefined,
  ) {}

  debug(message: string): void {
    if (this.debugOn && typeof console !== 'undefined') console.debug(`[agentobs] ${message}`);
  }

  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    if (typeof console !== 'undefined') console.warn(`[agentobs] ${message}`);
  }

  fail(error: ExportError): void {
    this.debug(error.message);
    if (this.onError) {
      try {
        this.onError(error);
      } catch {
        /* a throwing handler must not break the exporter */
      }
      return;
    }
    this.warnOnce(error.reason, `${error.message} (further drops of this kind are only counted: see stats())`);
  }
}

/**
 * The agentobs client.
 *
 * ```ts
 * const obs = new AgentObservability({ apiKey: 'ao_...' })
 * await obs.trace('support-bot', async (ctx) => { ctx.setOutput('hi'); return 'hi' })
 * ```
 */
export class AgentObservability {
  /** False when the SDK only passes calls through (disabled, no API key, no fetch). */
  readonly enabled: boolean;
  readonly baseUrl: string;
  readonly agentId: string | undefined;
  readonly sampleRate: number;
  readonly maxFieldLength: number;
  readonly captureInput: boolean;
  readonly captureOutput: boolean;
  private readonly shutdownTimeoutMs: number;
  /** @internal */
  readonly exporter: Exporter | undefined;
  private readonly log: Logger;
  private closed = false;
  private readonly events: EventSenderConfig | undefined;
  private readonly onError: ((e: Error) => void) | undefined;

  constructor(options: AgentObservabilityOptions = {}) {
    const o = options ?? {};
    this.log = new Logger(o.debug ?? envBool('AGENTOBS_DEBUG') ?? false, o.onError);
    this.onError = o.onError;
    this.baseUrl = String(o.baseUrl ?? readEnv('AGENTOBS_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.agentId = o.agentId ?? readEnv('AGENTOBS_AGENT_ID');
    const rate = o.sampleRate ?? envNumber('AGENTOBS_SAMPLE_RATE') ?? 1;
    this.sampleRate = Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 1;
    // The API accepts 1 MiB per text field; 4 bytes per character keeps any text under it.
    this.maxFieldLength = Math.min(positiveInt(o.maxFieldLength, 32768), 262144);
    this.captureInput = o.captureInput ?? true;
    this.captureOutput = o.captureOutput ?? true;
    this.shutdownTimeoutMs = nonNegative(o.shutdownTimeoutMs, 5000);

    let enabled = o.enabled ?? envBool('AGENTOBS_ENABLED') ?? true;
    const apiKey = o.apiKey ?? readEnv('AGENTOBS_API_KEY');
    const fetchImpl = o.fetch ?? platformFetch();
    if (enabled && !apiKey) {
      this.log.warnOnce('no_key', 'no API key (apiKey option or AGENTOBS_API_KEY): tracing is disabled');
      enabled = false;
    }
    if (enabled && !fetchImpl) {
      this.log.warnOnce('no_fetch', 'this runtime has no fetch and none was given: tracing is disabled');
      enabled = false;
    }
    this.enabled = enabled;
    if (enabled && fetchImpl && apiKey) {
      this.exporter = new Exporter(
        {
          url: `${this.baseUrl}/api/v1/traces/batch`,
          headers: {
            ...(o.headers ?? {}),
            'Content-Type': 'application/json',
            Authorization: `Bearer ${apiKey}`,
          },
          fetch: fetchImpl,
          maxBatchSize: positiveInt(o.maxBatchSize, 100),
          maxBatchBytes: positiveInt(o.maxBatchBytes, 4 * 1024 * 1024, 1024),
          flushIntervalMs: nonNegative(o.flushIntervalMs, 1000),
          maxQueueSize: positiveInt(o.maxQueueSize, 10000),
          dropPolicy: o.dropPolicy === 'drop-oldest' ? 'drop-oldest' : 'drop-newest',
          maxConcurrentRequests: positiveInt(o.maxConcurrentRequests, 2),
          maxRetries: positiveInt(o.maxRetries, 5, 0),
          retryBaseDelayMs: nonNegative(o.retryBaseDelayMs, 500),
          maxRetryDelayMs: nonNegative(o.maxRetryDelayMs, 30000),
          requestTimeoutMs: positiveInt(o.requestTimeoutMs, 10000),
        },
        this.log,
      );
      this.events = {
        url: `${this.baseUrl}/api/v1/events`,
        headers: { ...(o.headers ?? {}), 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
        fetch: fetchImpl,
        maxRetries: positiveInt(o.maxRetries, 3, 0),
        retryBaseDelayMs: nonNegative(o.retryBaseDelayMs, 500),
        maxRetryDelayMs: nonNegative(o.maxRetryDelayMs, 30000),
        requestTimeoutMs: positiveInt(o.requestTimeoutMs, 10000),
      };
      if (o.flushOnExit ?? true) {
        installExitHook();
        this.exporter.onBusyChange = (busy) => {
          if (busy && !this.closed) busyClients.add(this);
          else busyClients.delete(this);
        };
      }
    }
    // The newest client is the one the module-level helpers use.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    defaultClient = this;
  }

  /** @internal */
  _onExit(kind: 'exit' | 'hidden'): void {
    const ex = this.exporter;
    if (!ex || !ex.busy) return;
    if (kind === 'hidden') ex.keepalive = true;
    void ex.flushWithin(this.shutdownTimeoutMs).finally(() => {
      ex.keepalive = false;
    });
  }

  // ---- events ----

  /**
   * Records a deployment, config change, incident or custom marker. Resolves to the stored
   * event, or to undefined when tracing is off or it could not be sent (reported through
   * `onError`, never thrown).
   */
  async event(input: EventInput): Promise<StoredEvent | undefined> {
    if (!this.events) return undefined;
    try {
      return await sendEvent(this.events, { ...input, agentId: input.agentId ?? this.agentId });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.log.debug(err.message);
      if (this.onError) {
        try {
          this.onError(err);
        } catch {
          /* a throwing handler must not reach the caller */
        }
      } else {
        this.log.warnOnce('event', `${err.message} (further event failures are logged with debug only)`);
      }
      return undefined;
    }
  }

  /** Marks a deployment of `version`: the Impact page compares before and after it. */
  deployment(version: string, input: Omit<EventInput, 'type' | 'title' | 'version'> & { title?: string } = {}): Promise<StoredEvent | undefined> {
    return this.event({ ...input, type: 'deployment', title: input.title ?? `deployed ${version}`, version });
  }

  // ---- tracing ----

  /**
   * Runs `fn` as a traced call: the outermost one is a trace, nested ones are spans of it.
   * The result (value or promise) is returned as is; errors are recorded and rethrown.
   */
  trace<R>(name: string, fn: (ctx: TraceContext) => R): R;
  trace<R>(options: TraceOptions, fn: (ctx: TraceContext) => R): R;
  /** A method decorator: `@obs.trace({ agentId: 'support-bot' })`. */
  trace(options?: TraceOptions | string): TraceDecorator;
  trace(nameOrOptions?: string | TraceOptions, fn?: (ctx: TraceContext) => unknown): unknown {
    const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
    if (typeof fn === 'function') return this._run(options, fn);
    return makeDecorator(this, options);
  }

  /** Like `trace`, for steps: the span kind defaults to `chain` (`tool`, `retrieval`... via options). */
  span<R>(name: string, fn: (ctx: TraceContext) => R): R;
  span<R>(options: TraceOptions, fn: (ctx: TraceContext) => R): R;
  span<R>(nameOrOptions: string | TraceOptions, fn: (ctx: TraceContext) => R): R {
    const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
    return this._run({ kind: 'chain', ...options }, fn);
  }

  /** Returns a traced version of `fn`; its arguments are recorded as input, its result as output. */
  wrap<F extends (...args: never[]) => unknown>(fn: F, options?: TraceOptions | string): F {
    if (typeof fn !== 'function') return fn;
    const o = typeof options === 'string' ? { name: options } : (options ?? {});
    return wrapFunction(this, fn, o);
  }

  /** The context of the call running now (a no-op context outside any traced call). */
  currentContext(): TraceContext {
    try {
      const active = store.get();
      if (active !== undefined && active !== UNSAMPLED) return new TraceContext(active);
    } catch {
      /* fall through */
    }
    return NOOP_CONTEXT;
  }

  /**
   * @internal Starts a span under the active one, or a new trace. `undefined`: not recording;
   * UNSAMPLED: a sampled-out trace whose calls must stay unrecorded.
   */
  _begin(options: TraceOptions): SpanRecord | typeof UNSAMPLED | undefined {
    if (!this.enabled || this.closed) return undefined;
    let active: Active | undefined;
    try {
      active = store.get();
    } catch {
      active = undefined;
    }
    if (active === UNSAMPLED) return UNSAMPLED;
    try {
      if (active !== undefined) return this.startChild(active, options);
      if (this.sampleRate < 1 && Math.random() >= this.sampleRate) {
        if (this.exporter) this.exporter.stats.sampledOut++;
        return UNSAMPLED;
      }
      return this.startRoot(options);
    } catch (err) {
      this.log.debug(`cannot start a span: ${String(err)}`);
      return undefined;
    }
  }

  /** @internal Ends a span started with `_begin`. */
  _end(span: SpanRecord, error?: unknown, failed = false): void {
    this.end(span, undefined, error, failed);
  }

  /** @internal Runs `fn` in a span under the active one, or as a new trace. */
  _run<R>(options: TraceOptions, fn: (ctx: TraceContext) => R): R {
    const span = this._begin(options);
    if (span === undefined) return fn(NOOP_CONTEXT);
    if (span === UNSAMPLED) return store.run<TraceContext, R>(UNSAMPLED, fn, NOOP_CONTEXT);
    return this.execute(span, fn);
  }

  /** @internal */
  runChild<R>(parent: SpanRecord, options: TraceOptions, fn: (ctx: TraceContext) => R): R {
    if (!this.enabled || this.closed) return fn(NOOP_CONTEXT);
    let span: SpanRecord | undefined;
    try {
      span = this.startChild(parent, options);
    } catch (err) {
      this.log.debug(`cannot start a span: ${String(err)}`);
      span = undefined;
    }
    if (span === undefined) return fn(NOOP_CONTEXT);
    return this.execute(span, fn);
  }

  private kindOf(kind: SpanKind | undefined, fallback: SpanKind): SpanKind {
    return kind !== undefined && SPAN_KINDS.has(kind) ? kind : fallback;
  }

  private startRoot(o: TraceOptions): SpanRecord {
    const name = o.name || o.agentId || this.agentId || 'trace';
    const agentId = o.agentId || this.agentId || name;
    const mono = monotonicNow();
    const traceId = typeof o.traceId === 'string' && o.traceId !== '' ? o.traceId : newTraceId();
    const t = new TraceRecord(this, traceId, agentId, name, Date.now(), mono);
    const s = new SpanRecord(t, newSpanId(), undefined, this.kindOf(o.kind, 'agent'), name, mono);
    t.root = s;
    if (typeof o.userId === 'string') t.userId = o.userId;
    if (typeof o.sessionId === 'string') t.sessionId = o.sessionId;
    if (Array.isArray(o.tags)) t.tags = o.tags.filter((x) => typeof x === 'string');
    if (o.metadata && typeof o.metadata === 'object') t.metadata = { ...o.metadata };
    this.applyCommon(s, o);
    return s;
  }

  private startChild(parent: SpanRecord, o: TraceOptions): SpanRecord {
    const t = parent.trace;
    const s = new SpanRecord(t, newSpanId(), parent.spanId, this.kindOf(o.kind, 'chain'), o.name || 'span', monotonicNow());
    if (typeof o.userId === 'string') t.userId = o.userId;
    if (typeof o.sessionId === 'string') t.sessionId = o.sessionId;
    if (Array.isArray(o.tags)) for (const tag of o.tags) if (typeof tag === 'string') (t.tags ??= []).push(tag);
    if (o.metadata && typeof o.metadata === 'object') s.attributes = { ...o.metadata };
    this.applyCommon(s, o);
    return s;
  }

  private applyCommon(s: SpanRecord, o: TraceOptions): void {
    if (o.attributes && typeof o.attributes === 'object') s.attributes = Object.assign(s.attributes ?? {}, o.attributes);
    if (typeof o.model === 'string') s.model = truncate(o.model, 256);
    if (typeof o.modelProvider === 'string') s.modelProvider = truncate(o.modelProvider, 64);
    if (o.input !== undefined) s.input = toText(o.input, this.maxFieldLength);
    s.captureOutput = o.captureOutput ?? this.captureOutput;
  }

  private execute<R>(span: SpanRecord, fn: (ctx: TraceContext) => R): R {
    const ctx = new TraceContext(span);
    let result: R;
    try {
      result = store.run(span, fn, ctx);
    } catch (err) {
      this.end(span, undefined, err, true);
      throw err;
    }
    return this.settle(span, result);
  }

  private settle<R>(span: SpanRecord, result: R): R {
    try {
      if (isThenable(result)) {
        return result.then(
          (value) => {
            this.end(span, value, undefined, false);
            return value;
          },
          (err: unknown) => {
            this.end(span, undefined, err, true);
            throw err;
          },
        ) as R;
      }
      const gen = generatorKind(result);
      if (gen) return this.wrapGenerator(span, result as unknown as Iterator<unknown>, gen) as R;
    } catch (err) {
      this.log.debug(`cannot observe a result: ${String(err)}`);
    }
    this.end(span, result, undefined, false);
    return result;
  }

  /** Generators: the span lasts until iteration ends; yielded values become the output. */
  private wrapGenerator(span: SpanRecord, it: Iterator<unknown> | AsyncIterator<unknown>, kind: 'sync' | 'async'): unknown {
    const items: unknown[] = [];
    const finish = (): void => {
      const out = items.length > 0 && items.every((x) => typeof x === 'string') ? items.join('') : items;
      this.end(span, items.length > 0 ? out : undefined, undefined, false);
    };
    const onResult = (r: IteratorResult<unknown>): IteratorResult<unknown> => {
      if (r.done) finish();
      else if (items.length < 1000) items.push(r.value);
      return r;
    };
    const onError = (err: unknown): never => {
      this.end(span, undefined, err, true);
      throw err;
    };
    const call = (method: 'next' | 'return' | 'throw', arg: unknown): unknown => {
      const m = (it as unknown as Record<string, ((a: unknown) => unknown) | undefined>)[method];
      if (typeof m !== 'function') {
        if (method === 'throw') throw arg;
        const r = { done: true, value: arg };
        finish();
        return kind === 'async' ? Promise.resolve(r) : r;
      }
      let r: unknown;
      try {
        r = store.run(span, (a: unknown) => m.call(it, a), arg);
      } catch (err) {
        return onError(err);
      }
      if (kind === 'async') return (r as Promise<IteratorResult<unknown>>).then(onResult, onError);
      return onResult(r as IteratorResult<unknown>);
    };
    const wrapper = {
      next: (a?: unknown) => call('next', a),
      return: (a?: unknown) => call('return', a),
      throw: (a?: unknown) => call('throw', a),
    };
    const iterSym = kind === 'async' ? Symbol.asyncIterator : Symbol.iterator;
    Object.defineProperty(wrapper, iterSym, { value: () => wrapper });
    return wrapper;
  }

  private end(span: SpanRecord, value: unknown, err: unknown, failed: boolean): void {
    try {
      if (span.end !== undefined) return;
      span.end = monotonicNow();
      if (failed) {
        const e = errorText(err, MAX_MESSAGE);
        span.status = isTimeoutError(err) ? 'timeout' : 'error';
        span.statusMessage = e.message;
        span.errorType = e.type;
      } else if (!span.outputSet && span.captureOutput && value !== undefined) {
        span.output = toText(value, this.maxFieldLength);
      }
      this.finished(span);
    } catch (e) {
      this.log.debug(`cannot end a span: ${String(e)}`);
    }
  }

  private finished(span: SpanRecord): void {
    const t = span.trace;
    // The trace's owner exports it, even when another client traced this step.
    const ex = (t.owner as AgentObservability).exporter;
    if (!ex) return;
    if (t.root === span) {
      t.spans.unshift(span);
      t.model = span.model;
      t.modelProvider = span.modelProvider;
      if (t.model === undefined) {
        const withModel = t.spans.find((s) => s.model !== undefined);
        t.model = withModel?.model;
        t.modelProvider = withModel?.modelProvider;
      }
      t.sent = true;
      const item = { trace: t, spans: t.spans, scores: t.scores };
      t.spans = [];
      t.scores = [];
      ex.enqueue(item);
    } else if (t.sent) {
      ex.enqueue({ trace: t, spans: [span], scores: [] });
    } else {
      t.spans.push(span);
      if (t.spans.length >= MAX_BUFFERED_SPANS) {
        ex.enqueue({ trace: t, spans: t.spans, scores: [] });
        t.spans = [];
      }
    }
  }

  /** @internal */
  sendLate(trace: TraceRecord, spans: SpanRecord[], scores: ScoreInput[]): void {
    try {
      (trace.owner as AgentObservability).exporter?.enqueue({ trace, spans, scores });
    } catch (err) {
      this.log.debug(`cannot queue late data: ${String(err)}`);
    }
  }

  // ---- export control ----

  /** Sends everything finished so far; resolves when it is sent or given up (never rejects). */
  async flush(options: { timeoutMs?: number } = {}): Promise<void> {
    const ex = this.exporter;
    if (!ex) return;
    try {
      if (options.timeoutMs !== undefined) await ex.flushWithin(nonNegative(options.timeoutMs, 0));
      else await ex.flush();
    } catch (err) {
      this.log.debug(`flush failed: ${String(err)}`);
    }
  }

  /**
   * Flushes (within `timeoutMs`, default the `shutdownTimeoutMs` option) and stops: later calls
   * still run, untraced. Call it from your own SIGTERM handler; it never rejects.
   */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    busyClients.delete(this);
    if (defaultClient === this) defaultClient = undefined;
    try {
      await this.exporter?.shutdown(nonNegative(options.timeoutMs, this.shutdownTimeoutMs));
    } catch (err) {
      this.log.debug(`shutdown failed: ${String(err)}`);
    }
  }

  /** Exporter counters: queued, sent, dropped by reason, retries... */
  stats(): ExportStats {
    return (
      this.exporter?.snapshot() ?? {
        enqueued: 0,
        sent: 0,
        dropped: 0,
        droppedByReason: { queue_full: 0, rejected: 0, retries_exhausted: 0, too_large: 0, unauthorized: 0, shutdown: 0 },
        sampledOut: 0,
        requests: 0,
        retries: 0,
        queued: 0,
        inFlight: 0,
      }
    );
  }
}
