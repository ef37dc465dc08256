import { Info, Minus, TrendingDown, TrendingUp } from 'lucide-react'
import { Badge } from '@/components/ui/badge'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Tooltip, TooltipContent, TooltipTrigger } from '@/components/ui/tooltip'
import { formatChange } from '@/lib/format'
import { cn } from '@/lib/cn'

export interface KPICardProps {
  title: string
  /** The formatted figure, e.g. "1.2k" or "$12.34". */
  value: string
  /** Percentage change against the previous period; null when there is nothing to compare. */
  change?: number | null
  changeLabel?: string
  /** inverse: lower is better (latency, cost, error rate); neutral: neither. */
  trend?: 'normal' | 'inverse' | 'neutral'
  loading?: boolean
  testId: string
  hint?: string
  /** The unformatted figure, exposed as data-value for tests and as a tooltip. */
  rawValue?: number | null
  className?: string
}

/** tone says whether a change is good news, bad news or neither, given which way is better. */
export function tone(change: number | null | undefined, trend: KPICardProps['trend'] = 'normal'): 'up-good' | 'up-bad' | 'down-good' | 'down-bad' | 'flat' {
  if (change === null || change === undefined || change === 0 || trend === 'neutral') return 'flat'
  const up = change > 0
  const good = trend === 'inverse' ? !up : up
  return `${up ? 'up' : 'down'}-${good ? 'good' : 'bad'}`
}

export function KPICard({ title, value, change, changeLabel = 'vs previous period', trend = 'normal', loading, testId, hint, rawValue, className }: KPICardProps) {
  const t = tone(change, trend)
  const good = t.endsWith('good')
  const up = t.startsWith('up')
  const Icon = t === 'flat' ? Minus : up ? TrendingUp : TrendingDown
  return (
    <Card data-testid={testId} className={cn('gap-2 transition-shadow hover:shadow-md', className)}>
      <CardHeader className="flex flex-row items-center justify-between gap-2">
        <CardTitle className="flex items-center gap-1 text-sm font-medium text-muted-foreground">
          {title}
          {hint && (
            <Tooltip>
              <TooltipTrigger asChild>
                <button type="button" className="cursor-help rounded-full text-muted-foreground/80 hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:outline-none" aria-label={hint} data-testid={`${testId}-hint`}>
                  <Info className="size-3.5" aria-hidden="true" />
                </button>
              </TooltipTrigger>
              <TooltipContent>{hint}</TooltipContent>
            </Tooltip>
          )}
        </CardTitle>
        {!loading && change !== undefined && (
          <Badge
            data-testid={`${testId}-trend`}
            data-tone={t}
            variant={t === 'flat' ? 'secondary' : good ? 'success' : 'destructive'}
            aria-label={change === null ? 'no previous data' : `${formatChange(change)} ${changeLabel}`}
          >
            <Icon aria-hidden="true" />
            {change === null ? 'new' : formatChange(change)}
          </Badge>
        )}
      </CardHeader>
      <CardContent>
        {loading ? (
          <Skeleton className="h-8 w-24" data-testid={`${testId}-loading`} />
        ) : (
          <div
            className="text-2xl font-bold tabular-nums sm:text-3xl"
            data-testid={`${testId}-value`}
            data-value={rawValue ?? undefined}
            title={rawValue !== undefined && rawValue !== null ? String(rawValue) : undefined}
          >
            {value}
          </div>
        )}
        {!loading && change !== undefined && (
          <p className="mt-1 text-xs text-muted-foreground">
            {change === null ? 'no data in the previous period' : changeLabel}
          </p>
        )}
      </CardContent>
    </Card>
  )
}
