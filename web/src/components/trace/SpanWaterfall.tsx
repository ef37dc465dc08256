import { useMemo, useState } from 'react'
import { Bot, Brain, ChevronDown, ChevronRight, Database, Link2, type LucideIcon, Shield, Sparkles, Wrench, Zap } from 'lucide-react'
import type { Span, SpanKind } from '@/api/types'
import { formatDuration } from '@/lib/format'
import { cn } from '@/lib/cn'

export const KIND_ICON: Record<SpanKind, LucideIcon> = {
  agent: Bot,
  llm: Brain,
  tool: Wrench,
  retrieval: Database,
  chain: Link2,
  embedding: Sparkles,
  guardrail: Shield,
  event: Zap,
}

const KIND_COLOR: Record<SpanKind, string> = {
  agent: 'bg-chart-1',
  llm: 'bg-chart-2',
  tool: 'bg-chart-3',
  retrieval: 'bg-chart-5',
  chain: 'bg-chart-4',
  embedding: 'bg-chart-5',
  guardrail: 'bg-chart-4',
  event: 'bg-muted-foreground',
}

export interface FlatSpan {
  span: Span
  depth: number
  hasChildren: boolean
}

/** flattenSpans walks the tree depth first, skipping the children of collapsed spans. */
export function flattenSpans(roots: Span[], collapsed: ReadonlySet<string> = new Set()): FlatSpan[] {
  const out: FlatSpan[] = []
  const walk = (list: Span[], depth: number) => {
    for (const s of list) {
      const kids = s.children ?? []
      out.push({ span: s, depth, hasChildren: kids.length > 0 })
      if (!collapsed.has(s.span_id)) walk(kids, depth + 1)
    }
  }
  walk(roots, 0)
  return out
}

/** timeBounds is the earliest start and latest end over every span of the tree. */
export function timeBounds(roots: Span[], fallbackStart: string, fallbackMs: number): { start: number; total: number } {
  let start = Infinity
  let end = -Infinity
  for (const { span } of flattenSpans(roots)) {
    const s = new Date(span.start_time).getTime()
    const e = span.end_time ? new Date(span.end_time).getTime() : s + span.latency_ms
    if (Number.isFinite(s)) start = Math.min(start, s)
    if (Number.isFinite(e)) end = Math.max(end, e, s + span.latency_ms)
  }
  if (!Number.isFinite(start)) {
    start = new Date(fallbackStart).getTime()
    end = start + fallbackMs
  }
  return { start, total: Math.max(1, end - start) }
}

interface Props {
  spans: Span[]
  traceStart: string
  traceLatencyMs: number
  selectedId: string | null
  onSelect: (span: Span) => void
}

/** SpanWaterfall shows the span tree with each span's timing as a bar on the trace's timeline. */
export function SpanWaterfall({ spans, traceStart, traceLatencyMs, selectedId, onSelect }: Props) {
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set())
  const rows = useMemo(() => flattenSpans(spans, collapsed), [spans, collapsed])
  const { start, total } = useMemo(() => timeBounds(spans, traceStart, traceLatencyMs), [spans, traceStart, traceLatencyMs])
  const toggle = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev)
      if (next.has(id)) next.delete(id)
      else next.add(id)
      return next
    })

  return (
    <div data-testid="span-tree" role="tree" aria-label="Spans" className="grid text-sm">
      <div className="hidden grid-cols-[minmax(0,2fr)_minmax(0,3fr)] gap-3 border-b px-2 pb-2 text-xs text-muted-foreground md:grid" aria-hidden="true">
        <span>Span</span>
        <span className="flex justify-between">
          <span>0 ms</span>
          <span>{formatDuration(total / 2)}</span>
          <span>{formatDuration(total)}</span>
        </span>
      </div>
      {rows.map(({ span, depth, hasChildren }) => {
        const s = new Date(span.start_time).getTime()
        const left = Number.isFinite(s) ? ((s - start) / total) * 100 : 0
        const width = Math.max(0.5, (span.latency_ms / total) * 100)
        const Icon = KIND_ICON[span.kind] ?? Zap
        const failed = span.status === 'error' || span.status === 'timeout'
        const selected = span.span_id === selectedId
        return (
          <div
            key={span.span_id}
            role="treeitem"
            aria-level={depth + 1}
            aria-selected={selected}
            aria-expanded={hasChildren ? !collapsed.has(span.span_id) : undefined}
            data-testid="span-row"
            data-span-id={span.span_id}
            data-depth={depth}
            className={cn(
              'grid grid-cols-1 items-center gap-x-3 gap-y-1 rounded-md border-l-2 border-transparent px-2 py-1.5 md:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]',
              selected ? 'border-l-primary bg-primary/10' : 'hover:bg-muted/60',
            )}
          >
            <div className="flex min-w-0 items-center gap-1" style={{ paddingLeft: `${Math.min(depth, 12) * 14}px` }}>
              {hasChildren ? (
                <button
                  type="button"
                  className="grid size-5 shrink-0 cursor-pointer place-items-center rounded-sm hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:outline-none"
                  aria-label={collapsed.has(span.span_id) ? `Expand ${span.name}` : `Collapse ${span.name}`}
                  onClick={() => toggle(span.span_id)}
                >
                  {collapsed.has(span.span_id) ? <ChevronRight className="size-3.5" /> : <ChevronDown className="size-3.5" />}
                </button>
              ) : (
                <span className="size-5 shrink-0" />
              )}
              <button
                type="button"
                onClick={() => onSelect(span)}
                data-testid="span-select"
                className="flex min-w-0 flex-1 cursor-pointer items-center gap-2 rounded-sm text-left focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:outline-none"
              >
                <Icon className={cn('size-4 shrink-0', failed ? 'text-destructive' : 'text-muted-foreground')} aria-hidden="true" />
                <span className="truncate font-medium" title={span.name}>
                  {span.name || span.span_id}
                </span>
                <span className="shrink-0 text-xs text-muted-foreground">{span.kind}</span>
                {span.model && <span className="hidden shrink-0 truncate text-xs text-muted-foreground xl:inline">{span.model}</span>}
                {failed && <span className="shrink-0 text-xs font-medium text-destructive">{span.status}</span>}
              </button>
            </div>
            <div className="flex items-center gap-2">
              <div className="relative h-4 min-w-0 flex-1 rounded-sm bg-muted/50" aria-hidden="true">
                <div
                  className={cn('absolute top-0.5 h-3 rounded-sm', failed ? 'bg-destructive' : KIND_COLOR[span.kind] ?? 'bg-primary')}
                  style={{ left: `${Math.min(left, 99.5)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.5))}%` }}
                />
              </div>
              <span className="w-16 shrink-0 text-right text-xs text-muted-foreground tabular-nums">{formatDuration(span.latency_ms)}</span>
            </div>
          </div>
        )
      })}
    </div>
  )
}
