// A local HTTP server standing in for the agentobs ingestion API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TraceInput } from '@agent-observability/sdk';

export interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: { traces: TraceInput[] };
}

export type Responder = (req: Received, index: number) => { status: number; headers?: Record<string, string>; body?: unknown };

export interface CaptureServer {
  url: string;
  requests: Received[];
  /** All traces received, in order. */
  traces(): TraceInput[];
  respond(fn: Responder): void;
  /** Resolves once `n` requests arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCaptureServer(responder?: Responder): Promise<CaptureServer> {
  const requests: Received[] = [];
  let respond: Responder = responder ?? (() => ({ status: 202, body: { accepted: 1 } }));
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { traces: TraceInput[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { traces: TraceInput[] };
      } catch {
        body = { traces: [] };
      }
      const r: Received = { at: performance.now(), headers: req.headers, body };
      requests.push(r);
      const answer = respond(r, requests.length - 1);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      for (const w of [...waiters]) {
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    traces: () => requests.flatMap((r) => r.body.traces),
    respond(fn) {
      respond = fn;
    },
    waitForRequests(n, timeoutMs = 5000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${requests.length} of ${n} requests arrived`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Spans of a trace by name (names are unique in these tests). */
export function spansByName(t: TraceInput): Record<string, NonNullable<TraceInput['spans']>[number]> {
  const out: Record<string, NonNullable<TraceInput['spans']>[number]> = {};
  for (const s of t.spans ?? []) out[s.name] = s;
  return out;
}
