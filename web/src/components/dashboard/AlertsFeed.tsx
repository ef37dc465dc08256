import { AlertCircle, AlertTriangle, BellOff, Info } from 'lucide-react'
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
import { ScrollArea } from '@/components/ui/scroll-area'
import { Skeleton } from '@/components/ui/skeleton'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { useRecentAlerts } from '@/api/queries'
import type { AlertItem } from '@/api/types'
import { formatRelative } from '@/lib/format'

const icons = { critical: AlertCircle, warning: AlertTriangle, info: Info } as const

export function AlertRow({ alert }: { alert: AlertItem }) {
  const Icon = icons[alert.severity] ?? Info
  const variant = alert.severity === 'critical' ? 'destructive' : alert.severity === 'warning' ? 'warning' : 'default'
  return (
    <Alert variant={variant} data-testid="alert-item" data-severity={alert.severity}>
      <Icon aria-hidden="true" />
      <AlertTitle className="flex flex-wrap items-center gap-x-2">
        <span>{alert.title}</span>
        {alert.status === 'resolved' && <span className="text-xs font-normal text-muted-foreground">resolved</span>}
      </AlertTitle>
      <AlertDescription>
        {alert.description && <p>{alert.description}</p>}
        <p className="text-xs">
          {alert.agent_id && <span>{alert.agent_id} · </span>}
          <time dateTime={alert.triggered_at}>{formatRelative(alert.triggered_at)}</time>
        </p>
      </AlertDescription>
    </Alert>
  )
}

export function AlertsFeed() {
  const q = useRecentAlerts(10)
  const alerts = q.data?.alerts ?? []
  return (
    <Card data-testid="alerts-feed" className="min-w-0">
      <CardHeader>
        <CardTitle>Recent alerts</CardTitle>
      </CardHeader>
      <CardContent>
        {q.isPending ? (
          <div className="grid gap-2" data-testid="alerts-feed-loading">
            {Array.from({ length: 3 }, (_, i) => (
              <Skeleton key={i} className="h-16" />
            ))}
          </div>
        ) : q.isError ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="alerts-feed-error" />
        ) : alerts.length === 0 ? (
          <EmptyState
            testId="alerts-feed-empty"
            icon={<BellOff className="size-5" />}
            title="No recent alerts"
            description="Alerts appear here when an alert rule fires."
          />
        ) : (
          <ScrollArea className="h-[360px] pr-3">
            <div className="grid gap-2">
              {alerts.map((a) => (
                <AlertRow key={a.id} alert={a} />
              ))}
            </div>
          </ScrollArea>
        )}
      </CardContent>
    </Card>
  )
}
