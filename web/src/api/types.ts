// Response types of the agentobs API. They mirror the Go structs behind docs/query-api.md,
// docs/ingestion.md and docs/auth.md; a field the server may omit or send as null says so.
// Types the OpenAPI document describes exactly are aliases of the generated ones
// (generated/openapi.ts, `npm run gen:api`); contract.ts checks that the document still
// satisfies the others.

import type { components } from './generated/openapi'

/** The schemas of internal/httpapi/openapi.json, as openapi-typescript generates them. */
export type Schemas = components['schemas']

export type Status = 'success' | 'error' | 'timeout'
export type SpanKind = 'agent' | 'llm' | 'tool' | 'retrieval' | 'chain' | 'embedding' | 'guardrail' | 'event'
export type Granularity = '5m' | 'hourly' | 'daily' | 'weekly'

export interface Window {
  from: string
  to: string
  previous_from?: string
  previous_to?: string
}

/** A figure compared with the previous window of the same length. */
export type KPI = Schemas['KPI']

// ---- Home ----

export interface HomeKPIs {
  range: Window
  total_requests: KPI
  avg_latency_ms: KPI
  p95_latency_ms: KPI
  total_cost_usd: KPI
  success_rate_pct: KPI
}

export type Severity = 'critical' | 'warning' | 'info'

export interface AlertItem {
  id: string
  rule_id: string
  severity: Severity
  status: 'firing' | 'acknowledged' | 'resolved'
  title: string
  description: string
  agent_id: string
  labels?: Record<string, string>
  triggered_at: string
  resolved_at: string | null
}

export interface AlertsResponse {
  alerts: AlertItem[]
}

export interface ActivityItem {
  id: string
  kind: 'trace' | 'event'
  timestamp: string
  agent_id: string
  action: string
  status: string
  trace_id: string
  latency_ms: number | null
  cost_usd: number | null
  event_type: string
  severity: string
}

export interface ActivityResponse {
  activity: ActivityItem[]
}

// ---- Traces ----

export interface TraceListItem {
  trace_id: string
  agent_id: string
  name: string
  user_id: string
  session_id: string
  start_time: string
  end_time: string
  latency_ms: number
  status: Status
  error_type: string
  model: string
  model_provider: string
  tokens_input: number | null
  tokens_output: number | null
  tokens_total: number | null
  cost_usd: number | null
  span_count: number
  error_span_count: number
  tags: string[] | null
  input_preview: string
  output_preview: string
}

export interface TraceList {
  traces: TraceListItem[]
  total: number
  next_cursor: string | null
}

export type Span = Schemas['Span']

export interface Score {
  score_id: string
  name: string
  value: number
  span_id: string
  comment: string
  source: string
}

export interface Trace {
  trace_id: string
  workspace_id: string
  agent_id: string
  name: string
  user_id: string
  session_id: string
  start_time: string
  end_time: string
  latency_ms: number
  status: Status
  error_type: string
  error_message: string
  input: string
  output: string
  model: string
  model_provider: string
  tokens_input: number | null
  tokens_output: number | null
  tokens_cached_input: number | null
  tokens_total: number | null
  cost_usd: number | null
  span_count: number
  error_span_count: number
  tags: string[] | null
  metadata: unknown
  spans?: Span[]
  scores?: Score[]
}

export interface SessionSummary {
  session_id: string
  user_id: string
  agent_ids: string[]
  trace_count: number
  error_count: number
  first_trace_at: string
  last_trace_at: string
  duration_ms: number
  tokens_total: number | null
  cost_usd: number | null
  total_latency_ms: number
}

export interface SessionList {
  range: Window
  sessions: SessionSummary[]
  total: number
}

export interface SessionDetail extends SessionSummary {
  tokens_input: number | null
  tokens_output: number | null
  truncated: boolean
  traces: TraceListItem[]
}

export interface Agent {
  workspace_id: string
  agent_id: string
  first_seen: string
  last_seen: string
  models: string[] | null
}

export interface AgentList {
  agents: Agent[]
}

// ---- Usage ----

