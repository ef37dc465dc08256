import { lazy, Suspense } from 'react'
import { Skeleton } from '@/components/ui/skeleton'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
import { ErrorState } from '@/components/dashboard/states'
import { useBillingHistory, useBillingPlan, type Limits } from '@/api/settings'
import { formatNumber } from '@/lib/format'

const PlanUsageChart = lazy(() => import('@/components/charts/PlanUsageChart'))

const rate = (r: number) => (r > 0 ? `${formatNumber(r)}/s` : 'unlimited')

function LimitRows({ l }: { l: Limits }) {
  return (
    <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm" data-testid="plan-limits">
      <dt className="text-muted-foreground">Per API key or user</dt>
      <dd>
        {rate(l.key_rate)}
        {l.key_rate > 0 && `, bursts of ${formatNumber(l.key_burst)}`}
      </dd>
      <dt className="text-muted-foreground">Whole workspace</dt>
      <dd>
        {rate(l.workspace_rate)}
        {l.workspace_rate > 0 && `, bursts of ${formatNumber(l.workspace_burst)}`}
      </dd>
    </dl>
  )
}

/**
 * UsageTab shows the limits in force and says plainly that a self-hosted server has no
 * billing: no invoices are invented. Its chart is the last 30 days of ingestion against the
 * plan's trace quota; the Usage page breaks volume down further.
 */
export function UsageTab({ admin }: { admin: boolean }) {
  const plan = useBillingPlan()
  const history = useBillingHistory(admin)
  if (plan.isPending) return <Skeleton className="h-48" data-testid="plan-loading" />
  if (plan.isError) return <ErrorState error={plan.error} onRetry={() => void plan.refetch()} testId="plan-error" />
  const p = plan.data
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <Card>
        <CardHeader>
          <CardTitle>Plan: {p.plan}</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-3">
          <LimitRows l={p.rate_limits} />
          <p className="text-sm text-muted-foreground" data-testid="plan-quota">
            Traces per month: {p.traces_per_month === null ? 'no limit on this server' : formatNumber(p.traces_per_month)}. Retention:{' '}
            {p.retention_days === null ? 'kept until you delete them' : `${p.retention_days} days`}.
          </p>
          <a className="text-sm text-primary underline-offset-4 hover:underline" href="/dashboard/usage?range=30d" data-testid="plan-usage-link">
            Ingestion volume over the last 30 days
          </a>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Billing</CardTitle>
        </CardHeader>
        <CardContent className="text-sm text-muted-foreground" data-testid="billing-state">
          {p.billing_provider === null
            ? 'Not configured: this server has no billing provider, so there are no invoices and no payment method.'
            : `Billed through ${p.billing_provider}.`}
          {admin && history.data && !history.data.configured && <span data-testid="billing-history-empty"> No billing history.</span>}
        </CardContent>
      </Card>
      <div className="md:col-span-2">
        <Suspense fallback={<ChartFallback testId="plan-usage-chart" height={260} />}>
          <PlanUsageChart tracesPerMonth={p.traces_per_month} />
        </Suspense>
      </div>
    </div>
  )
}
