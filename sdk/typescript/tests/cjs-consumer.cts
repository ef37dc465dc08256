// A CommonJS consumer: type-checked against dist/cjs/*.d.ts and run by package.test.ts.
import sdk = require('@agent-observability/sdk');

const obs: sdk.AgentObservability = new sdk.AgentObservability({ enabled: false });
const out: number = obs.trace('cjs', (ctx: sdk.TraceContext) => (ctx.isRecording ? 0 : 42));
const opts: sdk.TraceOptions = { kind: 'tool' };
console.log(JSON.stringify({ out, kind: opts.kind, wrap: typeof sdk.wrapOpenAI }));
