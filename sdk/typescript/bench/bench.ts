// SDK benchmark: the cost of tracing a no-op async call, and whether the exporter keeps up at
// 20,000 traced calls per second. Traces go to a local sink in a child process (so its work
// is not counted here) or to AGENTOBS_BENCH_URL (a running agentobs, with AGENTOBS_API_KEY).
import { spawn } from 'node:child_process';
import { AgentObservability } from '@agent-observability/sdk';

const SINK = `
  const http = require('node:http');
  const s = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => { res.writeHead(202, { 'content-type': 'application/json' }); res.end('{}'); });
  });
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

async function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

async function measure(fn: () => Promise<unknown>, n: number): Promise<number[]> {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out[i] = (performance.now() - t) * 1000;
    // Let the exporter run, as any real application's event loop would.
    if (i % 256 === 255) await yieldToLoop();
  }
  return out;
}

async function main(): Promise<void> {
  const external = process.env['AGENTOBS_BENCH_URL'];
  const sink = external ? undefined : await startSink();
  const obs = new AgentObservability({
    apiKey: external ? process.env['AGENTOBS_API_KEY'] : 'bench',
    baseUrl: external ?? sink!.url,
    flushOnExit: false,
    maxQueueSize: 50_000,
    onError: (e) => console.error(`export error: ${e.message}`),
  });
  const noop = async (): Promise<void> => {};
  const traced = (): Promise<void> => obs.trace('noop', noop);

  // Warm up the JIT for both paths.
  await measure(noop, 20_000);
  await measure(traced, 20_000);
  await obs.flush();

  const rounds = 5;
  const base: number[] = [];
  const withTrace: number[] = [];
  for (let r = 0; r < rounds; r++) {
    base.push(...(await measure(noop, 20_000)));
    withTrace.push(...(await measure(traced, 20_000)));
  }
  await obs.flush();
  const mBase = median(base);
  const mTraced = median(withTrace);
  console.log(
    `traced no-op async call: median overhead ${(mTraced - mBase).toFixed(2)} µs ` +
      `(traced ${mTraced.toFixed(2)} µs, untraced ${mBase.toFixed(2)} µs, traced p99 ${pct(withTrace, 0.99).toFixed(2)} µs)`,
  );

  // Unpaced: the most traced calls per second one event loop sustains with export included.
  // The loop only waits when the queue holds more than a few batches, so nothing is dropped.
  let start = performance.now();
  const before = obs.stats();
  let calls = 0;
  while (performance.now() - start < 2000) {
    for (let i = 0; i < 200; i++) await traced();
    calls += 200;
    await yieldToLoop();
    while (obs.stats().queued > 2000) await new Promise((r) => setTimeout(r, 1));
  }
  await obs.flush();
  const unpacedSecs = (performance.now() - start) / 1000;
  const afterUnpaced = obs.stats();
  console.log(
    `unpaced: ${Math.round(calls / unpacedSecs).toLocaleString('en-US')} traced calls/s sustained, export included ` +
      `(${calls.toLocaleString('en-US')} calls, sent ${afterUnpaced.sent - before.sent}, dropped ${afterUnpaced.dropped - before.dropped})`,
  );

  // Paced: 20,000 calls/s for 3 s, 100 calls every 5 ms; the queue must not grow.
  const rate = 20_000;
  const seconds = 3;
  const tick = 5;
  const perTick = (rate * tick) / 1000;
  const s0 = obs.stats();
  let maxQueued = 0;
  let late = 0;
  start = performance.now();
  for (let k = 0; k < (seconds * 1000) / tick; k++) {
    const due = start + k * tick;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    else {
      late++;
      await yieldToLoop();
    }
    for (let i = 0; i < perTick; i++) await traced();
    maxQueued = Math.max(maxQueued, obs.stats().queued);
  }
  const elapsed = (performance.now() - start) / 1000;
  const endQueued = obs.stats().queued;
  await obs.flush();
  const s1 = obs.stats();
  const done = s1.enqueued - s0.enqueued;
  const sent = s1.sent - s0.sent;
  const dropped = s1.dropped - s0.dropped;
  const keepsUp = dropped === 0 && sent === done && maxQueued < 2 * perTick * 20;
  console.log(
    `paced ${rate.toLocaleString('en-US')}/s for ${seconds} s: ${Math.round(done / elapsed).toLocaleString('en-US')} calls/s achieved, ` +
      `sent ${sent.toLocaleString('en-US')}, dropped ${dropped}, max queued ${maxQueued}, queued at end ${endQueued}, late ticks ${late} ` +
      `-> buffer ${keepsUp ? 'keeps up' : 'FALLS BEHIND'}`,
  );
  await obs.shutdown();
  sink?.stop();
  if (!keepsUp) process.exitCode = 1;
}

void main();
