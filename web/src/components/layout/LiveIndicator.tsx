import { useLiveStatus } from '@/lib/useLive'
import type { LiveStatus } from '@/lib/live'
import { cn } from '@/lib/cn'

const LABEL = { live: 'Live', connecting: 'Connecting…', offline: 'Offline: reconnecting' } as const satisfies Record<Exclude<LiveStatus, 'idle'>, string>

/** LiveIndicator shows whether live updates are flowing, on pages that use them. */
export function LiveIndicator() {
  const status = useLiveStatus()
  // A page without live updates wants no socket: "reconnecting" there would be untrue.
  if (status === 'idle') return null
  return (
    <span
      className="hidden items-center gap-1.5 text-xs text-muted-foreground sm:inline-flex"
      data-testid="live-status"
      data-status={status}
      role="status"
      title={status === 'live' ? 'Updates arrive as traces are committed' : 'Live updates are not connected; pages still load normally'}
    >
      <span
        aria-hidden="true"
        className={cn('size-2 rounded-full', status === 'live' ? 'bg-success' : status === 'connecting' ? 'bg-warning' : 'bg-muted-foreground')}
      />
      {LABEL[status]}
    </span>
  )
}
