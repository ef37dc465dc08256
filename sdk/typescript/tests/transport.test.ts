import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AgentObservability, type ExportError } from '@agent-observability/sdk';
import { sleep, startCaptureServer } from './helpers.js';

const quiet = { flushOnExit: false, onError: () => {} } as const;

test('batches by size: full batches go at once, without waiting for the timer', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, maxBatchSize: 10, flushIntervalMs: 60_000, ...quiet });
  for (let i = 0; i < 25; i++) await obs.trace(`t${i}`, async () => i);
  await server.waitForRequests(2, 2000);
  assert.deepEqual(
    server.requests.map((r) => r.body.traces.length),
    [10, 10],
  );
  await obs.flush();
  assert.deepEqual(
    server.requests.map((r) => r.body.traces.length),
    [10, 10, 5],
  );
  assert.equal(server.requests[0]!.headers['content-type'], 'application/json');
  assert.equal(server.requests[0]!.headers['authorization'], 'Bearer k');
  assert.equal(obs.stats().sent, 25);
  await obs.shutdown();
  await server.close();
});

test('batches by time: a lone trace is sent after flushIntervalMs', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, flushIntervalMs: 50, ...quiet });
  const start = performance.now();
  await obs.trace('lonely', async () => 'x');
  await server.waitForRequests(1, 2000);
  assert.ok(performance.now() - start >= 40);
  assert.equal(server.traces()[0]!.name, 'lonely');
  await obs.shutdown();
  await server.close();
});

test('maxBatchBytes splits batches; traces over 1000 spans are sent in parts', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, maxBatchBytes: 4096, ...quiet });
  for (let i = 0; i < 6; i++) await obs.trace({ name: `big${i}`, input: 'x'.repeat(1500) }, async () => 'y');
  await obs.trace('many-spans', async () => {
    for (let i = 0; i < 1500; i++) obs.trace(`s${i}`, () => i);
  });
  await obs.flush();
  for (const r of server.requests) assert.ok(JSON.stringify(r.body).length <= 4096 + 64);
  assert.ok(server.requests.length >= 3);
  const parts = server.traces().filter((t) => t.name === 'many-spans');
  assert.ok(parts.length >= 2);
  assert.equal(new Set(parts.map((p) => p.trace_id)).size, 1);
  assert.equal(
    parts.reduce((n, p) => n + (p.spans?.length ?? 0), 0),
    1501,
  );
  for (const p of parts) assert.ok((p.spans?.length ?? 0) <= 1000);
  await obs.shutdown();
  await server.close();
});

test('bounded queue: drop-newest and drop-oldest are counted', async () => {
  const server = await startCaptureServer(() => ({ status: 202 }));
  const errors: ExportError[] = [];
  for (const policy of ['drop-newest', 'drop-oldest'] as const) {
    server.requests.length = 0;
    const obs = new AgentObservability({
      apiKey: 'k',
      baseUrl: server.url,
      maxQueueSize: 5,
      maxBatchSize: 100,
      flushIntervalMs: 60_000,
      dropPolicy: policy,
      flushOnExit: false,
      onError: (e) => errors.push(e as ExportError),
    });
    for (let i = 0; i < 8; i++) obs.trace(`q${i}`, () => i);
    const st = obs.stats();
    assert.equal(st.queued, 5);
    assert.equal(st.dropped, 3);
    assert.equal(st.droppedByReason.queue_full, 3);
    await obs.flush();
    const names = server.traces().map((t) => t.name);
    assert.deepEqual(names, policy === 'drop-newest' ? ['q0', 'q1', 'q2', 'q3', 'q4'] : ['q3', 'q4', 'q5', 'q6', 'q7']);
    await obs.shutdown();
  }
  // Reported once per burst, with the count, not once per trace.
  assert.ok(errors.length >= 1 && errors.length <= 2);
  assert.equal(errors[0]!.reason, 'queue_full');
  await server.close();
});

test('retries honour Retry-After (503) and back off with jitter (429, network errors)', async () => {
  const server = await startCaptureServer((_r, i) =>
    i === 0 ? { status: 503, headers: { 'retry-after': '1' }, body: { title: 'busy' } } : i === 1 ? { status: 429 } : { status: 202 },
  );
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, retryBaseDelayMs: 50, ...quiet });
  await obs.trace('retry-me', async () => 'x');
  await obs.flush();
  assert.equal(server.requests.length, 3);
  const waited = server.requests[1]!.at - server.requests[0]!.at;
  assert.ok(waited >= 990, `waited ${waited} ms for Retry-After: 1`);
  assert.ok(waited < 2500, `waited ${waited} ms`);
  const backoff = server.requests[2]!.at - server.requests[1]!.at;
  assert.ok(backoff >= 20 && backoff < 1000, `backoff ${backoff} ms`);
  // The same trace every time: the server is idempotent on its ids.
  assert.equal(new Set(server.traces().map((t) => t.trace_id)).size, 1);
  const st = obs.stats();
  assert.equal(st.sent, 1);
  assert.equal(st.retries, 2);
  assert.equal(st.dropped, 0);
  await obs.shutdown();
  await server.close();
});

