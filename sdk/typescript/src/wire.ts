// Records -> TraceInput JSON, within the limits of docs/ingestion.md, so the server never has
// a reason to reject what the SDK sends.

import type { SpanRecord, TraceRecord } from './context.js';
import type { ScoreInput } from './models.js';
import { toJsonObjectText, truncate } from './serialize.js';

/** A unit of export: a trace with the spans and scores that are ready to go. */
export interface ExportItem {
  trace: TraceRecord;
  spans: SpanRecord[];
  scores: ScoreInput[];
}

const MAX_SPANS_PER_ITEM = 1000;
const MAX_SCORES_PER_ITEM = 100;
const MAX_JSON_OBJECT_BYTES = 60 * 1024;
const MAX_ID = 256;
const MAX_MESSAGE = 16384;

// RFC 3339 strings cost a Date and toISOString each; spans of a trace mostly share the same
// second, so the "YYYY-MM-DDTHH:MM:SS." prefix is cached.
let cachedSecond = NaN;
let cachedPrefix = '';

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

/** RFC 3339 with microseconds, so sibling spans keep their order even within a millisecond. */
export function isoTime(epochMs: number): string {
  const micros = Math.floor(epochMs * 1000);
  const second = Math.floor(micros / 1e6);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const frac = micros - second * 1e6;
  const ms = Math.floor(frac / 1000);
  return `${cachedPrefix}${pad3(ms)}${pad3(frac - ms * 1000)}Z`;
}

function wallTime(trace: TraceRecord, mono: number): number {
  return trace.wall0 + (mono - trace.mono0);
}

function id(s: string): string {
  return s.length > MAX_ID ? s.slice(0, MAX_ID) : s;
}

// The documents are written as text directly: no intermediate objects, one pass.
const q = JSON.stringify;

function num(n: number): string {
  // JSON has no NaN/Infinity; the setters already reject them, this is the last guard.
  return Number.isFinite(n) ? String(n) : '0';
}

function spanJson(s: SpanRecord): string {
  const t = s.trace;
  let j = `{"span_id":${q(id(s.spanId))},"kind":${q(s.kind)},"name":${q(truncate(s.name || 'span', 1024))},"start_time":"${isoTime(wallTime(t, s.start))}"`;
  if (s.parentId !== undefined) j += `,"parent_span_id":${q(id(s.parentId))}`;
  if (s.end !== undefined) {
    j += `,"end_time":"${isoTime(wallTime(t, s.end))}","latency_ms":${Math.max(0, Math.round(s.end - s.start))}`;
  }
  if (s.status !== 'success') j += `,"status":${q(s.status)}`;
  if (s.statusMessage !== undefined) j += `,"status_message":${q(s.statusMessage)}`;
  if (s.model !== undefined) j += `,"model":${q(s.model)}`;
  if (s.modelProvider !== undefined) j += `,"model_provider":${q(s.modelProvider)}`;
  const k = s.tokens;
  if (k) {
    if (k.input !== undefined) j += `,"tokens_input":${num(k.input)}`;
    if (k.output !== undefined) j += `,"tokens_output":${num(k.output)}`;
    if (k.cachedInput !== undefined) j += `,"tokens_cached_input":${num(k.cachedInput)}`;
    if (k.total !== undefined) j += `,"tokens_total":${num(k.total)}`;
  }
  if (s.cost !== undefined) j += `,"cost_usd":${num(s.cost)}`;
  if (s.input !== undefined) j += `,"input":${q(s.input)}`;
  if (s.output !== undefined) j += `,"output":${q(s.output)}`;
  if (s.attributes) {
    const a = toJsonObjectText(s.attributes, MAX_JSON_OBJECT_BYTES);
    if (a !== undefined) j += `,"attributes":${a}`;
  }
  return `${j}}`;
}

