// The records of a running trace and the `ctx` handle user code writes to.

import type { ScoreInput, ScoreOptions, SpanKind, TokenUsage, TraceOptions, TraceStatus } from './models.js';
import { errorText, toText, truncate } from './serialize.js';

/** What a record needs from the client that owns it. */
export interface RecordOwner {
  readonly maxFieldLength: number;
  /** Runs `fn` in a new span under `parent`. */
  runChild<R>(parent: SpanRecord, options: TraceOptions, fn: (ctx: TraceContext) => R): R;
  /** Data that arrived after its trace was handed to the exporter. */
  sendLate(trace: TraceRecord, spans: SpanRecord[], scores: ScoreInput[]): void;
}

export const SPAN_KINDS: ReadonlySet<string> = new Set([
  'agent',
  'llm',
  'tool',
  'retrieval',
  'chain',
  'embedding',
  'guardrail',
  'event',
]);

/** One run of an agent: the outermost traced call and everything under it. */
export class TraceRecord {
  name: string;
  userId: string | undefined;
  sessionId: string | undefined;
  tags: string[] | undefined;
  metadata: Record<string, unknown> | undefined;
  /** The root's model, else the first one used inside; fixed when the root ends. */
  model: string | undefined = undefined;
  modelProvider: string | undefined = undefined;
  /** Finished spans not yet handed to the exporter. */
  spans: SpanRecord[] = [];
  scores: ScoreInput[] = [];
  /** Set once the outermost span ended and the trace was queued. */
  sent = false;
  root!: SpanRecord;

  constructor(
    readonly owner: RecordOwner,
    readonly traceId: string,
    public agentId: string,
    name: string,
    /** Wall clock (ms since epoch) and monotonic clock at the start: span times are derived from both. */
    readonly wall0: number,
    readonly mono0: number,
  ) {
    this.name = name;
    this.userId = undefined;
    this.sessionId = undefined;
    this.tags = undefined;
    this.metadata = undefined;
  }
}

/** One step inside a trace. Times are monotonic milliseconds. */
export class SpanRecord {
  end: number | undefined = undefined;
  status: TraceStatus = 'success';
  statusMessage: string | undefined = undefined;
  errorType: string | undefined = undefined;
  model: string | undefined = undefined;
  modelProvider: string | undefined = undefined;
  tokens: TokenUsage | undefined = undefined;
  cost: number | undefined = undefined;
  input: string | undefined = undefined;
  output: string | undefined = undefined;
  outputSet = false;
  attributes: Record<string, unknown> | undefined = undefined;
  captureOutput = true;

  constructor(
    readonly trace: TraceRecord,
    readonly spanId: string,
    readonly parentId: string | undefined,
    public kind: SpanKind,
    public name: string,
    readonly start: number,
  ) {}
}

