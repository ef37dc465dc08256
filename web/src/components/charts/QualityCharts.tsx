// The Quality page's trend chart, in its own chunk so the page's figures show before the chart
// library has loaded.
import { useMemo } from 'react'
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { axisProps, ChartSummary, legendProps, seriesColor, tooltipStyle } from '@/components/dashboard/chart'
import type { QualityOverview } from '@/api/quality'
import { formatDateTime, formatNumber } from '@/lib/format'

/** trendRows pivots (bucket, agent, mean) points into one row per bucket with a key per agent. */
export function trendRows(trend: QualityOverview['trend']): { agents: string[]; rows: Record<string, number>[] } {
  const agents = [...new Set(trend.map((p) => p.agent_id || '(no agent)'))].sort()
  const byT = new Map<number, Record<string, number>>()
  for (const p of trend) {
    const row = byT.get(p.t) ?? { t: p.t }
    row[p.agent_id || '(no agent)'] = p.mean
    byT.set(p.t, row)
  }
  return { agents, rows: [...byT.values()].sort((a, b) => (a.t as number) - (b.t as number)) }
}

export function QualityTrendChart({ data, isLoading, error, onRetry }: { data?: QualityOverview; isLoading: boolean; error: unknown; onRetry: () => void }) {
  const { agents, rows } = useMemo(() => trendRows(data?.trend ?? []), [data])
  return (
    <ChartCard
      title="Quality trend"
      description="Mean overall judge score per bucket, by agent"
      testId="quality-trend-chart"
      isLoading={isLoading}
      error={error}
      onRetry={onRetry}
      isEmpty={rows.length === 0}
      emptyTitle="No evaluations in this period"
      emptyDescription="Evaluate a trace, or try a longer time range."
      height={300}
    >
      <ChartSummary>{`Quality trend of ${agents.length} agents over ${rows.length} buckets.`}</ChartSummary>
      <ResponsiveContainer width="100%" height={300}>
        <LineChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={(v: number) => formatDateTime(v)} minTickGap={48} {...axisProps} />
          <YAxis domain={[0, 100]} width={40} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => formatDateTime(v as number)} formatter={(v, name) => [formatNumber(v as number, { decimals: 1 }), name]} />
          <Legend {...legendProps} />
          {agents.map((a, i) => (
            <Line key={a} type="monotone" dataKey={a} name={a} stroke={seriesColor(i)} dot={rows.length < 30} strokeWidth={2} connectNulls isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}
