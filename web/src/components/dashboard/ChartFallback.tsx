import { Card, CardContent, CardHeader } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'

/** ChartFallback holds a chart's place while its code loads, at the chart's height. */
export function ChartFallback({ testId, height }: { testId: string; height: number }) {
  return (
    <Card data-testid={`${testId}-loading`} aria-busy="true" className="min-w-0">
      <CardHeader>
        <Skeleton className="h-5 w-40" />
      </CardHeader>
      <CardContent>
        <Skeleton className="w-full" style={{ height }} />
      </CardContent>
    </Card>
  )
}
