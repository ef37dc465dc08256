// Types and hooks of the evaluate role's routes (internal/httpapi/eval.go), mirroring the Go
// structs of internal/model/eval.go and internal/eval.
import { keepPreviousData, useMutation, useQueryClient } from '@tanstack/react-query'
import { request } from '@/lib/api'
import { useApi } from '@/api/queries'
import type { Trace } from '@/api/types'

export type EvalStatus = 'pending' | 'done' | 'unparsable' | 'failed' | 'skipped'
export type EvalSource = 'manual' | 'batch' | 'auto'

export interface Verdict {
  criterion: string
  score: number | null
  label?: string
  explanation?: string
  status: 'done' | 'unparsable'
}

export interface Evaluation {
  id: string
  /** The judged trace; "" for a session evaluation. */
  trace_id: string
  span_id?: string
  session_id?: string
  /** The trace of the judge calls (GET /api/v1/evaluate/judge-traces/{id}); absent when none was made. */
  judge_trace_id?: string
  agent_id: string
  evaluator_id: string
  evaluator_version: number
  source: EvalSource
  batch_id?: string
  status: EvalStatus
  overall_score: number | null
  verdicts: Verdict[]
  prompt?: string
  raw_answer?: string
  error?: string
  provider: string
  model: string
  cached: boolean
  tokens_input: number
  tokens_output: number
  cost_usd: number | null
  latency_ms: number
  attempts: number
  created_at: string
  finished_at: string | null
}

export interface EvaluationHistory {
  evaluations: Evaluation[]
  total: number
  page: number
  page_size: number
}

export interface QualityKPI {
  mean: number | null
  count: number
  previous: number | null
}

export interface JudgeInfo {
  configured: boolean
  provider?: string
  model?: string
  status: 'ready' | 'paused' | 'not_configured'
  reason?: string
  daily_budget_usd?: number
  evaluator_id: string
  evaluator_version: number
}

export interface QualityOverview {
  from: string
  to: string
  bucket_ms: number
  kpis: Record<string, QualityKPI>
  /** judge: a criterion of the LLM judge (0–100); api: scores of that name sent through the API, on the sender's scale. */
  criteria: { criterion: string; source: 'judge' | 'api'; mean: number; count: number }[]
  trend: { t: number; agent_id: string; mean: number; count: number }[]
  judge: JudgeInfo
  judge_spend: { today_usd: number; range_usd: number }
}

export const useQualityOverview = (range: string) => useApi<QualityOverview>('/api/v1/quality/overview', { range })

export const useEvaluationHistory = (page: number, source: EvalSource | null) =>
  useApi<EvaluationHistory>('/api/v1/evaluate/history', { page, page_size: 20, source }, { placeholderData: keepPreviousData })

export type EvalTarget = 'trace' | 'session'

/** useEvaluate judges one trace or session now; the answer is the evaluation, possibly still pending. */
export function useEvaluate() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ target, id }: { target: EvalTarget; id: string }) =>
      request<Evaluation>(`/api/v1/evaluate/${target}/${encodeURIComponent(id)}`, { method: 'POST', body: {} }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['/api/v1/evaluate/history'] })
      void qc.invalidateQueries({ queryKey: ['/api/v1/quality/overview'] })
    },
  })
}

export function useResumeJudge() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => request<JudgeInfo>('/api/v1/evaluate/judge/resume', { method: 'POST', body: {} }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['/api/v1/quality/overview'] }),
  })
}

export type ABMetric = 'eval_score' | 'feedback' | 'success_rate' | 'latency' | 'cost'

export interface ABTest {
  id: string
  name: string
  description?: string
  unit: 'user' | 'session'
  agent_id?: string
  variants: { name: string; weight: number }[]
  primary_metric: ABMetric
  guardrail_metrics: ABMetric[]
  alpha: number
  mde_pct: number
  started_at: string
  created_at: string
}

export interface ABMetricResult {
  metric: ABMetric
  role: 'primary' | 'guardrail'
  higher_is_better: boolean
  control: number
  treatment: number
  delta: number
  delta_pct: number
  p_value: number
  sequential_p: number
  ci_low: number
  ci_high: number
  adjusted_p: number
  significant: boolean
  n_control: number
  n_treatment: number
  better: boolean
}

export interface ABTestResults {
  test: ABTest
  units: Record<string, number>
  srm: { chi2: number; p_value: number; blocked: boolean }
  arms: { variant: string; metrics: ABMetricResult[] }[]
  sample_size_per_arm: number
  progress: number
  verdict: 'winner' | 'no_difference_yet' | 'guardrail_violated' | 'srm'
  winner?: string
  reason: string
}

export const useABTests = () => useApi<{ ab_tests: ABTest[] }>('/api/v1/ab-tests')
export const useABTestResults = (id: string) => useApi<ABTestResults>(`/api/v1/ab-tests/${encodeURIComponent(id)}/results`)

export interface EvaluatorFilter {
  agents?: string[]
  tags?: string[]
  span_kinds?: string[]
  span_names?: string[]
}

/** A workspace evaluator (internal/model/evaluator.go); every save is a new version. */
export interface EvaluatorDef {
  id: string
  version?: number
  name: string
  description?: string
  scope: 'trace' | 'span' | 'session'
  filter: EvaluatorFilter
  sample_rate: number
  delay: string
  criteria: string[]
  model?: string
  max_tokens?: number
  template?: string
  system?: string
  explanation?: boolean
  daily_budget_usd: number
  enabled: boolean
  created_at?: string
  created_by?: string
}

/** useJudgeTrace reads the trace of an evaluation's judge calls, once asked for. */
export const useJudgeTrace = (id: string, enabled: boolean) =>
  useApi<Trace>(`/api/v1/evaluate/judge-traces/${encodeURIComponent(id)}`, undefined, { enabled })

export const useEvaluators = () => useApi<{ evaluators: EvaluatorDef[] }>('/api/v1/evaluators')

/** useSaveEvaluator creates an evaluator (POST) or saves its next version (PUT). */
export function useSaveEvaluator() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ def, update }: { def: EvaluatorDef; update: boolean }) =>
      update
        ? request<EvaluatorDef>(`/api/v1/evaluators/${encodeURIComponent(def.id)}`, { method: 'PUT', body: def })
        : request<EvaluatorDef>('/api/v1/evaluators', { method: 'POST', body: def }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['/api/v1/evaluators'] }),
  })
}

export function useDeleteEvaluator() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => request<void>(`/api/v1/evaluators/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['/api/v1/evaluators'] }),
  })
}
