import { Link, useParams, useSearchParams } from 'react-router'
import { ArrowLeft } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { StatusBadge } from '@/components/dashboard/StatusBadge'
import { FoldedText } from '@/components/trace/Content'
import { useSession } from '@/api/queries'
import { ApiError } from '@/lib/api'
import { formatCost, formatDateTime, formatDuration, formatInteger } from '@/lib/format'
import { rangeSearch } from '@/lib/timerange'

export default function SessionDetail() {
  const { sessionId = '' } = useParams()
  const [params] = useSearchParams()
  const q = useSession(sessionId)
  const search = rangeSearch(params)
  const back = (
    <Button variant="ghost" size="sm" asChild className="mb-3 -ml-2">
      <Link to={`/dashboard/sessions${search}`}>
        <ArrowLeft aria-hidden="true" /> Sessions
      </Link>
    </Button>
  )
  if (q.isPending) {
    return (
      <div className="grid gap-4" data-testid="session-loading">
        {back}
        <Skeleton className="h-32" />
        <Skeleton className="h-64" />
      </div>
    )
  }
  if (q.isError) {
    return (
      <div data-testid="page-session">
        {back}
        {q.error instanceof ApiError && q.error.status === 404 ? (
          <EmptyState testId="session-not-found" title="Session not found" description={`No session ${sessionId} in this workspace.`} />
        ) : (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="session-error" />
        )}
      </div>
    )
  }
  const s = q.data
  return (
    <div data-testid="page-session" className="grid min-w-0 gap-4">
      <div>
        {back}
        <Card className="gap-3">
          <CardHeader>
            <CardTitle>
              <h1 className="text-lg break-all">Session {s.session_id}</h1>
            </CardTitle>
            <p className="text-sm text-muted-foreground">
              User <EntityLink kind="user_id" value={s.user_id} /> · {formatDateTime(s.first_trace_at)} → {formatDateTime(s.last_trace_at)}
            </p>
          </CardHeader>
          <CardContent className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-5">
            <div><div className="text-xs text-muted-foreground">Traces</div><div className="font-semibold" data-testid="session-trace-count">{formatInteger(s.trace_count)}</div></div>
            <div><div className="text-xs text-muted-foreground">Errors</div><div className="font-semibold">{formatInteger(s.error_count)}</div></div>
            <div><div className="text-xs text-muted-foreground">Duration</div><div className="font-semibold">{formatDuration(s.duration_ms)}</div></div>
            <div><div className="text-xs text-muted-foreground">Tokens</div><div className="font-semibold">{formatInteger(s.tokens_total)}</div></div>
            <div><div className="text-xs text-muted-foreground">Cost</div><div className="font-semibold">{formatCost(s.cost_usd)}</div></div>
          </CardContent>
        </Card>
      </div>
      {s.truncated && (
        <Alert>
          <AlertDescription>Only the first {s.traces.length} traces of this session are shown.</AlertDescription>
        </Alert>
      )}
      <ol className="grid gap-3" data-testid="session-traces">
        {s.traces.map((t, i) => (
          <li key={t.trace_id} data-testid="session-trace">
            <Card className="gap-3 py-4">
              <CardHeader className="px-4">
                <div className="flex flex-wrap items-center gap-2 text-sm">
                  <span className="text-muted-foreground">#{i + 1}</span>
                  <Link to={`/dashboard/traces/${encodeURIComponent(t.trace_id)}${search}`} className="font-medium text-primary hover:underline" data-testid="session-trace-link">
                    {t.name || t.trace_id}
                  </Link>
                  <StatusBadge status={t.status} />
                  <span className="text-muted-foreground">
                    <EntityLink kind="agent_id" value={t.agent_id} /> · {formatDateTime(t.start_time)} · {formatDuration(t.latency_ms)} · {formatCost(t.cost_usd)}
                  </span>
                </div>
              </CardHeader>
              <CardContent className="grid gap-2 px-4">
                {t.input_preview && (
                  <div className="ml-6 rounded-lg border border-primary/25 bg-primary/10 p-3" data-role="user">
                    <div className="mb-1 text-xs font-semibold text-muted-foreground uppercase">Input</div>
                    <FoldedText text={t.input_preview} />
                  </div>
                )}
                {t.output_preview && (
                  <div className="mr-6 rounded-lg border bg-muted p-3" data-role="assistant">
                    <div className="mb-1 text-xs font-semibold text-muted-foreground uppercase">Output</div>
                    <FoldedText text={t.output_preview} />
                  </div>
                )}
              </CardContent>
            </Card>
          </li>
        ))}
      </ol>
    </div>
  )
}