export interface UsageOverview {
  range: Window
  total_calls: KPI
  unique_users: KPI
  active_agents: KPI
  avg_calls_per_user: KPI
}

export interface CallsOverTime {
  range: Window
  granularity: Granularity
  timezone: string
  agents: string[]
  buckets: { timestamp: string; total: number; by_agent: Record<string, number>; other: number }[]
}

export interface AgentShare {
  agent_id: string
  calls: number
  share_pct: number
  errors: number
  cost_usd: number | null
  avg_latency_ms: number | null
}

export interface AgentDistribution {
  range: Window
  total_calls: number
  agents: AgentShare[]
}

export interface TopUser {
  user_id: string
  calls: number
  cost_usd: number | null
  last_active: string
  previous_calls: number
  trend_pct: number | null
}

export interface TopUsers {
  range: Window
  users: TopUser[]
}

// ---- Cost ----

export type BudgetStatus = 'none' | 'ok' | 'warning' | 'exceeded'

export interface CostOverview {
  range: Window
  total_spend_usd: KPI
  avg_cost_per_call_usd: KPI
  calls: number
  priced_calls: number
  unpriced_calls: number
  budget: { monthly_limit_usd: number; remaining_usd: number | null; used_pct: number | null; status: BudgetStatus } | null
  month: { start: string; end: string; to_date_usd: number; run_rate_usd_per_day: number; projected_usd: number }
}

export interface CostTrend {
  range: Window
  granularity: Granularity
  timezone: string
  models: string[]
  buckets: {
    timestamp: string
    total_usd: number
    by_model: Record<string, number>
    other_usd: number
    cumulative_usd: number
    cumulative_by_model: Record<string, number>
    cumulative_other_usd: number
  }[]
}

export interface ModelCost {
  model: string
  provider: string
  cost_usd: number | null
  share_pct: number | null
  calls: number
  tokens_input: number | null
  tokens_output: number | null
  avg_cost_per_call_usd: number | null
}

export interface CostByModel {
  range: Window
  total_usd: number
  models: ModelCost[]
}

export type Budget = Schemas['Budget']

export interface BudgetResponse {
  budget: Budget | null
  month: {
    start: string
    end: string
    to_date_usd: number
    remaining_usd: number | null
    used_pct: number | null
    crossed_threshold_pct: number | null
    status: BudgetStatus
    run_rate_usd_per_day: number
    projected_usd: number
  }
}

export type BudgetInput = Schemas['BudgetInput']

// ---- Performance ----

export type Health = 'healthy' | 'degraded' | 'critical'

export interface Thresholds {
  degraded_p95_ms: number
  critical_p95_ms: number
  degraded_error_rate_pct: number
  critical_error_rate_pct: number
}

export interface PerformanceOverview {
  range: Window
  requests: number
  errors: number
  timeouts: number
  p50_latency_ms: KPI
  p95_latency_ms: KPI
  p99_latency_ms: KPI
  avg_latency_ms: KPI
  error_rate_pct: KPI
  health: Health
  thresholds: Thresholds
}

export interface LatencySeries {
  range: Window
  granularity: Granularity
  timezone: string
  buckets: { timestamp: string; requests: number; p50_ms: number; p95_ms: number; p99_ms: number; avg_ms: number }[]
}

export interface ThroughputSeries {
  range: Window
  granularity: Granularity
  timezone: string
  buckets: {
    timestamp: string
    requests: number
    success: number
    errors: number
    timeouts: number
    requests_per_second: number
    error_rate_pct: number
  }[]
}

export type ErrorGroup = Schemas['ErrorGroup']

export interface ErrorAnalysis {
  range: Window
  total_requests: number
  total_failed: number
  errors: ErrorGroup[]
}

// ---- Errors ----

/** An RFC 9457 problem document, as every error of the API is written. */
export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  instance?: string
  request_id?: string
  errors?: { field: string; pointer: string; detail: string }[]
}

// Guardrails (internal/guardrail, internal/httpapi/guardrails.go).
export type GuardrailCategory = 'pii' | 'secret' | 'injection' | 'toxicity' | 'custom'
export type GuardrailAction = 'off' | 'log' | 'flag' | 'redact' | 'block'
export type GuardrailDirection = 'input' | 'output'

