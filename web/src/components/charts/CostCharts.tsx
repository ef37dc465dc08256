// The charts of the Cost page, in their own chunk so the page's figures show before the chart
// library has loaded.
import { useMemo, useState } from 'react'
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ToggleGroup, ToggleGroupItem } from '@/components/ui/toggle-group'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { GranularityTabs } from '@/components/dashboard/GranularityTabs'
import { axisProps, ChartSummary, legendProps, OTHER_COLOR, seriesColor, tooltipStyle } from '@/components/dashboard/chart'
import { EventList, eventLines } from '@/components/dashboard/EventLines'
import { markersFor, useChartEvents } from '@/components/dashboard/eventMarkers'
import { useCostByModel, useCostTrend } from '@/api/queries'
import { bucketLabel, bucketTooltipLabel, formatCost } from '@/lib/format'
import { rangeDurationMs, useTimeRange } from '@/lib/timerange'
import { useGranularity } from '@/lib/useGranularity'

export function CostTrendChart({ agent }: { agent: string | null }) {
  const { range, apiParams } = useTimeRange()
  const [granularity, options, setGranularity] = useGranularity(range)
  const [mode, setMode] = useState<'cumulative' | 'period'>('cumulative')
  const q = useCostTrend({ ...apiParams, granularity, agent_id: agent })
  const d = q.data
  const rows = useMemo(
    () =>
      (d?.buckets ?? []).map((b) =>
        mode === 'cumulative'
          ? { timestamp: b.timestamp, ...b.cumulative_by_model, __other: b.cumulative_other_usd }
          : { timestamp: b.timestamp, ...b.by_model, __other: b.other_usd },
      ),
    [d, mode],
  )
  const total = (d?.buckets ?? []).reduce((s, b) => s + b.total_usd, 0)
  const hasOther = (d?.buckets ?? []).some((b) => b.other_usd > 0)
  const markers = markersFor(useChartEvents(apiParams), (d?.buckets ?? []).map((b) => b.timestamp))
  return (
    <ChartCard
      title="Cost trend"
      description={mode === 'cumulative' ? 'Cumulative spend, stacked by model' : 'Spend per bucket, stacked by model'}
      testId="cost-trend-chart"
      action={
        <div className="flex flex-wrap justify-end gap-2">
          <ToggleGroup type="single" value={mode} onValueChange={(v) => v && setMode(v as 'cumulative' | 'period')} aria-label="Cost view">
            <ToggleGroupItem value="cumulative" data-testid="cost-mode-cumulative">Cumulative</ToggleGroupItem>
            <ToggleGroupItem value="period" data-testid="cost-mode-period">Per period</ToggleGroupItem>
          </ToggleGroup>
          <GranularityTabs value={granularity} options={options} onChange={setGranularity} />
        </div>
      }
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={total === 0}
      isFetching={q.isFetching && !q.isPending}
      height={340}
    >
      <ChartSummary>{`${formatCost(total)} across ${d?.models.length ?? 0} models.`}</ChartSummary>
      <EventList markers={markers} testId="cost-trend-chart-events" />
      <ResponsiveContainer width="100%" height={340}>
        <AreaChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(granularity, rangeDurationMs(range))} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatCost(v)} width={64} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(granularity)(v as string)} formatter={(v, name) => [formatCost(v as number), name]} />
          <Legend {...legendProps} />
          {(d?.models ?? []).map((m, i) => (
            <Area key={m} type="monotone" dataKey={m} name={m} stackId="1" stroke={seriesColor(i)} fill={seriesColor(i)} fillOpacity={0.5} isAnimationActive={false} />
          ))}
          {hasOther && <Area type="monotone" dataKey="__other" name="other models" stackId="1" stroke={OTHER_COLOR} fill={OTHER_COLOR} fillOpacity={0.4} isAnimationActive={false} />}
          {eventLines(markers)}
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

export function CostByModelChart({ agent }: { agent: string | null }) {
  const { apiParams } = useTimeRange()
  const q = useCostByModel({ ...apiParams, agent_id: agent })
  const models = q.data?.models ?? []
  const priced = models.filter((m) => m.cost_usd !== null && m.cost_usd > 0).slice(0, 12)
  const height = Math.max(160, priced.length * 34 + 40)
  return (
    <ChartCard
      title="Cost by model"
      description="Spend per model of an llm call"
      testId="cost-by-model-chart"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={priced.length === 0}
      emptyTitle="No priced model calls in this period"
      height={height}
    >
      <ChartSummary>{priced.map((m) => `${m.model}: ${formatCost(m.cost_usd)}`).join(', ')}</ChartSummary>
      {(
        <ResponsiveContainer width="100%" height={height}>
          <BarChart data={priced} layout="vertical" margin={{ left: 8, right: 16 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" tickFormatter={(v: number) => formatCost(v)} {...axisProps} />
            <YAxis dataKey="model" type="category" width={130} {...axisProps} tickFormatter={(v: string) => (v.length > 18 ? `${v.slice(0, 17)}…` : v)} />
            <Tooltip {...tooltipStyle} cursor={{ fill: 'var(--muted)' }} formatter={(v) => [formatCost(v as number), 'Cost']} />
            <Bar dataKey="cost_usd" name="Cost" fill={seriesColor(0)} radius={[0, 4, 4, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCard>
  )
}

