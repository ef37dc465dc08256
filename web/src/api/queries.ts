// TanStack Query hooks, one per API route the pages read. The query key is the route and its
// parameters, so a change of window, filter or granularity is a new query.
import { keepPreviousData, useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query'
import { request, type Query } from '@/lib/api'
import type {
  ActivityResponse,
  AgentDistribution,
  AgentList,
  AlertItem,
  AlertRule,
  AlertRuleInput,
  AlertRuleList,
  AlertRulePreview,
  AlertsResponse,
  BudgetInput,
  BudgetResponse,
  CallsOverTime,
  CostByModel,
  CostOverview,
  CostTrend,
  ErrorAnalysis,
  HomeKPIs,
  LatencySeries,
  PerformanceOverview,
  SessionDetail,
  SessionList,
  Silence,
  SilenceInput,
  SilenceList,
  ThroughputSeries,
  TopUsers,
  Trace,
  TraceList,
  UsageOverview,
  CheckResult,
  GuardrailRule,
  GuardrailRuleInput,
  GuardrailSettings,
  ViolationPage,
  ViolationStats,
} from '@/api/types'

type Opts<T> = Omit<UseQueryOptions<T, Error, T, readonly unknown[]>, 'queryKey' | 'queryFn'>

export function useApi<T>(path: string, query?: Query, opts?: Opts<T>) {
  return useQuery<T, Error, T, readonly unknown[]>({
    queryKey: [path, query ?? {}],
    queryFn: ({ signal }) => request<T>(path, { query, signal }),
    ...opts,
  })
}

// Series keep showing the previous answer while the next loads, so a chart does not collapse
// to a skeleton on every tab click.
const keep = { placeholderData: keepPreviousData } as const

export const useHomeKPIs = (q: Query) => useApi<HomeKPIs>('/api/v1/metrics/home-kpis', q)
export const useRecentAlerts = (limit = 10) => useApi<AlertsResponse>('/api/v1/alerts/recent', { limit })
export const useActivity = (limit = 50, live = true) =>
  useApi<ActivityResponse>('/api/v1/activity/stream', { limit }, { refetchInterval: live ? 30_000 : false })

export const useTraces = (q: Query) => useApi<TraceList>('/api/v1/traces', q, keep)
export const useTrace = (id: string) => useApi<Trace>(`/api/v1/traces/${encodeURIComponent(id)}`)
export const useSessions = (q: Query) => useApi<SessionList>('/api/v1/sessions', q, keep)
export const useSession = (id: string) => useApi<SessionDetail>(`/api/v1/sessions/${encodeURIComponent(id)}`)
export const useAgents = () => useApi<AgentList>('/api/v1/agents', undefined, { staleTime: 60_000 })

export const useUsageOverview = (q: Query) => useApi<UsageOverview>('/api/v1/usage/overview', q)
export const useCallsOverTime = (q: Query) => useApi<CallsOverTime>('/api/v1/usage/calls-over-time', q, keep)
export const useAgentDistribution = (q: Query) => useApi<AgentDistribution>('/api/v1/usage/agent-distribution', q)
export const useTopUsers = (q: Query) => useApi<TopUsers>('/api/v1/usage/top-users', q)

export const useCostOverview = (q: Query) => useApi<CostOverview>('/api/v1/cost/overview', q)
export const useCostTrend = (q: Query) => useApi<CostTrend>('/api/v1/cost/trend', q, keep)
export const useCostByModel = (q: Query) => useApi<CostByModel>('/api/v1/cost/by-model', q)
export const useBudget = () => useApi<BudgetResponse>('/api/v1/cost/budget')

export function useSetBudget() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: BudgetInput) => request<BudgetResponse>('/api/v1/cost/budget', { method: 'PUT', body: input }),
    onSuccess: (data) => {
      qc.setQueryData(['/api/v1/cost/budget', {}], data)
      void qc.invalidateQueries({ queryKey: ['/api/v1/cost/overview'] })
      void qc.invalidateQueries({ queryKey: ['/api/v1/cost/budget'] })
    },
  })
}

