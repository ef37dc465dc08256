// Tracing for the official `openai` package, without importing it: the client is patched in
// place (so the package's own helpers such as `.stream()` and `.parse()` are traced too) and
// every value it returns is handed back unchanged in type and behaviour.

import { AgentObservability, getDefaultClient } from './client.js';
import { SpanRecord, TraceContext } from './context.js';
import type { TokenUsage, TraceOptions } from './models.js';
import { monotonicNow } from './platform.js';

export interface WrapOpenAIOptions {
  /** Client that records the calls; defaults to the most recently created one. */
  observability?: AgentObservability;
  /** Agent id of traces started by a call made outside any traced call. Default `openai`. */
  agentId?: string;
  /** `model_provider` of the spans; by default `openai` for the official endpoint, else inferred by the server. */
  provider?: string;
  /** Record messages and completions (default: the client's captureInput / captureOutput). */
  captureInput?: boolean;
  captureOutput?: boolean;
  /**
   * Ask for token usage in streamed chat completions (`stream_options.include_usage`) when the
   * caller did not, and hide the extra usage chunk from the caller. Off by default because some
   * OpenAI-compatible servers reject the option.
   */
  streamUsage?: boolean;
  /** Extra span attributes. */
  attributes?: Record<string, unknown>;
}

type Operation = 'chat.completions' | 'responses' | 'embeddings' | 'completions';

const WRAPPED: unique symbol = Symbol.for('agentobs.openai.wrapped') as never;

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;
type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' ? (v as Rec) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as Rec)['then'] === 'function';
}

const PARAM_ATTRIBUTES = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'max_output_tokens',
  'n',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
  'service_tier',
  'stream',
  'dimensions',
];

function requestAttributes(params: Rec): Rec {
  const out: Rec = {};
  for (const k of PARAM_ATTRIBUTES) if (params[k] !== undefined && params[k] !== null) out[k] = params[k];
  const tools = params['tools'];
  if (Array.isArray(tools) && tools.length > 0) {
    out['tools'] = tools.map((t) => {
      const r = rec(t);
      return str(rec(r?.['function'])?.['name']) ?? str(r?.['name']) ?? str(r?.['type']) ?? 'tool';
    });
  }
  const reasoning = rec(params['reasoning']);
  if (reasoning && reasoning['effort'] !== undefined) out['reasoning_effort'] = reasoning['effort'];
  const format = rec(params['response_format']) ?? rec(rec(params['text'])?.['format']);
  if (format && typeof format['type'] === 'string') out['response_format'] = format['type'];
  return out;
}

function requestInput(op: Operation, params: Rec): unknown {
  switch (op) {
    case 'chat.completions':
      return params['messages'];
    case 'responses':
      return params['instructions'] !== undefined && params['instructions'] !== null
        ? { instructions: params['instructions'], input: params['input'] }
        : params['input'];
    case 'embeddings':
      return params['input'];
    case 'completions':
      return params['prompt'];
  }
}

function usageOf(op: Operation, usage: unknown): TokenUsage | undefined {
  const u = rec(usage);
  if (!u) return undefined;
  if (op === 'responses') {
    return {
      input: num(u['input_tokens']),
      output: num(u['output_tokens']),
      total: num(u['total_tokens']),
      cachedInput: num(rec(u['input_tokens_details'])?.['cached_tokens']),
    };
  }
  return {
    input: num(u['prompt_tokens']),
    output: num(u['completion_tokens']),
    total: num(u['total_tokens']),
    cachedInput: num(rec(u['prompt_tokens_details'])?.['cached_tokens']),
  };
}

