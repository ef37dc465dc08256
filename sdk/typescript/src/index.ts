export { AgentObservability, SDK_VERSION } from './client.js';
export { TraceContext } from './context.js';
export type { TraceDecorator } from './decorators.js';
export { ExportError } from './transport.js';
export { EVENT_TYPES, type EventInput, type EventType, type StoredEvent } from './events.js';
export { wrapOpenAI, type WrapOpenAIOptions } from './openai.js';
export type {
  AgentObservabilityOptions,
  DropReason,
  ExportStats,
  FetchLike,
  ScoreInput,
  ScoreOptions,
  ScoreSource,
  SpanInput,
  SpanKind,
  TokenUsage,
  TraceInput,
  TraceOptions,
  TraceStatus,
} from './models.js';
