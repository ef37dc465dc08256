import { lazy, Suspense } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Badge } from '@/components/ui/badge'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { AgentFilter } from '@/components/dashboard/AgentFilter'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { KPICard } from '@/components/dashboard/KPICard'
import { ErrorState } from '@/components/dashboard/states'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { PageHeader } from '@/components/layout/PageHeader'
import { useErrorAnalysis, usePerformanceOverview } from '@/api/queries'
import type { Health } from '@/api/types'
import { formatDateTime, formatDuration, formatInteger, formatPercent, formatRelative, truncate } from '@/lib/format'
import { rangeSearch, useTimeRange } from '@/lib/timerange'
import { useParam } from '@/lib/useGranularity'

const charts = () => import('@/components/charts/PerformanceCharts')
const LatencyChart = lazy(() => charts().then((m) => ({ default: m.LatencyChart })))
const ThroughputChart = lazy(() => charts().then((m) => ({ default: m.ThroughputChart })))

const HEALTH_VARIANT: Record<Health, 'success' | 'warning' | 'destructive'> = { healthy: 'success', degraded: 'warning', critical: 'destructive' }

/** healthOf grades one figure against the workspace's thresholds, as the server grades the whole. */
export function healthOf(value: number | null | undefined, degraded: number, critical: number): Health {
  if (value === null || value === undefined) return 'healthy'
  if (value >= critical) return 'critical'
  if (value >= degraded) return 'degraded'
  return 'healthy'
}

export function HealthBadge({ health, testId }: { health: Health; testId?: string }) {
  return (
    <Badge variant={HEALTH_VARIANT[health]} data-testid={testId} data-health={health} className="capitalize">
      {health}
    </Badge>
  )
}

