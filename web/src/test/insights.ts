// Fixtures of the insights routes, shaped as internal/insight answers them.
import type { Impact, InsightRun } from '@/api/insights'

const ev = (ids: string[], value: number) => ({ trace_ids: ids, metric: 'cost_usd', value, from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00Z' })

export const costRun: InsightRun = {
  id: 'run1',
  kind: 'cost-optimization',
  created_at: new Date(Date.now() - 10 * 60_000).toISOString(),
  from: '2026-11-24T00:00:00Z',
  to: '2026-11-25T00:00:00Z',
  findings: [
    {
      kind: 'model_switch',
      severity: 'high',
      title: 'Switch writer from gpt-4o to gpt-4o-mini on "draft"',
      detail: 'No evaluation scores of gpt-4o-mini on this task exist: evaluate it before switching.',
      agent_id: 'writer',
      estimated_savings_usd: 0.329,
      confidence: 'unvalidated',
      evidence: ev([], 0.35),
    },
    {
      kind: 'duplicate_requests',
      severity: 'high',
      title: '4 identical requests to gpt-4o by support',
      detail: 'The same input was sent 4 times.',
      agent_id: 'support',
      estimated_savings_usd: 0.15,
      confidence: 'measured',
      evidence: ev(['s1', 's4'], 0.2),
    },
  ],
  summary: '2 findings, $0.4790 of estimated savings.',
  narration: '',
  narration_cost_usd: 0,
  total_savings_usd: 0.479,
  notified: false,
}

export const impact: Impact = {
  from: '2026-11-22T00:00:00Z',
  to: '2026-11-25T00:00:00Z',
  goals: [
    {
      id: 'g1',
      name: 'tickets deflected',
      unit: 'ticket',
      value_per_unit_usd: 5,
      target: 100,
      source: 'manual',
      agent_id: '',
      achieved: 40,
      created_at: '2026-11-20T00:00:00Z',
      updated_at: '2026-11-20T00:00:00Z',
      value_usd: 200,
      progress: 0.4,
    },
  ],
  roi: { value_usd: 200, llm_cost_usd: 10, infra_cost_usd: 30, total_cost_usd: 40, net_usd: 160, roi_percent: 400, formula: 'ROI = (value − (LLM cost + infrastructure cost)) ÷ (LLM cost + infrastructure cost) × 100 %' },
  timeline: [
    { id: 'd1', type: 'deployment', timestamp: '2026-11-23T12:00:00Z', agent_id: 'support', version: 'v2', title: 'support v2', description: '', severity: 'info', metadata: {} },
    { id: 'i1', type: 'incident', timestamp: '2026-11-24T12:30:00Z', agent_id: 'support', version: '', title: 'inventory outage', description: '', severity: 'high', metadata: {} },
  ],
  deployment: {
    event: { id: 'd1', type: 'deployment', timestamp: '2026-11-23T12:00:00Z', agent_id: 'support', version: 'v2', title: 'support v2', description: '', severity: 'info', metadata: {} },
    before: { from: '2026-11-22T00:00:00Z', to: '2026-11-23T12:00:00Z', traces: 2, success_rate: 1, cost_usd: 5, cost_per_trace_usd: 2.5, mean_score: null },
    after: { from: '2026-11-23T12:00:00Z', to: '2026-11-25T00:00:00Z', traces: 3, success_rate: 0.666667, cost_usd: 5, cost_per_trace_usd: 1.6667, mean_score: 0.8 },
  },
  savings: { total_usd: 0.479, run_id: 'run1', findings: costRun.findings },
  settings: { infra_monthly_usd: 300, daily_summary_channels: [] },
}
