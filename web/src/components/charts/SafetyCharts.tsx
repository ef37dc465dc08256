// The Safety page's trend chart, in its own chunk so the page's figures show before the chart
// library has loaded.
import { useMemo } from 'react'
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { axisProps, ChartSummary, legendProps, seriesColor, tooltipStyle } from '@/components/dashboard/chart'
import type { ViolationStats } from '@/api/types'
import { bucketLabel, bucketTooltipLabel, formatInteger, formatNumber } from '@/lib/format'

/** ViolationTrend stacks the violations of each bucket by type. */
export function ViolationTrend({ stats, spanMs }: { stats: ViolationStats; spanMs: number }) {
  const { rows, types } = useMemo(() => {
    const types = [...new Set(stats.buckets.map((b) => b.type))].sort()
    const byBucket = new Map<string, Record<string, number | string>>()
    for (const b of stats.buckets) {
      const row = byBucket.get(b.bucket) ?? { timestamp: b.bucket }
      row[b.type] = b.count
      byBucket.set(b.bucket, row)
    }
    const rows = [...byBucket.values()].map((r) => {
      for (const t of types) r[t] ??= 0
      return r
    })
    return { rows, types }
  }, [stats])
  return (
    <>
      <ChartSummary>{`${formatInteger(stats.total)} violations: ${types.map((t) => `${t} ${formatInteger(stats.by_type[t])}`).join(', ')}.`}</ChartSummary>
      <ResponsiveContainer width="100%" height={280}>
        <AreaChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(stats.bucket, spanMs)} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatNumber(v)} width={48} allowDecimals={false} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(stats.bucket)(v as string)} formatter={(v, name) => [formatInteger(v as number), name]} />
          <Legend {...legendProps} />
          {types.map((t, i) => (
            <Area key={t} type="monotone" dataKey={t} name={t} stackId="1" stroke={seriesColor(i)} fill={seriesColor(i)} fillOpacity={0.35} isAnimationActive={false} />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </>
  )
}
