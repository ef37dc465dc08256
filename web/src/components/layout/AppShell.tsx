import { Suspense } from 'react'
import { Navigate, Outlet, useLocation } from 'react-router'
import { Header } from '@/components/layout/Header'
import { Sidebar } from '@/components/layout/Sidebar'
import { NoWorkspace } from '@/components/layout/NoWorkspace'
import { PageSkeleton } from '@/components/layout/PageSkeleton'
import { useAuth } from '@/lib/auth'

/** AppShell is the signed-in frame: sidebar, header with the time range, and the page. */
export function AppShell() {
  const { status, me, meLoaded } = useAuth()
  const location = useLocation()
  if (status === 'loading') return <PageSkeleton full />
  if (status === 'anonymous') {
    const next = location.pathname + location.search
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />
  }
  if (meLoaded && !me?.workspace) return <NoWorkspace />
  return (
    <div className="flex min-h-dvh">
      <Sidebar />
      <div className="flex min-w-0 flex-1 flex-col">
        <Header />
        <main id="main" className="mx-auto w-full max-w-[1400px] min-w-0 flex-1 p-3 sm:p-6">
          <Suspense fallback={<PageSkeleton />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  )
}
