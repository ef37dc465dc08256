// The same decorator compiled with experimentalDecorators (tsconfig.legacy.json).
import { after, before, test } from 'node:test';
import { AgentObservability } from '@agent-observability/sdk';
import { startCaptureServer, type CaptureServer } from '../helpers.js';
import { runDecoratorSuite } from '../decorator-suite.js';

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

test('experimentalDecorators: methods traced, nested, `this` kept, errors rethrown', async () => {
  class Retriever {
    constructor(private readonly docs: string[]) {}

    @obs.trace({ kind: 'retrieval' })
    async search(query: string): Promise<string[]> {
      return this.docs.filter((d) => d.includes(query));
    }
  }

  class LegacyBot {
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

  await runDecoratorSuite(obs, server, LegacyBot);
});
