// The Usage & plan tab's chart, in its own chunk so the plan's figures show before the chart
// library has loaded.
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { axisProps, legendProps, seriesColor, tooltipStyle } from '@/components/dashboard/chart'
import { useApi } from '@/api/queries'
import { bucketLabel, bucketTooltipLabel, formatInteger, formatNumber } from '@/lib/format'

/** BillingUsage mirrors httpapi.BillingUsage: ingestion per UTC day, every day listed. */
interface BillingUsage {
  days: { day: string; traces: number; spans: number; tokens: number }[]
  traces_per_month: number | null
}

const DAY_MS = 86_400_000

/**
 * PlanUsageChart shows traces, spans and tokens per day over the last 30 days against the plan: a
 * monthly trace quota becomes a daily reference line; without one it says there is none.
 */
export default function PlanUsageChart({ tracesPerMonth }: { tracesPerMonth: number | null }) {
  const q = useApi<BillingUsage>('/api/v1/billing/usage', { days: 30 })
  const rows = q.data?.days ?? []
  const traces = rows.reduce((s, b) => s + b.traces, 0)
  const spans = rows.reduce((s, b) => s + b.spans, 0)
  const tokens = rows.reduce((s, b) => s + b.tokens, 0)
  const perDay = tracesPerMonth === null ? null : tracesPerMonth / 30
  return (
    <ChartCard
      title="Ingestion per day"
      description={tracesPerMonth === null ? 'Traces, spans and tokens per UTC day over the last 30 days; this server sets no trace quota' : `Traces, spans and tokens per UTC day over the last 30 days, against ${formatInteger(tracesPerMonth)} traces a month`}
      testId="plan-usage-chart"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={traces === 0}
      emptyTitle="Nothing ingested in the last 30 days"
      emptyDescription="Send a trace with an SDK or OpenTelemetry; it shows here the same day."
      height={260}
    >
      <p className="mb-2 text-sm text-muted-foreground" data-testid="plan-usage-totals">
        {`${formatInteger(traces)} traces, ${formatInteger(spans)} spans and ${formatInteger(tokens)} tokens in 30 days`}
        {tracesPerMonth !== null && `, ${formatInteger(perDay ?? 0)} traces a day on average would use the monthly quota`}.
      </p>
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={bucketLabel('daily', 30 * DAY_MS)} minTickGap={24} {...axisProps} />
          <YAxis yAxisId="traces" tickFormatter={(v: number) => formatNumber(v)} width={48} {...axisProps} />
          <YAxis yAxisId="tokens" orientation="right" tickFormatter={(v: number) => formatNumber(v)} width={56} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel('daily')(v as string)} formatter={(v, name) => [formatInteger(v as number), name]} />
          <Legend {...legendProps} />
          <Bar yAxisId="traces" dataKey="traces" name="traces" fill={seriesColor(0)} isAnimationActive={false} />
          <Bar yAxisId="traces" dataKey="spans" name="spans" fill={seriesColor(2)} isAnimationActive={false} />
          <Line yAxisId="tokens" type="monotone" dataKey="tokens" name="tokens" stroke={seriesColor(1)} dot={false} strokeWidth={2} isAnimationActive={false} />
          {perDay !== null && <ReferenceLine yAxisId="traces" y={perDay} stroke="var(--destructive)" strokeDasharray="4 3" label={{ value: 'daily share of the quota', fontSize: 11 }} />}
        </ComposedChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}
