import { lazy, Suspense } from 'react'
import { KPICard } from '@/components/dashboard/KPICard'
import { ActivityStream } from '@/components/dashboard/ActivityStream'
import { AlertsFeed } from '@/components/dashboard/AlertsFeed'
import { InsightsFeed } from '@/components/dashboard/InsightsFeed'
import { ErrorState } from '@/components/dashboard/states'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { PageHeader } from '@/components/layout/PageHeader'
import { useHomeKPIs } from '@/api/queries'
import { RANGE_LABELS, useTimeRange } from '@/lib/timerange'
import { formatCost, formatDuration, formatNumber, formatPercent } from '@/lib/format'
import { useLiveRefetch } from '@/lib/useLive'

// What a committed trace changes on Home; refetched when the live socket says so.
const LIVE_CHANNELS = ['kpis', 'traces', 'alerts'] as const
const LIVE_PATHS = ['/api/v1/metrics/home-kpis', '/api/v1/metrics/aggregations', '/api/v1/activity/stream', '/api/v1/alerts/recent']

// The chart library is the largest download: Home's KPIs render without waiting for it.
const RequestsChart = lazy(() => import('@/components/dashboard/RequestsChart'))

export default function Home() {
  const { range, apiParams } = useTimeRange()
  const q = useHomeKPIs(apiParams)
  // A fixed past window cannot change; only ranges ending now follow commits.
  useLiveRefetch([...LIVE_CHANNELS], LIVE_PATHS, range.key !== 'custom')
  const k = q.data
  const loading = q.isPending
  const label = range.key === 'custom' ? 'vs previous period' : `vs previous ${range.key}`
  return (
    <div data-testid="page-home">
      <PageHeader title="Home" description={`${RANGE_LABELS[range.key]} across every agent of this workspace.`} />
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="home-kpis-error" className="mb-4" />
      ) : (
        <section aria-label="Key figures" className="grid grid-cols-1 gap-3 sm:grid-cols-2 sm:gap-4 xl:grid-cols-5" data-testid="home-kpis" aria-busy={q.isFetching}>
          <KPICard testId="kpi-requests" title="Total requests" loading={loading} rawValue={k?.total_requests.value} value={formatNumber(k?.total_requests.value)} change={k?.total_requests.change_pct} changeLabel={label} />
          <KPICard testId="kpi-avg-latency" title="Avg latency" loading={loading} rawValue={k?.avg_latency_ms.value} value={formatDuration(k?.avg_latency_ms.value)} change={k?.avg_latency_ms.change_pct} changeLabel={label} trend="inverse" />
          <KPICard testId="kpi-p95-latency" title="P95 latency" loading={loading} rawValue={k?.p95_latency_ms.value} value={formatDuration(k?.p95_latency_ms.value)} change={k?.p95_latency_ms.change_pct} changeLabel={label} trend="inverse" />
          <KPICard testId="kpi-cost" title="Total cost" loading={loading} rawValue={k?.total_cost_usd.value} value={formatCost(k?.total_cost_usd.value)} change={k?.total_cost_usd.change_pct} changeLabel={label} trend="inverse" />
          <KPICard testId="kpi-success-rate" title="Success rate" loading={loading} rawValue={k?.success_rate_pct.value} value={formatPercent(k?.success_rate_pct.value)} change={k?.success_rate_pct.change_pct} changeLabel={label} />
        </section>
      )}
      <div className="mt-4 grid grid-cols-1 gap-4 xl:grid-cols-3">
        <div className="grid min-w-0 gap-4 xl:col-span-2">
          <Suspense fallback={<ChartFallback testId="home-requests-chart" height={220} />}>
            <RequestsChart />
          </Suspense>
          <ActivityStream />
        </div>
        <div className="grid min-w-0 content-start gap-4">
          <AlertsFeed />
          <InsightsFeed testId="home-insights" limit={3} />
        </div>
      </div>
    </div>
  )
}
