import { Badge } from '@/components/ui/badge'

const variants: Record<string, 'success' | 'destructive' | 'warning' | 'secondary'> = {
  success: 'success',
  error: 'destructive',
  timeout: 'warning',
  critical: 'destructive',
  warning: 'warning',
  info: 'secondary',
  healthy: 'success',
  degraded: 'warning',
}

/** StatusBadge colours a trace status, a severity or a health state consistently. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <Badge variant={variants[status] ?? 'secondary'} data-testid={testId}>
      {status || 'unknown'}
    </Badge>
  )
}
