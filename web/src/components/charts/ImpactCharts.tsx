// The Impact page's chart, in its own chunk so the figures show before the chart library.
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { axisProps, seriesColor, SUCCESS_COLOR, tooltipStyle } from '@/components/dashboard/chart'
import type { ROI } from '@/api/insights'
import { formatCost } from '@/lib/format'

/** ValueVsCostChart sets the goals' value against LLM and infrastructure cost. */
export function ValueVsCostChart({ roi }: { roi: ROI }) {
  const rows = [
    { name: 'Value', usd: roi.value_usd, fill: SUCCESS_COLOR },
    { name: 'LLM cost', usd: roi.llm_cost_usd, fill: seriesColor(0) },
    { name: 'Infrastructure', usd: roi.infra_cost_usd, fill: seriesColor(1) },
  ]
  return (
    <div data-testid="impact-value-chart" style={{ height: 180 }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ left: 16, right: 16 }}>
          <CartesianGrid horizontal={false} strokeDasharray="3 3" />
          <XAxis type="number" {...axisProps} tickFormatter={(v: number) => formatCost(v)} />
          <YAxis type="category" dataKey="name" {...axisProps} width={100} />
          <Tooltip {...tooltipStyle} formatter={(v) => formatCost(Number(v))} />
          <Bar dataKey="usd" isAnimationActive={false}>
            {rows.map((r) => (
              <Cell key={r.name} fill={r.fill} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  )
}

export default ValueVsCostChart
