import { kpi, win } from '@/test/utils'

const ts = (h: number) => new Date(Date.UTC(2026, 10, 25, h)).toISOString()

export const agents = { agents: [{ workspace_id: 'w', agent_id: 'support-bot', first_seen: ts(0), last_seen: ts(5), models: ['gpt-4o-mini'] }, { workspace_id: 'w', agent_id: 'sql-agent', first_seen: ts(0), last_seen: ts(5), models: ['gpt-4o'] }] }

export const usageOverview = {
  range: win,
  total_calls: kpi(1520, 1400, 8.57),
  unique_users: kpi(210, 190, 10.53),
  active_agents: kpi(9, 9, 0),
  avg_calls_per_user: kpi(7.24, 7.37, -1.76),
}
export const callsOverTime = {
  range: win,
  granularity: 'hourly',
  timezone: 'UTC',
  agents: ['support-bot', 'sql-agent'],
  buckets: [0, 1, 2].map((h) => ({ timestamp: ts(h), total: 61, by_agent: { 'support-bot': 40, 'sql-agent': 20 }, other: 1 })),
}
export const agentDistribution = {
  range: win,
  total_calls: 45000,
  agents: [
    { agent_id: 'support-bot', calls: 20000, share_pct: 44.44, errors: 420, cost_usd: 41.2, avg_latency_ms: 812.3 },
    { agent_id: 'sql-agent', calls: 25000, share_pct: 55.56, errors: 10, cost_usd: 1.2, avg_latency_ms: 300 },
  ],
}
export const topUsers = {
  range: win,
  users: [
    { user_id: 'usr_1', calls: 310, cost_usd: 1.92, last_active: ts(5), previous_calls: 280, trend_pct: 10.71 },
    { user_id: 'usr_2', calls: 100, cost_usd: 0.5, last_active: ts(4), previous_calls: 0, trend_pct: null },
  ],
}

