import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Traces, { traceQuery } from '@/pages/Traces'
import { agents, traceItem } from '@/test/fixtures'
import { mockApi, renderAt } from '@/test/utils'

const page1 = { traces: [traceItem('t1'), traceItem('t2', { status: 'error', agent_id: 'sql-agent', cost_usd: null })], total: 4, next_cursor: 'c2' }
const page2 = { traces: [traceItem('t3'), traceItem('t4')], total: 4, next_cursor: null }

describe('Traces explorer', () => {
  it('lists traces and pages through them with the cursor', async () => {
    const api = mockApi({ '/api/v1/agents': agents, '/api/v1/traces': (u: URL) => (u.searchParams.get('cursor') === 'c2' ? page2 : page1) })
    renderAt(<Traces />, { url: '/dashboard/traces?range=24h' })
    const rows = await screen.findAllByTestId('trace-row')
    expect(rows).toHaveLength(2)
    expect(rows[0]).toHaveTextContent('answer_question')
    expect(rows[0]).toHaveTextContent('812 ms')
    expect(rows[0]).toHaveTextContent('$0.00023')
    expect(rows[1]).toHaveTextContent('error')
    expect(screen.getByTestId('traces-count')).toHaveTextContent('1–2 of 4')
    await userEvent.click(screen.getByTestId('traces-next'))
    // 50 a page: the second page starts at the 51st trace.
    await waitFor(() => expect(screen.getByTestId('traces-count')).toHaveTextContent('51–52 of 4'))
    expect(screen.getByTestId('traces-next')).toBeDisabled()
    expect(api.calls.filter((c) => c.url.pathname === '/api/v1/traces').at(-1)?.url.searchParams.get('range')).toBe('24h')
    await userEvent.click(screen.getByTestId('traces-prev'))
    await waitFor(() => expect(screen.getByTestId('traces-count')).toHaveTextContent('1–2 of 4'))
  })

  it('searches, sorts and shows active filters from the URL', async () => {
    const api = mockApi({ '/api/v1/agents': agents, '/api/v1/traces': page1 })
    renderAt(<Traces />, { url: '/dashboard/traces?agent_id=sql-agent&status=error' })
    await screen.findAllByTestId('trace-row')
    expect(screen.getByTestId('filter-chip-agent_id')).toHaveTextContent('sql-agent')
    expect(screen.getByTestId('filter-chip-status')).toHaveTextContent('error')
    await userEvent.type(screen.getByTestId('traces-search'), 'refund')
    await waitFor(() => expect(api.calls.at(-1)?.url.searchParams.get('q')).toBe('refund'))
    await userEvent.click(screen.getByTestId('sort-latency_ms'))
    await waitFor(() => {
      const p = api.calls.at(-1)?.url.searchParams
      expect(p?.get('sort')).toBe('latency_ms')
      expect(p?.get('order')).toBeNull() // descending is the API's default
      expect(p?.getAll('agent_id')).toEqual(['sql-agent'])
    })
    await userEvent.click(screen.getByTestId('sort-latency_ms'))
    await waitFor(() => expect(api.calls.at(-1)?.url.searchParams.get('order')).toBe('asc'))
    await userEvent.click(screen.getByTestId('traces-clear-filters'))
    await waitFor(() => expect(screen.queryByTestId('traces-active-filters')).not.toBeInTheDocument())
  })

  it('says when nothing matches', async () => {
    mockApi({ '/api/v1/agents': agents, '/api/v1/traces': { traces: [], total: 0, next_cursor: null } })
    renderAt(<Traces />, { url: '/dashboard/traces?model=gpt-4o' })
    expect(await screen.findByTestId('traces-empty')).toHaveTextContent('No trace matches these filters')
  })

  it('maps the URL to API parameters, dropping junk', () => {
    const q = traceQuery(new URLSearchParams('agent_id=a&agent_id=b&min_latency_ms=1000&max_cost_usd=abc&sort=bogus&order=asc&limit=25&q=x'))
    expect(q).toEqual({ agent_id: ['a', 'b'], min_latency_ms: '1000', order: 'asc', limit: 25, q: 'x' })
  })
})
