// TypeScript 5 standard decorators (this file is compiled without experimentalDecorators).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AgentObservability } from '@agent-observability/sdk';
import { spansByName, startCaptureServer, type CaptureServer } from './helpers.js';
import { runDecoratorSuite } from './decorator-suite.js';

let server: CaptureServer;
let obs: AgentObservability;

before(async () => {
  server = await startCaptureServer();
  obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, flushOnExit: false });
});
after(async () => {
  await obs.shutdown();
  await server.close();
});

test('standard decorators trace methods, nest, keep `this` and rethrow', async () => {
  class Retriever {
    constructor(private readonly docs: string[]) {}

    @obs.trace({ kind: 'retrieval' })
    async search(query: string): Promise<string[]> {
      return this.docs.filter((d) => d.includes(query));
    }
  }

  class SupportBot {
    retriever = new Retriever(['refund policy', 'shipping policy', 'jobs']);

    @obs.trace({ agentId: 'support-bot' })
    async handleRequest(input: string): Promise<string> {
      const docs = await this.retriever.search(input);
      return `${docs.length} docs about ${input}`;
    }

    @obs.trace({ name: 'fails' })
    async fail(): Promise<never> {
      throw new TypeError('broken tool');
    }

    @obs.trace()
    static version(): string {
      return '1.0';
    }
  }

  await runDecoratorSuite(obs, server, SupportBot);
});

test('obs.wrap traces plain functions', async () => {
  const add = obs.wrap((a: number, b: number) => a + b, { name: 'add', kind: 'tool' });
  const traceId = await obs.trace('calc', async (ctx) => {
    assert.equal(add(2, 3), 5);
    return ctx.traceId;
  });
  await obs.flush();
  const t = server.traces().find((x) => x.trace_id === traceId)!;
  const s = spansByName(t);
  assert.equal(s['add']!.kind, 'tool');
  assert.equal(s['add']!.input, '[2,3]');
  assert.equal(s['add']!.output, '5');
});