/** The text a response produced, else its structured output (tool calls...). */
function responseOutput(op: Operation, result: Rec): unknown {
  switch (op) {
    case 'chat.completions': {
      const choices = Array.isArray(result['choices']) ? (result['choices'] as unknown[]) : [];
      const messages = choices.map((c) => rec(c)?.['message']);
      if (messages.length === 1) {
        const m = rec(messages[0]);
        const content = str(m?.['content']);
        const toolCalls = m?.['tool_calls'];
        if (content !== undefined && !(Array.isArray(toolCalls) && toolCalls.length > 0)) return content;
        return m;
      }
      return messages;
    }
    case 'responses': {
      const text = str(result['output_text']);
      if (text) return text;
      const parts: string[] = [];
      const output = Array.isArray(result['output']) ? (result['output'] as unknown[]) : [];
      for (const item of output) {
        const content = rec(item)?.['content'];
        if (!Array.isArray(content)) continue;
        for (const c of content) {
          const t = str(rec(c)?.['text']);
          if (rec(c)?.['type'] === 'output_text' && t !== undefined) parts.push(t);
        }
      }
      return parts.length > 0 ? parts.join('') : result['output'];
    }
    case 'embeddings': {
      const data = Array.isArray(result['data']) ? (result['data'] as unknown[]) : [];
      const first = rec(data[0])?.['embedding'];
      const dims = Array.isArray(first) || ArrayBuffer.isView(first) ? (first as { length: number }).length : 'unknown';
      // The vectors themselves are noise in a trace; say what came back.
      return `${data.length} embedding(s), ${dims} dimensions`;
    }
    case 'completions': {
      const choices = Array.isArray(result['choices']) ? (result['choices'] as unknown[]) : [];
      const texts = choices.map((c) => str(rec(c)?.['text']) ?? '');
      return texts.length === 1 ? texts[0] : texts;
    }
  }
}

function finishReasons(result: Rec): unknown {
  const choices = Array.isArray(result['choices']) ? (result['choices'] as unknown[]) : [];
  const reasons = choices.map((c) => rec(c)?.['finish_reason']).filter((r) => r !== undefined && r !== null);
  return reasons.length === 0 ? undefined : reasons.length === 1 ? reasons[0] : reasons;
}

interface Recorder {
  ctx: TraceContext;
  captureOutput: boolean;
  requestModel: string | undefined;
}

function recordModel(r: Recorder, responseModel: unknown): void {
  const m = str(responseModel);
  if (m !== undefined) {
    if (r.requestModel === undefined) r.ctx.setModel(m);
    else if (m !== r.requestModel) r.ctx.setAttributes({ response_model: m });
  }
}

function recordResult(op: Operation, r: Recorder, result: unknown): void {
  const res = rec(result);
  if (!res) return;
  recordModel(r, res['model']);
  const usage = usageOf(op, res['usage']);
  if (usage) r.ctx.setTokens(usage);
  if (r.captureOutput) r.ctx.setOutput(responseOutput(op, res));
  const attrs: Rec = {};
  if (typeof res['id'] === 'string') attrs['response_id'] = res['id'];
  const fr = finishReasons(res);
  if (fr !== undefined) attrs['finish_reason'] = fr;
  if (op === 'responses') {
    if (res['status'] !== undefined) attrs['response_status'] = res['status'];
    if (res['status'] === 'failed' || res['status'] === 'incomplete') {
      const err = rec(res['error']);
      const reason = rec(res['incomplete_details'])?.['reason'];
      r.ctx.setStatus('error', str(err?.['message']) ?? `response ${String(res['status'])}${reason ? `: ${String(reason)}` : ''}`);
    }
  }
  if (Object.keys(attrs).length > 0) r.ctx.setAttributes(attrs);
}

/** Builds the output of a stream from its chunks or events. */
class StreamAccumulator {
  private text = '';
  private readonly toolCalls = new Map<number, { name: string; arguments: string }>();
  private finish: unknown = undefined;
  private finalResponse: Rec | undefined = undefined;
  private usage: unknown = undefined;
  private model: unknown = undefined;
  private id: unknown = undefined;
  private failed: string | undefined = undefined;
  chunks = 0;

  constructor(private readonly op: Operation) {}

