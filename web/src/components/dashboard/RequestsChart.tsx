import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { axisProps, ChartSummary, seriesColor, tooltipStyle } from '@/components/dashboard/chart'
import { EventList, eventLines } from '@/components/dashboard/EventLines'
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
      <EventList markers={markers} testId="home-requests-chart-events" />
      <ResponsiveContainer width="100%" height={220}>
        <AreaChart data={buckets} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(q.data?.type, rangeDurationMs(range))} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatNumber(v)} width={48} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(q.data?.type)(v as string)} formatter={(v) => [formatNumber(v as number), 'Requests']} />
          {eventLines(markers)}
          <Area type="monotone" dataKey="requests" name="Requests" stroke={seriesColor(0)} fill={seriesColor(0)} fillOpacity={0.2} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

