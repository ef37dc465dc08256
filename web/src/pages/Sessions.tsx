import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { ChevronLeft, ChevronRight, MessagesSquare } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { AgentFilter } from '@/components/dashboard/AgentFilter'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { PageHeader } from '@/components/layout/PageHeader'
import { useSessions } from '@/api/queries'
import { formatCost, formatDateTime, formatDuration, formatInteger, formatNumber, formatRelative } from '@/lib/format'
import { rangeSearch, useTimeRange, windowOnly } from '@/lib/timerange'
import { useParam } from '@/lib/useGranularity'

const PAGE = 50

export default function Sessions() {
  const { apiParams } = useTimeRange()
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const [agent, setAgent] = useParam('agent_id')
  const user = params.get('user_id')
  const [offset, setOffset] = useState(0)
  const q = useSessions({ ...windowOnly(apiParams), agent_id: agent, user_id: user, limit: PAGE, offset })
  const search = rangeSearch(params)
  const data = q.data
  return (
    <div data-testid="page-sessions" className="min-w-0">
      <PageHeader
        title="Sessions"
        description="Conversations with activity in the selected time range, most recent first."
        actions={
          <AgentFilter
            value={agent}
            onChange={(a) => {
              setOffset(0)
              setAgent(a)
            }}
          />
        }
      />
      <Card className="min-w-0 gap-0 py-0">
        <CardContent className="px-0 sm:px-2">
          {q.isPending ? (
            <div className="grid gap-2 p-4" data-testid="sessions-loading">
              {Array.from({ length: 8 }, (_, i) => (
                <Skeleton key={i} className="h-9" />
              ))}
            </div>
          ) : q.isError ? (
            <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="sessions-error" className="m-4" />
          ) : data && data.sessions.length === 0 ? (
            <EmptyState
              className="m-4"
              testId="sessions-empty"
              icon={<MessagesSquare className="size-5" />}
              title="No sessions in this time range"
              description="Traces sent with a session_id are grouped into conversations here."
            />
          ) : data ? (
            <Table data-testid="sessions-table" className={q.isFetching ? 'opacity-60' : undefined}>
              <TableHeader>
                <TableRow>
                  <TableHead>Session</TableHead>
                  <TableHead>User</TableHead>
                  <TableHead>Agents</TableHead>
                  <TableHead className="text-right">Traces</TableHead>
                  <TableHead className="text-right">Errors</TableHead>
                  <TableHead className="text-right">Duration</TableHead>
                  <TableHead className="text-right">Tokens</TableHead>
                  <TableHead className="text-right">Cost</TableHead>
                  <TableHead>Last activity</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.sessions.map((s) => {
                  const href = `/dashboard/sessions/${encodeURIComponent(s.session_id)}${search}`
                  return (
                    <TableRow key={s.session_id} data-testid="session-row" className="cursor-pointer" onClick={() => navigate(href)}>
                      <TableCell className="max-w-[14rem] truncate">
                        <Link to={href} className="font-medium hover:underline" onClick={(e) => e.stopPropagation()} data-testid="session-link">
                          {s.session_id}
                        </Link>
                      </TableCell>
                      <TableCell><EntityLink kind="user_id" value={s.user_id} /></TableCell>
                      <TableCell className="max-w-[14rem] truncate">
                        {s.agent_ids.map((a, i) => (
                          <span key={a}>
                            {i > 0 && ', '}
                            <EntityLink kind="agent_id" value={a} />
                          </span>
                        ))}
                      </TableCell>
                      <TableCell className="text-right tabular-nums">{formatInteger(s.trace_count)}</TableCell>
                      <TableCell className="text-right tabular-nums">{s.error_count > 0 ? <span className="text-destructive">{s.error_count}</span> : 0}</TableCell>
                      <TableCell className="text-right tabular-nums">{formatDuration(s.duration_ms)}</TableCell>
                      <TableCell className="text-right tabular-nums">{formatNumber(s.tokens_total)}</TableCell>
                      <TableCell className="text-right tabular-nums">{formatCost(s.cost_usd)}</TableCell>
                      <TableCell className="text-muted-foreground">
                        <time dateTime={s.last_trace_at} title={formatDateTime(s.last_trace_at)}>{formatRelative(s.last_trace_at)}</time>
                      </TableCell>
                    </TableRow>
                  )
                })}
              </TableBody>
            </Table>
          ) : null}
        </CardContent>
      </Card>
      {data && data.total > 0 && (
        <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm">
          <span className="text-muted-foreground" data-testid="sessions-count">
            {formatInteger(offset + 1)}–{formatInteger(offset + data.sessions.length)} of {formatInteger(data.total)}
          </span>
          <div className="flex gap-2">
            <Button variant="outline" size="sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              <ChevronLeft aria-hidden="true" /> Previous
            </Button>
            <Button variant="outline" size="sm" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)} data-testid="sessions-next">
              Next <ChevronRight aria-hidden="true" />
            </Button>
          </div>
        </div>
      )}
    </div>
  )
}
