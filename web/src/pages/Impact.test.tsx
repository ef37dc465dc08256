import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Impact, { parseGoalForm } from '@/pages/Impact'
import { impact } from '@/test/insights'
import { jsonResponse, mockApi, renderAt } from '@/test/utils'

describe('Impact page', () => {
  it('shows ROI with its formula, goals, the timeline and the deployment split', async () => {
    mockApi({ '/api/v1/impact': impact })
    renderAt(<Impact />, { url: '/dashboard/impact?range=7d' })
    expect(screen.getByTestId('impact-loading')).toBeInTheDocument()
    expect(await screen.findByTestId('roi-percent-value')).toHaveTextContent('400')
    expect(screen.getByTestId('roi-formula')).toHaveTextContent('ROI = (value − (LLM cost + infrastructure cost))')
    expect(screen.getByTestId('roi-cost-value')).toHaveTextContent('$40.00')
    const goal = screen.getByTestId('goal-row')
    expect(within(goal).getByTestId('goal-figures')).toHaveTextContent('40 of 100 ticket · $200.00')
    const events = screen.getAllByTestId('timeline-event')
    expect(events[0]).toHaveAttribute('data-type', 'incident')
    expect(screen.getByTestId('deployment-before')).toHaveTextContent('$2.50')
    expect(screen.getByTestId('deployment-after')).toHaveTextContent('66.7%')
    expect(within(screen.getByTestId('impact-savings')).getAllByTestId('insight-finding')).toHaveLength(2)
  })

  it('says what is missing on an empty workspace', async () => {
    mockApi({
      '/api/v1/impact': { ...impact, goals: [], timeline: [], deployment: null, savings: { total_usd: 0, run_id: '', findings: [] }, roi: { ...impact.roi, value_usd: 0, roi_percent: null } },
    })
    renderAt(<Impact />)
    expect(await screen.findByTestId('goals-empty')).toBeInTheDocument()
    expect(screen.getByTestId('impact-timeline-empty')).toBeInTheDocument()
    expect(screen.getByTestId('impact-savings-empty')).toBeInTheDocument()
    expect(screen.getByTestId('roi-percent-value')).toHaveTextContent('No cost')
  })

  it('shows the error with a retry', async () => {
    mockApi({ '/api/v1/impact': jsonResponse({ status: 400, title: 'Bad request', detail: 'invalid window' }, 400) })
    renderAt(<Impact />)
    expect(await screen.findByTestId('impact-error')).toHaveTextContent('invalid window')
  })

  it('adds a goal with POST /api/v1/impact/goals', async () => {
    const api = mockApi({ '/api/v1/impact': impact, 'POST /api/v1/impact/goals': (_u: URL, i?: RequestInit) => jsonResponse({ id: 'g2', ...JSON.parse(String(i?.body)) }, 201) })
    renderAt(<Impact />)
    await userEvent.click(await screen.findByTestId('add-goal'))
    await userEvent.type(screen.getByTestId('goal-name'), 'hours saved')
    await userEvent.type(screen.getByTestId('goal-value'), '40')
    await userEvent.type(screen.getByTestId('goal-target'), '100')
    await userEvent.type(screen.getByTestId('goal-achieved'), '12')
    await userEvent.click(screen.getByTestId('goal-save'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST')).toBe(true))
    const post = api.calls.find((c) => c.method === 'POST')
    expect(post?.body).toEqual({ name: 'hours saved', unit: '', value_per_unit_usd: 40, target: 100, achieved: 12, source: 'manual', agent_id: '' })
  })

  it('checks the goal form', () => {
    expect(parseGoalForm({ name: '', unit: '', value: '1', target: '', achieved: '', agent: '' })).toMatch(/Name the goal/)
    expect(parseGoalForm({ name: 'x', unit: '', value: '-1', target: '', achieved: '', agent: '' })).toMatch(/value per unit/)
    expect(parseGoalForm({ name: 'x', unit: 'answer', value: '$1,000', target: '10', achieved: '5', agent: 'bot' })).toEqual({
      name: 'x',
      unit: 'answer',
      value_per_unit_usd: 1000,
      target: 10,
      achieved: 0,
      source: 'successful_traces',
      agent_id: 'bot',
    })
  })
})
