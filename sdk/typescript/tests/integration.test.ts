// The SDK against the real agentobs binary: traces go in through the SDK and come back through
// the query API (tree, tokens, cost, scores). The examples run here too.
//
// Binary: AGENTOBS_BIN, else <repo>/bin/agentobs (`make build` in the repository root).
// AGENTOBS_SKIP_INTEGRATION=1 skips these tests when it is missing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { AgentObservability, wrapOpenAI, type FetchLike } from '@agent-observability/sdk';
import { startFakeOpenAI } from './fake-openai.js';
import { sleep } from './helpers.js';

const pkgDir = fileURLToPath(new URL('../../', import.meta.url));
const repoDir = join(pkgDir, '..', '..');
const bin = process.env['AGENTOBS_BIN'] ?? join(repoDir, 'bin', 'agentobs');
const skip = process.env['AGENTOBS_SKIP_INTEGRATION'] === '1';
const missing = !existsSync(bin);
const API_KEY = 'ao_test_0123456789abcdef0123456789abcdef';

let server: ChildProcess | undefined;
let baseUrl = '';
let dataDir = '';
let serverLog = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) break;
    try {
      const r = await fetch(`${url}/ready`);
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`agentobs did not become ready within ${timeoutMs} ms:\n${serverLog}`);
}

before(async () => {
  if (missing) {
    if (skip) return;
    throw new Error(
      `integration tests need the agentobs binary at ${bin} (run \`make build\` in the repository root, ` +
        'or set AGENTOBS_BIN); set AGENTOBS_SKIP_INTEGRATION=1 to skip them',
    );
  }
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'agentobs-sdk-it-'));
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env: { ...process.env, AGENTOBS_INIT_API_KEY: API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
  await waitReady(baseUrl, 20_000);
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface SpanOut {
  span_id: string;
  parent_span_id: string;
  kind: string;
  name: string;
  status: string;
  status_message: string;
  model: string;
  tokens_input: number | null;
  tokens_output: number | null;
  tokens_cached_input: number | null;
  tokens_total: number | null;
  cost_usd: number | null;
  input: string;
  output: string;
  attributes: Record<string, unknown>;
  children?: SpanOut[];
}

interface TraceOut {
  trace_id: string;
  agent_id: string;
  name: string;
  user_id: string;
  status: string;
  error_type: string;
  input: string;
  output: string;
  model: string;
  tokens_input: number | null;
  tokens_output: number | null;
  tokens_total: number | null;
  cost_usd: number | null;
  span_count: number;
  error_span_count: number;
  metadata: Record<string, unknown>;
  tags: string[];
  spans: SpanOut[];
  scores: Array<{ name: string; value: number; span_id: string; comment: string; source: string }>;
}

// A 202 means the trace is durable in the server's write-ahead log; its store has it a moment
// later (longer when earlier tests left a backlog), so reads wait for the commit lag to drain.
async function committed(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = (await (await fetch(`${baseUrl}/ready`)).json()) as {
      ingestion?: { commit_lag_records?: number; replaying?: boolean };
    };
    if (!ready.ingestion?.commit_lag_records && !ready.ingestion?.replaying) return;
    await sleep(20);
  }
}

async function getTrace(traceId: string): Promise<TraceOut> {
  await committed();
  const deadline = Date.now() + 10_000;
  let r: Response;
  for (;;) {
    r = await fetch(`${baseUrl}/api/v1/traces/${encodeURIComponent(traceId)}`, {
      headers: { Authorization: `Bearer ${API_KEY}` },
    });
    if (r.status !== 404 || Date.now() > deadline) break;
    await sleep(20);
  }
  assert.equal(r.status, 200, `GET trace ${traceId}: ${r.status} ${await r.clone().text()}\nserver log:\n${serverLog.slice(-3000)}`);
  return (await r.json()) as TraceOut;
}

function flatten(spans: SpanOut[]): SpanOut[] {
  return spans.flatMap((s) => [s, ...flatten(s.children ?? [])]);
}

const opts = { skip: missing && skip ? 'agentobs binary missing (AGENTOBS_SKIP_INTEGRATION=1)' : false };

function client(extra: Partial<ConstructorParameters<typeof AgentObservability>[0]> = {}): AgentObservability {
  return new AgentObservability({ apiKey: API_KEY, baseUrl, flushOnExit: false, ...extra });
}

