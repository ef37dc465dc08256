// Shared chart styling: theme colours for series and a tooltip that matches the cards.
import type { ReactNode } from 'react'

const PALETTE = ['--chart-1', '--chart-2', '--chart-3', '--chart-4', '--chart-5', '--chart-6', '--chart-7', '--chart-8']

/** seriesColor gives series i a theme colour; "other" is always the neutral last one. */
export function seriesColor(i: number): string {
  return `var(${PALETTE[i % (PALETTE.length - 1)]})`
}
export const OTHER_COLOR = 'var(--chart-8)'
export const SUCCESS_COLOR = 'var(--success)'
export const ERROR_COLOR = 'var(--destructive)'
export const WARNING_COLOR = 'var(--warning)'

export const axisProps = {
  stroke: 'var(--border)',
  tick: { fontSize: 12, fill: 'var(--muted-foreground)' },
  tickLine: false,
} as const

export const tooltipStyle = {
  contentStyle: {
    background: 'var(--popover)',
    color: 'var(--popover-foreground)',
    border: '1px solid var(--border)',
    borderRadius: 8,
    fontSize: 12,
  },
  labelStyle: { color: 'var(--popover-foreground)', fontWeight: 600, marginBottom: 4 },
  itemStyle: { color: 'var(--popover-foreground)', padding: 0 },
  cursor: { stroke: 'var(--muted-foreground)', strokeOpacity: 0.3 },
} as const

export const legendProps = {
  wrapperStyle: { fontSize: 12, paddingTop: 8 },
  iconSize: 10,
} as const

/** A screen-reader summary placed next to a chart, since an SVG says nothing by itself. */
export function ChartSummary({ children }: { children: ReactNode }) {
  return <p className="sr-only">{children}</p>
}
