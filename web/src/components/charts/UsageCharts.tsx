// The charts of the Usage page, in their own chunk so the page's figures show before the chart
// library has loaded.
import { useMemo } from 'react'
import { CartesianGrid, Cell, Legend, Line, LineChart, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { GranularityTabs } from '@/components/dashboard/GranularityTabs'
import { axisProps, ChartSummary, legendProps, OTHER_COLOR, seriesColor, tooltipStyle } from '@/components/dashboard/chart'
import { useAgentDistribution, useCallsOverTime } from '@/api/queries'
import { bucketLabel, bucketTooltipLabel, formatInteger, formatNumber, formatPercent } from '@/lib/format'
import { rangeDurationMs, useTimeRange } from '@/lib/timerange'
import { useGranularity } from '@/lib/useGranularity'

export function CallsOverTime({ agent }: { agent: string | null }) {
  const { range, apiParams } = useTimeRange()
  const [granularity, options, setGranularity] = useGranularity(range)
  const q = useCallsOverTime({ ...apiParams, granularity, agent_id: agent })
  const d = q.data
  const rows = useMemo(() => (d?.buckets ?? []).map((b) => ({ timestamp: b.timestamp, ...b.by_agent, __other: b.other, __total: b.total })), [d])
  const total = rows.reduce((s, r) => s + r.__total, 0)
  const hasOther = rows.some((r) => r.__other > 0)
  return (
    <ChartCard
      title="API calls over time"
      description="Calls per bucket, one line per agent"
      testId="usage-calls-chart"
      action={<GranularityTabs value={granularity} options={options} onChange={setGranularity} />}
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={total === 0}
      isFetching={q.isFetching && !q.isPending}
      height={340}
    >
      <ChartSummary>{`${formatInteger(total)} calls across ${d?.agents.length ?? 0} agents.`}</ChartSummary>
      <ResponsiveContainer width="100%" height={340}>
        <LineChart data={rows} margin={{ left: 0, right: 8, top: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="timestamp" tickFormatter={bucketLabel(granularity, rangeDurationMs(range))} minTickGap={32} {...axisProps} />
          <YAxis tickFormatter={(v: number) => formatNumber(v)} width={48} {...axisProps} label={{ value: 'calls', angle: -90, position: 'insideLeft', fill: 'var(--muted-foreground)', fontSize: 12 }} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => bucketTooltipLabel(granularity)(v as string)} formatter={(v, name) => [formatInteger(v as number), name]} />
          <Legend {...legendProps} />
          {(d?.agents ?? []).map((a, i) => (
            <Line key={a} type="monotone" dataKey={a} name={a} stroke={seriesColor(i)} dot={false} strokeWidth={2} isAnimationActive={false} />
          ))}
          {hasOther && <Line type="monotone" dataKey="__other" name="other agents" stroke={OTHER_COLOR} dot={false} strokeDasharray="4 3" isAnimationActive={false} />}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

export function AgentDistributionChart({ agent }: { agent: string | null }) {
  const { apiParams } = useTimeRange()
  const q = useAgentDistribution({ ...apiParams, agent_id: agent })
  const d = q.data
  const agents = useMemo(() => d?.agents ?? [], [d])
  // Beyond eight slices a pie is unreadable: the tail becomes one "other" slice.
  const slices = useMemo(() => {
    const top = agents.slice(0, 8).map((a) => ({ name: a.agent_id, value: a.calls, share: a.share_pct }))
    const rest = agents.slice(8)
    if (rest.length > 0) {
      top.push({ name: 'other', value: rest.reduce((s, a) => s + a.calls, 0), share: rest.reduce((s, a) => s + a.share_pct, 0) })
    }
    return top
  }, [agents])
  return (
    <ChartCard
      title="Agent distribution"
      description="Share of calls per agent"
      testId="usage-agent-distribution"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={(d?.total_calls ?? 0) === 0}
      height={340}
    >
      <ChartSummary>{slices.map((s) => `${s.name}: ${formatPercent(s.share)}`).join(', ')}</ChartSummary>
      <ResponsiveContainer width="100%" height={340}>
        <PieChart>
          <Pie data={slices} dataKey="value" nameKey="name" cx="50%" cy="45%" innerRadius="45%" outerRadius="75%" paddingAngle={1} isAnimationActive={false}>
            {slices.map((s, i) => (
              <Cell key={s.name} fill={s.name === 'other' ? OTHER_COLOR : seriesColor(i)} stroke="var(--card)" />
            ))}
          </Pie>
          <Tooltip {...tooltipStyle} formatter={(v, name, item) => [`${formatInteger(v as number)} calls (${formatPercent((item.payload as { share: number }).share)})`, name]} />
          <Legend {...legendProps} />
        </PieChart>
      </ResponsiveContainer>
    </ChartCard>
  )
}

