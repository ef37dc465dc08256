import { lazy, Suspense } from 'react'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { AgentFilter } from '@/components/dashboard/AgentFilter'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { KPICard, tone } from '@/components/dashboard/KPICard'
import { ErrorState } from '@/components/dashboard/states'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { PageHeader } from '@/components/layout/PageHeader'
import { useTopUsers, useUsageOverview } from '@/api/queries'
import { formatChange, formatCost, formatDateTime, formatInteger, formatNumber, formatRelative } from '@/lib/format'
import { useTimeRange } from '@/lib/timerange'
import { useParam } from '@/lib/useGranularity'

const charts = () => import('@/components/charts/UsageCharts')
const CallsOverTime = lazy(() => charts().then((m) => ({ default: m.CallsOverTime })))
const AgentDistributionChart = lazy(() => charts().then((m) => ({ default: m.AgentDistributionChart })))
import { cn } from '@/lib/cn'

function TopUsersTable({ agent }: { agent: string | null }) {
  const { apiParams } = useTimeRange()
  const q = useTopUsers({ ...apiParams, agent_id: agent, limit: 10 })
  const users = q.data?.users ?? []
  return (
    <ChartCard
      title="Top users"
      description="By calls in the selected period, with the change against the previous one"
      testId="usage-top-users"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={users.length === 0}
      emptyTitle="No users in this period"
      emptyDescription="Traces sent with a user_id are counted here."
      height={200}
    >
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>User</TableHead>
            <TableHead className="text-right">Calls</TableHead>
            <TableHead className="text-right">Cost</TableHead>
            <TableHead>Last active</TableHead>
            <TableHead className="text-right">Trend</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {users.map((u) => {
            const t = tone(u.trend_pct)
            return (
              <TableRow key={u.user_id} data-testid="top-user-row">
                <TableCell><EntityLink kind="user_id" value={u.user_id} /></TableCell>
                <TableCell className="text-right tabular-nums">{formatInteger(u.calls)}</TableCell>
                <TableCell className="text-right tabular-nums">{formatCost(u.cost_usd)}</TableCell>
                <TableCell className="text-muted-foreground"><time dateTime={u.last_active} title={formatDateTime(u.last_active)}>{formatRelative(u.last_active)}</time></TableCell>
                <TableCell className={cn('text-right tabular-nums', t.startsWith('up') && 'text-success', t.startsWith('down') && 'text-destructive')}>
                  {u.trend_pct === null ? 'new' : formatChange(u.trend_pct)}
                </TableCell>
              </TableRow>
            )
          })}
        </TableBody>
      </Table>
    </ChartCard>
  )
}

export default function Usage() {
  const { apiParams } = useTimeRange()
  const [agent, setAgent] = useParam('agent_id')
  const q = useUsageOverview({ ...apiParams, agent_id: agent })
  const k = q.data
  const loading = q.isPending
  return (
    <div data-testid="page-usage" className="min-w-0">
      <PageHeader title="Usage" description="How much your agents are used, and by whom." actions={<AgentFilter value={agent} onChange={setAgent} />} />
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="usage-kpis-error" className="mb-4" />
      ) : (
        <section aria-label="Usage figures" className="grid grid-cols-1 gap-3 sm:grid-cols-2 sm:gap-4 xl:grid-cols-4" data-testid="usage-kpis">
          <KPICard testId="kpi-total-calls" title="Total API calls" loading={loading} rawValue={k?.total_calls.value} value={formatNumber(k?.total_calls.value)} change={k?.total_calls.change_pct} />
          <KPICard testId="kpi-unique-users" title="Unique users" loading={loading} rawValue={k?.unique_users.value} value={formatNumber(k?.unique_users.value)} change={k?.unique_users.change_pct} />
          <KPICard testId="kpi-active-agents" title="Active agents" loading={loading} rawValue={k?.active_agents.value} value={formatNumber(k?.active_agents.value)} change={k?.active_agents.change_pct} />
          <KPICard testId="kpi-calls-per-user" title="Avg calls per user" loading={loading} rawValue={k?.avg_calls_per_user.value} value={formatNumber(k?.avg_calls_per_user.value, { decimals: 1 })} change={k?.avg_calls_per_user.change_pct} />
        </section>
      )}
      <div className="mt-4 grid grid-cols-1 gap-4 xl:grid-cols-3">
        <div className="min-w-0 xl:col-span-2">
          <Suspense fallback={<ChartFallback testId="usage-calls-chart" height={340} />}>
            <CallsOverTime agent={agent} />
          </Suspense>
        </div>
        <Suspense fallback={<ChartFallback testId="usage-agent-distribution" height={340} />}>
          <AgentDistributionChart agent={agent} />
        </Suspense>
      </div>
      <div className="mt-4">
        <TopUsersTable agent={agent} />
      </div>
    </div>
  )
}
