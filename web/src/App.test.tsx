import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { safeNext } from '@/pages/SignIn'
import { jsonResponse, mockApi } from '@/test/utils'
import { renderApp } from '@/test/renderApp'
import { kpi, win } from '@/test/utils'

const me = {
  user: { id: 'u1', email: 'ada@example.com', name: 'Ada', created_at: '2026-11-01T00:00:00Z' },
  workspace: { id: 'w1', name: 'Acme', created_at: '2026-11-01T00:00:00Z' },
  role: 'owner',
  workspaces: [
    { workspace_id: 'w1', user_id: 'u1', role: 'owner', workspace_name: 'Acme' },
    { workspace_id: 'w2', user_id: 'u1', role: 'viewer', workspace_name: 'Beta' },
  ],
}
const session = { access_token: 'tok', token_type: 'Bearer', expires_in: 900, user: me.user, workspace_id: 'w1', role: 'owner' }
const home = { range: win, total_requests: kpi(1520, 1400, 8.57), avg_latency_ms: kpi(812.4, 790.1, 2.82), p95_latency_ms: kpi(2400, 2310, 3.87), total_cost_usd: kpi(12.34, 11.02, 11.98), success_rate_pct: kpi(96.12, 95.8, 0.33) }
const dashboardRoutes = {
  '/api/v1/auth/me': me,
  '/api/v1/metrics/home-kpis': home,
  '/api/v1/metrics/aggregations': { range: win, type: 'hourly', timezone: 'UTC', buckets: [] },
  '/api/v1/alerts/recent': { alerts: [] },
  '/api/v1/activity/stream': { activity: [] },
}