function headerJson(t: TraceRecord): string {
  const root = t.root;
  let j = `{"trace_id":${q(id(t.traceId))},"agent_id":${q(id(t.agentId || t.name || 'agent'))},"timestamp":"${isoTime(t.wall0)}","name":${q(truncate(t.name || t.agentId || 'trace', 1024))}`;
  if (root.end !== undefined) {
    j += `,"end_time":"${isoTime(wallTime(t, root.end))}","latency_ms":${Math.max(0, Math.round(root.end - root.start))}`;
  }
  if (t.userId !== undefined) j += `,"user_id":${q(id(t.userId))}`;
  if (t.sessionId !== undefined) j += `,"session_id":${q(id(t.sessionId))}`;
  if (root.input !== undefined) j += `,"input":${q(root.input)}`;
  if (root.output !== undefined) j += `,"output":${q(root.output)}`;
  if (root.status !== 'success') {
    j += `,"status":${q(root.status)},"error_type":${q(truncate(root.errorType ?? (root.status === 'timeout' ? 'Timeout' : 'Error'), 256))}`;
    if (root.statusMessage !== undefined) j += `,"error_message":${q(truncate(root.statusMessage, MAX_MESSAGE))}`;
  }
  if (t.model !== undefined) j += `,"model":${q(t.model)}`;
  if (t.modelProvider !== undefined) j += `,"model_provider":${q(t.modelProvider)}`;
  if (t.metadata) {
    const m = toJsonObjectText(t.metadata, MAX_JSON_OBJECT_BYTES);
    if (m !== undefined) j += `,"metadata":${m}`;
  }
  if (t.tags && t.tags.length > 0) j += `,"tags":${q(t.tags.slice(0, 64).map((x) => truncate(x, 120)))}`;
  return j;
}

function scoreJson(s: ScoreInput): string {
  return q(s);
}

/** Splits an item so that each part fits in one TraceInput (the server rolls the parts up). */
export function chunkItem(item: ExportItem): ExportItem[] {
  const { spans, scores } = item;
  if (spans.length <= MAX_SPANS_PER_ITEM && scores.length <= MAX_SCORES_PER_ITEM) return [item];
  const parts = Math.max(Math.ceil(spans.length / MAX_SPANS_PER_ITEM), Math.ceil(scores.length / MAX_SCORES_PER_ITEM));
  const out: ExportItem[] = [];
  for (let i = 0; i < parts; i++) {
    out.push({
      trace: item.trace,
      spans: spans.slice(i * MAX_SPANS_PER_ITEM, (i + 1) * MAX_SPANS_PER_ITEM),
      scores: scores.slice(i * MAX_SCORES_PER_ITEM, (i + 1) * MAX_SCORES_PER_ITEM),
    });
  }
  return out;
}

/** One TraceInput JSON document; the item must fit (see chunkItem). */
export function encodeItem(item: ExportItem): string {
  let j = headerJson(item.trace);
  if (item.spans.length > 0) j += `,"spans":[${item.spans.map(spanJson).join(',')}]`;
  if (item.scores.length > 0) j += `,"scores":[${item.scores.map(scoreJson).join(',')}]`;
  return `${j}}`;
}

/** Splits an item in two smaller ones; undefined when it holds a single span or score. */
export function splitItem(item: ExportItem): [ExportItem, ExportItem] | undefined {
  const { trace, spans, scores } = item;
  if (spans.length >= 2) {
    const h = Math.ceil(spans.length / 2);
    return [
      { trace, spans: spans.slice(0, h), scores: [] },
      { trace, spans: spans.slice(h), scores },
    ];
  }
  if (scores.length >= 2) {
    const h = Math.ceil(scores.length / 2);
    return [
      { trace, spans, scores: scores.slice(0, h) },
      { trace, spans: [], scores: scores.slice(h) },
    ];
  }
  if (spans.length === 1 && scores.length === 1) {
    return [
      { trace, spans, scores: [] },
      { trace, spans: [], scores },
    ];
  }
  return undefined;
}
