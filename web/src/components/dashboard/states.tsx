import type { ReactNode } from 'react'
import { AlertCircle, Inbox, RotateCw } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { errorMessage } from '@/lib/api'
import { cn } from '@/lib/cn'

/** ErrorState says what failed and offers to try again. */
export function ErrorState({
  error,
  onRetry,
  className,
  title = 'Could not load this',
  testId = 'error-state',
}: {
  error: unknown
  onRetry?: () => void
  className?: string
  title?: string
  testId?: string
}) {
  return (
    <div
      role="alert"
      data-testid={testId}
      className={cn('flex flex-col items-center justify-center gap-2 rounded-lg border border-dashed border-destructive/40 p-6 text-center', className)}
    >
      <AlertCircle className="size-5 text-destructive" aria-hidden="true" />
      <p className="text-sm font-medium">{title}</p>
      <p className="max-w-md text-sm break-words text-muted-foreground">{errorMessage(error)}</p>
      {onRetry && (
        <Button variant="outline" size="sm" onClick={onRetry}>
          <RotateCw aria-hidden="true" /> Try again
        </Button>
      )}
    </div>
  )
}

/** EmptyState explains why there is nothing to show and, when it helps, what to do. */
export function EmptyState({
  title,
  description,
  icon,
  action,
  className,
  testId = 'empty-state',
}: {
  title: string
  description?: ReactNode
  icon?: ReactNode
  action?: ReactNode
  className?: string
  testId?: string
}) {
  return (
    <div
      data-testid={testId}
      className={cn('flex flex-col items-center justify-center gap-2 rounded-lg border border-dashed p-6 text-center', className)}
    >
      <span className="text-muted-foreground" aria-hidden="true">
        {icon ?? <Inbox className="size-5" />}
      </span>
      <p className="text-sm font-medium">{title}</p>
      {description && <div className="max-w-md text-sm text-muted-foreground">{description}</div>}
      {action}
    </div>
  )
}
