import { lazy, Suspense, useState } from 'react'
import { AlertTriangle, CircleAlert } from 'lucide-react'
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Progress } from '@/components/ui/progress'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { AgentFilter } from '@/components/dashboard/AgentFilter'
import { BudgetDialog } from '@/components/dashboard/BudgetDialog'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { InsightsFeed } from '@/components/dashboard/InsightsFeed'
import { KPICard } from '@/components/dashboard/KPICard'
import { ErrorState } from '@/components/dashboard/states'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { PageHeader } from '@/components/layout/PageHeader'
import { useBudget, useCostByModel, useCostOverview } from '@/api/queries'
import { formatCost, formatInteger, formatMonth, formatNumber, formatPercent } from '@/lib/format'
import { useTimeRange } from '@/lib/timerange'
import { useParam } from '@/lib/useGranularity'

const charts = () => import('@/components/charts/CostCharts')
const CostTrendChart = lazy(() => charts().then((m) => ({ default: m.CostTrendChart })))
const CostByModelChart = lazy(() => charts().then((m) => ({ default: m.CostByModelChart })))
import { cn } from '@/lib/cn'

function BudgetCard() {
  const q = useBudget()
  const b = q.data?.budget ?? null
  const m = q.data?.month
  const used = m?.used_pct ?? 0
  const status = m?.status ?? 'none'
  return (
    <Card data-testid="budget-card" className="min-w-0">
      <CardHeader>
        <CardTitle>Monthly budget</CardTitle>
        <CardDescription>
          {m ? `${formatMonth(m.start, b?.timezone)} (${b?.timezone ?? 'UTC'})` : 'Spend against your monthly limit'}
        </CardDescription>
        <CardAction>{!q.isPending && !q.isError && <BudgetDialog budget={b} />}</CardAction>
      </CardHeader>
      <CardContent className="grid gap-3">
        {q.isPending ? (
          <Skeleton className="h-16" data-testid="budget-loading" />
        ) : q.isError ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="budget-error-state" />
        ) : !b || !m ? (
          <p className="text-sm text-muted-foreground" data-testid="budget-none">
            No budget set. {m && <>This month so far: <strong className="text-foreground">{formatCost(m.to_date_usd)}</strong>, projected {formatCost(m.projected_usd)}.</>}
          </p>
        ) : (
          <>
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <span className="text-2xl font-bold tabular-nums" data-testid="budget-spent">
                {formatCost(m.to_date_usd)} <span className="text-base font-normal text-muted-foreground">of <span data-testid="budget-limit-value">{formatCost(b.monthly_limit_usd)}</span></span>
              </span>
              <span className={cn('text-sm font-medium tabular-nums', status === 'exceeded' ? 'text-destructive' : status === 'warning' ? 'text-warning' : 'text-muted-foreground')} data-testid="budget-used">
                {formatPercent(m.used_pct)} used
              </span>
            </div>
            <div className="relative">
              <Progress
                value={Math.min(100, used)}
                aria-label="Budget used"
                data-testid="budget-progress"
                indicatorClassName={status === 'exceeded' ? 'bg-destructive' : status === 'warning' ? 'bg-warning' : undefined}
              />
              {b.thresholds_pct.filter((t) => t < 100).map((t) => (
                <span key={t} className="absolute top-0 h-2 w-px bg-foreground/50" style={{ left: `${t}%` }} title={`${t}% threshold`} aria-hidden="true" />
              ))}
            </div>
            <p className="text-xs text-muted-foreground">
              Remaining {formatCost(m.remaining_usd)} · run rate {formatCost(m.run_rate_usd_per_day)}/day · projected {formatCost(m.projected_usd)} by month end · thresholds {b.thresholds_pct.map((t) => `${t}%`).join(', ')}
            </p>
            {status === 'exceeded' && (
              <Alert variant="destructive" data-testid="budget-alert" data-status="exceeded">
                <CircleAlert aria-hidden="true" />
                <AlertTitle>Budget exceeded</AlertTitle>
                <AlertDescription>This month's spend is {formatCost(m.to_date_usd)}, above the {formatCost(b.monthly_limit_usd)} limit.</AlertDescription>
              </Alert>
            )}
            {status === 'warning' && (
              <Alert variant="warning" data-testid="budget-alert" data-status="warning">
                <AlertTriangle aria-hidden="true" />
                <AlertTitle>Approaching the budget</AlertTitle>
                <AlertDescription>
                  Spend crossed the {m.crossed_threshold_pct}% threshold; at the current rate the month ends at {formatCost(m.projected_usd)}.
                </AlertDescription>
              </Alert>
            )}
            {status === 'ok' && m.projected_usd > b.monthly_limit_usd && (
              <Alert variant="warning" data-testid="budget-alert" data-status="projected">
                <AlertTriangle aria-hidden="true" />
                <AlertTitle>Projected to exceed</AlertTitle>
                <AlertDescription>At the current rate the month ends at {formatCost(m.projected_usd)}.</AlertDescription>
              </Alert>
            )}
          </>
        )}
      </CardContent>
    </Card>
  )
}

