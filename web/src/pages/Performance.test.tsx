import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Performance, { healthOf } from '@/pages/Performance'
import { agents, errors, latency, perfOverview, throughput } from '@/test/fixtures'
import { mockApi, renderAt } from '@/test/utils'

const routes = (health: 'healthy' | 'degraded' | 'critical') => ({
  '/api/v1/agents': agents,
  '/api/v1/performance/overview': perfOverview(health),
  '/api/v1/performance/latency': latency,
  '/api/v1/performance/throughput': throughput,
  '/api/v1/performance/errors': errors,
})

describe('Performance page', () => {
  it('shows percentile KPIs, the error rate and health badges', async () => {
    mockApi(routes('healthy'))
    renderAt(<Performance />, { url: '/dashboard/performance?range=24h' })
    expect(await screen.findByTestId('kpi-p50-value')).toHaveTextContent('640 ms')
    expect(screen.getByTestId('kpi-p95-value')).toHaveTextContent('2.4 s')
    expect(screen.getByTestId('kpi-p99-value')).toHaveTextContent('5.1 s')
    expect(screen.getByTestId('kpi-error-rate-value')).toHaveTextContent('3.4%')
    expect(screen.getByTestId('kpi-error-rate-trend')).toHaveAttribute('data-tone', 'up-bad')
    expect(screen.getByTestId('perf-health')).toHaveAttribute('data-health', 'healthy')
    expect(await screen.findByTestId('perf-latency-chart-content')).toBeInTheDocument()
  })

  it('grades p95 against the thresholds', async () => {
    mockApi(routes('critical'))
    renderAt(<Performance />)
    expect(await screen.findByTestId('perf-health')).toHaveAttribute('data-health', 'critical')
    expect(screen.getByTestId('perf-health-p95')).toHaveAttribute('data-health', 'critical')
    expect(screen.getByTestId('perf-health-errors')).toHaveAttribute('data-health', 'healthy')
    expect(healthOf(6000, 5000, 10000)).toBe('degraded')
    expect(healthOf(null, 5000, 10000)).toBe('healthy')
  })

  it('switches between latency, throughput and errors, filtering by agent', async () => {
    const api = mockApi(routes('healthy'))
    renderAt(<Performance />, { url: '/dashboard/performance?agent_id=sql-agent' })
    await screen.findByTestId('perf-latency-chart-content')
    await userEvent.click(screen.getByTestId('perf-tab-throughput'))
    expect(await screen.findByTestId('perf-throughput-chart-content')).toBeInTheDocument()
    await userEvent.click(screen.getByTestId('perf-tab-errors'))
    const row = await screen.findByTestId('error-row')
    expect(row).toHaveTextContent('rate_limit')
    expect(row).toHaveTextContent('38.5%')
    await waitFor(() => {
      const call = api.calls.find((c) => c.url.pathname === '/api/v1/performance/errors')
      expect(call?.url.searchParams.get('agent_id')).toBe('sql-agent')
    })
  })
})
