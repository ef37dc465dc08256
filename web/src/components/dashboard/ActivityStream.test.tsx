import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { ActivityStream } from '@/components/dashboard/ActivityStream'
import { mockApi, renderAt } from '@/test/utils'

const now = Date.now()
const activity = [
  { id: 'trace:t1', kind: 'trace', timestamp: new Date(now - 60_000).toISOString(), agent_id: 'support-bot', action: 'answer_question', status: 'success', trace_id: 't1', latency_ms: 812, cost_usd: 0.0012, event_type: '', severity: '' },
  { id: 'trace:t2', kind: 'trace', timestamp: new Date(now - 120_000).toISOString(), agent_id: 'sql-agent', action: 'run_query', status: 'error', trace_id: 't2', latency_ms: 2400, cost_usd: null, event_type: '', severity: '' },
  { id: 'event:e1', kind: 'event', timestamp: new Date(now - 3_600_000).toISOString(), agent_id: 'support-bot', action: 'Deployed v2.4.1', status: 'info', trace_id: '', latency_ms: null, cost_usd: null, event_type: 'deployment', severity: 'info' },
]

describe('ActivityStream', () => {
  it('lists traces and events with formatted figures', async () => {
    mockApi({ '/api/v1/activity/stream': { activity } })
    renderAt(<ActivityStream />)
    expect(screen.getByTestId('activity-stream-loading')).toBeInTheDocument()
    const rows = await screen.findAllByTestId('activity-row')
    expect(rows).toHaveLength(3)
    expect(rows[0]).toHaveTextContent('answer_question')
    expect(rows[0]).toHaveTextContent('812 ms')
    expect(rows[0]).toHaveTextContent('$0.0012')
    expect(rows[1]).toHaveTextContent('error')
    expect(rows[2]).toHaveAttribute('data-kind', 'event')
    expect(rows[2]).toHaveTextContent('deployment:')
  })

  it('drills into a trace and filters the explorer by agent', async () => {
    mockApi({ '/api/v1/activity/stream': { activity } })
    renderAt(<ActivityStream />, { url: '/dashboard?range=7d', path: '/dashboard' })
    const links = await screen.findAllByTestId('activity-trace-link')
    expect(links[0]).toHaveAttribute('href', '/dashboard/traces/t1?range=7d')
    const agent = screen.getAllByTestId('filter-link-agent_id')[1]
    expect(agent).toHaveAttribute('href', '/dashboard/traces?range=7d&agent_id=sql-agent')
    await userEvent.click(links[0] as HTMLElement)
    expect(await screen.findByTestId('elsewhere')).toBeInTheDocument()
  })

  it('explains how to get activity when there is none', async () => {
    mockApi({ '/api/v1/activity/stream': { activity: [] } })
    renderAt(<ActivityStream />)
    expect(await screen.findByTestId('activity-stream-empty')).toHaveTextContent('No activity yet')
  })
})
