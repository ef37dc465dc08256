import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentObservability, type FetchLike } from '@agent-observability/sdk';
import { spansByName, startCaptureServer } from './helpers.js';

const quiet = { flushOnExit: false, onError: () => {} } as const;

test('errors are recorded on their span and the trace, and rethrown unchanged', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, ...quiet });
  class ToolError extends Error {
    override name = 'ToolError';
  }
  const boom = new ToolError('search backend down');
  let traceId = '';
  await assert.rejects(
    obs.trace('failing-bot', async (ctx) => {
      traceId = ctx.traceId;
      await obs.trace('ok-step', async () => 1);
      await obs.trace({ name: 'tool', kind: 'tool' }, async () => {
        throw boom;
      });
    }),
    (e) => e === boom,
  );
  // A handled error marks only its own span.
  await obs.trace('handled', async () => {
    try {
      await obs.trace('inner', () => {
        throw new RangeError('sync failure');
      });
    } catch {
      /* handled */
    }
  });
  // Timeouts get their own status.
  await assert.rejects(
    obs.trace('slow', async () => {
      const e = new Error('took too long');
      e.name = 'TimeoutError';
      throw e;
    }),
  );
  // Non-Error throwables too.
  assert.throws(
    () =>
      obs.trace('throws-string', () => {
        throw 'plain string';
      }),
    (e) => e === 'plain string',
  );
  await obs.flush();
  const t = server.traces().find((x) => x.trace_id === traceId)!;
  assert.equal(t.status, 'error');
  assert.equal(t.error_type, 'ToolError');
  assert.equal(t.error_message, 'ToolError: search backend down');
  const s = spansByName(t);
  assert.equal(s['tool']!.status, 'error');
  assert.equal(s['tool']!.status_message, 'ToolError: search backend down');
  assert.equal(s['ok-step']!.status, undefined);

  const handled = server.traces().find((x) => x.name === 'handled')!;
  assert.equal(handled.status, undefined);
  assert.equal(spansByName(handled)['inner']!.status, 'error');
  assert.equal(server.traces().find((x) => x.name === 'slow')!.status, 'timeout');
  const str = server.traces().find((x) => x.name === 'throws-string')!;
  assert.equal(str.error_message, 'plain string');
  await obs.shutdown();
  await server.close();
});

test('values that cannot be serialised never break the call', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, maxFieldLength: 100, ...quiet });
  const circular: Record<string, unknown> = { name: 'loop', big: 10n };
  circular['self'] = circular;
  const shared = { x: 1 };
  const hostile = {
    get boom(): never {
      throw new Error('getter exploded');
    },
  };
  const out = await obs.trace({ name: 'weird', input: circular, metadata: { fn: () => 1, shared, again: shared } }, async (ctx) => {
    ctx.setOutput(hostile);
    ctx.setMetadata(circular);
    ctx.setTokens({ input: Number.NaN, output: -5, total: 3.7 });
    ctx.setCost(Number.POSITIVE_INFINITY);
    ctx.score('bad', Number.NaN);
    ctx.score('', 1);
    ctx.setModel(undefined as unknown as string);
    ctx.setStatus('nonsense' as 'error');
    return 'fine';
  });
  assert.equal(out, 'fine');
  await obs.trace({ name: 'long', input: 'y'.repeat(1000) }, () => new Map([['k', new Set([1, 2])]]));
  await obs.flush();
  const weird = server.traces().find((t) => t.name === 'weird')!;
  assert.equal(weird.input, '{"name":"loop","big":"10","self":"[Circular]"}');
  assert.match(weird.output!, /unserializable/);
  // Shared objects are written twice; only a real cycle is cut.
  assert.deepEqual(weird.metadata, {
    shared: { x: 1 },
    again: { x: 1 },
    name: 'loop',
    big: '10',
    self: { name: 'loop', big: '10', self: '[Circular]' },
  });
  const root = weird.spans![0]!;
  assert.equal(root.tokens_input, undefined);
  assert.equal(root.tokens_output, undefined);
  assert.equal(root.tokens_total, 4);
  assert.equal(root.cost_usd, undefined);
  assert.equal(weird.scores, undefined);
  const long = server.traces().find((t) => t.name === 'long')!;
  assert.ok(long.input!.startsWith('y'.repeat(100)));
  assert.match(long.input!, /truncated 900 chars/);
  assert.equal(long.output, '{"k":[1,2]}');
  await obs.shutdown();
  await server.close();
});

test('a broken fetch or error handler never reaches user code', async () => {
  const throwingFetch: FetchLike = () => {
    throw new Error('fetch exploded synchronously');
  };
  const obs = new AgentObservability({
    apiKey: 'k',
    fetch: throwingFetch,
    maxRetries: 1,
    retryBaseDelayMs: 1,
    flushOnExit: false,
    onError: () => {
      throw new Error('handler exploded');
    },
  });
  assert.equal(await obs.trace('a', async () => 'still works'), 'still works');
  await obs.flush();
  assert.equal(obs.stats().droppedByReason.retries_exhausted, 1);

  const garbage: FetchLike = async () => ({
    status: 207,
    headers: { get: () => 'not a date' },
    text: async () => 'not json',
  });
  const obs2 = new AgentObservability({ apiKey: 'k', fetch: garbage, ...quiet });
  await obs2.trace('b', async () => 1);
  await obs2.flush();
  assert.equal(obs2.stats().droppedByReason.rejected, 1);
  await obs.shutdown();
  await obs2.shutdown();
});

test('invalid arguments are tolerated', async () => {
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', ...quiet });
  // A decorator is returned when no function is given; a context without a function is a no-op.
  assert.equal(typeof obs.trace('name-only'), 'function');
  assert.equal(obs.currentContext().span('x', undefined as unknown as () => void), undefined);
  assert.equal(obs.wrap(undefined as unknown as () => void), undefined);
  await obs.shutdown({ timeoutMs: 10 });
});
