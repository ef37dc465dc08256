// The rule editor's preview: the metric over the last 7 days, the threshold, and the points
// where the rule would have fired. Its own chunk, like the other charts.
import { useMemo } from 'react'
import { CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts'
import { axisProps, ChartSummary, ERROR_COLOR, seriesColor, tooltipStyle, WARNING_COLOR } from '@/components/dashboard/chart'
import type { AlertRulePreview } from '@/api/types'
import { formatDateTime, formatNumber } from '@/lib/format'

export function AlertPreviewChart({ preview }: { preview: AlertRulePreview }) {
  // One line per group would crowd the chart: the preview shows the worst group per step.
  const rows = useMemo(() => {
    const byTime = new Map<string, { time: number; value: number | null; fires: number | null }>()
    const higher = preview.rule.operator.startsWith('>')
    for (const p of preview.points) {
      const cur = byTime.get(p.time) ?? { time: Date.parse(p.time), value: null, fires: null }
      if (p.value !== null && (cur.value === null || (higher ? p.value > cur.value : p.value < cur.value))) cur.value = p.value
      if (p.fires && p.value !== null) cur.fires = cur.fires === null ? p.value : higher ? Math.max(cur.fires, p.value) : Math.min(cur.fires, p.value)
      byTime.set(p.time, cur)
    }
    return [...byTime.values()].sort((a, b) => a.time - b.time)
  }, [preview])
  const fired = rows.filter((r) => r.fires !== null).length
  return (
    <div data-testid="rule-preview-chart" data-fired={fired}>
      <ChartSummary>{`${preview.rule.metric} over the last 7 days; the rule would have fired at ${fired} of ${rows.length} steps.`}</ChartSummary>
      <p className="mb-2 text-sm text-muted-foreground" data-testid="rule-preview-summary">
        Would have fired at {fired} of {rows.length} evaluations in the last 7 days.
      </p>
      <ResponsiveContainer width="100%" height={220}>
        <ComposedChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="time" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => new Date(v).toISOString().slice(5, 10)} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatNumber(v)} width={64} {...axisProps} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => formatDateTime(v as number)} formatter={(v, name) => [formatNumber(v as number), name]} />
          <ReferenceLine y={preview.rule.threshold} stroke={WARNING_COLOR} strokeDasharray="4 4" label={{ value: 'threshold', fill: 'var(--muted-foreground)', fontSize: 11, position: 'insideTopRight' }} />
          <Line type="monotone" dataKey="value" name={preview.rule.metric} stroke={seriesColor(0)} dot={false} strokeWidth={2} connectNulls={false} isAnimationActive={false} />
          <Scatter dataKey="fires" name="would fire" fill={ERROR_COLOR} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  )
}
