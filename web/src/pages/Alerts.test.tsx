import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import Alerts from '@/pages/Alerts'
import { mockApi, renderAt } from '@/test/utils'
import { FakeSocket } from '@/test/fakeSocket'
import { setAccessToken } from '@/lib/api'

const firing = {
  id: 'a1', rule_id: 'r1', severity: 'critical', status: 'firing', title: 'Slow agent', description: 'latency_p95 is 3000, > 2000',
  agent_id: 'bot', triggered_at: '2026-11-20T10:00:00Z', resolved_at: null,
}

const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json' } })

describe('Alerts page', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('shows an alert that starts firing without a reload', async () => {
    FakeSocket.all = []
    vi.stubGlobal('WebSocket', FakeSocket)
    setAccessToken('tok.en.x')
    let firingNow = false
    mockApi({ '/api/v1/alerts': () => json({ alerts: firingNow ? [firing] : [] }) })
    renderAt(<Alerts />)
    expect(await screen.findByTestId('alerts-active-empty')).toBeInTheDocument()
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1))
    const socket = FakeSocket.all[0]!
    socket.open()
    expect(socket.sent).toContainEqual({ type: 'subscribe', channels: ['alerts'] })
    firingNow = true
    socket.message({ type: 'alert_state', channel: 'alerts', seq: 1, data: { count: 1, changes: [{ rule_id: 'r1', state: 'firing', previous: 'pending' }] } })
    expect(await screen.findByTestId('alert-row')).toHaveAttribute('data-status', 'firing')
  })

  it('lists active alerts and acknowledges one', async () => {
    const api = mockApi({
      '/api/v1/alerts': { alerts: [firing] },
      'POST /api/v1/alerts/a1/acknowledge': { ...firing, status: 'acknowledged' },
    })
    renderAt(<Alerts />)
    const row = await screen.findByTestId('alert-row')
    expect(row).toHaveTextContent('Slow agent')
    expect(row).toHaveAttribute('data-status', 'firing')
    await userEvent.click(screen.getByTestId('alert-ack'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/v1/alerts/a1/acknowledge')).toBe(true))
  })

  it('says when nothing fires, and shows a failure with a retry', async () => {
    mockApi({ '/api/v1/alerts': { alerts: [] } })
    renderAt(<Alerts />)
    expect(await screen.findByTestId('alerts-active-empty')).toBeInTheDocument()
  })

  it('shows an error state when the API fails', async () => {
    mockApi({ '/api/v1/alerts': () => new Response(JSON.stringify({ title: 'boom', detail: 'store down' }), { status: 503, headers: { 'Content-Type': 'application/problem+json' } }) })
    renderAt(<Alerts />)
    expect(await screen.findByTestId('alerts-active-error')).toHaveTextContent('store down')
  })

  it('creates a rule with only the plan fields and reports a field error', async () => {
    const api = mockApi({
      '/api/v1/alerts': { alerts: [] },
      '/api/v1/alert-rules': { rules: [] },
      'POST /api/v1/alert-rules': (_u: URL, init?: RequestInit) => {
        const body = JSON.parse(String(init?.body))
        if (body.name === 'bad') {
          return new Response(JSON.stringify({ title: 'invalid', detail: 'invalid alert rule: 1 field is invalid', fields: [{ path: 'window', detail: 'must be between 5m and 7d' }] }), { status: 400, headers: { 'Content-Type': 'application/problem+json' } })
        }
        return { ...body, id: 'r9' }
      },
    })
    renderAt(<Alerts />)
    await userEvent.click(screen.getByTestId('alerts-tab-rules'))
    await userEvent.type(await screen.findByTestId('rule-name'), 'Errors')
    await userEvent.click(screen.getByTestId('rule-save'))
    expect(await screen.findByTestId('rule-saved')).toBeInTheDocument()
    const sent = api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/alert-rules')
    expect(sent?.body).toMatchObject({ name: 'Errors', metric: 'error_rate', operator: '>', threshold: 5, window: '5m' })
    await userEvent.clear(screen.getByTestId('rule-name'))
    await userEvent.type(screen.getByTestId('rule-name'), 'bad')
    await userEvent.click(screen.getByTestId('rule-save'))
    expect(await screen.findByTestId('rule-error')).toBeInTheDocument()
  })

  it('creates an anomaly rule with filters and a channel', async () => {
    const api = mockApi({
      '/api/v1/alerts': { alerts: [] },
      '/api/v1/alert-rules': { rules: [] },
      'POST /api/v1/alert-rules': (_u: URL, init?: RequestInit) => ({ ...JSON.parse(String(init?.body)), id: 'r2' }),
    })
    renderAt(<Alerts />)
    await userEvent.click(screen.getByTestId('alerts-tab-rules'))
    await userEvent.type(await screen.findByTestId('rule-name'), 'Slow bot')
    await userEvent.selectOptions(screen.getByTestId('rule-kind'), 'anomaly')
    expect(screen.queryByTestId('rule-warning')).not.toBeInTheDocument()
    await userEvent.selectOptions(screen.getByTestId('rule-metric'), 'latency_p95')
    await userEvent.type(screen.getByTestId('rule-filter-agent'), 'bot')
    await userEvent.click(screen.getByTestId('rule-channel-webhook'))
    await userEvent.click(screen.getByTestId('rule-save'))
    expect(await screen.findByTestId('rule-saved')).toBeInTheDocument()
    const sent = api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/alert-rules')
    expect(sent?.body).toMatchObject({ kind: 'anomaly', metric: 'latency_p95', threshold: 0.001, operator: '>', filters: { agent: 'bot' }, notification_channels: ['webhook'] })
  })

  it('edits a rule and keeps what the editor does not show', async () => {
    const stored = {
      id: 'r1', name: 'Errors', kind: 'threshold', metric: 'error_rate', operator: '>', threshold: 5, window: '15m', severity: 'critical',
      filters: { model: 'gpt-4o' }, notification_channels: ['slack'], min_samples: 50, for: '5m', evaluation_interval: '1m', enabled: true, created_at: '2026-11-20T10:00:00Z',
    }
    const api = mockApi({
      '/api/v1/alerts': { alerts: [] },
      '/api/v1/alert-rules': { rules: [stored] },
      'PUT /api/v1/alert-rules/r1': (_u: URL, init?: RequestInit) => JSON.parse(String(init?.body)),
    })
    renderAt(<Alerts />)
    await userEvent.click(screen.getByTestId('alerts-tab-rules'))
    expect(await screen.findByTestId('rule-row')).toHaveTextContent('where model=gpt-4o')
    await userEvent.click(screen.getByTestId('rule-edit'))
    expect(screen.getByTestId('rule-filter-model')).toHaveValue('gpt-4o')
    expect(screen.getByTestId('rule-channel-slack')).toBeChecked()
    await userEvent.clear(screen.getByTestId('rule-threshold'))
    await userEvent.type(screen.getByTestId('rule-threshold'), '8')
    await userEvent.type(screen.getByTestId('rule-warning'), '4')
    await userEvent.click(screen.getByTestId('rule-save'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'PUT')).toBe(true))
    const sent = api.calls.find((c) => c.method === 'PUT')
    expect(sent?.body).toMatchObject({ threshold: 8, warning_threshold: 4, min_samples: 50, for: '5m', window: '15m', filters: { model: 'gpt-4o' } })
  })

  it('silences a firing alert from its row', async () => {
    const api = mockApi({
      '/api/v1/alerts': { alerts: [{ ...firing, labels: { alertname: 'Slow agent', rule_id: 'r1', agent: 'bot', severity: 'critical' } }] },
      '/api/v1/silences': { silences: [] },
      'POST /api/v1/silences': (_u: URL, init?: RequestInit) => ({ ...JSON.parse(String(init?.body)), id: 's1', starts_at: '2026-11-20T10:00:00Z', created_by: 'me' }),
    })
    renderAt(<Alerts />)
    await userEvent.click(await screen.findByTestId('alert-silence'))
    const matchers = await screen.findByTestId('silence-matchers')
    expect(matchers).toHaveValue('rule_id=r1, agent=bot')
    await userEvent.clear(matchers)
    await userEvent.type(matchers, 'no-equals-sign')
    await userEvent.click(screen.getByTestId('silence-save'))
    expect(await screen.findByTestId('silence-error')).toHaveTextContent('not name=value')
    await userEvent.clear(matchers)
    await userEvent.type(matchers, 'rule_id=r1, agent=bot')
    await userEvent.type(screen.getByTestId('silence-comment'), 'deploy in progress')
    await userEvent.click(screen.getByTestId('silence-save'))
    expect(await screen.findByTestId('silence-saved')).toBeInTheDocument()
    const sent = api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/silences')
    expect(sent?.body).toMatchObject({ matchers: [{ name: 'rule_id', value: 'r1' }, { name: 'agent', value: 'bot' }], comment: 'deploy in progress' })
  })
})
