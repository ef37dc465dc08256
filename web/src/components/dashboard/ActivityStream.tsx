import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { Activity } from 'lucide-react'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
import { Label } from '@/components/ui/label'
import { Skeleton } from '@/components/ui/skeleton'
import { Switch } from '@/components/ui/switch'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { StatusBadge } from '@/components/dashboard/StatusBadge'
import { useActivity } from '@/api/queries'
import type { ActivityItem } from '@/api/types'
import { formatCost, formatDateTime, formatDuration, formatRelative, truncate } from '@/lib/format'
import { rangeSearch } from '@/lib/timerange'

export function ActivityTable({ items }: { items: ActivityItem[] }) {
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const search = rangeSearch(params)
  return (
    <Table data-testid="activity-table">
      <TableHeader>
        <TableRow>
          <TableHead>Time</TableHead>
          <TableHead>Agent</TableHead>
          <TableHead>Action</TableHead>
          <TableHead>Status</TableHead>
          <TableHead className="text-right">Latency</TableHead>
          <TableHead className="text-right">Cost</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {items.map((a) => {
          const href = a.kind === 'trace' && a.trace_id ? `/dashboard/traces/${encodeURIComponent(a.trace_id)}${search}` : null
          return (
            <TableRow
              key={a.id}
              data-testid="activity-row"
              data-kind={a.kind}
              className={href ? 'cursor-pointer' : undefined}
              onClick={href ? () => navigate(href) : undefined}
            >
              <TableCell className="text-muted-foreground">
                <time dateTime={a.timestamp} title={formatDateTime(a.timestamp)}>
                  {formatRelative(a.timestamp)}
                </time>
              </TableCell>
              <TableCell>
                <EntityLink kind="agent_id" value={a.agent_id} />
              </TableCell>
              <TableCell className="max-w-[12rem] truncate" title={a.action}>
                {href ? (
                  <Link to={href} className="hover:underline" data-testid="activity-trace-link" onClick={(e) => e.stopPropagation()}>
                    {truncate(a.action, 40) || a.trace_id}
                  </Link>
                ) : (
                  <span>
                    <span className="mr-1 text-xs text-muted-foreground">{a.event_type || 'event'}:</span>
                    {truncate(a.action, 60)}
                  </span>
                )}
              </TableCell>
              <TableCell>
                <StatusBadge status={a.status} />
              </TableCell>
              <TableCell className="text-right tabular-nums">{a.latency_ms === null ? '' : formatDuration(a.latency_ms)}</TableCell>
              <TableCell className="text-right tabular-nums">{a.cost_usd === null ? '' : formatCost(a.cost_usd)}</TableCell>
            </TableRow>
          )
        })}
      </TableBody>
    </Table>
  )
}

export function ActivityStream() {
  const [live, setLive] = useState(true)
  const q = useActivity(50, live)
  const items = q.data?.activity ?? []
  return (
    <Card data-testid="activity-stream" className="min-w-0">
      <CardHeader className="flex flex-row items-center justify-between gap-2">
        <CardTitle>Recent activity</CardTitle>
        <div className="flex items-center gap-2">
          <Switch id="activity-live" checked={live} onCheckedChange={setLive} data-testid="activity-live" />
          <Label htmlFor="activity-live" className="text-xs font-normal text-muted-foreground">
            Refresh every 30 s
          </Label>
        </div>
      </CardHeader>
      <CardContent>
        {q.isPending ? (
          <div className="grid gap-2" data-testid="activity-stream-loading">
            {Array.from({ length: 6 }, (_, i) => (
              <Skeleton key={i} className="h-8" />
            ))}
          </div>
        ) : q.isError ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="activity-stream-error" />
        ) : items.length === 0 ? (
          <EmptyState
            testId="activity-stream-empty"
            icon={<Activity className="size-5" />}
            title="No activity yet"
            description="Send a trace with an SDK or POST /api/v1/traces and it shows up here."
          />
        ) : (
          // Focusable so keyboard users can scroll it.
          <div className="max-h-[28rem] overflow-y-auto" tabIndex={0} role="region" aria-label="Recent activity list" data-testid="activity-scroll">
            <ActivityTable items={items} />
          </div>
        )}
      </CardContent>
    </Card>
  )
}