  add(chunk: unknown): void {
    const c = rec(chunk);
    if (!c) return;
    this.chunks++;
    if (this.op === 'responses') {
      const type = c['type'];
      if (type === 'response.output_text.delta' && typeof c['delta'] === 'string') this.text += c['delta'];
      else if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        this.finalResponse = rec(c['response']);
      } else if (type === 'error') this.failed = str(c['message']) ?? 'stream error';
      return;
    }
    if (c['model'] !== undefined) this.model = c['model'];
    if (c['id'] !== undefined) this.id = c['id'];
    if (c['usage'] !== undefined && c['usage'] !== null) this.usage = c['usage'];
    const choices = Array.isArray(c['choices']) ? (c['choices'] as unknown[]) : [];
    for (const ch of choices) {
      const choice = rec(ch);
      if (!choice || (choice['index'] !== undefined && choice['index'] !== 0)) continue;
      if (choice['finish_reason'] !== undefined && choice['finish_reason'] !== null) this.finish = choice['finish_reason'];
      if (this.op === 'completions') {
        if (typeof choice['text'] === 'string') this.text += choice['text'];
        continue;
      }
      const delta = rec(choice['delta']);
      if (!delta) continue;
      if (typeof delta['content'] === 'string') this.text += delta['content'];
      if (Array.isArray(delta['tool_calls'])) {
        for (const tc of delta['tool_calls'] as unknown[]) {
          const t = rec(tc);
          const idx = num(t?.['index']) ?? 0;
          const fn = rec(t?.['function']);
          const cur = this.toolCalls.get(idx) ?? { name: '', arguments: '' };
          if (typeof fn?.['name'] === 'string') cur.name += fn['name'];
          if (typeof fn?.['arguments'] === 'string') cur.arguments += fn['arguments'];
          this.toolCalls.set(idx, cur);
        }
      }
    }
  }

  record(r: Recorder): void {
    if (this.op === 'responses') {
      if (this.finalResponse) recordResult('responses', r, this.finalResponse);
      else if (r.captureOutput && this.text) r.ctx.setOutput(this.text);
      if (this.failed) r.ctx.setStatus('error', this.failed);
      r.ctx.setAttributes({ stream_chunks: this.chunks });
      return;
    }
    recordModel(r, this.model);
    const usage = usageOf(this.op, this.usage);
    if (usage) r.ctx.setTokens(usage);
    if (r.captureOutput) {
      if (this.toolCalls.size > 0) {
        r.ctx.setOutput({ content: this.text || null, tool_calls: [...this.toolCalls.values()] });
      } else r.ctx.setOutput(this.text);
    }
    const attrs: Rec = { stream_chunks: this.chunks };
    if (this.finish !== undefined) attrs['finish_reason'] = this.finish;
    if (typeof this.id === 'string') attrs['response_id'] = this.id;
    r.ctx.setAttributes(attrs);
  }
}

function isUsageOnlyChunk(chunk: unknown): boolean {
  const c = rec(chunk);
  return !!c && Array.isArray(c['choices']) && (c['choices'] as unknown[]).length === 0 && rec(c['usage']) !== undefined;
}

interface SpanControl {
  obs: AgentObservability;
  span: SpanRecord;
  recorder: Recorder;
  started: number;
  ended: boolean;
}

function endSpan(sc: SpanControl, error?: unknown): void {
  if (sc.ended) return;
  sc.ended = true;
  sc.obs._end(sc.span, error, error !== undefined);
}

/**
 * Observes a `Stream` in place: `iterator` (what the openai Stream, its `tee()` and
 * `toReadableStream()` read through) or else `Symbol.asyncIterator` is replaced on the instance,
 * so the caller keeps the very same object.
 */
