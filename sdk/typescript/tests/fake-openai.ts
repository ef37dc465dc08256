// A local OpenAI-compatible server: chat completions, responses and embeddings, with streaming.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

function sse(res: http.ServerResponse, events: Array<{ event?: string; data: unknown }>, done = true): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) {
    if (e.event) res.write(`event: ${e.event}\n`);
    res.write(`data: ${JSON.stringify(e.data)}\n\n`);
  }
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

function chat(body: Json, res: http.ServerResponse): void {
  const model = String(body['model']);
  if (model === 'explode') {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'model explode does not exist', type: 'invalid_request_error', code: 'model_not_found' } }));
    return;
  }
  const usage = { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13, prompt_tokens_details: { cached_tokens: 4 } };
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: `${model}-2024-07-18` };
  if (body['stream'] === true) {
    const withUsage = (body['stream_options'] as Json | undefined)?.['include_usage'] === true;
    const u = withUsage ? { usage: null } : {};
    const chunks: Array<{ data: unknown }> = [
      { data: { ...base, ...u, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] } },
      { data: { ...base, ...u, choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }] } },
      { data: { ...base, ...u, choices: [{ index: 0, delta: { content: ' world' }, finish_reason: null }] } },
      { data: { ...base, ...u, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
    ];
    if (withUsage) chunks.push({ data: { ...base, choices: [], usage } });
    sse(res, chunks);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_123' });
  res.end(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: `${model}-2024-07-18`,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage,
    }),
  );
}

function responses(body: Json, res: http.ServerResponse): void {
  const model = String(body['model']);
  const response = {
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    status: 'completed',
    model: `${model}-2024-07-18`,
    output: [
      {
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hi there', annotations: [] }],
      },
    ],
    usage: { input_tokens: 20, output_tokens: 3, total_tokens: 23, input_tokens_details: { cached_tokens: 5 }, output_tokens_details: { reasoning_tokens: 0 } },
  };
  if (body['stream'] === true) {
    sse(
      res,
      [
        { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: { ...response, status: 'in_progress', output: [], usage: null } } },
        { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' } },
        { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, delta: ' there' } },
        { event: 'response.completed', data: { type: 'response.completed', sequence_number: 3, response } },
      ],
      false,
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(response));
}

function embeddings(body: Json, res: http.ServerResponse): void {
  const inputs = Array.isArray(body['input']) ? body['input'] : [body['input']];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      object: 'list',
      model: body['model'],
      data: inputs.map((_, i) => ({
        object: 'embedding',
        index: i,
        embedding:
          body['encoding_format'] === 'base64'
            ? Buffer.from(new Float32Array([0.1, 0.2, 0.3]).buffer).toString('base64')
            : [0.1, 0.2, 0.3],
      })),
      usage: { prompt_tokens: 6, total_tokens: 6 },
    }),
  );
}

export interface FakeOpenAI {
  baseURL: string;
  requests: Json[];
  close(): Promise<void>;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: Json[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json;
      requests.push(body);
      if (req.url === '/v1/chat/completions') chat(body, res);
      else if (req.url === '/v1/responses') responses(body, res);
      else if (req.url === '/v1/embeddings') embeddings(body, res);
      else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not found"}}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
