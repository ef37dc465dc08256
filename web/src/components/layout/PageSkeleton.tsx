import { Skeleton } from '@/components/ui/skeleton'

export function PageSkeleton({ full }: { full?: boolean }) {
  return (
    <div data-testid="page-loading" className={full ? 'grid min-h-dvh place-items-center p-6' : 'grid gap-4'} role="status" aria-label="Loading">
      {full ? (
        <Skeleton className="h-8 w-40" />
      ) : (
        <>
          <Skeleton className="h-8 w-48" />
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} className="h-28" />
            ))}
          </div>
          <Skeleton className="h-72" />
        </>
      )}
    </div>
  )
}
