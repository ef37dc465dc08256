// The exporter: a bounded queue of finished traces, sent in batches by size and time to
// POST /api/v1/traces/batch, with retries. It never throws and never blocks the caller: all
// network work happens in timers and promise callbacks, failures end up in counters.

import type { DropReason, ExportStats, FetchLike } from './models.js';
import { monotonicNow, refTimer, unrefTimer } from './platform.js';
import { utf8Length } from './serialize.js';
import { chunkItem, encodeItem, splitItem, type ExportItem } from './wire.js';

export interface ExporterConfig {
  url: string;
  headers: Record<string, string>;
  fetch: FetchLike;
  maxBatchSize: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  maxQueueSize: number;
  dropPolicy: 'drop-newest' | 'drop-oldest';
  maxConcurrentRequests: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  requestTimeoutMs: number;
}

/** Why data was dropped, handed to `onError`. */
export class ExportError extends Error {
  constructor(
    message: string,
    readonly reason: DropReason,
    readonly count: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface ExporterLog {
  debug(message: string): void;
  /** Reports a failure: once to the console per kind, always to `onError`. */
  fail(error: ExportError): void;
}

interface Entry {
  item: ExportItem;
  seq: number;
}

interface Unit {
  item: ExportItem;
  seq: number;
  json: string;
  bytes: number;
}

interface PostResult {
  status: number; // 0: no answer (network error, timeout)
  retryAfterMs?: number;
  text: string;
  error?: unknown;
}

interface Sleeper {
  timer: unknown;
  wake(): void;
}

// eslint-disable-next-line no-control-regex -- the whole ASCII range, NUL included, on purpose
const ASCII = /^[\x00-\x7f]*$/;
const BODY_OVERHEAD = '{"traces":[]}'.length;

/** Parses `Retry-After`: seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(parseFloat(v) * 1000);
  const date = Date.parse(v);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

const schedule: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate(f: () => void): unknown }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

export class Exporter {
  private queue: Entry[] = [];
  private head = 0;
  /** Encoded documents waiting, ahead of the queue (leftovers of a batch, split items). */
  private ready: Unit[] = [];
  private inFlight = 0;
  private readonly batchesInFlight = new Set<{ minSeq: number }>();
  private seq = 0;
  private draining = false;
  private timer: unknown = undefined;
  private pumpScheduled = false;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private readonly sleepers = new Set<Sleeper>();
  /** Monotonic time after which no retry is attempted (set while shutting down). */
  private deadline = Infinity;
  private holdOpen = false;
  /** Told when the exporter gets work to do and when it has none left. */
  onBusyChange: ((busy: boolean) => void) | undefined = undefined;
  private wasBusy = false;
  /** Browsers: send with `keepalive` while the page is being hidden, so the request outlives it. */
  keepalive = false;
  private closed = false;
  private lastQueueFullReport = -Infinity;
  private queueFullPending = 0;

  readonly stats: ExportStats = {
    enqueued: 0,
    sent: 0,
    dropped: 0,
    droppedByReason: { queue_full: 0, rejected: 0, retries_exhausted: 0, too_large: 0, unauthorized: 0, shutdown: 0 },
    sampledOut: 0,
    requests: 0,
    retries: 0,
    queued: 0,
    inFlight: 0,
  };

  constructor(
    private readonly cfg: ExporterConfig,
    private readonly log: ExporterLog,
  ) {}

  private get queued(): number {
    return this.queue.length - this.head + this.ready.length;
  }

  snapshot(): ExportStats {
    return {
      ...this.stats,
      droppedByReason: { ...this.stats.droppedByReason },
      queued: this.queued,
      inFlight: this.inFlight,
    };
  }

  /** Hands a finished trace (or late parts of one) to the exporter. */
  enqueue(item: ExportItem): void {
    if (this.closed) {
      this.drop(1, 'shutdown', 'the client was shut down');
      return;
    }
    if (this.queue.length - this.head >= this.cfg.maxQueueSize) {
      if (this.cfg.dropPolicy === 'drop-oldest' && this.queue.length > this.head) {
        this.queue[this.head] = undefined as unknown as Entry;
        this.head++;
        this.compact();
      } else {
        this.queueFull();
        return;
      }
      this.queueFull();
    }
    this.queue.push({ item, seq: ++this.seq });
    this.stats.enqueued++;
    if (!this.wasBusy) this.updateBusy();
    if (this.queued >= this.cfg.maxBatchSize) this.schedulePump();
    else this.ensureTimer();
  }

  private queueFull(): void {
    // A full queue drops on every call; report it at most once a second, with the count.
    this.stats.dropped++;
    this.stats.droppedByReason.queue_full++;
    this.queueFullPending++;
    const now = monotonicNow();
    if (now - this.lastQueueFullReport >= 1000) {
      this.lastQueueFullReport = now;
      const n = this.queueFullPending;
      this.queueFullPending = 0;
      this.log.fail(new ExportError(`queue full (${this.cfg.maxQueueSize} traces): dropped ${n}`, 'queue_full', n));
    }
  }

  private updateBusy(): void {
    const busy = this.busy;
    if (busy === this.wasBusy) return;
    this.wasBusy = busy;
    try {
      this.onBusyChange?.(busy);
    } catch {
      /* bookkeeping only */
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private drop(count: number, reason: DropReason, why: string, status?: number): void {
    if (count <= 0) return;
    this.stats.dropped += count;
    this.stats.droppedByReason[reason] += count;
    this.log.fail(new ExportError(`dropped ${count} trace item(s): ${why}`, reason, count, status));
  }

  private ensureTimer(): void {
    if (this.timer !== undefined || this.queued === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draining = true;
      this.pump();
    }, this.cfg.flushIntervalMs);
    unrefTimer(this.timer);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    schedule(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    try {
      while (this.inFlight < this.cfg.maxConcurrentRequests) {
        const pending = this.queued;
        if (pending === 0) {
          this.draining = false;
          break;
        }
        if (!this.draining && pending < this.cfg.maxBatchSize) break;
        const batch = this.takeBatch();
        if (batch.length === 0) continue;
        const marker = { minSeq: Math.min(...batch.map((u) => u.seq)) };
        this.batchesInFlight.add(marker);
        this.inFlight++;
        void this.send(batch, 0).then(
          () => this.batchDone(marker),
          (err: unknown) => {
            // send() handles its own failures; this is a bug guard, not a code path.
            this.drop(batch.length, 'rejected', `internal error: ${String(err)}`);
            this.batchDone(marker);
          },
        );
      }
      if (this.queued > 0 && !this.draining) this.ensureTimer();
    } catch (err) {
      this.log.debug(`pump failed: ${String(err)}`);
    }
    this.checkWaiters();
    if (this.wasBusy) this.updateBusy();
  }

  private batchDone(marker: { minSeq: number }): void {
    this.batchesInFlight.delete(marker);
    this.inFlight--;
    this.pump();
  }

  private nextUnit(): Unit | undefined {
    const u = this.ready.shift();
    if (u) return u;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Entry;
      this.head++;
      this.compact();
      const units = this.encode(entry.item, entry.seq);
      if (units.length === 0) continue;
      const first = units.shift()!;
      if (units.length > 0) this.ready.unshift(...units);
      return first;
    }
    if (this.head > 0 && this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return undefined;
  }

  private encode(item: ExportItem, seq: number): Unit[] {
    const out: Unit[] = [];
    try {
      for (const part of chunkItem(item)) {
        const json = encodeItem(part);
        out.push({ item: part, seq, json, bytes: ASCII.test(json) ? json.length : utf8Length(json) });
      }
    } catch (err) {
      this.drop(1, 'rejected', `cannot encode trace: ${String(err)}`);
    }
    return out;
  }

  private takeBatch(): Unit[] {
    const batch: Unit[] = [];
    let bytes = BODY_OVERHEAD;
    const limit = this.cfg.maxBatchBytes;
    while (batch.length < this.cfg.maxBatchSize) {
      const u = this.nextUnit();
      if (!u) break;
      if (bytes + u.bytes + 1 > limit) {
        if (batch.length > 0) {
          this.ready.unshift(u);
          break;
        }
        // Alone over the limit: send it in halves, or give it up.
        const halves = splitItem(u.item);
        if (halves) this.ready.unshift(...halves.flatMap((h) => this.encode(h, u.seq)));
        else this.drop(1, 'too_large', `one trace item is ${u.bytes} bytes, over maxBatchBytes`);
        continue;
      }
      batch.push(u);
      bytes += u.bytes + 1;
    }
    return batch;
  }

  private async send(batch: Unit[], attempt: number): Promise<void> {
    for (;;) {
      const body = `{"traces":[${batch.map((u) => u.json).join(',')}]}`;
      const r = await this.post(body);
      this.stats.requests++;
      const s = r.status;
      if (s === 200 || s === 201 || s === 202 || s === 204) {
        this.stats.sent += batch.length;
        this.log.debug(`sent ${batch.length} trace item(s): ${s}`);
        return;
      }
      if (s === 207) {
        this.partial(batch.length, r.text);
        return;
      }
      if (s === 413 || (s === 400 && batch.length > 1 && /too large|too many|limit/i.test(r.text))) {
        await this.sendSplit(batch, attempt);
        return;
      }
      if (s === 401 || s === 403) {
        this.drop(batch.length, 'unauthorized', `the server refused the API key (${s})`, s);
        return;
      }
      const retryable = s === 0 || s === 408 || s === 425 || s === 429 || s >= 500;
      if (!retryable) {
        this.drop(batch.length, 'rejected', `the server answered ${s}: ${r.text.slice(0, 500)}`, s);
        return;
      }
      const why = s === 0 ? `request failed: ${String(r.error)}` : `the server answered ${s}`;
      if (attempt >= this.cfg.maxRetries) {
        this.drop(batch.length, 'retries_exhausted', `${why}, after ${attempt + 1} attempts`, s || undefined);
        return;
      }
      const delay = this.retryDelay(attempt, r.retryAfterMs);
      if (monotonicNow() + delay > this.deadline) {
        this.drop(batch.length, 'shutdown', `${why}; no time left to retry before shutdown`, s || undefined);
        return;
      }
      this.log.debug(`${why}; retry ${attempt + 1} in ${Math.round(delay)} ms`);
      await this.sleep(delay);
      attempt++;
      this.stats.retries++;
    }
  }

  private async sendSplit(batch: Unit[], attempt: number): Promise<void> {
    if (batch.length > 1) {
      const h = Math.ceil(batch.length / 2);
      await this.send(batch.slice(0, h), attempt);
      await this.send(batch.slice(h), attempt);
      return;
    }
    const only = batch[0]!;
    const halves = splitItem(only.item);
    if (!halves) {
      this.drop(1, 'too_large', 'the server refused one trace item as too large', 413);
      return;
    }
    for (const h of halves) {
      const units = this.encode(h, only.seq);
      if (units.length > 0) await this.send(units, attempt);
    }
  }

  /** 207: some items stored, some rejected as invalid. */
  private partial(count: number, text: string): void {
    let accepted = 0;
    let rejected = count;
    let firstError = '';
    try {
      const body = JSON.parse(text) as {
        accepted?: number;
        rejected?: number;
        items?: Array<{ status?: number; errors?: Array<{ field?: string; detail?: string }> }>;
      };
      if (typeof body.accepted === 'number') accepted = body.accepted;
      if (typeof body.rejected === 'number') rejected = body.rejected;
      else rejected = count - accepted;
      const bad = body.items?.find((i) => i.status !== undefined && i.status >= 300);
      const e = bad?.errors?.[0];
      if (e) firstError = `${e.field ?? ''} ${e.detail ?? ''}`.trim();
    } catch {
      /* keep the defaults: count everything as rejected */
    }
    this.stats.sent += accepted;
    this.drop(rejected, 'rejected', `the server rejected invalid items${firstError ? `: ${firstError}` : ''}`, 207);
  }

  private retryDelay(attempt: number, retryAfterMs: number | undefined): number {
    const cap = this.cfg.maxRetryDelayMs;
    if (retryAfterMs !== undefined) {
      // Wait at least what the server asked for, plus a little jitter so clients do not return in step.
      const base = Math.min(retryAfterMs, cap);
      return base + Math.random() * Math.min(1000, base * 0.1 + 50);
    }
    // Exponential backoff with "equal jitter": between half and all of the step.
    const step = Math.min(cap, this.cfg.retryBaseDelayMs * 2 ** attempt);
    return step / 2 + (Math.random() * step) / 2;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        timer: undefined,
        wake: () => {
          clearTimeout(sleeper.timer as ReturnType<typeof setTimeout>);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      sleeper.timer = setTimeout(sleeper.wake, ms);
      // A retry wait must not keep a finished program alive, except while flushing at exit.
      if (!this.holdOpen) unrefTimer(sleeper.timer);
      this.sleepers.add(sleeper);
    });
  }

  private async post(body: string): Promise<PostResult> {
    const Ctl = (globalThis as { AbortController?: typeof AbortController }).AbortController;
    const controller = typeof Ctl === 'function' ? new Ctl() : undefined;
    const timer = controller ? setTimeout(() => controller.abort(), this.cfg.requestTimeoutMs) : undefined;
    unrefTimer(timer);
    try {
      const res = await this.cfg.fetch(this.cfg.url, {
        method: 'POST',
        headers: this.cfg.headers,
        body,
        signal: controller?.signal,
        ...(this.keepalive && body.length < 60000 ? { keepalive: true } : {}),
      });
      let text = '';
      try {
        text = await res.text();
      } catch {
        /* the status is what matters */
      }
      let retryAfterMs: number | undefined;
      try {
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      } catch {
        retryAfterMs = undefined;
      }
      return { status: res.status, retryAfterMs, text };
    } catch (error) {
      return { status: 0, text: '', error };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private oldestOutstanding(): number {
    let min = Infinity;
    if (this.head < this.queue.length) min = this.queue[this.head]!.seq;
    for (const u of this.ready) if (u.seq < min) min = u.seq;
    for (const b of this.batchesInFlight) if (b.minSeq < min) min = b.minSeq;
    return min;
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.oldestOutstanding();
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.target < oldest) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
    if (still.length === 0) this.setHoldOpen(false);
  }

  /**
   * While someone awaits a flush, retry waits keep a Node process alive (otherwise an awaited
   * flush could be cut short by the process exiting); the rest of the time they do not.
   */
  private setHoldOpen(on: boolean): void {
    if (this.holdOpen === on) return;
    this.holdOpen = on;
    for (const s of this.sleepers) {
      if (on) refTimer(s.timer);
      else unrefTimer(s.timer);
    }
  }

  /** Resolves once everything enqueued before the call has been sent or dropped. */
  flush(): Promise<void> {
    return this.startFlush().done;
  }

  private startFlush(): { done: Promise<void>; cancel(): void } {
    const waiter = { target: this.seq, resolve: () => {} };
    const done = new Promise<void>((resolve) => {
      waiter.resolve = resolve;
    });
    this.waiters.push(waiter);
    this.setHoldOpen(true);
    this.draining = true;
    this.pump();
    return {
      done,
      cancel: () => {
        const i = this.waiters.indexOf(waiter);
        if (i === -1) return;
        this.waiters.splice(i, 1);
        waiter.resolve();
        if (this.waiters.length === 0) this.setHoldOpen(false);
      },
    };
  }

  /** True while anything is queued or in flight. */
  get busy(): boolean {
    return this.queued > 0 || this.inFlight > 0;
  }

  /**
   * Flushes under a deadline: waiting retries are tried at once and no retry is scheduled past
   * the deadline. Resolves at the deadline at the latest.
   */
  async flushWithin(timeoutMs: number): Promise<void> {
    this.deadline = monotonicNow() + timeoutMs;
    for (const s of [...this.sleepers]) s.wake();
    let timeout: unknown;
    const expired = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, timeoutMs);
    });
    const flush = this.startFlush();
    try {
      await Promise.race([flush.done, expired]);
    } finally {
      flush.cancel();
      clearTimeout(timeout as ReturnType<typeof setTimeout>);
      if (!this.closed) this.deadline = Infinity;
    }
  }

  /** Flushes within `timeoutMs`, then drops (and counts) whatever is left. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    await this.flushWithin(timeoutMs);
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    this.timer = undefined;
    const left = this.queue.length - this.head + this.ready.length;
    this.queue = [];
    this.head = 0;
    this.ready = [];
    this.drop(left, 'shutdown', 'not sent before the shutdown timeout');
    this.checkWaiters();
    this.updateBusy();
  }
}
