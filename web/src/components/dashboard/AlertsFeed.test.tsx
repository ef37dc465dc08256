import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { AlertsFeed } from '@/components/dashboard/AlertsFeed'
import { jsonResponse, mockApi, renderAt } from '@/test/utils'

const alert = (id: string, severity: string, title: string) => ({
  id,
  rule_id: 'r',
  severity,
  status: 'firing',
  title,
  description: `${title} description`,
  agent_id: 'support-bot',
  triggered_at: new Date(Date.now() - 5 * 60_000).toISOString(),
  resolved_at: null,
})

describe('AlertsFeed', () => {
  it('lists recent alerts by severity', async () => {
    mockApi({ '/api/v1/alerts/recent': { alerts: [alert('1', 'critical', 'Error rate above 5%'), alert('2', 'warning', 'Latency high')] } })
    renderAt(<AlertsFeed />)
    expect(screen.getByTestId('alerts-feed-loading')).toBeInTheDocument()
    const items = await screen.findAllByTestId('alert-item')
    expect(items).toHaveLength(2)
    expect(items[0]).toHaveAttribute('data-severity', 'critical')
    expect(items[0]).toHaveTextContent('Error rate above 5%')
    expect(items[0]).toHaveTextContent('5 min ago')
  })

  it('says when there is no alert', async () => {
    mockApi({ '/api/v1/alerts/recent': { alerts: [] } })
    renderAt(<AlertsFeed />)
    expect(await screen.findByTestId('alerts-feed-empty')).toHaveTextContent('No recent alerts')
  })

  it('shows the error and offers a retry', async () => {
    mockApi({ '/api/v1/alerts/recent': jsonResponse({ status: 500, title: 'Internal server error', detail: 'store unavailable' }, 500) })
    renderAt(<AlertsFeed />)
    const err = await screen.findByTestId('alerts-feed-error')
    expect(err).toHaveTextContent('store unavailable')
    expect(screen.getByRole('button', { name: /try again/i })).toBeInTheDocument()
  })
})
