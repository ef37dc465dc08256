import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import TraceDetail from '@/pages/TraceDetail'
import { trace } from '@/test/fixtures'
import { jsonResponse, mockApi, renderAt } from '@/test/utils'

describe('Trace view', () => {
  it('shows the span tree with a waterfall and per-span details', async () => {
    mockApi({ '/api/v1/traces/t1': trace })
    renderAt(<TraceDetail />, { url: '/dashboard/traces/t1', path: '/dashboard/traces/:traceId' })
    const rows = await screen.findAllByTestId('span-row')
    expect(rows.map((r) => [r.getAttribute('data-span-id'), r.getAttribute('data-depth')])).toEqual([
      ['agent', '0'],
      ['plan', '1'],
      ['search', '1'],
    ])
    expect(screen.getByTestId('span-details-name')).toHaveTextContent('agent')
    await userEvent.click(within(rows[2] as HTMLElement).getByTestId('span-select'))
    expect(rows[2]).toHaveAttribute('aria-selected', 'true')
    expect(screen.getByTestId('span-details')).toHaveTextContent('index offline')
    await userEvent.click(screen.getByRole('button', { name: 'Collapse agent' }))
    expect(screen.getAllByTestId('span-row')).toHaveLength(1)
    expect(screen.getByTestId('trace-cost')).toHaveTextContent('$0.00023')
    expect(screen.getByTestId('filter-link-agent_id' as string)).toBeInTheDocument()
  })

  it('renders untrusted content as text: no HTML from a trace ever becomes markup', async () => {
    mockApi({ '/api/v1/traces/t1': trace })
    const { container } = renderAt(<TraceDetail />, { url: '/dashboard/traces/t1', path: '/dashboard/traces/:traceId' })
    const rows = await screen.findAllByTestId('span-row')
    await userEvent.click(within(rows[1] as HTMLElement).getByTestId('span-select'))
    expect(screen.getByTestId('span-input')).toHaveTextContent('<img src=x onerror=alert(1)>')
    expect(container.querySelector('img')).toBeNull()
    // JSON output is a collapsible tree.
    expect(within(screen.getByTestId('span-output')).getByTestId('content-json')).toHaveTextContent('search')
    await userEvent.click(screen.getByTestId('tab-io'))
    const chat = await screen.findByTestId('content-chat')
    expect(within(chat).getAllByTestId('chat-message').map((m) => m.getAttribute('data-role'))).toEqual(['system', 'user'])
  })

  it('tells a missing trace from a failure', async () => {
    mockApi({ '/api/v1/traces/nope': jsonResponse({ status: 404, title: 'Not found', detail: 'trace not found' }, 404) })
    renderAt(<TraceDetail />, { url: '/dashboard/traces/nope', path: '/dashboard/traces/:traceId' })
    expect(await screen.findByTestId('trace-not-found')).toHaveTextContent('Trace not found')
  })
})
