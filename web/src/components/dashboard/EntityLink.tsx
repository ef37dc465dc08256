import { Link, useSearchParams } from 'react-router'
import { cn } from '@/lib/cn'

type Entity = 'agent_id' | 'model' | 'user_id' | 'session_id'

const labels: Record<Entity, string> = {
  agent_id: 'agent',
  model: 'model',
  user_id: 'user',
  session_id: 'session',
}

/**
 * EntityLink shows an agent, model or user and, when clicked, opens the traces explorer
 * filtered on it, keeping the current time range.
 */
export function EntityLink({ kind, value, className }: { kind: Entity; value: string | null | undefined; className?: string }) {
  const [params] = useSearchParams()
  if (!value) return <span className="text-muted-foreground">—</span>
  const q = new URLSearchParams()
  for (const k of ['range', 'from', 'to']) {
    const v = params.get(k)
    if (v) q.set(k, v)
  }
  q.set(kind, value)
  return (
    <Link
      to={`/dashboard/traces?${q.toString()}`}
      data-testid={`filter-link-${kind}`}
      title={`Show traces of ${labels[kind]} ${value}`}
      className={cn('font-medium text-primary underline-offset-4 hover:underline', className)}
      onClick={(e) => e.stopPropagation()}
    >
      {value}
    </Link>
  )
}