function ErrorTable({ agent }: { agent: string | null }) {
  const { apiParams } = useTimeRange()
  const [params] = useSearchParams()
  const q = useErrorAnalysis({ ...apiParams, agent_id: agent, limit: 20 })
  const d = q.data
  const search = rangeSearch(params)
  return (
    <ChartCard
      title="Error analysis"
      description={d ? `${formatInteger(d.total_failed)} failed of ${formatInteger(d.total_requests)} requests, by error type` : 'Failed requests by error type'}
      testId="perf-errors-table"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={(d?.errors.length ?? 0) === 0}
      emptyTitle="No errors in this period"
      emptyDescription="Every request succeeded."
      height={200}
    >
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Error type</TableHead>
            <TableHead className="text-right">Count</TableHead>
            <TableHead className="text-right">% of failed</TableHead>
            <TableHead className="text-right">% of total</TableHead>
            <TableHead>Last seen</TableHead>
            <TableHead>Agents</TableHead>
            <TableHead>Latest message</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {(d?.errors ?? []).map((e) => (
            <TableRow key={e.error_type} data-testid="error-row">
              <TableCell className="font-medium">{e.error_type}</TableCell>
              <TableCell className="text-right tabular-nums">{formatInteger(e.count)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatPercent(e.pct_of_failed)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatPercent(e.pct_of_requests)}</TableCell>
              <TableCell className="text-muted-foreground">
                {e.last_trace_id ? (
                  <Link to={`/dashboard/traces/${encodeURIComponent(e.last_trace_id)}${search}`} className="hover:underline" title={formatDateTime(e.last_seen)}>
                    {formatRelative(e.last_seen)}
                  </Link>
                ) : (
                  formatRelative(e.last_seen)
                )}
              </TableCell>
              <TableCell className="max-w-[12rem] truncate">
                {e.agents.map((a, i) => (
                  <span key={a}>
                    {i > 0 && ', '}
                    <EntityLink kind="agent_id" value={a} />
                  </span>
                ))}
              </TableCell>
              <TableCell className="max-w-[20rem] truncate text-muted-foreground" title={e.sample_message}>
                {truncate(e.sample_message, 80)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </ChartCard>
  )
}

export default function Performance() {
  const { apiParams } = useTimeRange()
  const [agent, setAgent] = useParam('agent_id')
  const [view, setView] = useParam('view')
  const q = usePerformanceOverview({ ...apiParams, agent_id: agent })
  const k = q.data
  const th = k?.thresholds
  const loading = q.isPending
  return (
    <div data-testid="page-performance" className="min-w-0">
      <PageHeader
        title="Performance"
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            Latency, throughput and errors.
            {k && (
              <span className="inline-flex items-center gap-1">
                Overall health <HealthBadge health={k.health} testId="perf-health" />
              </span>
            )}
          </span>
        }
        actions={<AgentFilter value={agent} onChange={setAgent} />}
      />
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="perf-kpis-error" className="mb-4" />
      ) : (
        <section aria-label="Performance figures" className="grid grid-cols-1 gap-3 sm:grid-cols-2 sm:gap-4 xl:grid-cols-4" data-testid="perf-kpis">
          <KPICard testId="kpi-p50" title="P50 latency" loading={loading} rawValue={k?.p50_latency_ms.value} value={formatDuration(k?.p50_latency_ms.value)} change={k?.p50_latency_ms.change_pct} trend="inverse" />
          <div className="relative">
            <KPICard testId="kpi-p95" title="P95 latency" loading={loading} rawValue={k?.p95_latency_ms.value} value={formatDuration(k?.p95_latency_ms.value)} change={k?.p95_latency_ms.change_pct} trend="inverse" hint={th ? `degraded at ${formatDuration(th.degraded_p95_ms)}, critical at ${formatDuration(th.critical_p95_ms)}` : undefined} />
            {k && th && (
              <span className="absolute right-5 bottom-5">
                <HealthBadge health={healthOf(k.p95_latency_ms.value, th.degraded_p95_ms, th.critical_p95_ms)} testId="perf-health-p95" />
              </span>
            )}
          </div>
          <KPICard testId="kpi-p99" title="P99 latency" loading={loading} rawValue={k?.p99_latency_ms.value} value={formatDuration(k?.p99_latency_ms.value)} change={k?.p99_latency_ms.change_pct} trend="inverse" />
          <div className="relative">
            <KPICard testId="kpi-error-rate" title="Error rate" loading={loading} rawValue={k?.error_rate_pct.value} value={formatPercent(k?.error_rate_pct.value)} change={k?.error_rate_pct.change_pct} trend="inverse" hint={th ? `degraded at ${th.degraded_error_rate_pct}%, critical at ${th.critical_error_rate_pct}%` : undefined} />
            {k && th && (
              <span className="absolute right-5 bottom-5">
                <HealthBadge health={healthOf(k.error_rate_pct.value, th.degraded_error_rate_pct, th.critical_error_rate_pct)} testId="perf-health-errors" />
              </span>
            )}
          </div>
        </section>
      )}
      <Tabs value={view ?? 'latency'} onValueChange={(v) => setView(v === 'latency' ? null : v)} className="mt-4">
        <TabsList aria-label="View">
          <TabsTrigger value="latency" data-testid="perf-tab-latency">Latency</TabsTrigger>
          <TabsTrigger value="throughput" data-testid="perf-tab-throughput">Throughput</TabsTrigger>
          <TabsTrigger value="errors" data-testid="perf-tab-errors">Errors</TabsTrigger>
        </TabsList>
        <TabsContent value="latency">
          <Suspense fallback={<ChartFallback testId="perf-latency-chart" height={340} />}>
            <LatencyChart agent={agent} thresholds={th} />
          </Suspense>
        </TabsContent>
        <TabsContent value="throughput">
          <Suspense fallback={<ChartFallback testId="perf-throughput-chart" height={340} />}>
            <ThroughputChart agent={agent} />
          </Suspense>
        </TabsContent>
        <TabsContent value="errors">
          <ErrorTable agent={agent} />
        </TabsContent>
      </Tabs>
    </div>
  )
}
