// An Express app where every request is a trace and the work it does are spans.
//
//   make run                                   # in the repository root: the server on :8000
//   AGENTOBS_API_KEY=ao_... node sdk/typescript/build/examples/express.js
//   curl -s localhost:3001/chat -H 'content-type: application/json' -d '{"message":"refund?"}'
import express, { type NextFunction, type Request, type Response } from 'express';
import { AgentObservability } from '@agent-observability/sdk';

const obs = new AgentObservability({ agentId: 'express-support-bot' });
const app = express();
app.use(express.json());

// The request's trace lasts until the response is sent; handlers run inside it, so anything
// they trace (and wrapOpenAI calls) nests under it.
app.use((req: Request, res: Response, next: NextFunction) => {
  void obs.trace({ name: `${req.method} ${req.path}`, input: req.body as unknown }, (ctx) => {
    res.setHeader('x-trace-id', ctx.traceId);
    return new Promise<void>((resolve) => {
      res.on('finish', () => {
        ctx.setAttributes({ http_status: res.statusCode });
        if (res.statusCode >= 500) ctx.setStatus('error', `HTTP ${res.statusCode}`);
        resolve();
      });
      res.on('close', () => resolve());
      next();
    });
  });
});

const lookupOrder = obs.wrap(async (orderId: string) => {
  await new Promise((r) => setTimeout(r, 5));
  return { orderId, status: 'shipped' };
}, { name: 'lookup_order', kind: 'tool' });

app.post('/chat', async (req: Request, res: Response) => {
  const message = String((req.body as { message?: unknown } | undefined)?.message ?? '');
  const order = await lookupOrder('A-1001');
  const answer = await obs.span({ name: 'generate', kind: 'llm', model: 'gpt-4o-mini' }, async (ctx) => {
    ctx.setTokens({ input: 80, output: 25 });
    return `Order ${order.orderId} is ${order.status}. You asked: ${message}`;
  });
  obs.currentContext().setOutput(answer);
  res.json({ answer });
});

const port = Number(process.env['PORT'] ?? 3001);
const server = app.listen(port, () => console.log(`listening on http://localhost:${port}`));

// The SDK flushes on a natural exit by itself; on SIGTERM the app decides, so flush here.
process.on('SIGTERM', () => {
  server.close();
  void obs.shutdown().then(() => process.exit(0));
});
