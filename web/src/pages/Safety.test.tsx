import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import Safety, { Highlighted, Redacted } from '@/pages/Safety'
import { agents } from '@/test/fixtures'
import { mockApi, renderAt } from '@/test/utils'
import { FakeSocket } from '@/test/fakeSocket'
import { setAccessToken } from '@/lib/api'

const violation = (id: string, severity: string) => ({
  id, time: '2026-11-25T09:00:00Z', trace_id: `trace-${id}`, span_id: 's1', agent_id: 'support-bot', type: 'pii', subtype: 'EMAIL',
  severity, action: 'redacted', detail: 'write to [EMAIL] today', direction: 'input', score: 1, detector: 'pii/email@1', rule_id: '',
})

const stats = {
  from: '2026-11-24T10:00:00Z', to: '2026-11-25T10:00:00Z', bucket: 'hour', total: 7, by_type: { pii: 4, injection: 3 },
  buckets: [{ bucket: '2026-11-25T08:00:00Z', type: 'pii', count: 4 }, { bucket: '2026-11-25T08:00:00Z', type: 'injection', count: 3 }],
}

const routes = (rules: unknown[] = []) => ({
  '/api/v1/agents': agents,
  '/api/v1/guardrails/violations/stats': stats,
  '/api/v1/guardrails/violations': { violations: [violation('a', 'high'), violation('b', 'medium')] },
  '/api/v1/guardrails/rules': { rules },
  'POST /api/v1/guardrails/check': { flagged: true, action: 'flag', redacted_text: '', findings: [{ category: 'pii', type: 'EMAIL', start: 5, end: 11, score: 1, detector: 'pii/email@1' }] },
  'POST /api/v1/guardrails/rules': { id: 'gr_1' },
})