test('gives up after maxRetries, and on network errors never throws', async () => {
  const server = await startCaptureServer(() => ({ status: 500 }));
  const errors: ExportError[] = [];
  const obs = new AgentObservability({
    apiKey: 'k',
    baseUrl: server.url,
    maxRetries: 2,
    retryBaseDelayMs: 5,
    flushOnExit: false,
    onError: (e) => errors.push(e as ExportError),
  });
  await obs.trace('doomed', async () => 'x');
  await obs.flush();
  assert.equal(server.requests.length, 3);
  assert.equal(obs.stats().droppedByReason.retries_exhausted, 1);
  assert.equal(errors[0]?.reason, 'retries_exhausted');
  await obs.shutdown();
  await server.close();

  const unreachable = new AgentObservability({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', maxRetries: 1, retryBaseDelayMs: 5, ...quiet });
  await unreachable.trace('nowhere', async () => 'x');
  await unreachable.flush();
  assert.equal(unreachable.stats().droppedByReason.retries_exhausted, 1);
  await unreachable.shutdown();
});

test('207 counts rejected items, 413 splits the batch, 401 drops', async () => {
  const server = await startCaptureServer((r) => {
    const n = r.body.traces.length;
    if (r.headers['authorization'] === 'Bearer bad') return { status: 401 };
    if (n > 2) return { status: 413, body: { title: 'too many items' } };
    if (r.body.traces.some((t) => t.name === 'invalid')) {
      return {
        status: 207,
        body: {
          accepted: n - 1,
          rejected: 1,
          items: [{ index: 0, status: 400, errors: [{ field: 'traces[0].x', detail: 'bad' }] }],
        },
      };
    }
    return { status: 202 };
  });
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, ...quiet });
  for (const name of ['a', 'b', 'c', 'invalid', 'e']) await obs.trace(name, async () => name);
  await obs.flush();
  const st = obs.stats();
  assert.equal(st.sent, 4);
  assert.equal(st.droppedByReason.rejected, 1);
  assert.equal(server.requests[0]!.body.traces.length, 5);
  await obs.shutdown();

  const bad = new AgentObservability({ apiKey: 'bad', baseUrl: server.url, ...quiet });
  await bad.trace('x', async () => 1);
  await bad.flush();
  assert.equal(bad.stats().droppedByReason.unauthorized, 1);
  await bad.shutdown();
  await server.close();
});

test('shutdown flushes pending traces, then stops tracing', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, flushIntervalMs: 60_000, ...quiet });
  for (let i = 0; i < 3; i++) await obs.trace(`pending${i}`, async () => i);
  assert.equal(server.requests.length, 0);
  await obs.shutdown();
  assert.equal(server.traces().length, 3);
  assert.equal(await obs.trace('after', async (ctx) => ctx.isRecording), false);
  await obs.shutdown(); // twice is fine
  await server.close();
});

test('shutdown gives up at its timeout while the server keeps failing', async () => {
  const server = await startCaptureServer(() => ({ status: 503, headers: { 'retry-after': '30' } }));
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, ...quiet });
  await obs.trace('stuck', async () => 1);
  const start = performance.now();
  await obs.shutdown({ timeoutMs: 300 });
  assert.ok(performance.now() - start < 1500);
  assert.equal(obs.stats().dropped, 1);
  await server.close();
});

test('a Node process that just ends still sends its traces (beforeExit flush)', async () => {
  const server = await startCaptureServer();
  const entry = pathToFileURL(fileURLToPath(new URL('../../dist/esm/index.js', import.meta.url))).href;
  const script = `
    import { AgentObservability } from ${JSON.stringify(entry)};
    const obs = new AgentObservability({ apiKey: 'k', baseUrl: ${JSON.stringify(server.url)}, flushIntervalMs: 60000 });
    await obs.trace('exiting', async (ctx) => { ctx.setOutput('bye'); });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.equal(server.traces().length, 1);
  assert.equal(server.traces()[0]!.output, 'bye');
  await server.close();
});

test('the exporter never delays the traced call', async () => {
  // A server that takes 300 ms to answer must not show in the caller's timings.
  const server = await startCaptureServer();
  const slowFetch: typeof fetch = async (url, init) => {
    await sleep(300);
    return fetch(url, init);
  };
  const obs = new AgentObservability({
    apiKey: 'k',
    baseUrl: server.url,
    maxBatchSize: 1,
    maxConcurrentRequests: 4,
    fetch: slowFetch,
    ...quiet,
  });
  const start = performance.now();
  for (let i = 0; i < 8; i++) await obs.trace(`fast${i}`, async () => i);
  // Waiting for the exporter would take at least 300 ms.
  assert.ok(performance.now() - start < 250);
  await obs.flush();
  assert.equal(server.traces().length, 8);
  await obs.shutdown();
  await server.close();
});