function finiteNonNegative(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function count(n: unknown): number | undefined {
  const v = finiteNonNegative(n);
  return v === undefined ? undefined : Math.round(v);
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The handle a traced function receives. Every method is safe to call at any time: on a call
 * that is not recorded (SDK disabled, trace sampled out, span already ended) it does nothing.
 */
export class TraceContext {
  /** @internal */
  readonly _s: SpanRecord | undefined;

  /** @internal */
  constructor(span?: SpanRecord) {
    this._s = span;
  }

  /** Id of the trace ('' when not recording). */
  get traceId(): string {
    return this._s?.trace.traceId ?? '';
  }

  /** Id of this span ('' when not recording). */
  get spanId(): string {
    return this._s?.spanId ?? '';
  }

  /** Whether calls on this context are recorded. */
  get isRecording(): boolean {
    return this._s !== undefined && this._s.end === undefined;
  }

  private live(): SpanRecord | undefined {
    const s = this._s;
    return s !== undefined && s.end === undefined ? s : undefined;
  }

  private isRoot(s: SpanRecord): boolean {
    return s.trace.root === s;
  }

  /** Records the input (strings as they are, other values as JSON). */
  setInput(value: unknown): this {
    const s = this.live();
    if (s) s.input = toText(value, s.trace.owner.maxFieldLength);
    return this;
  }

  /** Records the output; otherwise the return value is recorded. */
  setOutput(value: unknown): this {
    const s = this.live();
    if (s) {
      s.output = toText(value, s.trace.owner.maxFieldLength);
      s.outputSet = true;
    }
    return this;
  }

  /** Cost of this step in US dollars; when absent the server prices known models. */
  setCost(usd: number): this {
    const s = this.live();
    const v = finiteNonNegative(usd);
    if (s && v !== undefined) s.cost = v;
    return this;
  }

  /** Token counts of this step: `setTokens({ input, output })` or `setTokens(input, output)`. */
  setTokens(usage: TokenUsage): this;
  setTokens(input: number, output?: number): this;
  setTokens(usageOrInput: TokenUsage | number, output?: number): this {
    const s = this.live();
    if (!s) return this;
    const u: TokenUsage =
      typeof usageOrInput === 'number' ? { input: usageOrInput, output } : isPlainRecord(usageOrInput) ? usageOrInput : {};
    const t: TokenUsage = s.tokens ?? {};
    const input = count(u.input);
    const out = count(u.output);
    const cached = count(u.cachedInput);
    const total = count(u.total);
    if (input !== undefined) t.input = input;
    if (out !== undefined) t.output = out;
    if (cached !== undefined) t.cachedInput = cached;
    if (total !== undefined) t.total = total;
    s.tokens = t;
    return this;
  }

  /** Model of this step, e.g. `gpt-4o-mini`; the provider is inferred by the server when absent. */
  setModel(model: string, provider?: string): this {
    const s = this.live();
    if (s && typeof model === 'string') {
      s.model = truncate(model, 256);
      if (typeof provider === 'string') s.modelProvider = truncate(provider, 64);
    }
    return this;
  }

  /** Merges into the trace metadata (outermost call) or the span attributes (nested call). */
  setMetadata(metadata: Record<string, unknown>): this {
    const s = this.live();
    if (!s || !isPlainRecord(metadata)) return this;
    if (this.isRoot(s)) s.trace.metadata = Object.assign(s.trace.metadata ?? {}, metadata);
    else s.attributes = Object.assign(s.attributes ?? {}, metadata);
    return this;
  }

  /** Merges into the span attributes. */
  setAttributes(attributes: Record<string, unknown>): this {
    const s = this.live();
    if (s && isPlainRecord(attributes)) s.attributes = Object.assign(s.attributes ?? {}, attributes);
    return this;
  }

  /** End user of the trace. */
  setUser(userId: string): this {
    const s = this.live();
    if (s && typeof userId === 'string') s.trace.userId = userId;
    return this;
  }

  /** Conversation of the trace. */
  setSession(sessionId: string): this {
    const s = this.live();
    if (s && typeof sessionId === 'string') s.trace.sessionId = sessionId;
    return this;
  }

  /** Adds tags to the trace. */
  addTags(...tags: string[]): this {
    const s = this.live();
    if (!s) return this;
    const list = (s.trace.tags ??= []);
    for (const t of tags) if (typeof t === 'string' && !list.includes(t)) list.push(t);
    return this;
  }

  setName(name: string): this {
    const s = this.live();
    if (s && typeof name === 'string' && name !== '') {
      s.name = name;
      if (this.isRoot(s)) s.trace.name = name;
    }
    return this;
  }

  setKind(kind: SpanKind): this {
    const s = this.live();
    if (s && SPAN_KINDS.has(kind)) s.kind = kind;
    return this;
  }

  /** Marks the step failed or timed out without throwing. */
  setStatus(status: TraceStatus, message?: string): this {
    const s = this.live();
    if (s && (status === 'success' || status === 'error' || status === 'timeout')) {
      s.status = status;
      if (typeof message === 'string') s.statusMessage = truncate(message, 16384);
    }
    return this;
  }

  /** Records a handled error: the step is marked failed, nothing is thrown. */
  setError(error: unknown): this {
    const s = this.live();
    if (s) {
      const e = errorText(error, 16384);
      s.status = 'error';
      s.statusMessage = e.message;
      s.errorType = e.type;
    }
    return this;
  }

  /**
   * Scores this step: the trace for the outermost call, the span for a nested one. Allowed
   * after the call ended too (e.g. user feedback arriving later).
   */
  score(name: string, value: number, options: ScoreOptions = {}): this {
    const s = this._s;
    if (!s) return this;
    return this.addScore(s, name, value, options, this.isRoot(s) ? undefined : s.spanId);
  }

  /** Scores the whole trace, from any nested call. */
  scoreTrace(name: string, value: number, options: ScoreOptions = {}): this {
    const s = this._s;
    if (!s) return this;
    return this.addScore(s, name, value, options, undefined);
  }

  private addScore(s: SpanRecord, name: string, value: number, o: ScoreOptions, spanId: string | undefined): this {
    if (typeof name !== 'string' || name === '' || typeof value !== 'number' || !Number.isFinite(value)) return this;
    const score: ScoreInput = { name: truncate(name, 256), value };
    if (spanId !== undefined) score.span_id = spanId;
    if (o && typeof o.comment === 'string') score.comment = truncate(o.comment, 16384);
    if (o && (o.source === 'api' || o.source === 'human' || o.source === 'eval')) score.source = o.source;
    if (o && typeof o.scoreId === 'string' && o.scoreId !== '') score.score_id = truncate(o.scoreId, 256);
    const t = s.trace;
    if (t.sent) t.owner.sendLate(t, [], [score]);
    else t.scores.push(score);
    return this;
  }

  /** Runs `fn` as a child span of this one, explicitly (works without AsyncLocalStorage too). */
  span<R>(name: string, fn: (ctx: TraceContext) => R): R;
  span<R>(options: TraceOptions, fn: (ctx: TraceContext) => R): R;
  span<R>(nameOrOptions: string | TraceOptions, fn: (ctx: TraceContext) => R): R {
    const s = this._s;
    if (typeof fn !== 'function') return undefined as R;
    if (!s) return fn(NOOP_CONTEXT);
    const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
    return s.trace.owner.runChild(s, options, fn);
  }
}

/** Shared context of calls that are not recorded. */
export const NOOP_CONTEXT: TraceContext = new TraceContext();