export const usePerformanceOverview = (q: Query) => useApi<PerformanceOverview>('/api/v1/performance/overview', q)
export const useLatency = (q: Query) => useApi<LatencySeries>('/api/v1/performance/latency', q, keep)
export const useThroughput = (q: Query) => useApi<ThroughputSeries>('/api/v1/performance/throughput', q, keep)
export const useErrorAnalysis = (q: Query) => useApi<ErrorAnalysis>('/api/v1/performance/errors', q)

export const useViolations = (q: Query) => useApi<ViolationPage>('/api/v1/guardrails/violations', q, keep)
export const useViolationStats = (q: Query) => useApi<ViolationStats>('/api/v1/guardrails/violations/stats', q, keep)
export const useGuardrailRules = () => useApi<{ rules: GuardrailRule[] }>('/api/v1/guardrails/rules')
export const useGuardrailSettings = () => useApi<GuardrailSettings>('/api/v1/guardrails/settings')

export function useCheckText() {
  return useMutation({
    mutationFn: (input: { text: string; direction: 'input' | 'output' }) =>
      request<CheckResult>('/api/v1/guardrails/check', { method: 'POST', body: input }),
  })
}

// Alerts: episodes refresh every 15 s so a firing rule shows without a reload.
export const useAlerts = (status: string) => useApi<AlertsResponse>('/api/v1/alerts', { status, limit: 200 }, { refetchInterval: 15_000 })
export const useAlertRules = () => useApi<AlertRuleList>('/api/v1/alert-rules')
export const useSilences = () => useApi<SilenceList>('/api/v1/silences')

// A mutation that refreshes the listed queries once it succeeds.
function useInvalidatingMutation<I, O>(keys: readonly string[], fn: (input: I) => Promise<O>) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      for (const key of keys) {
        void qc.invalidateQueries({ queryKey: [key] })
      }
    },
  })
}

const guardrailKeys = ['/api/v1/guardrails/rules', '/api/v1/guardrails/settings'] as const
const alertKeys = ['/api/v1/alerts', '/api/v1/alert-rules', '/api/v1/silences', '/api/v1/alerts/recent'] as const
const useGuardrailMutation = <I, O>(fn: (input: I) => Promise<O>) => useInvalidatingMutation(guardrailKeys, fn)
const useAlertMutation = <I, O>(fn: (input: I) => Promise<O>) => useInvalidatingMutation(alertKeys, fn)

export const useCreateRule = () =>
  useGuardrailMutation((input: GuardrailRuleInput) => request<GuardrailRule>('/api/v1/guardrails/rules', { method: 'POST', body: input }))
export const useDeleteRule = () =>
  useGuardrailMutation((id: string) => request<void>(`/api/v1/guardrails/rules/${encodeURIComponent(id)}`, { method: 'DELETE' }))
export const useSaveGuardrailSettings = () =>
  useGuardrailMutation((input: GuardrailSettings) => request<GuardrailSettings>('/api/v1/guardrails/settings', { method: 'PUT', body: input }))
export const useCreateAlertRule = () =>
  useAlertMutation((input: AlertRuleInput) => request<AlertRule>('/api/v1/alert-rules', { method: 'POST', body: input }))
export const useUpdateAlertRule = () =>
  useAlertMutation(({ id, rule }: { id: string; rule: AlertRuleInput }) =>
    request<AlertRule>(`/api/v1/alert-rules/${encodeURIComponent(id)}`, { method: 'PUT', body: rule }))
export const useDeleteAlertRule = () =>
  useAlertMutation((id: string) => request<void>(`/api/v1/alert-rules/${encodeURIComponent(id)}`, { method: 'DELETE' }))
export const usePreviewAlertRule = () =>
  useMutation({ mutationFn: (input: AlertRuleInput) => request<AlertRulePreview>('/api/v1/alert-rules/preview', { method: 'POST', body: input }) })
export const useChangeAlert = () =>
  useAlertMutation(({ id, action }: { id: string; action: 'acknowledge' | 'resolve' }) =>
    request<AlertItem>(`/api/v1/alerts/${encodeURIComponent(id)}/${action}`, { method: 'POST' }))
export const useCreateSilence = () =>
  useAlertMutation((input: SilenceInput) => request<Silence>('/api/v1/silences', { method: 'POST', body: input }))
export const useDeleteSilence = () =>
  useAlertMutation((id: string) => request<void>(`/api/v1/silences/${encodeURIComponent(id)}`, { method: 'DELETE' }))
