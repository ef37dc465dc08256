import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { jsonResponse, mockApi } from '@/test/utils'
import { renderApp } from '@/test/renderApp'

const user = { id: 'u1', email: 'ada@example.com', name: 'Ada', created_at: '2026-11-01T00:00:00Z' }
const meAs = (role: string) => ({
  user,
  workspace: { id: 'w1', name: 'Acme', created_at: '2026-11-01T00:00:00Z' },
  role,
  workspaces: [{ workspace_id: 'w1', user_id: 'u1', role, workspace_name: 'Acme' }],
})
const limits = { key_rate: 10000, key_burst: 20000, workspace_rate: 20000, workspace_burst: 40000 }
const workspace = { id: 'w1', name: 'Acme', description: 'Support agents', time_zone: 'Europe/Berlin', created_at: '2026-11-01T00:00:00Z', rate_limits: limits, effective_rate_limits: limits }
const key = { id: 'k1', name: 'prod', prefix: 'ao_abcd', last4: 'wxyz', scopes: ['ingest'], created_at: '2026-11-02T00:00:00Z', last_used_at: '2026-11-03T00:00:00Z' }

function routes(role: string, extra: Record<string, unknown> = {}) {
  const session = { access_token: 'tok', token_type: 'Bearer', expires_in: 900, user, workspace_id: 'w1', role }
  return {
    'POST /api/v1/auth/refresh': session,
    '/api/v1/auth/me': meAs(role),
    '/api/v1/workspace': workspace,
    '/api/v1/team/members': { members: [{ user_id: 'u1', email: 'ada@example.com', name: 'Ada', role, joined_at: '2026-11-01T00:00:00Z' }], invites: [] },
    '/api/v1/api-keys': { api_keys: [key] },
    '/api/v1/billing/plan': { plan: 'self-hosted', billing_provider: null, rate_limits: limits, traces_per_month: null, retention_days: null },
    '/api/v1/billing/history': { configured: false, invoices: [] },
    '/api/v1/audit-log': { entries: [], next_cursor: '' },
    ...extra,
  }
}

