// Types and hooks of the insights role's routes (internal/httpapi/insights.go), mirroring
// internal/model/insight.go and internal/insight.
import { useMemo } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { request } from '@/lib/api'
import { useApi } from '@/api/queries'
import type { RangeParams } from '@/lib/timerange'

export type Confidence = 'measured' | 'estimated' | 'unvalidated'
export type InsightKind = 'cost-optimization' | 'error-diagnosis' | 'feedback-analysis' | 'daily-summary'

export interface Evidence {
  trace_ids: string[]
  metric: string
  value: number
  from: string
  to: string
}

export interface Finding {
  kind: string
  severity: 'info' | 'low' | 'medium' | 'high'
  title: string
  detail: string
  agent_id?: string
  model?: string
  estimated_savings_usd: number
  confidence: Confidence
  evidence: Evidence
  attributes?: Record<string, string>
}

export interface InsightRun {
  id: string
  kind: InsightKind
  created_at: string
  from: string
  to: string
  findings: Finding[]
  summary: string
  narration: string
  narration_model?: string
  narration_note?: string
  narration_cost_usd: number
  total_savings_usd: number
  notified: boolean
}

export interface EventView {
  id: string
  type: string
  timestamp: string
  agent_id: string
  version: string
  title: string
  description: string
  severity: string
  metadata: Record<string, unknown>
}

export interface Goal {
  id: string
  name: string
  unit: string
  value_per_unit_usd: number
  target: number
  source: 'manual' | 'successful_traces'
  agent_id: string
  achieved: number
  created_at: string
  updated_at: string
}

export type GoalInput = Pick<Goal, 'name' | 'unit' | 'value_per_unit_usd' | 'target' | 'source' | 'agent_id' | 'achieved'>

export interface GoalProgress extends Goal {
  value_usd: number
  progress: number | null
}

export interface ROI {
  value_usd: number
  llm_cost_usd: number
  infra_cost_usd: number
  total_cost_usd: number
  net_usd: number
  roi_percent: number | null
  formula: string
}

export interface PeriodFigures {
  from: string
  to: string
  traces: number
  success_rate: number | null
  cost_usd: number
  cost_per_trace_usd: number | null
  mean_score: number | null
}

export interface ImpactSettings {
  infra_monthly_usd: number
  daily_summary_channels: string[]
  updated_at?: string
}

export interface Impact {
  from: string
  to: string
  goals: GoalProgress[]
  roi: ROI
  timeline: EventView[]
  deployment: { event: EventView; before: PeriodFigures; after: PeriodFigures } | null
  savings: { total_usd: number; run_id: string; findings: Finding[] }
  settings: ImpactSettings
}

const DURATIONS_MS: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 }

/**
 * windowOf turns the page's time range into from/to, which the insights routes take; a
 * relative range ends at the current minute so that the query key stays put between renders.
 */
export function windowOf(p: RangeParams, now = Date.now()): { from: string; to: string } {
  if (!('range' in p)) return { from: p.from, to: p.to }
  const to = Math.floor(now / 60_000) * 60_000
  return { from: new Date(to - (DURATIONS_MS[p.range] ?? DURATIONS_MS['24h']!)).toISOString(), to: new Date(to).toISOString() }
}

export function useWindow(p: RangeParams) {
  // The params object is new on every render; its content decides when the window moves.
  const key = JSON.stringify(p)
  return useMemo(() => windowOf(JSON.parse(key) as RangeParams), [key])
}

export const useImpact = (w: { from: string; to: string }) => useApi<Impact>('/api/v1/impact', w)
export interface InsightList {
  insights: InsightRun[]
  /** What narrations cost, recorded like judge spend. */
  narration_spend?: { today_usd: number; last_30_days_usd: number }
}

export const useInsights = (kind: InsightKind, limit = 1) => useApi<InsightList>('/api/v1/insights', { kind, limit })

export function useRunInsight(kind: Exclude<InsightKind, 'daily-summary'>) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { from?: string; to?: string; agent_id?: string }) => request<InsightRun>(`/api/v1/insights/${kind}`, { method: 'POST', body }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['/api/v1/insights'] })
      void qc.invalidateQueries({ queryKey: ['/api/v1/impact'] })
    },
  })
}

export function useCreateGoal() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (g: GoalInput) => request<Goal>('/api/v1/impact/goals', { method: 'POST', body: g }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['/api/v1/impact'] }),
  })
}

export function useDeleteGoal() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => request<void>(`/api/v1/impact/goals/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['/api/v1/impact'] }),
  })
}

export function usePutImpactSettings() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (s: Omit<ImpactSettings, 'updated_at'>) => request<ImpactSettings>('/api/v1/impact/settings', { method: 'PUT', body: s }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['/api/v1/impact'] }),
  })
}
