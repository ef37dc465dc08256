// A/B test result cards of the Quality page: per test, the primary metric's control and
// treatment values with the always-valid interval of the difference, guardrails, the
// sample-ratio check and the verdict (a winner only when significant).
import { Badge } from '@/components/ui/badge'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Progress } from '@/components/ui/progress'
import { Skeleton } from '@/components/ui/skeleton'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { useABTestResults, useABTests, type ABMetric, type ABMetricResult, type ABTest } from '@/api/quality'
import { formatCost, formatDuration, formatInteger, formatNumber, formatPercent } from '@/lib/format'

const METRIC_LABEL: Record<ABMetric, string> = {
  eval_score: 'Judge score',
  feedback: 'Thumbs up',
  success_rate: 'Success rate',
  latency: 'Latency',
  cost: 'Cost per call',
}

/** formatMetric shows a metric's value in its unit. */
export function formatMetric(metric: ABMetric, v: number): string {
  switch (metric) {
    case 'success_rate':
    case 'feedback':
      return formatPercent(v * 100)
    case 'latency':
      return formatDuration(v)
    case 'cost':
      return formatCost(v)
    default:
      return formatNumber(v, { decimals: 1 })
  }
}

/** formatDelta shows a difference: rates in percentage points, the rest in the metric's unit. */
export function formatDelta(metric: ABMetric, v: number): string {
  if (metric === 'success_rate' || metric === 'feedback') return `${formatNumber(v * 100, { decimals: 1 })} pp`
  return formatMetric(metric, v)
}

function MetricLine({ m }: { m: ABMetricResult }) {
  const sign = (v: number) => (v > 0 ? '+' : '')
  return (
    <div className="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid={`ab-metric-${m.metric}`}>
      <span className="font-medium">
        {METRIC_LABEL[m.metric]}
        {m.role === 'guardrail' && <span className="ml-1 text-xs text-muted-foreground">(guardrail)</span>}
      </span>
      <span className="tabular-nums text-muted-foreground">
        {formatMetric(m.metric, m.control)} → {formatMetric(m.metric, m.treatment)}
      </span>
      <span className="tabular-nums" data-testid="ab-interval">
        Δ {sign(m.delta)}
        {formatDelta(m.metric, m.delta)} [{formatDelta(m.metric, m.ci_low)}, {formatDelta(m.metric, m.ci_high)}]
      </span>
      <Badge variant={!m.significant ? 'secondary' : m.better ? 'success' : 'destructive'} data-testid="ab-significance">
        {m.significant ? `significant, p=${formatNumber(m.adjusted_p, { decimals: 3 })}` : 'not significant'}
      </Badge>
    </div>
  )
}

function ABTestCard({ test }: { test: ABTest }) {
  const q = useABTestResults(test.id)
  const r = q.data
  return (
    <Card data-testid="ab-test-card" data-test-id={test.id}>
      <CardHeader>
        <CardTitle className="flex flex-wrap items-center gap-2">
          {test.name}
          {r && (
            <>
              <Badge variant={r.srm.blocked ? 'destructive' : 'success'} data-testid="ab-srm" data-blocked={r.srm.blocked}>
                {r.srm.blocked ? 'Sample-ratio mismatch' : 'Split OK'}
              </Badge>
              <Badge variant={r.verdict === 'winner' ? 'success' : r.verdict === 'no_difference_yet' ? 'secondary' : 'destructive'} data-testid="ab-verdict" data-verdict={r.verdict}>
                {r.verdict === 'winner' ? `Winner: ${r.winner}` : r.verdict === 'no_difference_yet' ? 'No winner yet' : r.verdict === 'srm' ? 'No verdict' : 'Guardrail violated'}
              </Badge>
            </>
          )}
        </CardTitle>
        <CardDescription>
          {test.variants.map((v) => `${v.name} ${formatInteger(r?.units[v.name] ?? 0)} ${test.unit}s`).join(' vs ')} · primary {METRIC_LABEL[test.primary_metric]} · α {test.alpha}
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        {q.isPending && <Skeleton className="h-16 w-full" />}
        {q.isError && <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="ab-test-error" />}
        {r && (
          <>
            <p className="text-sm text-muted-foreground">{r.reason}</p>
            {r.arms.map((a) => (
              <div key={a.variant} className="grid gap-2">
                {r.arms.length > 1 && <p className="text-xs font-medium">{a.variant} vs {test.variants[0]?.name}</p>}
                {a.metrics.map((m) => (
                  <MetricLine key={m.metric} m={m} />
                ))}
              </div>
            ))}
            {r.sample_size_per_arm > 0 && (
              <div className="grid gap-1 text-xs text-muted-foreground">
                <span>
                  {formatInteger(r.sample_size_per_arm)} {test.unit}s per arm detect a {test.mde_pct}% change with 80% power
                </span>
                <Progress value={r.progress * 100} aria-label="Progress towards the planned sample size" />
              </div>
            )}
          </>
        )}
      </CardContent>
    </Card>
  )
}

export function ABTestCards() {
  const q = useABTests()
  if (q.isPending) return <Skeleton className="h-40 w-full" data-testid="ab-tests-loading" />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="ab-tests-error" />
  const tests = q.data.ab_tests
  if (tests.length === 0) {
    return <EmptyState title="No A/B tests" description="Start one with POST /api/v1/ab-tests; its results appear here." testId="ab-tests-empty" />
  }
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid="ab-tests">
      {tests.map((t) => (
        <ABTestCard key={t.id} test={t} />
      ))}
    </div>
  )
}
