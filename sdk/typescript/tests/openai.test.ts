// wrapOpenAI with the real `openai` package against a local OpenAI-compatible server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { AgentObservability, wrapOpenAI, type SpanInput, type TraceInput } from '@agent-observability/sdk';
import { startCaptureServer, type CaptureServer } from './helpers.js';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

let sink: CaptureServer;
let fake: FakeOpenAI;
let obs: AgentObservability;
let openai: OpenAI;

before(async () => {
  sink = await startCaptureServer();
  fake = await startFakeOpenAI();
  obs = new AgentObservability({ apiKey: 'k', baseUrl: sink.url, flushOnExit: false });
  openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 }), { observability: obs });
});

after(async () => {
  await obs.shutdown();
  await sink.close();
  await fake.close();
});

/** Runs `fn` in a trace and returns the trace's llm/embedding spans once sent. */
async function traced(fn: () => Promise<void>): Promise<{ trace: TraceInput; llm: SpanInput[] }> {
  const traceId = await obs.trace('openai-test', async (ctx) => {
    await fn();
    return ctx.traceId;
  });
  await obs.flush();
  const trace = sink.traces().find((t) => t.trace_id === traceId)!;
  assert.ok(trace, 'trace sent');
  const root = trace.spans!.find((s) => s.parent_span_id === undefined)!;
  const llm = trace.spans!.filter((s) => s.kind === 'llm' || s.kind === 'embedding');
  for (const s of llm) assert.equal(s.parent_span_id, root.span_id);
  return { trace, llm };
}

test('chat completion: model, tokens, messages and answer on a child llm span', async () => {
  const { trace, llm } = await traced(async () => {
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    assert.equal(r.choices[0]!.message.content, 'Hello world');
  });
  assert.equal(llm.length, 1);
  const s = llm[0]!;
  assert.equal(s.name, 'openai.chat.completions');
  assert.equal(s.model, 'gpt-4o-mini');
  assert.equal(s.tokens_input, 11);
  assert.equal(s.tokens_output, 2);
  assert.equal(s.tokens_total, 13);
  assert.equal(s.tokens_cached_input, 4);
  assert.equal(s.input, '[{"role":"user","content":"Say hello"}]');
  assert.equal(s.output, 'Hello world');
  assert.equal(s.attributes?.['temperature'], 0.2);
  assert.equal(s.attributes?.['finish_reason'], 'stop');
  assert.equal(s.attributes?.['response_model'], 'gpt-4o-mini-2024-07-18');
  assert.equal(trace.model, 'gpt-4o-mini');
});

test('chat completion: .withResponse() and .asResponse() still work', async () => {
  const { llm } = await traced(async () => {
    const { data, response, request_id } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(data.choices[0]!.message.content, 'Hello world');
    assert.equal(response.status, 200);
    assert.equal(request_id, 'req_123');
    const raw = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'raw' }] }).asResponse();
    const body = (await raw.json()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(body.choices[0]!.message.content, 'Hello world');
  });
  assert.equal(llm.length, 2);
  assert.equal(llm[0]!.tokens_input, 11);
  assert.equal(llm[1]!.attributes?.['http_status'], 200);
});

test('chat completion stream: chunks pass through, text is assembled', async () => {
  const { llm } = await traced(async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'stream please' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello world');
  });
  const s = llm[0]!;
  assert.equal(s.output, 'Hello world');
  assert.equal(s.attributes?.['stream'], true);
  assert.equal(s.attributes?.['finish_reason'], 'stop');
  assert.equal(s.attributes?.['stream_chunks'], 4);
  assert.equal(typeof s.attributes?.['time_to_first_chunk_ms'], 'number');
  assert.equal(s.tokens_input, undefined);
});

test('chat completion stream with streamUsage: tokens recorded, usage chunk hidden', async () => {
  const withUsage = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 }), {
    observability: obs,
    streamUsage: true,
  });
  const { llm } = await traced(async () => {
    const stream = await withUsage.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'u' }] });
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.ok(chunk.choices.length > 0, 'the usage-only chunk is not shown to the caller');
    }
    assert.equal(chunks, 4);
  });
  assert.deepEqual((fake.requests.at(-1) as { stream_options?: unknown }).stream_options, { include_usage: true });
  assert.equal(llm[0]!.tokens_input, 11);
  assert.equal(llm[0]!.tokens_output, 2);
});

test('chat completion stream read through toReadableStream() and the .stream() helper', async () => {
  const { llm } = await traced(async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'r' }] });
    const reader = stream.toReadableStream().getReader();
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lines += new TextDecoder().decode(value).split('\n').filter(Boolean).length;
    }
    assert.equal(lines, 4);
    const helper = openai.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'helper' }] });
    const final = await helper.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, 'Hello world');
  });
  assert.equal(llm.length, 2);
  assert.ok(llm.every((s) => s.output === 'Hello world'));
});

test('responses API: text, tokens (cached included), streaming', async () => {
  const { llm } = await traced(async () => {
    const r = await openai.responses.create({ model: 'gpt-4o-mini', instructions: 'be brief', input: 'hello' });
    assert.equal(r.output_text, 'Hi there');
    const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'stream', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, ['response.created', 'response.output_text.delta', 'response.output_text.delta', 'response.completed']);
  });
  assert.equal(llm.length, 2);
  const [plain, streamed] = llm;
  assert.equal(plain!.name, 'openai.responses');
  assert.equal(plain!.input, '{"instructions":"be brief","input":"hello"}');
  assert.equal(plain!.output, 'Hi there');
  assert.equal(plain!.tokens_input, 20);
  assert.equal(plain!.tokens_cached_input, 5);
  assert.equal(streamed!.output, 'Hi there');
  assert.equal(streamed!.tokens_output, 3);
  assert.equal(streamed!.attributes?.['response_status'], 'completed');
});

test('embeddings and errors', async () => {
  let traceId = '';
  await assert.rejects(
    obs.trace('openai-errors', async (ctx) => {
      traceId = ctx.traceId;
      const e = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
      assert.equal(e.data.length, 2);
      await openai.chat.completions.create({ model: 'explode', messages: [{ role: 'user', content: 'x' }] });
    }),
    (err) => err instanceof OpenAI.APIError && err.status === 400,
  );
  await obs.flush();
  const t = sink.traces().find((x) => x.trace_id === traceId)!;
  const emb = t.spans!.find((s) => s.kind === 'embedding')!;
  assert.equal(emb.tokens_input, 6);
  assert.equal(emb.output, '2 embedding(s), 3 dimensions');
  const failed = t.spans!.find((s) => s.model === 'explode')!;
  assert.equal(failed.status, 'error');
  assert.match(failed.status_message!, /model explode does not exist/);
});

test('a call outside any trace is a trace of its own; wrapping twice is harmless', async () => {
  assert.equal(wrapOpenAI(openai, { observability: obs }), openai);
  const before = sink.traces().length;
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'alone' }] });
  await obs.flush();
  const mine = sink.traces().slice(before);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.agent_id, 'openai');
  assert.equal(mine[0]!.spans!.length, 1);
  assert.equal(mine[0]!.spans![0]!.kind, 'llm');
  assert.equal(mine[0]!.output, 'Hello world');
});
