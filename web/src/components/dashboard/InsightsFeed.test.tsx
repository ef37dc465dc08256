import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { InsightsFeed } from '@/components/dashboard/InsightsFeed'
import { jsonResponse, mockApi, renderAt } from '@/test/utils'
import { costRun } from '@/test/insights'

describe('InsightsFeed', () => {
  it('lists findings with savings, confidence and evidence links', async () => {
    mockApi({ '/api/v1/insights': { insights: [costRun] } })
    renderAt(<InsightsFeed />)
    expect(screen.getByTestId('insights-feed-loading')).toBeInTheDocument()
    const rows = await screen.findAllByTestId('insight-finding')
    expect(rows).toHaveLength(2)
    expect(rows[0]).toHaveAttribute('data-confidence', 'unvalidated')
    expect(within(rows[0]!).getByTestId('insight-savings')).toHaveTextContent('saves $0.33')
    expect(within(rows[1]!).getByTestId('insight-savings')).toHaveTextContent('saves $0.15')
    const link = within(rows[1]!).getByRole('link', { name: 's1' })
    expect(link).toHaveAttribute('href', '/dashboard/traces/s1')
    expect(screen.getByTestId('insights-feed')).toHaveTextContent('$0.48 of savings found')
  })

  it('runs an analysis on request', async () => {
    let runs = 0
    const api = mockApi({
      '/api/v1/insights': () => ({ insights: runs ? [costRun] : [] }),
      'POST /api/v1/insights/cost-optimization': () => {
        runs++
        return jsonResponse(costRun, 201)
      },
    })
    renderAt(<InsightsFeed />)
    expect(await screen.findByTestId('insights-feed-empty')).toHaveTextContent('No analysis yet')
    await userEvent.click(screen.getByTestId('insights-feed-run'))
    await waitFor(() => expect(screen.getAllByTestId('insight-finding')).toHaveLength(2))
    expect(api.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/v1/insights/cost-optimization')).toBe(true)
  })

  it('says why an analysis could not run, and shows load errors', async () => {
    mockApi({
      '/api/v1/insights': jsonResponse({ status: 500, title: 'Internal server error', detail: 'store unavailable' }, 500),
      'POST /api/v1/insights/cost-optimization': jsonResponse({ status: 403, title: 'Forbidden', detail: 'this needs the write permission' }, 403),
    })
    renderAt(<InsightsFeed />)
    expect(await screen.findByTestId('insights-feed-error')).toHaveTextContent('store unavailable')
    await userEvent.click(screen.getByTestId('insights-feed-run'))
    expect(await screen.findByTestId('insights-feed-run-error')).toHaveTextContent('write permission')
  })
})
