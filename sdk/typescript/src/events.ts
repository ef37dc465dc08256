// Events: deployments, config changes, incidents and custom markers (POST /api/v1/events).
// They mark the Impact page's timeline and split its figures before and after a deployment.
// An event is sent at once, not batched: they are rare, and a deployment script wants to know
// it arrived. Each carries an id chosen here, so a retry after a lost answer replaces it
// rather than adding a second one.

import { newTraceId } from './ids.js';
import type { FetchLike } from './models.js';
import { parseRetryAfter } from './transport.js';

export const EVENT_TYPES = ['deployment', 'config_change', 'incident', 'custom'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventInput {
  type: EventType;
  title: string;
  agentId?: string;
  version?: string;
  description?: string;
  severity?: 'info' | 'low' | 'medium' | 'high' | 'critical';
  metadata?: Record<string, unknown>;
  /** When it happened; default: now, as the server sees it. */
  timestamp?: Date | string;
  /** Reusing an id replaces the stored event. Default: a new random id. */
  id?: string;
}

/** An event as the server stored it. */
export interface StoredEvent {
  id: string;
  type: string;
  timestamp: string;
  agent_id: string;
  version: string;
  title: string;
  description: string;
  severity: string;
  metadata: Record<string, unknown>;
}

export interface EventSenderConfig {
  url: string;
  headers: Record<string, string>;
  fetch: FetchLike;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  requestTimeoutMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * sendEvent POSTs one event; 429 and 5xx answers and network errors are retried with
 * backoff, honouring Retry-After. It resolves to the stored event, or throws an Error that
 * says why (the client turns it into a report and undefined).
 */
export async function sendEvent(cfg: EventSenderConfig, input: EventInput): Promise<StoredEvent> {
  if (!(EVENT_TYPES as readonly string[]).includes(input.type)) {
    throw new Error(`event type must be one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(input.type)}`);
  }
  const body: Record<string, unknown> = { id: input.id ?? newTraceId(), type: input.type, title: input.title };
  if (input.agentId !== undefined) body['agent_id'] = input.agentId;
  if (input.version !== undefined) body['version'] = input.version;
  if (input.description !== undefined) body['description'] = input.description;
  if (input.severity !== undefined) body['severity'] = input.severity;
  if (input.metadata !== undefined) body['metadata'] = input.metadata;
  if (input.timestamp !== undefined) body['timestamp'] = input.timestamp instanceof Date ? input.timestamp.toISOString() : input.timestamp;
  const json = JSON.stringify(body);
  let last = '';
  for (let attempt = 0; attempt <= cfg.maxRetries; attempt++) {
    let retryAfter: number | undefined;
    const ctrl = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timer = ctrl ? setTimeout(() => ctrl.abort(), cfg.requestTimeoutMs) : undefined;
    try {
      const res = await cfg.fetch(cfg.url, { method: 'POST', headers: cfg.headers, body: json, signal: ctrl?.signal });
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) return JSON.parse(text) as StoredEvent;
      last = `status ${res.status}: ${text.slice(0, 500)}`;
      if (res.status !== 429 && res.status < 500) throw new Error(`event rejected (${last})`);
      retryAfter = parseRetryAfter(res.headers.get('retry-after'));
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('event rejected')) throw e;
      last = last || String(e);
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (attempt === cfg.maxRetries) break;
    const backoff = Math.min(cfg.maxRetryDelayMs, cfg.retryBaseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    await sleep(retryAfter ?? backoff);
  }
  throw new Error(`event not sent after ${cfg.maxRetries + 1} attempts (${last})`);
}
