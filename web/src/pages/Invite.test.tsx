import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Invite from '@/pages/Invite'
import { jsonResponse, mockApi, renderAt } from '@/test/utils'

const view = { email: 'ivy@example.com', role: 'member', workspace_name: 'Acme', invited_by: 'Ada', expires_at: '2026-11-12T00:00:00Z', account_exists: false }

describe('Invite page', () => {
  it('shows the invite and leads to sign-up with the email filled in', async () => {
    mockApi({ '/api/v1/invites/aoi_abc': view })
    renderAt(<Invite />, { url: '/invite/aoi_abc', path: '/invite/:token' })
    expect(await screen.findByTestId('invite-workspace')).toHaveTextContent('Acme')
    expect(screen.getByTestId('invite-role')).toHaveTextContent('member')
    expect(screen.getByTestId('invite-view')).toHaveTextContent('Ada invites ivy@example.com')
    const accept = screen.getByTestId('invite-accept')
    expect(accept).toHaveAttribute('href', '/register?email=ivy%40example.com&workspace=Acme')
  })

  it('declines after a confirmation', async () => {
    const api = mockApi({ '/api/v1/invites/aoi_abc': view, 'POST /api/v1/invites/aoi_abc/decline': new Response(null, { status: 204 }) })
    renderAt(<Invite />, { url: '/invite/aoi_abc', path: '/invite/:token' })
    await userEvent.click(await screen.findByTestId('invite-decline'))
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false)
    await userEvent.click(screen.getByTestId('invite-decline-confirm'))
    expect(await screen.findByTestId('invite-declined')).toHaveTextContent('Acme')
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/v1/invites/aoi_abc/decline')).toBe(true))
  })

  it('says why a dead link does not work', async () => {
    mockApi({
      '/api/v1/invites/aoi_old': jsonResponse({ status: 404, title: 'Not found', detail: 'this invite link is not valid: it expired, was revoked or was already used' }, 404),
    })
    renderAt(<Invite />, { url: '/invite/aoi_old', path: '/invite/:token' })
    expect(await screen.findByTestId('invite-error')).toHaveTextContent('expired')
  })
})
