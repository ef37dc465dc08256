// An agent run traced with Langfuse's JavaScript SDKs, configured only by Langfuse's own
// environment variables (LANGFUSE_BASE_URL, LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY) as a
// user switching to agentobs would set them.
//
//   node langfuse.mjs otel     @langfuse/tracing + @langfuse/otel 5 (OTLP at /api/public/otel)
//   node langfuse.mjs legacy   the deprecated langfuse 3 client (POST /api/public/ingestion)
//
// It prints one JSON line: {"variant": ..., "trace_id": ...}.
const variant = process.argv[2];

const QUESTION = 'What is the weather in Paris?';
const ANSWER = 'It is 14 degrees and raining in Paris.';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function otelRun() {
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { LangfuseSpanProcessor } = await import('@langfuse/otel');
  const { startActiveObservation, propagateAttributes, getActiveTraceId } = await import('@langfuse/tracing');
  const processor = new LangfuseSpanProcessor();
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  provider.register();
  let traceId = '';
  await startActiveObservation('handle-request', async (root) => {
    traceId = getActiveTraceId();
    root.update({ input: { question: QUESTION } });
    await propagateAttributes({ userId: 'js-lf-user', sessionId: 'js-lf-session', traceName: 'js-weather' }, async () => {
      await startActiveObservation('js-weather-agent', async (agent) => {
        await startActiveObservation('chat', async (gen) => {
          await sleep(10);
          gen.update({
            model: 'gpt-4o-mini',
            input: [{ role: 'user', content: QUESTION }],
            output: { role: 'assistant', content: ANSWER },
            usageDetails: { input: 1000, output: 200 },
          });
        }, { asType: 'generation' });
        await startActiveObservation('get_weather', async (tool) => {
          await sleep(5);
          tool.update({ input: { city: 'Paris' }, output: { temperature_c: 14 } });
        }, { asType: 'tool' });
        agent.update({ output: ANSWER });
      }, { asType: 'agent' });
    });
    root.update({ output: ANSWER });
  });
  await processor.forceFlush();
  await provider.shutdown();
  return traceId;
}

async function legacyRun() {
  const { Langfuse } = await import('langfuse');
  const langfuse = new Langfuse({ flushAt: 100 });
  langfuse.on('error', (err) => process.stderr.write(`langfuse error: ${err?.message ?? err}\n`));
  const trace = langfuse.trace({ name: 'js-legacy-weather', userId: 'js-legacy-user', sessionId: 'js-legacy-session', input: QUESTION });
  const agent = trace.span({ name: 'agent', input: QUESTION });
  const gen = agent.generation({ name: 'chat', model: 'gpt-4o-mini', input: [{ role: 'user', content: QUESTION }] });
  // The first part goes out in its own request; the updates follow in a later one.
  await langfuse.flushAsync();
  await sleep(10);
  gen.end({ output: { role: 'assistant', content: ANSWER }, usage: { input: 1000, output: 200 } });
  const tool = agent.span({ name: 'get_weather', input: { city: 'Paris' } });
  tool.end({ output: { temperature_c: 14 } });
  agent.end({ output: ANSWER });
  trace.update({ output: ANSWER });
  trace.score({ name: 'helpfulness', value: 0.9, comment: 'good answer' });
  await langfuse.shutdownAsync();
  return trace.id;
}

async function main() {
  const traceId = variant === 'legacy' ? await legacyRun() : await otelRun();
  process.stdout.write(JSON.stringify({ variant: `node-langfuse-${variant}`, trace_id: traceId }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
