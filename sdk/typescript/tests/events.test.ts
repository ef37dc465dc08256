import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentObservability } from '@agent-observability/sdk';
import { startCaptureServer } from './helpers.js';

const quiet = { flushOnExit: false, retryBaseDelayMs: 1 } as const;

interface EventBody {
  id: string;
  type: string;
  title: string;
  agent_id?: string;
  version?: string;
  metadata?: Record<string, unknown>;
  timestamp?: string;
}

const bodyOf = (r: { body: unknown }) => r.body as unknown as EventBody;

test('event() posts once with its fields and resolves to the stored event', async () => {
  const server = await startCaptureServer(() => ({ status: 201, body: { id: 'e1', type: 'deployment', version: 'v2' } }));
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, agentId: 'support-bot', ...quiet });
  const got = await obs.deployment('v2', { metadata: { commit: 'a1b2c3' }, timestamp: new Date('2026-11-24T12:00:00Z') });
  assert.deepEqual(got, { id: 'e1', type: 'deployment', version: 'v2' });
  assert.equal(server.requests.length, 1);
  const b = bodyOf(server.requests[0]!);
  assert.equal(b.type, 'deployment');
  assert.equal(b.title, 'deployed v2');
  assert.equal(b.agent_id, 'support-bot');
  assert.deepEqual(b.metadata, { commit: 'a1b2c3' });
  assert.equal(b.timestamp, '2026-11-24T12:00:00.000Z');
  assert.match(b.id, /^[0-9a-f]{32}$/);
  assert.equal(server.requests[0]!.headers['authorization'], 'Bearer k');
  await obs.shutdown();
  await server.close();
});

test('event() retries throttling and server errors with the same id', async () => {
  const server = await startCaptureServer((_r, i) =>
    i === 0 ? { status: 503, body: {} } : i === 1 ? { status: 429, headers: { 'retry-after': '0' }, body: {} } : { status: 201, body: { id: 'x' } },
  );
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, ...quiet });
  assert.deepEqual(await obs.event({ type: 'incident', title: 'inventory outage', severity: 'high' }), { id: 'x' });
  assert.equal(server.requests.length, 3);
  assert.equal(new Set(server.requests.map((r) => bodyOf(r).id)).size, 1);
  await obs.shutdown();
  await server.close();
});

test('a rejected event is reported, not thrown, and not retried', async () => {
  const server = await startCaptureServer(() => ({ status: 400, body: { title: 'invalid event', errors: [{ field: 'title' }] } }));
  const errors: Error[] = [];
  const obs = new AgentObservability({ apiKey: 'k', baseUrl: server.url, ...quiet, onError: (e) => errors.push(e) });
  assert.equal(await obs.event({ type: 'custom', title: '' }), undefined);
  assert.equal(server.requests.length, 1);
  assert.match(errors[0]!.message, /rejected.*title/);
  // @ts-expect-error an unknown type is caught before any request
  assert.equal(await obs.event({ type: 'party', title: 'x' }), undefined);
  assert.equal(server.requests.length, 1);
  await obs.shutdown();
  await server.close();
});

test('without a key event() sends nothing', async () => {
  const server = await startCaptureServer();
  const obs = new AgentObservability({ apiKey: '', baseUrl: server.url, flushOnExit: false });
  assert.equal(await obs.event({ type: 'custom', title: 'marker' }), undefined);
  assert.equal(server.requests.length, 0);
  await server.close();
});
