// An agent run traced with the OpenTelemetry Node SDK and sent to agentobs over OTLP.
//
//   node agent.mjs VARIANT
//
// VARIANT is one of
//   http-json   manual GenAI spans (semconv v1.37.0), @opentelemetry/exporter-trace-otlp-http
//   http-proto  the same, @opentelemetry/exporter-trace-otlp-proto
//   grpc        the same, @opentelemetry/exporter-trace-otlp-grpc
//   ai-sdk      spans made by the Vercel AI SDK (generateText with a tool) around calls to
//               a local fake OpenAI server, exported with the protobuf exporter
//
// The exporters are configured by the standard environment variables only
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, ...), as a user would. The
// program prints one JSON line: {"variant": ..., "trace_id": ...}.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const variant = process.argv[2] ?? 'http-json';

async function exporter(kind) {
  switch (kind) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http-proto':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    default:
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  }
}

const QUESTION = 'What is the weather in Paris?';
const ANSWER = 'It is 14 degrees and raining in Paris.';

// agent -> chat (GenAI attributes) -> tool, as the GenAI conventions describe them.
async function manualRun(tracer) {
  return tracer.startActiveSpan('invoke_agent weather-agent', {
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'weather-agent',
      'gen_ai.conversation.id': `node-${variant}-conv`,
      'user.id': 'node-user',
    },
  }, async (agent) => {
    await tracer.startActiveSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 200,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: QUESTION }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' }]),
      },
    }, async (llm) => {
      await sleep(10);
      llm.end();
    });
    await tracer.startActiveSpan('execute_tool get_weather', {
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.call.arguments': '{"city":"Paris"}',
        'gen_ai.tool.call.result': '{"temperature_c":14}',
      },
    }, async (tool) => {
      await sleep(5);
      tool.end();
    });
    agent.end();
    return agent.spanContext().traceId;
  });
}

// fakeOpenAI answers chat completions like OpenAI: a tool call first, then, once the
// conversation holds the tool's result, the final answer. Usage is reported each time.
function fakeOpenAI() {
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}');
      const hasResult = (body.messages ?? []).some((m) => m.role === 'tool');
      const message = hasResult
        ? { role: 'assistant', content: ANSWER }
        : { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] };
      const out = JSON.stringify({
        id: 'chatcmpl-e2e', object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model,
        choices: [{ index: 0, message, finish_reason: hasResult ? 'stop' : 'tool_calls' }],
        usage: { prompt_tokens: hasResult ? 80 : 50, completion_tokens: hasResult ? 12 : 8, total_tokens: hasResult ? 92 : 58 },
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(out);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// The Vercel AI SDK makes the spans itself: ai.generateText, ai.generateText.doGenerate
// per model call and ai.toolCall, with its ai.* and gen_ai.* attributes.
async function aiSdkRun(provider) {
  const { generateText, tool, stepCountIs } = await import('ai');
  const { createOpenAI } = await import('@ai-sdk/openai');
  const { z } = await import('zod');
  const server = await fakeOpenAI();
  try {
    const openai = createOpenAI({ baseURL: `http://127.0.0.1:${server.address().port}/v1`, apiKey: 'sk-e2e' });
    let traceId = '';
    const tracer = provider.getTracer('agentobs-e2e-ai-sdk');
    await generateText({
      model: openai.chat('gpt-4o-mini'),
      system: 'You answer briefly.',
      prompt: QUESTION,
      tools: {
        get_weather: tool({
          description: 'Current weather of a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            traceId = trace.getActiveSpan()?.spanContext().traceId ?? traceId;
            return { city, temperature_c: 14, conditions: 'rain' };
          },
        }),
      },
      stopWhen: stepCountIs(3),
      experimental_telemetry: {
        isEnabled: true, tracer, functionId: 'weather-chat',
        metadata: { userId: 'node-ai-user', sessionId: 'node-ai-session' },
      },
    });
    return traceId;
  } finally {
    server.close();
  }
}

async function main() {
  const kind = variant === 'ai-sdk' ? 'http-proto' : variant;
  // The manual runs with the JSON exporter export span by span as each ends (children
  // before their root, in separate requests); the others batch.
  const processor = variant === 'http-json' ? SimpleSpanProcessor : BatchSpanProcessor;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `e2e-node-${variant}` }),
    spanProcessors: [new processor(await exporter(kind))],
  });
  provider.register();
  const traceId = variant === 'ai-sdk'
    ? await aiSdkRun(provider)
    : await manualRun(provider.getTracer('agentobs-e2e', '1.0.0'));
  await provider.forceFlush();
  await provider.shutdown();
  process.stdout.write(JSON.stringify({ variant: `node-${variant}`, trace_id: traceId }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
