import { lazy, Suspense, useState } from 'react'
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { TooltipProvider } from '@/components/ui/tooltip'
import { AppShell } from '@/components/layout/AppShell'
import { PageSkeleton } from '@/components/layout/PageSkeleton'
import { AuthProvider } from '@/lib/auth'
import { newQueryClient } from '@/lib/queryClient'
import { ThemeProvider } from '@/lib/theme'

// Each page is its own chunk: the sign-in page does not download charts.
const pages = {
  signin: () => import('@/pages/SignIn'),
  register: () => import('@/pages/Register'),
  invite: () => import('@/pages/Invite'),
  home: () => import('@/pages/Home'),
  traces: () => import('@/pages/Traces'),
  trace: () => import('@/pages/TraceDetail'),
  sessions: () => import('@/pages/Sessions'),
  session: () => import('@/pages/SessionDetail'),
  usage: () => import('@/pages/Usage'),
  cost: () => import('@/pages/Cost'),
  performance: () => import('@/pages/Performance'),
  quality: () => import('@/pages/Quality'),
  safety: () => import('@/pages/Safety'),
  alerts: () => import('@/pages/Alerts'),
  impact: () => import('@/pages/Impact'),
  settings: () => import('@/pages/Settings'),
}
const SignIn = lazy(pages.signin)
const Register = lazy(pages.register)
const Invite = lazy(pages.invite)
const Home = lazy(pages.home)
const Traces = lazy(pages.traces)
const TraceDetail = lazy(pages.trace)
const Sessions = lazy(pages.sessions)
const SessionDetail = lazy(pages.session)
const Usage = lazy(pages.usage)
const Cost = lazy(pages.cost)
const Performance = lazy(pages.performance)
const Quality = lazy(pages.quality)
const Safety = lazy(pages.safety)
const Alerts = lazy(pages.alerts)
const Impact = lazy(pages.impact)
const Settings = lazy(pages.settings)
const NotFound = lazy(() => import('@/pages/NotFound'))

/**
 * preloadRoute starts downloading the chunk of the page at pathname, so it arrives while the
 * session is being restored instead of after.
 */
export function preloadRoute(pathname: string): void {
  const m = /^\/dashboard(?:\/(traces|sessions|usage|cost|performance|quality|safety|alerts|impact|settings)(\/[^/]+)?)?\/?$/.exec(pathname)
  let load: (() => Promise<unknown>) | undefined
  if (pathname === '/signin') load = pages.signin
  else if (pathname === '/register') load = pages.register
  else if (pathname.startsWith('/invite/')) load = pages.invite
  else if (m) {
    const [, section, detail] = m
    if (!section) load = pages.home
    else if (section === 'traces') load = detail ? pages.trace : pages.traces
    else if (section === 'sessions') load = detail ? pages.session : pages.sessions
    else load = pages[section as 'usage' | 'cost' | 'performance' | 'quality' | 'safety' | 'alerts' | 'impact' | 'settings']
  }
  void load?.().catch(() => {})
}

export function AppRoutes() {
  return (
    <Suspense fallback={<PageSkeleton full />}>
      <Routes>
        <Route path="/" element={<Navigate to="/dashboard" replace />} />
        <Route path="/signin" element={<SignIn />} />
        <Route path="/register" element={<Register />} />
        <Route path="/invite/:token" element={<Invite />} />
        <Route path="/dashboard" element={<AppShell />}>
          <Route index element={<Home />} />
          <Route path="traces" element={<Traces />} />
          <Route path="traces/:traceId" element={<TraceDetail />} />
          <Route path="sessions" element={<Sessions />} />
          <Route path="sessions/:sessionId" element={<SessionDetail />} />
          <Route path="usage" element={<Usage />} />
          <Route path="cost" element={<Cost />} />
          <Route path="performance" element={<Performance />} />
          <Route path="quality" element={<Quality />} />
          <Route path="safety" element={<Safety />} />
          <Route path="impact" element={<Impact />} />
          <Route path="alerts" element={<Alerts />} />
          <Route path="settings" element={<Settings />} />
          <Route path="*" element={<NotFound />} />
        </Route>
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  )
}

export function Providers({ client, children }: { client: QueryClient; children: React.ReactNode }) {
  return (
    <QueryClientProvider client={client}>
      <ThemeProvider>
        <TooltipProvider>
          <AuthProvider>{children}</AuthProvider>
        </TooltipProvider>
      </ThemeProvider>
    </QueryClientProvider>
  )
}

export function App() {
  const [client] = useState(newQueryClient)
  return (
    <Providers client={client}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </Providers>
  )
}
