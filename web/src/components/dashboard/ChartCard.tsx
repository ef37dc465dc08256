import { useDeferredValue, type ReactNode } from 'react'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { cn } from '@/lib/cn'

interface ChartCardProps {
  title: string
  description?: ReactNode
  action?: ReactNode
  testId: string
  isLoading: boolean
  error: unknown
  onRetry?: () => void
  isEmpty: boolean
  emptyTitle?: string
  emptyDescription?: ReactNode
  /** Height of the plot area; skeletons and empty states keep it so the layout does not jump. */
  height?: number
  /** True while a new answer loads over the previous one. */
  isFetching?: boolean
  className?: string
  children: ReactNode
}

/** ChartCard frames a widget and owns its loading, error and empty states. */
export function ChartCard({
  title,
  description,
  action,
  testId,
  isLoading,
  error,
  onRetry,
  isEmpty,
  emptyTitle = 'No data in this period',
  emptyDescription = 'Try a longer time range or remove a filter.',
  height = 300,
  isFetching,
  className,
  children,
}: ChartCardProps) {
  let body: ReactNode
  if (isLoading) {
    body = <Skeleton data-testid={`${testId}-loading`} className="w-full" style={{ height }} />
  } else if (error) {
    body = <ErrorState error={error} onRetry={onRetry} testId={`${testId}-error`} className="w-full" />
  } else if (isEmpty) {
    body = <EmptyState title={emptyTitle} description={emptyDescription} testId={`${testId}-empty`} className="w-full" />
  } else {
    body = (
      <div data-testid={`${testId}-content`} className={cn('transition-opacity', isFetching && 'opacity-60')}>
        {children}
      </div>
    )
  }
  // Charts are the slowest thing to render: React draws them after the page's figures, in a
  // render that yields to input, instead of holding the KPIs back until they are done.
  const deferred = useDeferredValue(body, <Skeleton data-testid={`${testId}-loading`} className="w-full" style={{ height }} />)
  return (
    <Card data-testid={testId} aria-busy={isLoading || isFetching || undefined} className={cn('min-w-0', className)}>
      <CardHeader className="flex flex-wrap items-start justify-between gap-x-4 gap-y-2">
        <div className="grid min-w-0 gap-1">
          <CardTitle>{title}</CardTitle>
          {description && <CardDescription>{description}</CardDescription>}
        </div>
        {action && <div className="flex flex-wrap justify-end gap-2">{action}</div>}
      </CardHeader>
      <CardContent className="min-w-0">{deferred}</CardContent>
    </Card>
  )
}