function observeStream(op: Operation, sc: SpanControl, stream: unknown, hideUsageChunk: boolean): boolean {
  const s = rec(stream);
  if (!s) return false;
  const acc = new StreamAccumulator(op);
  let firstChunkAt: number | undefined;
  const finish = (error?: unknown): void => {
    if (sc.ended) return;
    try {
      acc.record(sc.recorder);
      if (firstChunkAt !== undefined) {
        sc.recorder.ctx.setAttributes({ time_to_first_chunk_ms: Math.round(firstChunkAt - sc.started) });
      }
    } catch {
      /* recording is best effort */
    }
    endSpan(sc, error);
  };
  const wrapIterator = (it: AsyncIterator<unknown>): AsyncIterator<unknown> => {
    const wrapped: AsyncIterator<unknown> & { [Symbol.asyncIterator](): AsyncIterator<unknown> } = {
      async next(...args: [] | [unknown]) {
        try {
          for (;;) {
            const r = await it.next(...args);
            if (r.done) {
              finish();
              return r;
            }
            firstChunkAt ??= nowMs();
            try {
              acc.add(r.value);
            } catch {
              /* never let bookkeeping break the stream */
            }
            if (hideUsageChunk && isUsageOnlyChunk(r.value)) continue;
            return r;
          }
        } catch (err) {
          finish(err);
          throw err;
        }
      },
      async return(value?: unknown) {
        finish();
        return typeof it.return === 'function' ? it.return(value) : { done: true, value };
      },
      async throw(err?: unknown) {
        finish(err);
        if (typeof it.throw === 'function') return it.throw(err);
        throw err;
      },
      [Symbol.asyncIterator]() {
        return wrapped;
      },
    };
    return wrapped;
  };
  try {
    if (typeof s['iterator'] === 'function') {
      const original = s['iterator'] as () => AsyncIterator<unknown>;
      s['iterator'] = function (this: unknown) {
        return wrapIterator(original.call(this));
      };
      return true;
    }
    const original = (s as { [Symbol.asyncIterator]?: () => AsyncIterator<unknown> })[Symbol.asyncIterator];
    if (typeof original === 'function') {
      Object.defineProperty(s, Symbol.asyncIterator, {
        configurable: true,
        writable: true,
        value: function (this: unknown) {
          return wrapIterator(original.call(this));
        },
      });
      return true;
    }
  } catch {
    /* frozen or exotic object: fall through */
  }
  return false;
}

const nowMs = monotonicNow;

/**
 * Returns what `create` returned (an `APIPromise`), observed: `await`, `.then`, `.withResponse()`,
 * `.asResponse()` and the package's internal helpers behave as before. The response is parsed
 * only when the caller asks for it, as without tracing.
 */
