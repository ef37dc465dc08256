import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AgentObservability } from '@agent-observability/sdk';
import { sleep, spansByName, startCaptureServer, type CaptureServer } from './helpers.js';

let server: CaptureServer;
let obs: AgentObservability;

before(async () => {
  server = await startCaptureServer();
  obs = new AgentObservability({ apiKey: 'test-key', baseUrl: server.url, flushOnExit: false });
});

after(async () => {
  await obs.shutdown();
  await server.close();
});

async function sentTrace(traceId: string) {
  await obs.flush();
  const t = server.traces().find((x) => x.trace_id === traceId);
  assert.ok(t, `trace ${traceId} was sent`);
  return t;
}

test('nested calls across awaits become child spans of the right parent', async () => {
  let traceId = '';
  const result = await obs.trace('support-bot', async (ctx) => {
    traceId = ctx.traceId;
    await sleep(2);
    const a = await obs.trace('plan', async () => {
      await sleep(1);
      return obs.trace('search', async () => {
        await sleep(1);
        return 'found';
      });
    });
    await Promise.resolve();
    const b = await obs.span({ name: 'answer', kind: 'llm' }, async (c) => {
      c.setModel('gpt-4o-mini').setTokens({ input: 12, output: 3 }).setCost(0.0001);
      return `${a}!`;
    });
    return b;
  });
  assert.equal(result, 'found!');
  const t = await sentTrace(traceId);
  assert.equal(t.agent_id, 'support-bot');
  assert.equal(t.name, 'support-bot');
  assert.equal(t.output, 'found!');
  assert.equal(t.spans?.length, 4);
  const s = spansByName(t);
  const root = s['support-bot']!;
  assert.equal(root.kind, 'agent');
  assert.equal(root.parent_span_id, undefined);
  assert.equal(s['plan']!.parent_span_id, root.span_id);
  assert.equal(s['search']!.parent_span_id, s['plan']!.span_id);
  assert.equal(s['answer']!.parent_span_id, root.span_id);
  assert.equal(s['answer']!.kind, 'llm');
  assert.equal(s['answer']!.tokens_input, 12);
  assert.equal(s['answer']!.model, 'gpt-4o-mini');
  assert.equal(t.model, 'gpt-4o-mini');
  // Times nest: children start after and end before their parents.
  assert.ok(s['plan']!.start_time >= root.start_time);
  assert.ok(s['search']!.end_time! <= s['plan']!.end_time!);
  assert.ok(root.end_time! >= s['answer']!.end_time!);
  assert.match(root.start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

test('concurrent traces and parallel children never mix', async () => {
  const ids = await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      obs.trace({ name: `run-${i}`, agentId: 'parallel-bot' }, async (ctx) => {
        await Promise.all(
          [0, 1, 2].map((j) =>
            obs.trace(`child-${i}-${j}`, async () => {
              await sleep(Math.random() * 5);
              await obs.trace(`leaf-${i}-${j}`, async () => sleep(Math.random() * 3));
            }),
          ),
        );
        return ctx.traceId;
      }),
    ),
  );
  assert.equal(new Set(ids).size, 5);
  await obs.flush();
  for (const [i, id] of ids.entries()) {
    const t = server.traces().find((x) => x.trace_id === id)!;
    assert.equal(t.spans?.length, 7);
    const s = spansByName(t);
    for (let j = 0; j < 3; j++) {
      assert.equal(s[`child-${i}-${j}`]!.parent_span_id, s[`run-${i}`]!.span_id);
      assert.equal(s[`leaf-${i}-${j}`]!.parent_span_id, s[`child-${i}-${j}`]!.span_id);
    }
  }
});

test('ctx.span nests explicitly, setters land on their span, metadata on the trace', async () => {
  let traceId = '';
  await obs.trace({ name: 'explicit', userId: 'u-1', sessionId: 's-1', tags: ['a'], input: { q: 'hi' } }, async (ctx) => {
    traceId = ctx.traceId;
    ctx.setMetadata({ env: 'test' }).addTags('b', 'a');
    await ctx.span({ name: 'retrieve', kind: 'retrieval' }, async (c) => {
      c.setMetadata({ k: 3 }).setInput('query').setOutput(['doc1', 'doc2']);
      c.score('relevance', 0.5, { comment: 'ok', source: 'eval' });
    });
    ctx.score('helpfulness', 0.9);
    ctx.setOutput({ answer: 42 });
    return 'ignored because setOutput was called';
  });
  const t = await sentTrace(traceId);
  assert.equal(t.user_id, 'u-1');
  assert.equal(t.session_id, 's-1');
  assert.deepEqual(t.tags, ['a', 'b']);
  assert.deepEqual(t.metadata, { env: 'test' });
  assert.equal(t.input, '{"q":"hi"}');
  assert.equal(t.output, '{"answer":42}');
  const s = spansByName(t);
  assert.equal(s['retrieve']!.kind, 'retrieval');
  assert.deepEqual(s['retrieve']!.attributes, { k: 3 });
  assert.equal(s['retrieve']!.input, 'query');
  assert.equal(s['retrieve']!.output, '["doc1","doc2"]');
  const scores = t.scores ?? [];
  assert.deepEqual(
    scores.find((x) => x.name === 'relevance'),
    { name: 'relevance', value: 0.5, span_id: s['retrieve']!.span_id, comment: 'ok', source: 'eval' },
  );
  assert.deepEqual(scores.find((x) => x.name === 'helpfulness'), { name: 'helpfulness', value: 0.9 });
});

test('sync functions, currentContext and late spans', async () => {
  let late: Promise<void> | undefined;
  const traceId = obs.trace('sync-root', (ctx) => {
    assert.equal(obs.currentContext().spanId, ctx.spanId);
    const v = obs.trace('sync-child', () => 2);
    assert.equal(v, 2);
    // Not awaited: ends after its trace was sent, and still joins it.
    late = obs.trace('late-child', async () => {
      await sleep(20);
    });
    return ctx.traceId;
  });
  assert.equal(typeof traceId, 'string');
  assert.equal(obs.currentContext().isRecording, false);
  await late;
  await obs.flush();
  const parts = server.traces().filter((x) => x.trace_id === traceId);
  const names = parts.flatMap((p) => (p.spans ?? []).map((s) => s.name)).sort();
  assert.deepEqual(names, ['late-child', 'sync-child', 'sync-root']);
  // The late part repeats the trace header so the server never loses the trace fields.
  assert.ok(parts.every((p) => p.agent_id === 'sync-root' && p.end_time !== undefined));
});

test('generators: the span lasts for the iteration and yields become the output', async () => {
  const gen = obs.wrap(async function* tokens(n: number) {
    for (let i = 0; i < n; i++) {
      await sleep(1);
      yield `t${i}`;
    }
  }, 'stream-tokens');
  let traceId = '';
  await obs.trace('gen-root', async (ctx) => {
    traceId = ctx.traceId;
    const got: string[] = [];
    for await (const t of gen(3)) got.push(t);
    assert.deepEqual(got, ['t0', 't1', 't2']);
  });
  const t = await sentTrace(traceId);
  const s = spansByName(t);
  assert.equal(s['stream-tokens']!.output, 't0t1t2');
  assert.equal(s['stream-tokens']!.input, '3');
  assert.equal(s['stream-tokens']!.parent_span_id, s['gen-root']!.span_id);
});

test('sampling: a sampled-out trace records nothing, also below it', async () => {
  const local = await startCaptureServer();
  const sampled = new AgentObservability({ apiKey: 'k', baseUrl: local.url, sampleRate: 0, flushOnExit: false });
  const out = await sampled.trace('never', async (ctx) => {
    assert.equal(ctx.isRecording, false);
    return sampled.trace('child', async (c) => (c.isRecording ? 'recorded' : 'not recorded'));
  });
  assert.equal(out, 'not recorded');
  await sampled.flush();
  assert.equal(local.requests.length, 0);
  assert.equal(sampled.stats().sampledOut, 1);
  await sampled.shutdown();
  await local.close();
});

test('enabled: false and a missing API key make a pass-through', async () => {
  const off = new AgentObservability({ enabled: false, apiKey: 'k' });
  assert.equal(off.enabled, false);
  assert.equal(await off.trace('x', async (ctx) => ctx.traceId), '');
  const saved = process.env['AGENTOBS_API_KEY'];
  delete process.env['AGENTOBS_API_KEY'];
  const noKey = new AgentObservability({ baseUrl: 'http://127.0.0.1:9' });
  assert.equal(noKey.enabled, false);
  assert.equal(noKey.trace('y', () => 5), 5);
  if (saved !== undefined) process.env['AGENTOBS_API_KEY'] = saved;
});

test('AGENTOBS_API_KEY and AGENTOBS_BASE_URL configure the client', async () => {
  const local = await startCaptureServer();
  process.env['AGENTOBS_API_KEY'] = 'from-env';
  process.env['AGENTOBS_BASE_URL'] = `${local.url}/`;
  try {
    const fromEnv = new AgentObservability({ flushOnExit: false });
    assert.equal(fromEnv.enabled, true);
    assert.equal(fromEnv.baseUrl, local.url);
    await fromEnv.trace('env-bot', async () => 'ok');
    await fromEnv.flush();
    assert.equal(local.requests.length, 1);
    assert.equal(local.requests[0]!.headers['authorization'], 'Bearer from-env');
    assert.equal(local.traces()[0]!.agent_id, 'env-bot');
    await fromEnv.shutdown();
  } finally {
    delete process.env['AGENTOBS_API_KEY'];
    delete process.env['AGENTOBS_BASE_URL'];
    await local.close();
  }
});