describe('Safety page', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('shows a new violation without a reload, moving the window to now', async () => {
    FakeSocket.all = []
    vi.stubGlobal('WebSocket', FakeSocket)
    setAccessToken('tok.en.x')
    let stored = [violation('a', 'high')]
    const api = mockApi({
      ...routes(),
      '/api/v1/guardrails/violations': () => new Response(JSON.stringify({ violations: stored }), { headers: { 'Content-Type': 'application/json' } }),
    })
    renderAt(<Safety />, { url: '/dashboard/safety?range=24h' })
    expect(await screen.findAllByTestId('violation-row')).toHaveLength(1)
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1))
    const socket = FakeSocket.all[0]!
    socket.open()
    expect(socket.sent).toContainEqual({ type: 'subscribe', channels: ['violations'] })
    const before = api.calls.filter((c) => c.url.pathname === '/api/v1/guardrails/violations').at(-1)!.url.searchParams.get('to')!
    stored = [violation('c', 'critical'), ...stored]
    await new Promise((r) => setTimeout(r, 5)) // the new window ends later than the first
    socket.message({ type: 'violation', channel: 'violations', seq: 1, data: { count: 1, violations: [{ id: 'c', trace_id: 'trace-c' }] } })
    await waitFor(() => expect(screen.getAllByTestId('violation-row')).toHaveLength(2))
    const after = api.calls.filter((c) => c.url.pathname === '/api/v1/guardrails/violations').at(-1)!.url.searchParams.get('to')!
    expect(new Date(after).getTime()).toBeGreaterThan(new Date(before).getTime())
  })

  it('starts again at the first page when the window moves', async () => {
    vi.stubGlobal('WebSocket', FakeSocket)
    setAccessToken('tok.en.x')
    const api = mockApi({
      ...routes(),
      '/api/v1/guardrails/violations': (u: URL) => (u.searchParams.get('cursor')
        ? { violations: [violation('old', 'low')] }
        : { violations: [violation('a', 'high')], next_cursor: 'c1' }),
    })
    const cursors = () => api.calls.filter((c) => c.url.pathname === '/api/v1/guardrails/violations').map((c) => c.url.searchParams.get('cursor'))
    renderAt(<Safety />, { url: '/dashboard/safety?range=24h' })
    expect(await screen.findAllByTestId('violation-row')).toHaveLength(1)
    await userEvent.click(screen.getByTestId('violations-next'))
    await waitFor(() => expect(cursors().at(-1)).toBe('c1'))
    await waitFor(() => expect(screen.getByTestId('violations-prev')).toBeEnabled())
    // The page shares the one live connection, opened by an earlier test or now.
    await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0))
    const socket = FakeSocket.all.at(-1)!
    if (socket.readyState !== 1) socket.open()
    await new Promise((r) => setTimeout(r, 5)) // the new window ends later than the first
    socket.message({ type: 'violation', channel: 'violations', seq: 2, data: { count: 1, violations: [{ id: 'b', trace_id: 'trace-b' }] } })
    await waitFor(() => expect(cursors().at(-1)).toBeNull())
    expect(screen.getByTestId('violations-prev')).toBeDisabled()
  })

  it('shows KPIs, the violations with severity and placeholders, and links to traces', async () => {
    mockApi(routes())
    renderAt(<Safety />, { url: '/dashboard/safety?range=24h' })
    expect(await screen.findByTestId('kpi-violations-value')).toHaveTextContent('7')
    expect(screen.getByTestId('kpi-injection-value')).toHaveTextContent('3')
    const rows = await screen.findAllByTestId('violation-row')
    expect(rows).toHaveLength(2)
    expect(screen.getAllByTestId('severity-badge')[0]).toHaveAttribute('data-severity', 'high')
    expect(screen.getAllByTestId('placeholder')[0]).toHaveTextContent('[EMAIL]')
    expect(screen.getAllByTestId('violation-trace-link')[0]).toHaveAttribute('href', expect.stringContaining('/dashboard/traces/trace-a'))
    expect(await screen.findByTestId('rules-empty')).toBeInTheDocument()
  })

  it('checks a test text as it is typed and adds a rule', async () => {
    const api = mockApi(routes())
    renderAt(<Safety />)
    await userEvent.type(screen.getByTestId('test-text-input'), 'mail a@b.co')
    expect(await screen.findByTestId('test-text-verdict', {}, { timeout: 3000 })).toHaveTextContent('flagged: flag')
    expect(screen.getByTestId('finding-mark')).toHaveTextContent('a@b.co')
    await userEvent.clear(screen.getByTestId('test-text-input'))
    await waitFor(() => expect(screen.queryByTestId('test-text-result')).not.toBeInTheDocument())
    await userEvent.type(screen.getByTestId('test-text-input'), 'mail a@b.co')
    expect(await screen.findByTestId('test-text-verdict', {}, { timeout: 3000 })).toHaveTextContent('flagged: flag')
    await userEvent.type(screen.getByTestId('rule-name'), 'competitors')
    await userEvent.type(screen.getByTestId('rule-value'), 'acme, globex')
    await userEvent.click(screen.getByTestId('rule-submit'))
    await waitFor(() => {
      const call = api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/guardrails/rules')
      expect(call?.body).toMatchObject({ name: 'competitors', kind: 'keywords', keywords: ['acme', 'globex'] })
    })
  })

  it('sends a JSON schema rule only when the schema is a JSON object', async () => {
    const api = mockApi(routes())
    renderAt(<Safety />)
    const posted = () => api.calls.filter((c) => c.method === 'POST' && c.url.pathname === '/api/v1/guardrails/rules')
    await userEvent.type(screen.getByTestId('rule-name'), 'answer shape')
    await userEvent.selectOptions(screen.getByTestId('rule-kind'), 'json_schema')
    await userEvent.click(screen.getByTestId('rule-value'))
    await userEvent.paste('["answer"]')
    await userEvent.click(screen.getByTestId('rule-submit'))
    expect(await screen.findByTestId('rule-error')).toHaveTextContent('must be a JSON object')
    expect(posted()).toHaveLength(0)
    await userEvent.clear(screen.getByTestId('rule-value'))
    await userEvent.paste('{"type":"object","required":["answer"]}')
    await userEvent.click(screen.getByTestId('rule-submit'))
    await waitFor(() => expect(posted().at(-1)?.body).toMatchObject({ kind: 'json_schema', schema: { type: 'object', required: ['answer'] } }))
    expect(screen.queryByTestId('rule-error')).not.toBeInTheDocument()
  })

  it('shows an error state when the figures cannot load', async () => {
    mockApi({ ...routes(), '/api/v1/guardrails/violations/stats': new Response('{"status":503,"title":"Unavailable"}', { status: 503 }) })
    renderAt(<Safety />)
    expect(await screen.findByTestId('safety-kpis-error')).toBeInTheDocument()
  })

  it('highlights code-point offsets and placeholders', () => {
    render(<Highlighted text="🙂 hi a@b.co" findings={[{ category: 'pii', type: 'EMAIL', start: 5, end: 11, score: 1, detector: 'x' }]} />)
    expect(screen.getByTestId('finding-mark')).toHaveTextContent('a@b.co')
    render(<Redacted text="key [SECRET] end" />)
    expect(screen.getByTestId('placeholder')).toHaveTextContent('[SECRET]')
  })
})
