// The plan's two-line integration: a decorated agent class and a manually traced call.
//
//   make run                                   # in the repository root: the server on :8000
//   export AGENTOBS_API_KEY=ao_...             # the key it printed (or AGENTOBS_INIT_API_KEY)
//   make -C sdk/typescript examples && node sdk/typescript/build/examples/basic.js
import { AgentObservability } from '@agent-observability/sdk';

// Reads AGENTOBS_API_KEY and AGENTOBS_BASE_URL (default http://localhost:8000).
const obs = new AgentObservability();

/** A stand-in for a model call, so the example runs without an LLM provider. */
async function callLLM(prompt: string): Promise<{ text: string; tokensIn: number; tokensOut: number }> {
  await new Promise((r) => setTimeout(r, 20));
  return { text: `Here is how to get a refund (${prompt.length} chars read).`, tokensIn: 120, tokensOut: 40 };
}

class SupportAgent {
  // Nested calls become child spans: no context to pass around.
  @obs.trace({ kind: 'retrieval' })
  async searchDocs(query: string): Promise<string[]> {
    await new Promise((r) => setTimeout(r, 5));
    return ['refund-policy.md', 'shipping.md'].filter((d) => query.toLowerCase().includes(d.split('-')[0]!));
  }

  @obs.trace({ agentId: 'support-bot' })
  async handleRequest(input: string): Promise<string> {
    const docs = await this.searchDocs(input);
    return obs.span({ name: 'generate', kind: 'llm' }, async (ctx) => {
      const r = await callLLM(`${docs.join(',')}\n${input}`);
      ctx.setModel('gpt-4o-mini').setTokens({ input: r.tokensIn, output: r.tokensOut });
      return r.text;
    });
  }
}

const agent = new SupportAgent();

// Decorator only: the method call is the trace.
await agent.handleRequest('Where is my parcel?');

// Manual instrumentation around it, with user, metadata, cost and a score.
const traceId = await obs.trace('support-bot', async (ctx) => {
  ctx.setUser('user-123').setSession('conversation-42').setMetadata({ channel: 'web' });
  const response = await agent.handleRequest('How do I get a refund?');
  ctx.setOutput(response);
  ctx.setCost(0.0023);
  ctx.score('helpfulness', 0.9, { comment: 'resolved in one turn' });
  return ctx.traceId;
});

// Scripts end here: send what is buffered (long-running servers call this on SIGTERM).
await obs.shutdown();
const s = obs.stats();
console.log(`sent ${s.sent} trace(s), dropped ${s.dropped}`);
console.log(`trace_id=${traceId}`);