test('a nested trace comes back as a tree with tokens, cost, errors and scores', opts, async () => {
  const obs = client();
  const traceId = await obs.trace(
    { name: 'support-bot', userId: 'user-1', tags: ['it'], metadata: { channel: 'web' }, input: 'How do I get a refund?' },
    async (ctx) => {
      await obs.trace({ name: 'plan', kind: 'chain' }, async () => {
        await obs.span({ name: 'search', kind: 'retrieval' }, async (c) => c.setOutput(['refund.md']));
      });
      await obs.span({ name: 'generate', kind: 'llm' }, async (c) => {
        c.setModel('gpt-4o-mini').setTokens({ input: 1000, output: 500 });
        return 'Use the refund form.';
      });
      await obs.span({ name: 'priced-by-hand', kind: 'tool' }, async (c) => c.setCost(0.25));
      await obs.span({ name: 'flaky-tool', kind: 'tool' }, async () => {
        throw new Error('tool timed out once');
      }).catch(() => 'handled');
      ctx.score('helpfulness', 0.75, { comment: 'good', source: 'human' });
      return ctx.traceId;
    },
  );
  await obs.shutdown();
  assert.equal(obs.stats().sent, 1);

  const t = await getTrace(traceId);
  assert.equal(t.agent_id, 'support-bot');
  assert.equal(t.user_id, 'user-1');
  assert.equal(t.input, 'How do I get a refund?');
  assert.equal(t.output, traceId);
  assert.deepEqual(t.tags, ['it']);
  assert.deepEqual(t.metadata, { channel: 'web' });
  assert.equal(t.span_count, 6);
  assert.equal(t.error_span_count, 1);
  assert.equal(t.tokens_input, 1000);
  assert.equal(t.tokens_output, 500);
  assert.equal(t.tokens_total, 1500);
  assert.equal(t.model, 'gpt-4o-mini');
  // The hand-set cost plus the model-priced one.
  assert.ok(t.cost_usd !== null && t.cost_usd > 0.25, `cost ${t.cost_usd}`);

  assert.equal(t.spans.length, 1);
  const root = t.spans[0]!;
  assert.equal(root.kind, 'agent');
  assert.deepEqual(
    (root.children ?? []).map((c) => c.name),
    ['plan', 'generate', 'priced-by-hand', 'flaky-tool'],
  );
  const plan = root.children![0]!;
  assert.deepEqual(
    (plan.children ?? []).map((c) => [c.name, c.kind]),
    [['search', 'retrieval']],
  );
  const all = Object.fromEntries(flatten(t.spans).map((s) => [s.name, s]));
  assert.equal(all['generate']!.tokens_total, 1500);
  assert.ok((all['generate']!.cost_usd ?? 0) > 0, 'the server priced gpt-4o-mini');
  assert.equal(all['priced-by-hand']!.cost_usd, 0.25);
  assert.equal(all['flaky-tool']!.status, 'error');
  assert.equal(all['flaky-tool']!.status_message, 'Error: tool timed out once');
  assert.equal(all['search']!.output, '["refund.md"]');
  assert.deepEqual(
    t.scores.map((s) => [s.name, s.value, s.comment, s.source]),
    [['helpfulness', 0.75, 'good', 'human']],
  );
});

test('a failing agent is stored as an error trace', opts, async () => {
  const obs = client();
  let traceId = '';
  await assert.rejects(
    obs.trace('crashing-bot', async (ctx) => {
      traceId = ctx.traceId;
      throw new RangeError('bad input');
    }),
    RangeError,
  );
  await obs.shutdown();
  const t = await getTrace(traceId);
  assert.equal(t.status, 'error');
  assert.equal(t.error_type, 'RangeError');
});

test('wrapOpenAI spans are priced by the server from their tokens', opts, async () => {
  const fake = await startFakeOpenAI();
  const obs = client();
  const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 }), { observability: obs });
  const traceId = await obs.trace('openai-bot', async (ctx) => {
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    for await (const _ of stream) {
      /* drain */
    }
    return ctx.traceId;
  });
  await obs.shutdown();
  await fake.close();
  const t = await getTrace(traceId);
  assert.equal(t.tokens_input, 11 + 20);
  assert.equal(t.tokens_output, 2 + 3);
  assert.ok(t.cost_usd !== null && t.cost_usd > 0, `cost ${t.cost_usd}`);
  const llm = flatten(t.spans).filter((s) => s.kind === 'llm');
  assert.deepEqual(llm.map((s) => s.name).sort(), ['openai.chat.completions', 'openai.responses']);
  assert.ok(llm.every((s) => s.output === 'Hello world' || s.output === 'Hi there'));
});

