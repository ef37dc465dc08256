import { Area, AreaChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { axisProps, ChartSummary, ERROR_COLOR, seriesColor, tooltipStyle, WARNING_COLOR } from '@/components/dashboard/chart'
import { markersFor, useChartEvents } from '@/components/dashboard/eventMarkers'
import { useApi } from '@/api/queries'
import { rangeDurationMs, useTimeRange } from '@/lib/timerange'
import { bucketLabel, bucketTooltipLabel, formatNumber } from '@/lib/format'

interface Aggregations {
  type: string
  buckets: { timestamp: string; requests: number; errors: number; timeouts: number; cost_usd: number }[]
}

export default function RequestsChart() {
  const { range, apiParams } = useTimeRange()
  const q = useApi<Aggregations>('/api/v1/metrics/aggregations', apiParams, { placeholderData: (p) => p })
  const buckets = q.data?.buckets ?? []
  const total = buckets.reduce((s, b) => s + b.requests, 0)
  const markers = markersFor(useChartEvents(apiParams), buckets.map((b) => b.timestamp))
  return (
    <ChartCard
      title="Requests"
      description="Agent runs per bucket"
      testId="home-requests-chart"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={total === 0}
      isFetching={q.isFetching && !q.isPending}
      height={220}
    >
      <ChartSummary>{`${formatNumber(total)} requests in ${buckets.length} buckets.`}</ChartSummary>
      {markers.length > 0 && (
        <ul className="sr-only" data-testid="home-requests-chart-events">
          {markers.flatMap((m) => m.events.map((e) => <li key={e.id}>{`${e.type}: ${e.title}`}</li>))}
        </ul>
      )}
      <ResponsiveContainer width="100%" height={220}>
        <AreaChart data={buckets} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(q.data?.type, rangeDurationMs(range))} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatNumber(v)} width={48} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(q.data?.type)(v as string)} formatter={(v) => [formatNumber(v as number), 'Requests']} />
          {markers.map((m) => (
            <ReferenceLine
              key={m.x}
              x={m.x}
              stroke={m.events.some((e) => e.type === 'incident') ? ERROR_COLOR : WARNING_COLOR}
              strokeDasharray="4 3"
              label={{ value: m.events.map((e) => e.title).join(', '), position: 'insideTopLeft', fontSize: 11, fill: 'var(--muted-foreground)' }}
            />
          ))}
          <Area type="monotone" dataKey="requests" name="Requests" stroke={seriesColor(0)} fill={seriesColor(0)} fillOpacity={0.2} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