describe('Settings', () => {
  it('lets an owner edit the workspace, with the id read-only', async () => {
    const api = mockApi(routes('owner', { 'PUT /api/v1/workspace': { ...workspace, time_zone: 'Asia/Tokyo' } }))
    renderApp('/dashboard/settings')
    const tz = await screen.findByTestId('general-timezone')
    await waitFor(() => expect(tz).toHaveValue('Europe/Berlin'))
    expect(screen.getByTestId('general-id')).toHaveAttribute('readonly')
    await userEvent.clear(tz)
    await userEvent.type(tz, 'Asia/Tokyo')
    await userEvent.click(screen.getByTestId('general-save'))
    await screen.findByTestId('general-saved')
    expect(api.calls.find((c) => c.method === 'PUT')?.body).toEqual({ name: 'Acme', description: 'Support agents', time_zone: 'Asia/Tokyo' })
  })

  it('shows a refused save with the offending field', async () => {
    mockApi(
      routes('owner', {
        'PUT /api/v1/workspace': jsonResponse({ status: 422, title: 'Invalid', detail: 'invalid workspace', errors: [{ field: 'time_zone', detail: 'must be an IANA time zone name' }] }, 422),
      }),
    )
    renderApp('/dashboard/settings')
    await userEvent.click(await screen.findByTestId('general-save'))
    expect(await screen.findByTestId('general-save-error')).toHaveTextContent('time_zone')
  })

  it('shows viewers everything read-only', async () => {
    const api = mockApi(routes('viewer'))
    renderApp('/dashboard/settings')
    expect(await screen.findByTestId('settings-readonly')).toBeInTheDocument()
    expect(screen.getByTestId('general-name')).toBeDisabled()
    await userEvent.click(screen.getByTestId('tab-api-keys'))
    expect(await screen.findByTestId('keys-hidden')).toBeInTheDocument()
    await userEvent.click(screen.getByTestId('tab-audit'))
    expect(await screen.findByTestId('audit-hidden')).toBeInTheDocument()
    expect(api.calls.some((c) => c.url.pathname === '/api/v1/api-keys' || c.url.pathname === '/api/v1/audit-log')).toBe(false)
  })

  it('creates a key shown once with a copy button, and revokes after confirmation', async () => {
    const api = mockApi(
      routes('owner', {
        'POST /api/v1/api-keys': { ...key, id: 'k2', name: 'staging', key: 'ao_secretsecret' },
        'DELETE /api/v1/api-keys/k1': { ...key, revoked_at: '2026-11-04T00:00:00Z' },
      }),
    )
    renderApp('/dashboard/settings?tab=api-keys')
    expect(await screen.findByTestId('key-last-used')).not.toHaveTextContent('never')
    await userEvent.type(screen.getByTestId('key-name'), 'staging')
    await userEvent.click(screen.getByTestId('key-scope-read'))
    await userEvent.click(screen.getByTestId('key-create'))
    expect(await screen.findByTestId('key-secret')).toHaveTextContent('ao_secretsecret')
    expect(screen.getByTestId('key-copy')).toBeInTheDocument()
    expect(api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/api-keys')?.body).toEqual({ name: 'staging', scopes: ['ingest'] })
    const row = screen.getByTestId('key-row')
    await userEvent.click(within(row).getByTestId('key-revoke'))
    await userEvent.click(await screen.findByTestId('key-revoke-cancel'))
    expect(api.calls.some((c) => c.method === 'DELETE')).toBe(false)
    await userEvent.click(within(row).getByTestId('key-revoke'))
    await userEvent.click(await screen.findByTestId('key-revoke-confirm'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'DELETE' && c.url.pathname === '/api/v1/api-keys/k1')).toBe(true))
  })

  it('invites by email with a link lifetime and shows the link to pass on when no mail went out', async () => {
    const invite = { workspace_id: 'w1', email: 'ivy@example.com', role: 'member', invited_by: 'u1', created_at: '2026-11-05T00:00:00Z', expires_at: '2026-11-06T00:00:00Z' }
    const api = mockApi(
      routes('owner', {
        'POST /api/v1/team/invite': { invite, link: 'http://localhost/invite/aoi_secret', email_sent: false, email_error: 'cannot reach mail server 127.0.0.1:25' },
      }),
    )
    renderApp('/dashboard/settings?tab=team')
    await userEvent.type(await screen.findByTestId('invite-email'), 'ivy@example.com')
    await userEvent.selectOptions(screen.getByTestId('invite-days'), '1')
    await userEvent.click(screen.getByTestId('invite-submit'))
    const outcome = await screen.findByTestId('invite-outcome')
    expect(outcome).toHaveAttribute('data-outcome', 'link')
    expect(outcome).toHaveTextContent('cannot reach mail server')
    expect(within(outcome).getByTestId('invite-link')).toHaveTextContent('http://localhost/invite/aoi_secret')
    expect(api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/team/invite')?.body).toEqual({ email: 'ivy@example.com', role: 'member', expires_in_days: 1 })
  })

  it('says when the invite was emailed, without showing the link', async () => {
    const invite = { workspace_id: 'w1', email: 'ivy@example.com', role: 'viewer', invited_by: 'u1', created_at: '2026-11-05T00:00:00Z', expires_at: '2026-11-12T00:00:00Z' }
    mockApi(routes('owner', { 'POST /api/v1/team/invite': { invite, email_sent: true } }))
    renderApp('/dashboard/settings?tab=team')
    await userEvent.type(await screen.findByTestId('invite-email'), 'ivy@example.com')
    await userEvent.click(screen.getByTestId('invite-submit'))
    const outcome = await screen.findByTestId('invite-outcome')
    expect(outcome).toHaveAttribute('data-outcome', 'emailed')
    expect(screen.queryByTestId('invite-link')).toBeNull()
  })

  it('configures a webhook, sends a test and shows what the channel answered', async () => {
    const none = ['slack', 'pagerduty', 'email', 'webhook', 'sentry'].map((type) => ({ type, configured: false, updated_at: null, config: null }))
    const saved = { type: 'webhook', configured: true, updated_at: '2026-11-05T00:00:00Z', config: { url: 'https://hooks.example.com/a', secret: '********' } }
    let list = none
    let answer = { type: 'webhook', ok: true, sent_at: '2026-11-05T00:00:01Z', duration_ms: 42 } as Record<string, unknown>
    const api = mockApi(
      routes('owner', {
        '/api/v1/integrations': () => jsonResponse({ integrations: list }),
        'PUT /api/v1/integrations/webhook': () => {
          list = none.map((i) => (i.type === 'webhook' ? saved : i)) as typeof none
          return jsonResponse(saved)
        },
        'POST /api/v1/integrations/webhook/test': () => jsonResponse(answer),
      }),
    )
    renderApp('/dashboard/settings?tab=integrations')
    expect(await screen.findByTestId('integrations-empty')).toBeInTheDocument()
    expect(screen.getByTestId('integration-webhook-test')).toBeDisabled()
    await userEvent.type(screen.getByTestId('integration-webhook-url'), 'https://hooks.example.com/a')
    await userEvent.type(screen.getByTestId('integration-webhook-secret'), 's3cret')
    await userEvent.click(screen.getByTestId('integration-webhook-save'))
    await waitFor(() => expect(screen.getByTestId('integration-webhook')).toHaveAttribute('data-configured', 'true'))
    expect(api.calls.find((c) => c.method === 'PUT')?.body).toEqual({ url: 'https://hooks.example.com/a', secret: 's3cret' })
    // The stored secret is never shown back.
    expect(screen.getByTestId('integration-webhook-secret')).toHaveValue('')
    await userEvent.click(screen.getByTestId('integration-webhook-test'))
    expect(await screen.findByTestId('integration-webhook-test-result')).toHaveAttribute('data-ok', 'true')
    answer = { type: 'webhook', ok: false, error: 'hooks.example.com answered 410: gone', sent_at: '2026-11-05T00:00:02Z', duration_ms: 12 }
    await userEvent.click(screen.getByTestId('integration-webhook-test'))
    await waitFor(() => expect(screen.getByTestId('integration-webhook-test-result')).toHaveAttribute('data-ok', 'false'))
    expect(screen.getByTestId('integration-webhook-test-result')).toHaveTextContent('answered 410')
  })

  it('shows integrations read-only to viewers, and a load error with a retry', async () => {
    mockApi(routes('viewer', { '/api/v1/integrations': { integrations: [{ type: 'slack', configured: true, updated_at: '2026-11-05T00:00:00Z', config: { webhook_url: '********' } }] } }))
    renderApp('/dashboard/settings?tab=integrations')
    expect(await screen.findByTestId('integration-slack-state')).toHaveTextContent('configured')
    expect(screen.getByTestId('integration-slack-webhook_url')).toBeDisabled()
    expect(screen.queryByTestId('integration-slack-test')).toBeNull()
  })

  it('says when the integrations cannot be loaded', async () => {
    mockApi(routes('owner', { '/api/v1/integrations': jsonResponse({ status: 503, title: 'Unavailable', detail: 'store down' }, 503) }))
    renderApp('/dashboard/settings?tab=integrations')
    expect(await screen.findByTestId('integrations-error')).toHaveTextContent('store down')
  })

  it('charts the last 30 days of traces and tokens against the plan', async () => {
    const day = (d: number, traces: number, tokens: number) => ({ day: `2026-11-0${d}T00:00:00Z`, traces, spans: traces * 3, tokens })
    const api = mockApi(
      routes('owner', {
        '/api/v1/billing/plan': { plan: 'self-hosted', billing_provider: null, rate_limits: limits, traces_per_month: 3000, retention_days: null },
        '/api/v1/billing/usage': { days: [day(1, 120, 5000), day(2, 80, 2500)], traces_per_month: 3000 },
      }),
    )
    renderApp('/dashboard/settings?tab=usage')
    expect(await screen.findByTestId('plan-usage-totals')).toHaveTextContent('200 traces, 600 spans and 7,500 tokens in 30 days, 100 traces a day')
    const call = api.calls.find((c) => c.url.pathname === '/api/v1/billing/usage')
    expect(call?.url.searchParams.get('days')).toBe('30')
  })

  it('says when nothing was ingested for the usage chart', async () => {
    mockApi(routes('owner', { '/api/v1/billing/usage': { days: [{ day: '2026-11-01T00:00:00Z', traces: 0, spans: 0, tokens: 0 }], traces_per_month: null } }))
    renderApp('/dashboard/settings?tab=usage')
    expect(await screen.findByTestId('plan-usage-chart-empty')).toBeInTheDocument()
  })

  it('says billing is not configured instead of inventing invoices', async () => {
    mockApi(routes('owner'))
    renderApp('/dashboard/settings?tab=usage')
    expect(await screen.findByTestId('billing-state')).toHaveTextContent('Not configured')
    expect(screen.getByTestId('plan-quota')).toHaveTextContent('no limit on this server')
  })

  it('shows an empty audit log, and an error with a retry', async () => {
    mockApi(routes('owner'))
    const { unmount } = renderApp('/dashboard/settings?tab=audit')
    expect(await screen.findByTestId('audit-empty')).toBeInTheDocument()
    unmount()
    mockApi(routes('owner', { '/api/v1/audit-log': jsonResponse({ status: 500, title: 'Internal', detail: 'boom' }, 500) }))
    renderApp('/dashboard/settings?tab=audit')
    expect(await screen.findByTestId('audit-error')).toHaveTextContent('boom')
  })
})
