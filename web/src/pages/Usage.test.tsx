import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Usage from '@/pages/Usage'
import { agentDistribution, agents, callsOverTime, topUsers, usageOverview } from '@/test/fixtures'
import { jsonResponse, mockApi, renderAt } from '@/test/utils'

const routes = {
  '/api/v1/agents': agents,
  '/api/v1/usage/overview': usageOverview,
  '/api/v1/usage/calls-over-time': callsOverTime,
  '/api/v1/usage/agent-distribution': agentDistribution,
  '/api/v1/usage/top-users': topUsers,
}

describe('Usage page', () => {
  it('shows the four KPIs, the charts and the top users', async () => {
    mockApi(routes)
    renderAt(<Usage />, { url: '/dashboard/usage?range=7d' })
    expect(await screen.findByTestId('kpi-total-calls-value')).toHaveTextContent('1.5k')
    expect(screen.getByTestId('kpi-unique-users-value')).toHaveTextContent('210')
    expect(screen.getByTestId('kpi-active-agents-value')).toHaveTextContent('9')
    expect(screen.getByTestId('kpi-calls-per-user-value')).toHaveTextContent('7.2')
    expect(await screen.findByTestId('usage-calls-chart-content')).toBeInTheDocument()
    expect(await screen.findByTestId('usage-agent-distribution-content')).toBeInTheDocument()
    const rows = await screen.findAllByTestId('top-user-row')
    expect(rows[0]).toHaveTextContent('usr_1')
    expect(rows[0]).toHaveTextContent('+10.7%')
    expect(rows[1]).toHaveTextContent('new')
  })

  it('sends the window, time zone and granularity, and refetches on a granularity tab', async () => {
    const api = mockApi(routes)
    renderAt(<Usage />, { url: '/dashboard/usage?range=7d' })
    await screen.findByTestId('usage-calls-chart-content')
    const first = api.calls.find((c) => c.url.pathname === '/api/v1/usage/calls-over-time')
    expect(first?.url.searchParams.get('range')).toBe('7d')
    expect(first?.url.searchParams.get('tz')).toBe('UTC')
    expect(first?.url.searchParams.get('granularity')).toBe('hourly')
    await userEvent.click(screen.getByTestId('granularity-daily'))
    await waitFor(() => {
      const last = api.calls.filter((c) => c.url.pathname === '/api/v1/usage/calls-over-time').at(-1)
      expect(last?.url.searchParams.get('granularity')).toBe('daily')
    })
  })

  it('has empty and error states per widget', async () => {
    mockApi({
      ...routes,
      '/api/v1/usage/overview': jsonResponse({ status: 503, title: 'Service unavailable', detail: 'store is not reachable' }, 503),
      '/api/v1/usage/calls-over-time': { ...callsOverTime, buckets: callsOverTime.buckets.map((b) => ({ ...b, total: 0, by_agent: {}, other: 0 })) },
      '/api/v1/usage/top-users': { range: topUsers.range, users: [] },
    })
    renderAt(<Usage />, { url: '/dashboard/usage' })
    expect(await screen.findByTestId('usage-kpis-error')).toHaveTextContent('store is not reachable')
    expect(await screen.findByTestId('usage-calls-chart-empty')).toBeInTheDocument()
    expect(await screen.findByTestId('usage-top-users-empty')).toHaveTextContent('No users in this period')
  })
})