function observeCall(op: Operation, sc: SpanControl, raw: unknown, stream: boolean, hideUsageChunk: boolean): unknown {
  if (!isThenable(raw)) {
    endSpan(sc);
    return raw;
  }
  let observed: Promise<unknown> | undefined;
  const observe = (): Promise<unknown> => {
    if (observed) return observed;
    observed = Promise.resolve(
      raw.then(
        (result) => {
          try {
            if (stream && observeStream(op, sc, result, hideUsageChunk)) return result;
            recordResult(op, sc.recorder, result);
          } catch {
            /* recording is best effort */
          }
          endSpan(sc);
          return result;
        },
        (err: unknown) => {
          endSpan(sc, err);
          throw err;
        },
      ),
    );
    // The caller handles the rejection on the promise it gets; this one is only ours.
    observed.then(undefined, () => {});
    return observed;
  };
  if (typeof raw !== 'object' || raw === null) return raw;
  try {
    return new Proxy(raw as object, {
      get(target, prop) {
        if (prop === 'then' || prop === 'catch' || prop === 'finally') {
          const p = observe() as unknown as Rec;
          return (p[prop] as AnyFn).bind(p);
        }
        if (prop === 'asResponse') {
          return () => {
            // The caller reads the raw body: record the status only, do not parse.
            const r = (target as { asResponse(): Promise<{ status?: number }> }).asResponse();
            void Promise.resolve(r).then(
              (res) => {
                sc.recorder.ctx.setAttributes({ http_status: res?.status });
                endSpan(sc);
              },
              (err: unknown) => endSpan(sc, err),
            );
            return r;
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v === 'function') {
          return (...args: unknown[]) => {
            observe();
            return (v as AnyFn).apply(target, args);
          };
        }
        return v;
      },
    });
  } catch {
    observe();
    return raw;
  }
}

function defaultProvider(client: unknown): string | undefined {
  const base = str(rec(client)?.['baseURL']);
  if (base === undefined || /(^|\/\/)api\.openai\.com(\/|$)/.test(base)) return 'openai';
  if (/\.openai\.azure\.com/.test(base)) return 'azure';
  return undefined;
}

function wrapCreate(client: unknown, resource: Rec, op: Operation, options: WrapOpenAIOptions): void {
  const original = resource['create'];
  if (typeof original !== 'function' || (original as unknown as { [WRAPPED]?: boolean })[WRAPPED]) return;
  const provider = options.provider ?? defaultProvider(client);
  const traced = function (this: unknown, ...args: unknown[]): unknown {
    const obs = options.observability ?? getDefaultClient();
    if (!obs || !obs.enabled) return (original as AnyFn).apply(this, args);
    let params = rec(args[0]) ?? {};
    const stream = params['stream'] === true;
    let hideUsageChunk = false;
    if (stream && op === 'chat.completions' && options.streamUsage && params['stream_options'] === undefined) {
      params = { ...params, stream_options: { include_usage: true } };
      args = [params, ...args.slice(1)];
      hideUsageChunk = true;
    }
    const requestModel = str(params['model']);
    const spanOptions: TraceOptions = {
      name: `openai.${op}`,
      kind: op === 'embeddings' ? 'embedding' : 'llm',
      agentId: options.agentId ?? obs.agentId ?? 'openai',
      attributes: { ...requestAttributes(params), ...(options.attributes ?? {}) },
    };
    if (requestModel !== undefined) spanOptions.model = requestModel;
    if (provider !== undefined) spanOptions.modelProvider = provider;
    if (options.captureInput ?? obs.captureInput) spanOptions.input = requestInput(op, params);
    const span = obs._begin(spanOptions);
    if (!(span instanceof SpanRecord)) return (original as AnyFn).apply(this, args);
    const sc: SpanControl = {
      obs,
      span,
      started: nowMs(),
      ended: false,
      recorder: {
        ctx: new TraceContext(span),
        captureOutput: options.captureOutput ?? obs.captureOutput,
        requestModel,
      },
    };
    let raw: unknown;
    try {
      raw = (original as AnyFn).apply(this, args);
    } catch (err) {
      endSpan(sc, err);
      throw err;
    }
    return observeCall(op, sc, raw, stream, hideUsageChunk);
  };
  Object.defineProperty(traced, WRAPPED, { value: true });
  Object.defineProperty(traced, 'name', { value: (original as AnyFn).name, configurable: true });
  resource['create'] = traced;
}

/**
 * Traces the calls of an `openai` client: chat completions, responses, embeddings and
 * completions, streaming included. Each call is an `llm` span in the active trace (or a trace of
 * its own) with model, tokens, input and output. Returns the same client, patched in place.
 *
 * ```ts
 * const openai = wrapOpenAI(new OpenAI())
 * ```
 */
export function wrapOpenAI<T extends object>(client: T, options: WrapOpenAIOptions = {}): T {
  const c = rec(client);
  if (!c) return client;
  const resources: Array<[() => unknown, Operation]> = [
    [() => rec(c['chat'])?.['completions'], 'chat.completions'],
    [() => c['responses'], 'responses'],
    [() => c['embeddings'], 'embeddings'],
    [() => c['completions'], 'completions'],
  ];
  for (const [get, op] of resources) {
    try {
      const resource = rec(get());
      if (resource) wrapCreate(client, resource, op, options);
    } catch {
      /* an unexpected client shape is left untraced, never broken */
    }
  }
  return client;
}
