import { useEffect, useMemo, useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { ArrowDown, ArrowUp, ArrowUpDown, ChevronLeft, ChevronRight, Search, X } from 'lucide-react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { ALL } from '@/components/dashboard/AgentFilter'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { StatusBadge } from '@/components/dashboard/StatusBadge'
import { PageHeader } from '@/components/layout/PageHeader'
import { useAgents, useTraces } from '@/api/queries'
import type { TraceListItem } from '@/api/types'
import type { Query } from '@/lib/api'
import { formatCost, formatDateTime, formatDuration, formatInteger, formatNumber, formatShortDateTime, truncate } from '@/lib/format'
import { rangeSearch, useTimeRange, windowOnly } from '@/lib/timerange'
import { useDebounced } from '@/lib/useDebounced'
import { useLiveChannel } from '@/lib/useLive'

/** Filters the explorer keeps in the URL, by the API's parameter names. */
export const MULTI_FILTERS = ['agent_id', 'model', 'provider', 'user_id', 'session_id', 'status', 'tag'] as const
export const BOUND_FILTERS = ['min_latency_ms', 'max_latency_ms', 'min_cost_usd', 'max_cost_usd'] as const
type SortKey = 'start_time' | 'latency_ms' | 'cost_usd'

const FILTER_LABELS: Record<string, string> = {
  agent_id: 'agent',
  model: 'model',
  provider: 'provider',
  user_id: 'user',
  session_id: 'session',
  status: 'status',
  tag: 'tag',
  min_latency_ms: 'latency ≥ (ms)',
  max_latency_ms: 'latency ≤ (ms)',
  min_cost_usd: 'cost ≥ ($)',
  max_cost_usd: 'cost ≤ ($)',
  q: 'search',
}

/** traceQuery turns the explorer's URL into the parameters of GET /api/v1/traces. */
export function traceQuery(params: URLSearchParams): Query {
  const q: Query = {}
  for (const k of MULTI_FILTERS) {
    const vs = params.getAll(k).filter(Boolean)
    if (vs.length > 0) q[k] = vs
  }
  for (const k of BOUND_FILTERS) {
    const v = params.get(k)
    if (v !== null && v !== '' && Number.isFinite(Number(v))) q[k] = v
  }
  const text = params.get('q')
  if (text) q.q = text.slice(0, 256)
  const sort = params.get('sort')
  if (sort === 'latency_ms' || sort === 'cost_usd') q.sort = sort
  if (params.get('order') === 'asc') q.order = 'asc'
  const limit = Number(params.get('limit'))
  if ([25, 50, 100].includes(limit)) q.limit = limit
  return q
}

function SortHeader({ label, sortKey, current, order, onSort, className }: { label: string; sortKey: SortKey; current: SortKey; order: 'asc' | 'desc'; onSort: (k: SortKey) => void; className?: string }) {
  const active = current === sortKey
  const Icon = !active ? ArrowUpDown : order === 'asc' ? ArrowUp : ArrowDown
  return (
    <TableHead aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'} className={className}>
      <button type="button" className="inline-flex cursor-pointer items-center gap-1 rounded-sm hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:outline-none" onClick={() => onSort(sortKey)} data-testid={`sort-${sortKey}`}>
        {label}
        <Icon className="size-3.5" aria-hidden="true" />
      </button>
    </TableHead>
  )
}

export function TraceTable({ traces, sort, order, onSort, search }: { traces: TraceListItem[]; sort: SortKey; order: 'asc' | 'desc'; onSort: (k: SortKey) => void; search: string }) {
  const navigate = useNavigate()
  return (
    <Table data-testid="traces-table">
      <TableHeader>
        <TableRow>
          <SortHeader label="Time" sortKey="start_time" current={sort} order={order} onSort={onSort} />
          <TableHead>Name</TableHead>
          <TableHead>Agent</TableHead>
          <TableHead>Model</TableHead>
          <TableHead>User</TableHead>
          <TableHead>Status</TableHead>
          <SortHeader label="Latency" sortKey="latency_ms" current={sort} order={order} onSort={onSort} className="text-right" />
          <TableHead className="hidden text-right 2xl:table-cell">Tokens</TableHead>
          <SortHeader label="Cost" sortKey="cost_usd" current={sort} order={order} onSort={onSort} className="text-right" />
          <TableHead className="hidden text-right 2xl:table-cell">Spans</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {traces.map((t) => {
          const href = `/dashboard/traces/${encodeURIComponent(t.trace_id)}${search}`
          return (
            <TableRow key={t.trace_id} data-testid="trace-row" data-trace-id={t.trace_id} className="cursor-pointer" onClick={() => navigate(href)}>
              <TableCell className="text-xs text-muted-foreground">
                <time dateTime={t.start_time} title={formatDateTime(t.start_time)}>
                  {formatShortDateTime(t.start_time)}
                </time>
              </TableCell>
              <TableCell className="max-w-[11rem]">
                <Link to={href} className="block truncate font-medium hover:underline" title={t.input_preview || t.name} onClick={(e) => e.stopPropagation()} data-testid="trace-link">
                  {t.name || t.trace_id}
                </Link>
                {t.input_preview && <span className="block truncate text-xs text-muted-foreground">{truncate(t.input_preview, 80)}</span>}
              </TableCell>
              <TableCell><EntityLink kind="agent_id" value={t.agent_id} /></TableCell>
              <TableCell className="max-w-[8rem]"><EntityLink kind="model" value={t.model} className="block truncate" /></TableCell>
              <TableCell className="max-w-[7rem]"><EntityLink kind="user_id" value={t.user_id} className="block truncate" /></TableCell>
              <TableCell><StatusBadge status={t.status} /></TableCell>
              <TableCell className="text-right tabular-nums">{formatDuration(t.latency_ms)}</TableCell>
              <TableCell className="hidden text-right tabular-nums 2xl:table-cell" title={formatInteger(t.tokens_total)}>{formatNumber(t.tokens_total)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatCost(t.cost_usd)}</TableCell>
              <TableCell className="hidden text-right tabular-nums 2xl:table-cell">
                {t.span_count}
                {t.error_span_count > 0 && <span className="text-destructive"> ({t.error_span_count}✕)</span>}
              </TableCell>
            </TableRow>
          )
        })}
      </TableBody>
    </Table>
  )
}

export default function Traces() {
  const [params, setParams] = useSearchParams()
  const { range, apiParams } = useTimeRange()
  const agents = useAgents()
  const [text, setText] = useState(params.get('q') ?? '')
  const debounced = useDebounced(text, 300)

  // Typing updates the URL once the user pauses, which starts a new search.
  useEffect(() => {
    if ((params.get('q') ?? '') === debounced) return
    setParams((prev) => {
      const p = new URLSearchParams(prev)
      if (debounced) p.set('q', debounced)
      else p.delete('q')
      return p
    }, { replace: true })
  }, [debounced, params, setParams])

  const filters = useMemo(() => traceQuery(params), [params])
  const filterKey = JSON.stringify([filters, apiParams])
  // Keyset pages: the cursors that led to the current page, reset when the filters change.
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [] })
  const cursors = pages.key === filterKey ? pages.cursors : []
  const cursor = cursors[cursors.length - 1]

  const query = useMemo(() => ({ ...windowOnly(apiParams), ...filters, cursor, limit: filters.limit ?? 50 }), [apiParams, filters, cursor])
  const q = useTraces(query)
  // New traces are announced, not inserted: the list a reader is looking at does not move
  // under them. The banner says how many arrived; clicking it shows them.
  const [fresh, setFresh] = useState(0)
  // A resync (messages may be lost) cannot say how many arrived, only that some may have.
  const [stale, setStale] = useState(false)
  useLiveChannel(
    'traces',
    (m) => (m ? setFresh((n) => n + ((m.data as { count?: number } | undefined)?.count ?? 0)) : setStale(true)),
    !cursor && range.key !== 'custom',
  )
  const showFresh = () => {
    setFresh(0)
    setStale(false)
    void q.refetch()
  }
  const sort = (filters.sort as SortKey | undefined) ?? 'start_time'
  const order = (filters.order as 'asc' | undefined) ?? 'desc'
  const limit = Number(query.limit)

  const update = (fn: (p: URLSearchParams) => void) =>
    setParams((prev) => {
      const p = new URLSearchParams(prev)
      fn(p)
      return p
    })
  const setSingle = (k: string, v: string | null) =>
    update((p) => {
      p.delete(k)
      if (v) p.set(k, v)
    })
  const onSort = (k: SortKey) =>
    update((p) => {
      if (sort === k) {
        p.set('order', order === 'desc' ? 'asc' : 'desc')
      } else {
        p.set('order', 'desc')
      }
      if (k === 'start_time') p.delete('sort')
      else p.set('sort', k)
    })

  const chips: { key: string; value: string }[] = []
  for (const k of [...MULTI_FILTERS, ...BOUND_FILTERS, 'q'] as const) {
    for (const v of params.getAll(k)) if (v) chips.push({ key: k, value: v })
  }
  const models = useMemo(() => {
    const set = new Set<string>()
    for (const a of agents.data?.agents ?? []) for (const m of a.models ?? []) if (m) set.add(m)
    return [...set].sort()
  }, [agents.data])
  const agentIds = (agents.data?.agents ?? []).map((a) => a.agent_id).sort()

  const data = q.data
  const start = cursors.length * limit
  const search = rangeSearch(params)

  return (
    <div data-testid="page-traces" className="min-w-0">
      <PageHeader title="Traces" description="Every agent run in the selected time range. Click a row to see its spans." />
      {(fresh > 0 || stale) && (
        <Button variant="secondary" size="sm" className="mb-3" onClick={showFresh} data-testid="traces-new-banner">
          {fresh === 0 ? 'New traces may have arrived' : fresh === 1 ? '1 new trace' : `${formatInteger(fresh)} new traces`}: show
        </Button>
      )}
      <Card className="mb-4 gap-3 py-4">
        <CardContent className="grid gap-3 px-4">
          <div className="flex flex-wrap items-center gap-2">
            <div className="relative min-w-[12rem] flex-1">
              <Search className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" aria-hidden="true" />
              <Input
                type="search"
                value={text}
                onChange={(e) => setText(e.target.value)}
                placeholder="Search name, input and output"
                aria-label="Search traces"
                className="pl-8"
                maxLength={256}
                data-testid="traces-search"
              />
            </div>
            <Select value={params.get('agent_id') ?? ALL} onValueChange={(v) => setSingle('agent_id', v === ALL ? null : v)}>
              <SelectTrigger data-testid="traces-filter-agent" aria-label="Agent" className="w-[10rem]">
                <SelectValue placeholder="All agents" />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>All agents</SelectItem>
                {agentIds.map((a) => (
                  <SelectItem key={a} value={a}>{a}</SelectItem>
                ))}
              </SelectContent>
            </Select>
            <Select value={params.get('model') ?? ALL} onValueChange={(v) => setSingle('model', v === ALL ? null : v)}>
              <SelectTrigger data-testid="traces-filter-model" aria-label="Model" className="w-[10rem]">
                <SelectValue placeholder="All models" />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>All models</SelectItem>
                {models.map((m) => (
                  <SelectItem key={m} value={m}>{m}</SelectItem>
                ))}
              </SelectContent>
            </Select>
            <Select value={params.get('status') ?? ALL} onValueChange={(v) => setSingle('status', v === ALL ? null : v)}>
              <SelectTrigger data-testid="traces-filter-status" aria-label="Status" className="w-[8.5rem]">
                <SelectValue placeholder="Any status" />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>Any status</SelectItem>
                <SelectItem value="success">success</SelectItem>
                <SelectItem value="error">error</SelectItem>
                <SelectItem value="timeout">timeout</SelectItem>
              </SelectContent>
            </Select>
            <Select value={params.get('min_latency_ms') ?? ALL} onValueChange={(v) => setSingle('min_latency_ms', v === ALL ? null : v)}>
              <SelectTrigger data-testid="traces-filter-latency" aria-label="Minimum latency" className="w-[9rem]">
                <SelectValue placeholder="Any latency" />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={ALL}>Any latency</SelectItem>
                <SelectItem value="1000">≥ 1 s</SelectItem>
                <SelectItem value="5000">≥ 5 s</SelectItem>
                <SelectItem value="10000">≥ 10 s</SelectItem>
                <SelectItem value="30000">≥ 30 s</SelectItem>
              </SelectContent>
            </Select>
          </div>
          {chips.length > 0 && (
            <div className="flex flex-wrap items-center gap-2" data-testid="traces-active-filters">
              {chips.map((c) => (
                <Badge key={`${c.key}=${c.value}`} variant="secondary" className="gap-1 py-1" data-testid={`filter-chip-${c.key}`}>
                  <span className="text-muted-foreground">{FILTER_LABELS[c.key] ?? c.key}:</span> {truncate(c.value, 40)}
                  <button
                    type="button"
                    aria-label={`Remove filter ${FILTER_LABELS[c.key] ?? c.key} ${c.value}`}
                    className="ml-0.5 cursor-pointer rounded-sm hover:text-foreground"
                    onClick={() => {
                      if (c.key === 'q') setText('')
                      update((p) => {
                        const rest = p.getAll(c.key).filter((v) => v !== c.value)
                        p.delete(c.key)
                        for (const v of rest) p.append(c.key, v)
                      })
                    }}
                  >
                    <X className="size-3" aria-hidden="true" />
                  </button>
                </Badge>
              ))}
              <Button
                variant="ghost"
                size="sm"
                data-testid="traces-clear-filters"
                onClick={() => {
                  setText('')
                  update((p) => {
                    for (const k of [...MULTI_FILTERS, ...BOUND_FILTERS, 'q']) p.delete(k)
                  })
                }}
              >
                Clear all
              </Button>
            </div>
          )}
        </CardContent>
      </Card>

      <Card className="min-w-0 gap-0 py-0">
        <CardContent className="px-0 sm:px-2">
          {q.isPending ? (
            <div className="grid gap-2 p-4" data-testid="traces-loading">
              {Array.from({ length: 8 }, (_, i) => (
                <Skeleton key={i} className="h-9" />
              ))}
            </div>
          ) : q.isError ? (
            <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="traces-error" className="m-4" />
          ) : data && data.traces.length === 0 ? (
            <EmptyState
              testId="traces-empty"
              className="m-4"
              title={chips.length > 0 ? 'No trace matches these filters' : 'No traces in this time range'}
              description={chips.length > 0 ? 'Remove a filter or widen the time range.' : 'Send traces with an SDK, or pick a longer time range.'}
            />
          ) : data ? (
            <div className={q.isFetching ? 'opacity-60 transition-opacity' : undefined}>
              <TraceTable traces={data.traces} sort={sort} order={order} onSort={onSort} search={search} />
            </div>
          ) : null}
        </CardContent>
      </Card>

      <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="text-muted-foreground" data-testid="traces-count">
          {data && data.traces.length > 0
            ? `${formatInteger(start + 1)}–${formatInteger(start + data.traces.length)} of ${formatInteger(data.total)}`
            : data
              ? `0 of ${formatInteger(data.total)}`
              : ''}
        </span>
        <div className="flex items-center gap-2">
          <Select value={String(limit)} onValueChange={(v) => setSingle('limit', v === '50' ? null : v)}>
            <SelectTrigger size="sm" aria-label="Rows per page" data-testid="traces-page-size" className="w-[7.5rem]">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="25">25 / page</SelectItem>
              <SelectItem value="50">50 / page</SelectItem>
              <SelectItem value="100">100 / page</SelectItem>
            </SelectContent>
          </Select>
          <Button variant="outline" size="sm" disabled={cursors.length === 0} onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })} data-testid="traces-prev">
            <ChevronLeft aria-hidden="true" /> Previous
          </Button>
          <Button
            variant="outline"
            size="sm"
            disabled={!data?.next_cursor || q.isFetching}
            onClick={() => data?.next_cursor && setPages({ key: filterKey, cursors: [...cursors, data.next_cursor] })}
            data-testid="traces-next"
          >
            Next <ChevronRight aria-hidden="true" />
          </Button>
        </div>
      </div>
    </div>
  )
}