test('many traces in batches all arrive; retried requests are not counted twice', opts, async () => {
  // Every third request is stored by the server but "lost" on the way back: the SDK retries it.
  let n = 0;
  const lossy: FetchLike = async (url, init) => {
    const r = await fetch(url, init);
    if (++n % 3 === 1) return { status: 503, headers: { get: () => null }, text: async () => '' };
    return r;
  };
  const obs = client({ fetch: lossy, maxBatchSize: 25, retryBaseDelayMs: 10 });
  const ids: string[] = [];
  for (let i = 0; i < 150; i++) {
    ids.push(
      await obs.trace({ name: `bulk-${i}`, agentId: 'bulk-bot' }, async (ctx) => {
        await obs.span({ name: 'step', kind: 'llm' }, async (c) => c.setModel('gpt-4o-mini').setTokens(10, 1));
        return ctx.traceId;
      }),
    );
  }
  await obs.shutdown();
  const st = obs.stats();
  assert.equal(st.sent, 150);
  assert.equal(st.dropped, 0);
  assert.ok(st.retries >= 2);
  for (const id of [ids[0]!, ids[75]!, ids[149]!]) {
    const t = await getTrace(id);
    assert.equal(t.span_count, 2);
    assert.equal(t.tokens_input, 10);
  }
});

async function runExample(file: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [join(pkgDir, 'build', 'examples', file)], {
    env: { ...process.env, AGENTOBS_API_KEY: API_KEY, AGENTOBS_BASE_URL: baseUrl, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `${file} exited with ${code}:\n${out}`);
  return out;
}

test('examples/basic.ts runs and its trace is stored', opts, async () => {
  const out = await runExample('basic.js');
  const traceId = /trace_id=(\w+)/.exec(out)?.[1];
  assert.ok(traceId, out);
  assert.match(out, /sent 2 trace\(s\), dropped 0/);
  const t = await getTrace(traceId);
  assert.equal(t.agent_id, 'support-bot');
  assert.equal(t.user_id, 'user-123');
  const names = flatten(t.spans).map((s) => s.name);
  assert.deepEqual(names, ['support-bot', 'SupportAgent.handleRequest', 'SupportAgent.searchDocs', 'generate']);
  assert.equal(t.tokens_total, 160);
  assert.equal(t.scores[0]?.name, 'helpfulness');
});

test('examples/nextjs.ts route handler traces a request', opts, async () => {
  process.env['AGENTOBS_API_KEY'] = API_KEY;
  process.env['AGENTOBS_BASE_URL'] = baseUrl;
  try {
    const route = (await import(join(pkgDir, 'build', 'examples', 'nextjs.js'))) as { POST(r: Request): Promise<Response> };
    const res = await route.POST(
      new Request('http://localhost/api/chat', { method: 'POST', body: JSON.stringify({ message: 'hi', userId: 'u-9' }) }),
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as { answer: string; traceId: string };
    const t = await getTrace(body.traceId);
    assert.equal(t.agent_id, 'nextjs-support-bot');
    assert.equal(t.user_id, 'u-9');
    assert.equal(t.output, body.answer);
    assert.deepEqual(
      flatten(t.spans).map((s) => s.name),
      ['POST /api/chat', 'retrieve', 'generate'],
    );
  } finally {
    delete process.env['AGENTOBS_API_KEY'];
    delete process.env['AGENTOBS_BASE_URL'];
  }
});

test('examples/express.ts traces each request', opts, async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(pkgDir, 'build', 'examples', 'express.js')], {
    env: { ...process.env, AGENTOBS_API_KEY: API_KEY, AGENTOBS_BASE_URL: baseUrl, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let res: Response | undefined;
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'where is my order?' }),
      }).catch(() => undefined);
      if (!res) await sleep(50);
    }
    assert.ok(res, 'the express example answers');
    assert.equal(res.status, 200);
    const traceId = res.headers.get('x-trace-id')!;
    await res.json();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    const t = await getTrace(traceId);
    assert.equal(t.agent_id, 'express-support-bot');
    assert.deepEqual(
      flatten(t.spans).map((s) => s.name),
      ['POST /chat', 'lookup_order', 'generate'],
    );
    assert.equal(flatten(t.spans)[0]!.attributes['http_status'], 200);
    assert.match(t.output, /Order A-1001 is shipped/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a deployment marker reaches the events API', opts, async () => {
  const obs = new AgentObservability({ apiKey: API_KEY, baseUrl, flushOnExit: false });
  const ev = await obs.deployment('v9', { agentId: 'ts-agent', metadata: { commit: 'c0ffee' } });
  assert.ok(ev);
  assert.equal(ev.version, 'v9');
  const res = await fetch(`${baseUrl}/api/v1/events?type=deployment&agent_id=ts-agent`, { headers: { Authorization: `Bearer ${API_KEY}` } });
  const { events } = (await res.json()) as { events: Array<{ id: string; metadata: unknown }> };
  assert.deepEqual(
    events.map((e) => e.id),
    [ev.id],
  );
  assert.deepEqual(events[0]!.metadata, { commit: 'c0ffee' });
  await obs.shutdown();
});
