import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Cost from '@/pages/Cost'
import { parseBudgetForm } from '@/components/dashboard/BudgetDialog'
import { agents, budget, costByModel, costOverview, costTrend } from '@/test/fixtures'
import { mockApi, renderAt } from '@/test/utils'

const routes = (status: 'none' | 'ok' | 'warning' | 'exceeded') => ({
  '/api/v1/agents': agents,
  '/api/v1/cost/overview': costOverview(status !== 'none'),
  '/api/v1/cost/trend': costTrend,
  '/api/v1/cost/by-model': costByModel,
  '/api/v1/cost/budget': budget(status),
})

describe('Cost page', () => {
  it('shows spend KPIs, the trend, cost by model and the budget progress', async () => {
    mockApi(routes('ok'))
    renderAt(<Cost />, { url: '/dashboard/cost?range=30d' })
    expect(await screen.findByTestId('kpi-total-spend-value')).toHaveTextContent('$412.50')
    expect(screen.getByTestId('kpi-budget-remaining-value')).toHaveTextContent('$587.50')
    expect(screen.getByTestId('kpi-cost-per-call-value')).toHaveTextContent('$0.0091')
    expect(screen.getByTestId('kpi-projected-value')).toHaveTextContent('$482.40')
    expect(await screen.findByTestId('budget-progress')).toBeInTheDocument()
    expect(screen.getByTestId('budget-used')).toHaveTextContent('41.3% used')
    expect(screen.queryByTestId('budget-alert')).not.toBeInTheDocument()
    expect(await screen.findByTestId('cost-trend-chart-content')).toBeInTheDocument()
    const table = await screen.findByTestId('cost-by-model-table')
    expect(within(table).getByText('unpriced')).toBeInTheDocument()
    expect(screen.getByTestId('cost-unpriced')).toHaveTextContent('200 of 45,000 calls')
  })

  it('marks deployments and incidents on the cost trend', async () => {
    const at = new Date(Date.parse(costTrend.buckets[1]!.timestamp) + 60_000).toISOString()
    const api = mockApi({
      ...routes('ok'),
      '/api/v1/events': { events: [{ id: 'd1', type: 'deployment', timestamp: at, agent_id: 'bot', version: 'v2', title: 'bot v2', description: '', severity: 'info', metadata: {} }] },
    })
    renderAt(<Cost />)
    expect(await screen.findByTestId('cost-trend-chart-events')).toHaveTextContent('deployment: bot v2')
    const call = api.calls.find((c) => c.url.pathname === '/api/v1/events')
    expect(call?.url.searchParams.get('type')).toBe('deployment,config_change,incident')
  })

  it('warns when the budget is crossed or exceeded', async () => {
    mockApi(routes('warning'))
    const { unmount } = renderAt(<Cost />)
    const alert = await screen.findByTestId('budget-alert')
    expect(alert).toHaveAttribute('data-status', 'warning')
    expect(alert).toHaveTextContent('80% threshold')
    unmount()
    mockApi(routes('exceeded'))
    renderAt(<Cost />)
    expect(await screen.findByTestId('budget-alert')).toHaveTextContent('Budget exceeded')
  })

  it('sets a budget through the dialog with PUT /api/v1/cost/budget', async () => {
    // The server's state: a PUT changes what the next GET answers.
    let current: unknown = budget('none')
    const api = mockApi({
      ...routes('none'),
      '/api/v1/cost/budget': () => current,
      'PUT /api/v1/cost/budget': (_u: URL, init?: RequestInit) => {
        const body = JSON.parse(String(init?.body)) as { monthly_limit_usd: number }
        current = { ...budget('ok'), budget: { ...budget('ok').budget, monthly_limit_usd: body.monthly_limit_usd } }
        return current
      },
    })
    renderAt(<Cost />)
    expect(await screen.findByTestId('budget-none')).toHaveTextContent('No budget set')
    await userEvent.click(screen.getByTestId('set-budget'))
    const dialog = await screen.findByTestId('budget-dialog')
    await userEvent.clear(within(dialog).getByTestId('budget-limit'))
    await userEvent.click(within(dialog).getByTestId('budget-save'))
    expect(await within(dialog).findByTestId('budget-error')).toHaveTextContent('monthly limit')
    await userEvent.type(within(dialog).getByTestId('budget-limit'), '2500')
    await userEvent.clear(within(dialog).getByTestId('budget-thresholds'))
    await userEvent.type(within(dialog).getByTestId('budget-thresholds'), '50, 90')
    await userEvent.click(within(dialog).getByTestId('budget-save'))
    await waitFor(() => expect(screen.queryByTestId('budget-dialog')).not.toBeInTheDocument())
    const put = api.calls.find((c) => c.method === 'PUT')
    expect(put?.body).toEqual({ monthly_limit_usd: 2500, thresholds_pct: [50, 90], timezone: 'UTC' })
    expect(await screen.findByTestId('budget-limit-value')).toHaveTextContent('$2,500')
  })

  it('checks the budget form', () => {
    expect(parseBudgetForm('$1,000', '80, 100', 'Europe/Berlin')).toEqual({ monthly_limit_usd: 1000, thresholds_pct: [80, 100], timezone: 'Europe/Berlin' })
    expect(parseBudgetForm('0', '80', 'UTC')).toMatch(/above \$0/)
    expect(parseBudgetForm('10', '100, 80', 'UTC')).toMatch(/ascending/)
    expect(parseBudgetForm('10', '', 'UTC')).toMatch(/1 to 10/)
    expect(parseBudgetForm('10', '80%', '')).toEqual({ monthly_limit_usd: 10, thresholds_pct: [80], timezone: 'UTC' })
  })
})