export type Finding = Schemas['Finding']

export interface CheckResult {
  flagged: boolean
  action: 'allow' | GuardrailAction
  findings: Finding[]
  redacted_text: string
}

export interface Violation {
  id: string
  time: string
  trace_id: string
  span_id: string
  agent_id: string
  type: string
  subtype: string
  severity: 'low' | 'medium' | 'high' | 'critical'
  action: string
  detail: string
  direction: string
  score: number
  detector: string
  rule_id: string
}

export interface ViolationPage {
  violations: Violation[]
  next_cursor?: string
}

export interface ViolationStats {
  from: string
  to: string
  bucket: 'hour' | 'day'
  total: number
  by_type: Record<string, number>
  buckets: { bucket: string; type: string; count: number }[]
}

export interface GuardrailRule {
  id: string
  name: string
  kind: 'regex' | 'keywords' | 'length' | 'json_schema' | 'denied_topic'
  pattern?: string
  keywords?: string[]
  min_matches?: number
  max_length?: number
  schema?: Record<string, unknown>
  directions: GuardrailDirection[]
  agents: string[]
  action: Exclude<GuardrailAction, 'off'>
  severity: 'low' | 'medium' | 'high' | 'critical'
  enabled: boolean
  created_at: string
  updated_at: string
}

/** A rule as the page sends it: the server defaults what is left out. */
export type GuardrailRuleInput = Pick<GuardrailRule, 'name' | 'kind'> & Partial<Omit<GuardrailRule, 'id' | 'created_at' | 'updated_at'>>

export interface GuardrailSettings {
  actions: Record<string, GuardrailAction>
  updated_at?: string
}

// Alerting (docs/alerts.md), mirroring internal/model/alert.go.
export type AlertMetric =
  | 'request_count' | 'error_rate' | 'latency_p50' | 'latency_p95' | 'latency_p99' | 'cost_total' | 'cost_per_trace'
  | 'tokens_total' | 'eval_score_avg' | 'feedback_score_avg' | 'guardrail_violations' | 'budget_used_pct' | 'no_activity'

export type NotificationChannel = 'slack' | 'pagerduty' | 'email' | 'webhook' | 'sentry'

export interface AlertFilters {
  agent?: string
  model?: string
  provider?: string
  tag?: string
  user?: string
}

export interface AlertRuleInput {
  name: string
  kind?: 'threshold' | 'anomaly'
  metric: AlertMetric | 'latency' | 'cost'
  criterion?: string
  filters?: AlertFilters
  group_by?: '' | 'agent' | 'model' | 'user' | 'provider'
  operator: '>' | '>=' | '<' | '<='
  threshold: number
  warning_threshold?: number
  window: string
  severity?: 'critical' | 'warning' | 'info'
  notification_channels?: NotificationChannel[]
  min_samples?: number
  for?: string
}

export interface AlertRule extends Required<Omit<AlertRuleInput, 'criterion' | 'group_by' | 'warning_threshold'>> {
  id: string
  criterion?: string
  group_by?: string
  warning_threshold?: number | null
  evaluation_interval: string
  enabled: boolean
  created_at: string
}

export interface AlertRuleList {
  rules: AlertRule[]
}

export interface PreviewPoint {
  time: string
  group: string
  value: number | null
  samples: number
  fires: boolean
}

export interface AlertRulePreview {
  rule: AlertRule
  from: string
  to: string
  points: PreviewPoint[]
}

export interface AlertEvaluation {
  time: string
  state: string
  value: number | null
  baseline?: number | null
  p_value?: number | null
  samples: number
  window_from: string
  window_to: string
  message?: string
}

export interface Silence {
  id: string
  matchers: { name: string; value: string }[]
  starts_at: string
  ends_at: string
  comment: string
  created_by: string
}

export interface SilenceInput {
  matchers: { name: string; value: string }[]
  ends_at: string
  comment: string
}

export interface SilenceList {
  silences: Silence[]
}
