// The charts of the Performance page, in their own chunk so the page's figures show before the
// chart library has loaded.
import { useMemo } from 'react'
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { GranularityTabs } from '@/components/dashboard/GranularityTabs'
import { axisProps, ChartSummary, ERROR_COLOR, legendProps, seriesColor, SUCCESS_COLOR, tooltipStyle, WARNING_COLOR } from '@/components/dashboard/chart'
import { useLatency, useThroughput } from '@/api/queries'
import type { Thresholds } from '@/api/types'
import { bucketLabel, bucketTooltipLabel, formatDuration, formatInteger, formatNumber } from '@/lib/format'
import { rangeDurationMs, useTimeRange } from '@/lib/timerange'
import { useGranularity } from '@/lib/useGranularity'

export function LatencyChart({ agent, thresholds }: { agent: string | null; thresholds?: Thresholds }) {
  const { range, apiParams } = useTimeRange()
  const [granularity, options, setGranularity] = useGranularity(range)
  const q = useLatency({ ...apiParams, granularity, agent_id: agent })
  const buckets = useMemo(() => q.data?.buckets ?? [], [q.data])
  const requests = buckets.reduce((s, b) => s + b.requests, 0)
  // Buckets without requests have zeros, which would read as "instant"; leave gaps instead.
  const rows = useMemo(() => buckets.map((b) => (b.requests > 0 ? b : { timestamp: b.timestamp, requests: 0 })), [buckets])
  return (
    <ChartCard
      title="Latency percentiles"
      description="P50, P95 and P99 of trace latency per bucket"
      testId="perf-latency-chart"
      action={<GranularityTabs value={granularity} options={options} onChange={setGranularity} />}
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={requests === 0}
      isFetching={q.isFetching && !q.isPending}
      height={340}
    >
      <ChartSummary>{`Latency percentiles over ${formatInteger(requests)} requests.`}</ChartSummary>
      <ResponsiveContainer width="100%" height={340}>
        <LineChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(granularity, rangeDurationMs(range))} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatDuration(v)} width={64} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(granularity)(v as string)} formatter={(v, name) => [formatDuration(v as number), name]} />
          <Legend {...legendProps} />
          {thresholds && <ReferenceLine y={thresholds.degraded_p95_ms} stroke={WARNING_COLOR} strokeDasharray="4 4" label={{ value: 'P95 degraded', fill: 'var(--muted-foreground)', fontSize: 11, position: 'insideTopRight' }} />}
          <Line type="monotone" dataKey="p50_ms" name="P50" stroke={seriesColor(0)} dot={false} strokeWidth={2} connectNulls={false} isAnimationActive={false} />
          <Line type="monotone" dataKey="p95_ms" name="P95" stroke={seriesColor(1)} dot={false} strokeWidth={2} connectNulls={false} isAnimationActive={false} />
          <Line type="monotone" dataKey="p99_ms" name="P99" stroke={seriesColor(2)} dot={false} strokeWidth={2} connectNulls={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

export function ThroughputChart({ agent }: { agent: string | null }) {
  const { range, apiParams } = useTimeRange()
  const [granularity, options, setGranularity] = useGranularity(range)
  const q = useThroughput({ ...apiParams, granularity, agent_id: agent })
  const buckets = useMemo(() => q.data?.buckets ?? [], [q.data])
  const requests = buckets.reduce((s, b) => s + b.requests, 0)
  // Requests per second split by outcome, so the stack adds up to the total rate.
  const rows = useMemo(
    () =>
      buckets.map((b) => {
        const per = b.requests > 0 ? b.requests_per_second / b.requests : 0
        return { timestamp: b.timestamp, success: b.success * per, errors: (b.errors + b.timeouts) * per, error_rate_pct: b.error_rate_pct }
      }),
    [buckets],
  )
  const fmt = (v: number) => `${formatNumber(v, { decimals: v < 1 ? 3 : 2 })}/s`
  return (
    <ChartCard
      title="Throughput"
      description="Requests per second, successes and failures (errors and timeouts)"
      testId="perf-throughput-chart"
      action={<GranularityTabs value={granularity} options={options} onChange={setGranularity} />}
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={requests === 0}
      isFetching={q.isFetching && !q.isPending}
      height={340}
    >
      <ChartSummary>{`${formatInteger(requests)} requests in the period.`}</ChartSummary>
      <ResponsiveContainer width="100%" height={340}>
        <AreaChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(granularity, rangeDurationMs(range))} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => fmt(v)} width={64} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(granularity)(v as string)} formatter={(v, name) => [fmt(v as number), name]} />
          <Legend {...legendProps} />
          <Area type="monotone" dataKey="success" name="Success" stackId="1" stroke={SUCCESS_COLOR} fill={SUCCESS_COLOR} fillOpacity={0.35} isAnimationActive={false} />
          <Area type="monotone" dataKey="errors" name="Errors + timeouts" stackId="1" stroke={ERROR_COLOR} fill={ERROR_COLOR} fillOpacity={0.5} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