describe('App shell', () => {
  it('sends an anonymous visitor to sign in, then back where they were', async () => {
    const api = mockApi({
      'POST /api/v1/auth/refresh': jsonResponse({ status: 401, title: 'Unauthorized', detail: 'no session' }, 401),
      'POST /api/v1/auth/login': session,
      ...dashboardRoutes,
    })
    renderApp('/dashboard?range=7d')
    expect(await screen.findByTestId('signin-form')).toBeInTheDocument()
    await userEvent.type(screen.getByTestId('signin-email'), 'ada@example.com')
    await userEvent.type(screen.getByTestId('signin-password'), 'correct-horse')
    await userEvent.click(screen.getByTestId('signin-submit'))
    expect(await screen.findByTestId('kpi-requests-value')).toHaveTextContent('1.5k')
    expect(api.calls.find((c) => c.url.pathname === '/api/v1/auth/login')?.body).toEqual({ email: 'ada@example.com', password: 'correct-horse', cookie: true })
    const kpis = api.calls.find((c) => c.url.pathname === '/api/v1/metrics/home-kpis')
    expect(kpis?.url.searchParams.get('range')).toBe('7d')
    expect(screen.getByTestId('workspace-name')).toHaveTextContent('Acme')
  })

  it('restores a session from the refresh cookie and shows the navigation', async () => {
    mockApi({ 'POST /api/v1/auth/refresh': session, ...dashboardRoutes })
    renderApp('/dashboard')
    expect(await screen.findByTestId('kpi-success-rate-value')).toHaveTextContent('96.1%')
    for (const id of ['nav-home', 'nav-traces', 'nav-sessions', 'nav-usage', 'nav-cost', 'nav-performance', 'nav-quality']) {
      expect(screen.getAllByTestId(id)[0]).toBeInTheDocument()
    }
    expect(screen.getByTestId('kpi-avg-latency-trend')).toHaveAttribute('data-tone', 'up-bad')
  })

  it('shows a sign-in error and never redirects off-site', async () => {
    mockApi({
      'POST /api/v1/auth/refresh': jsonResponse({ status: 401, title: 'Unauthorized', detail: 'no session' }, 401),
      'POST /api/v1/auth/login': jsonResponse({ status: 401, title: 'Unauthorized', detail: 'wrong email or password' }, 401),
    })
    renderApp('/signin')
    await userEvent.type(await screen.findByTestId('signin-email'), 'ada@example.com')
    await userEvent.type(screen.getByTestId('signin-password'), 'nope-nope-nope')
    await userEvent.click(screen.getByTestId('signin-submit'))
    await waitFor(() => expect(screen.getByTestId('signin-error')).toHaveTextContent('wrong email or password'))
    expect(safeNext('//evil.example')).toBe('/dashboard')
    expect(safeNext('https://evil.example')).toBe('/dashboard')
    expect(safeNext('/dashboard/cost?range=7d')).toBe('/dashboard/cost?range=7d')
  })

  it('registers with the password rule checked first', async () => {
    const api = mockApi({
      'POST /api/v1/auth/refresh': jsonResponse({ status: 401, title: 'Unauthorized', detail: 'no session' }, 401),
      'POST /api/v1/auth/register': session,
      ...dashboardRoutes,
    })
    renderApp('/register')
    await userEvent.type(await screen.findByTestId('register-email'), 'ada@example.com')
    await userEvent.type(screen.getByTestId('register-password'), 'short')
    await waitFor(() => expect(screen.getByTestId('register-form')).toHaveAttribute('data-setup', 'not-required'))
    await userEvent.click(screen.getByTestId('register-submit'))
    expect(screen.getByTestId('register-error')).toHaveTextContent('at least 10 characters')
    await userEvent.type(screen.getByTestId('register-password'), '-and-longer')
    await userEvent.click(screen.getByTestId('register-submit'))
    expect(await screen.findByTestId('page-home')).toBeInTheDocument()
    expect(api.calls.find((c) => c.url.pathname === '/api/v1/auth/register')?.body).toEqual({ name: '', email: 'ada@example.com', password: 'short-and-longer', cookie: true })
    expect(screen.queryByTestId('register-setup-key')).not.toBeInTheDocument()
  })

  it('asks the first account for the setup key and sends it', async () => {
    const api = mockApi({
      'POST /api/v1/auth/refresh': jsonResponse({ status: 401, title: 'Unauthorized', detail: 'no session' }, 401),
      '/api/v1/auth/setup': { setup_required: true },
      'POST /api/v1/auth/register': session,
      ...dashboardRoutes,
    })
    renderApp('/register')
    await userEvent.type(await screen.findByTestId('register-email'), 'ada@example.com')
    await userEvent.type(screen.getByTestId('register-password'), 'correct horse battery')
    const key = await screen.findByTestId('register-setup-key')
    expect(screen.getByTestId('register-form')).toHaveAttribute('data-setup', 'required')
    expect(screen.getByTestId('register-submit')).toBeDisabled()
    await userEvent.type(key, ' aosetup_abc ')
    await userEvent.type(screen.getByTestId('register-workspace'), 'Acme')
    await userEvent.click(screen.getByTestId('register-submit'))
    expect(await screen.findByTestId('page-home')).toBeInTheDocument()
    expect(api.calls.find((c) => c.url.pathname === '/api/v1/auth/register')?.body).toEqual({
      name: '',
      email: 'ada@example.com',
      password: 'correct horse battery',
      workspace_name: 'Acme',
      setup_key: 'aosetup_abc',
      cookie: true,
    })
  })

  it('lets a user without a workspace create one and switch to it', async () => {
    const api = mockApi({
      'POST /api/v1/auth/refresh': { ...session, workspace_id: '' },
      '/api/v1/auth/me': (_u: URL, init?: RequestInit) =>
        (init?.headers as Record<string, string>).Authorization === 'Bearer tok2' ? me : { ...me, workspace: null, role: '', workspaces: [] },
      'POST /api/v1/workspaces': { id: 'w9', name: 'Acme support', created_at: '2026-11-25T00:00:00Z' },
      'POST /api/v1/auth/switch': { ...session, access_token: 'tok2', workspace_id: 'w9' },
      ...Object.fromEntries(Object.entries(dashboardRoutes).filter(([k]) => k !== '/api/v1/auth/me')),
    })
    renderApp('/dashboard')
    await userEvent.type(await screen.findByTestId('new-workspace-name'), 'Acme support')
    await userEvent.click(screen.getByTestId('create-workspace'))
    expect(await screen.findByTestId('kpi-requests-value')).toBeInTheDocument()
    expect(api.calls.find((c) => c.url.pathname === '/api/v1/workspaces')?.body).toEqual({ name: 'Acme support' })
    expect(api.calls.find((c) => c.url.pathname === '/api/v1/auth/switch')?.body).toEqual({ workspace_id: 'w9' })
  })
})
