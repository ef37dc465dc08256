// A Next.js App Router route handler (app/api/chat/route.ts). It uses only the web Request and
// Response, so it also runs on the edge runtime (where `AsyncLocalStorage` may be missing:
// then pass `ctx` explicitly with `ctx.span`, as below).
import { AgentObservability } from '@agent-observability/sdk';

// One client per server instance, created when the module loads.
const obs = new AgentObservability({ agentId: 'nextjs-support-bot' });

export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  const body = (await request.json().catch(() => ({}))) as { message?: string; userId?: string };
  const message = body.message ?? '';
  try {
    return await obs.trace({ name: 'POST /api/chat', input: message, userId: body.userId }, async (ctx) => {
      const docs = await ctx.span({ name: 'retrieve', kind: 'retrieval' }, async () => ['faq.md']);
      const answer = await ctx.span({ name: 'generate', kind: 'llm' }, async (llm) => {
        llm.setModel('gpt-4o-mini').setTokens({ input: 64, output: 16 });
        return `From ${docs.join(', ')}: ${message ? 'here is your answer' : 'ask me something'}`;
      });
      ctx.setOutput(answer);
      return Response.json({ answer, traceId: ctx.traceId });
    });
  } finally {
    // Serverless functions may freeze after responding: send now. In Next.js 15 prefer
    // `after(() => obs.flush())` from 'next/server', which does not delay the response.
    await obs.flush({ timeoutMs: 2000 });
  }
}