export const costOverview = (budget: boolean) => ({
  range: win,
  total_spend_usd: kpi(412.5, 388.1, 6.29),
  avg_cost_per_call_usd: kpi(0.0091, 0.0089, 2.25),
  calls: 45000,
  priced_calls: 44800,
  unpriced_calls: 200,
  budget: budget ? { monthly_limit_usd: 1000, remaining_usd: 587.5, used_pct: 41.25, status: 'ok' } : null,
  month: { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z', to_date_usd: 412.5, run_rate_usd_per_day: 14.1, projected_usd: 482.4 },
})
export const costTrend = {
  range: win,
  granularity: 'daily',
  timezone: 'UTC',
  models: ['gpt-4o'],
  buckets: [0, 1].map((h) => ({ timestamp: ts(h), total_usd: 12.1, by_model: { 'gpt-4o': 12 }, other_usd: 0.1, cumulative_usd: 12.1 * (h + 1), cumulative_by_model: { 'gpt-4o': 12 * (h + 1) }, cumulative_other_usd: 0.1 })),
}
export const costByModel = {
  range: win,
  total_usd: 412.5,
  models: [
    { model: 'gpt-4o', provider: 'openai', cost_usd: 300.1, share_pct: 72.75, calls: 9000, tokens_input: 9100000, tokens_output: 1200000, avg_cost_per_call_usd: 0.0333 },
    { model: 'my-local-model', provider: 'self-hosted', cost_usd: null, share_pct: null, calls: 10, tokens_input: 100, tokens_output: 10, avg_cost_per_call_usd: null },
  ],
}
export const budget = (status: 'none' | 'ok' | 'warning' | 'exceeded') => ({
  budget: status === 'none' ? null : { monthly_limit_usd: 1000, thresholds_pct: [50, 80, 100], timezone: 'UTC', updated_at: ts(0) },
  month: {
    start: '2026-11-01T00:00:00Z',
    end: '2026-12-01T00:00:00Z',
    to_date_usd: status === 'exceeded' ? 1100 : status === 'warning' ? 850 : 412.5,
    remaining_usd: status === 'none' ? null : status === 'exceeded' ? -100 : status === 'warning' ? 150 : 587.5,
    used_pct: status === 'none' ? null : status === 'exceeded' ? 110 : status === 'warning' ? 85 : 41.25,
    crossed_threshold_pct: status === 'warning' ? 80 : status === 'exceeded' ? 100 : null,
    status,
    run_rate_usd_per_day: 14.1,
    projected_usd: 482.4,
  },
})

export const perfOverview = (health: 'healthy' | 'degraded' | 'critical') => ({
  range: win,
  requests: 1520,
  errors: 40,
  timeouts: 12,
  p50_latency_ms: kpi(640, 610, 4.92),
  p95_latency_ms: kpi(health === 'critical' ? 12000 : 2400, 2310.5, 3.87),
  p99_latency_ms: kpi(5100, 4900, 4.08),
  avg_latency_ms: kpi(812.4, 790.1, 2.82),
  error_rate_pct: kpi(3.42, 3.1, 10.32),
  health,
  thresholds: { degraded_p95_ms: 5000, critical_p95_ms: 10000, degraded_error_rate_pct: 5, critical_error_rate_pct: 10 },
})
export const latency = { range: win, granularity: 'hourly', timezone: 'UTC', buckets: [0, 1].map((h) => ({ timestamp: ts(h), requests: 12, p50_ms: 640, p95_ms: 2200, p99_ms: 3900.5, avg_ms: 790.1 })) }
export const throughput = { range: win, granularity: 'hourly', timezone: 'UTC', buckets: [0, 1].map((h) => ({ timestamp: ts(h), requests: 61, success: 58, errors: 2, timeouts: 1, requests_per_second: 0.0169, error_rate_pct: 4.92 })) }
export const errors = {
  range: win,
  total_requests: 1520,
  total_failed: 52,
  errors: [{ error_type: 'rate_limit', count: 20, pct_of_failed: 38.46, pct_of_requests: 1.32, last_seen: ts(5), last_trace_id: 't9', sample_message: 'Rate limit reached', agents: ['support-bot'] }],
}

export const traceItem = (id: string, over: Record<string, unknown> = {}) => ({
  trace_id: id,
  agent_id: 'support-bot',
  name: 'answer_question',
  user_id: 'usr_1',
  session_id: 'sess_9',
  start_time: ts(3),
  end_time: ts(3),
  latency_ms: 812,
  status: 'success',
  error_type: '',
  model: 'gpt-4o-mini',
  model_provider: 'openai',
  tokens_input: 1200,
  tokens_output: 80,
  tokens_total: 1280,
  cost_usd: 0.000228,
  span_count: 3,
  error_span_count: 0,
  tags: ['prod'],
  input_preview: 'How do I reset my password?',
  output_preview: 'Open Settings…',
  ...over,
})

const span = (id: string, parent: string, kind: string, startMs: number, latency: number, over: Record<string, unknown> = {}) => ({
  span_id: id,
  parent_span_id: parent,
  kind,
  name: id,
  start_time: new Date(Date.UTC(2026, 10, 25, 3) + startMs).toISOString(),
  end_time: new Date(Date.UTC(2026, 10, 25, 3) + startMs + latency).toISOString(),
  latency_ms: latency,
  status: 'success',
  status_message: '',
  model: kind === 'llm' ? 'gpt-4o-mini' : '',
  model_provider: kind === 'llm' ? 'openai' : '',
  tokens_input: kind === 'llm' ? 1000 : null,
  tokens_output: kind === 'llm' ? 50 : null,
  tokens_cached_input: null,
  tokens_total: kind === 'llm' ? 1050 : null,
  cost_usd: kind === 'llm' ? 0.0002 : null,
  input: '',
  output: '',
  attributes: {},
  children: [],
  ...over,
})

export const trace = {
  ...traceItem('t1'),
  workspace_id: 'w',
  error_message: '',
  input: JSON.stringify({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'How do I reset my password?' }] }),
  output: 'Open Settings → Security.',
  tokens_cached_input: 0,
  metadata: { region: 'eu' },
  scores: [],
  spans: [
    span('agent', '', 'agent', 0, 812, {
      children: [
        span('plan', 'agent', 'llm', 10, 300, { input: '<img src=x onerror=alert(1)>', output: '{"tool":"search","args":{"q":"reset"}}' }),
        span('search', 'agent', 'tool', 320, 200, { status: 'error', status_message: 'index offline' }),
      ],
    }),
  ],
}