function CostByModelTable({ agent }: { agent: string | null }) {
  const { apiParams } = useTimeRange()
  const q = useCostByModel({ ...apiParams, agent_id: agent })
  const [all, setAll] = useState(false)
  const models = q.data?.models ?? []
  const shown = all ? models : models.slice(0, 10)
  return (
    <ChartCard
      title="Models"
      description="Cost, calls and tokens of each model"
      testId="cost-models-table"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={models.length === 0}
      height={200}
    >
      <Table data-testid="cost-by-model-table">
        <TableHeader>
          <TableRow>
            <TableHead>Model</TableHead>
            <TableHead className="text-right">Cost</TableHead>
            <TableHead className="text-right">Share</TableHead>
            <TableHead className="text-right">Calls</TableHead>
            <TableHead className="text-right">Tokens in / out</TableHead>
            <TableHead className="text-right">Per call</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {shown.map((m) => (
            <TableRow key={`${m.provider}/${m.model}`}>
              <TableCell>
                <EntityLink kind="model" value={m.model} /> <span className="text-xs text-muted-foreground">{m.provider}</span>
              </TableCell>
              <TableCell className="text-right tabular-nums">{m.cost_usd === null ? 'unpriced' : formatCost(m.cost_usd)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatPercent(m.share_pct)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatInteger(m.calls)}</TableCell>
              <TableCell className="text-right tabular-nums">
                {formatNumber(m.tokens_input)} / {formatNumber(m.tokens_output)}
              </TableCell>
              <TableCell className="text-right tabular-nums">{formatCost(m.avg_cost_per_call_usd)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {models.length > 10 && (
        <Button variant="link" size="sm" className="px-0" onClick={() => setAll(!all)} data-testid="cost-models-toggle">
          {all ? 'Show the top 10' : `Show all ${models.length} models`}
        </Button>
      )}
    </ChartCard>
  )
}

export default function Cost() {
  const { apiParams } = useTimeRange()
  const [agent, setAgent] = useParam('agent_id')
  const q = useCostOverview({ ...apiParams, agent_id: agent })
  const k = q.data
  const loading = q.isPending
  return (
    <div data-testid="page-cost" className="min-w-0">
      <PageHeader title="Cost" description="What your agents spend, by model, against your budget." actions={<AgentFilter value={agent} onChange={setAgent} />} />
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="cost-kpis-error" className="mb-4" />
      ) : (
        <section aria-label="Cost figures" className="grid grid-cols-1 gap-3 sm:grid-cols-2 sm:gap-4 xl:grid-cols-4" data-testid="cost-kpis">
          <KPICard testId="kpi-total-spend" title="Total spend" loading={loading} rawValue={k?.total_spend_usd.value} value={formatCost(k?.total_spend_usd.value)} change={k?.total_spend_usd.change_pct} trend="inverse" />
          <KPICard
            testId="kpi-budget-remaining"
            title="Budget remaining"
            loading={loading}
            rawValue={k?.budget?.remaining_usd ?? null}
            value={k?.budget ? formatCost(k.budget.remaining_usd) : 'No budget'}
            hint={k?.budget ? `${formatPercent(k.budget.used_pct)} of ${formatCost(k.budget.monthly_limit_usd)} used this month` : 'Set a monthly budget below'}
          />
          <KPICard testId="kpi-cost-per-call" title="Avg cost per call" loading={loading} rawValue={k?.avg_cost_per_call_usd.value} value={formatCost(k?.avg_cost_per_call_usd.value)} change={k?.avg_cost_per_call_usd.change_pct} trend="inverse" />
          <KPICard testId="kpi-projected" title="Projected this month" loading={loading} rawValue={k?.month.projected_usd} value={formatCost(k?.month.projected_usd)} hint={k ? `${formatCost(k.month.to_date_usd)} so far at ${formatCost(k.month.run_rate_usd_per_day)}/day` : undefined} />
        </section>
      )}
      {k && k.unpriced_calls > 0 && (
        <p className="mt-2 text-xs text-muted-foreground" data-testid="cost-unpriced">
          {formatInteger(k.unpriced_calls)} of {formatInteger(k.calls)} calls used models without a price and are not counted.
        </p>
      )}
      <div className="mt-4">
        <BudgetCard />
      </div>
      <div className="mt-4 grid grid-cols-1 gap-4 xl:grid-cols-5">
        <div className="min-w-0 xl:col-span-3">
          <Suspense fallback={<ChartFallback testId="cost-trend-chart" height={340} />}>
            <CostTrendChart agent={agent} />
          </Suspense>
        </div>
        <div className="min-w-0 xl:col-span-2">
          <Suspense fallback={<ChartFallback testId="cost-by-model-chart" height={340} />}>
            <CostByModelChart agent={agent} />
          </Suspense>
        </div>
      </div>
      <div className="mt-4">
        <CostByModelTable agent={agent} />
      </div>
      <div className="mt-4">
        <InsightsFeed testId="cost-insights" limit={10} />
      </div>
    </div>
  )
}
