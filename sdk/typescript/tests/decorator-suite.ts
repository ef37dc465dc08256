// Shared checks for both decorator flavours: the classes are declared in each test file, since
// how they compile is what is being tested.
import assert from 'node:assert/strict';
import type { AgentObservability } from '@agent-observability/sdk';
import { spansByName, type CaptureServer } from './helpers.js';

export interface Bot {
  handleRequest(input: string): Promise<string>;
  fail(): Promise<never>;
}

export async function runDecoratorSuite(
  obs: AgentObservability,
  server: CaptureServer,
  BotClass: (new () => Bot) & { version(): string },
): Promise<void> {
  const before = server.traces().length;
  const bot = new BotClass();
  assert.equal(await bot.handleRequest('policy'), '2 docs about policy');
  await assert.rejects(bot.fail(), (e: unknown) => e instanceof TypeError && e.message === 'broken tool');
  assert.equal(BotClass.version(), '1.0');
  await obs.flush();
  const traces = server.traces().slice(before);
  assert.equal(traces.length, 3);

  const ok = traces.find((t) => t.agent_id === 'support-bot')!;
  assert.equal(ok.name, `${BotClass.name}.handleRequest`);
  assert.equal(ok.input, 'policy');
  assert.equal(ok.output, '2 docs about policy');
  const s = spansByName(ok);
  const search = s['Retriever.search']!;
  assert.equal(search.kind, 'retrieval');
  assert.equal(search.parent_span_id, s[`${BotClass.name}.handleRequest`]!.span_id);
  assert.equal(search.output, '["refund policy","shipping policy"]');

  const failed = traces.find((t) => t.name === 'fails')!;
  assert.equal(failed.status, 'error');
  assert.equal(failed.error_type, 'TypeError');
  assert.equal(failed.error_message, 'TypeError: broken tool');
  assert.equal(failed.spans?.[0]?.status, 'error');

  const version = traces.find((t) => t.name === `${BotClass.name}.version`)!;
  assert.equal(version.output, '1.0');
}
