// Settings in Chromium against the real binary: a team owner invites a member by link, who
// opens it in a second browser, signs up and joins with the role (another invitee declines);
// the owner changes the role and the member sees settings read-only; a key is created (shown
// once), used, and revoked; a webhook integration gets a test notification at a local receiver.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { expect, test, type Browser, type Page } from '@playwright/test'
import { expectAccessible, fillSetupKey, shot } from './helpers'

const stamp = Date.now()
const owner = { name: 'Sam Owner', email: `sam-${stamp}@example.com`, password: 'settings-owner-pass' }
const invitee = { name: 'Ivy Invited', email: `ivy-${stamp}@example.com`, password: 'settings-member-pass' }
const decliner = `dan-${stamp}@example.com`

test.describe.configure({ mode: 'serial' })

let ownerPage: Page
let memberPage: Page

async function signUp(browser: Browser, who: typeof owner, workspace?: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await page.goto('/register')
  await fillSetupKey(page)
  await page.getByTestId('register-name').fill(who.name)
  await page.getByTestId('register-email').fill(who.email)
  await page.getByTestId('register-password').fill(who.password)
  if (workspace) await page.getByTestId('register-workspace').fill(workspace)
  await page.getByTestId('register-submit').click()
  await expect(page).toHaveURL(/\/dashboard$/)
  return page
}

test.afterAll(async () => {
  await ownerPage?.context().close()
  await memberPage?.context().close()
})

test('an owner edits the workspace settings', async ({ browser }) => {
  ownerPage = await signUp(browser, owner, `Team ${stamp}`)
  await ownerPage.getByTestId('nav-settings').click()
  await expect(ownerPage.getByTestId('page-settings')).toBeVisible()
  await expect(ownerPage.getByTestId('general-name')).toHaveValue(/Team|Default/)
  await ownerPage.getByTestId('general-description').fill('Agents of the support team')
  await ownerPage.getByTestId('general-timezone').fill('Mars/Olympus')
  await ownerPage.getByTestId('general-save').click()
  await expect(ownerPage.getByTestId('general-save-error')).toContainText('time_zone')
  await ownerPage.getByTestId('general-timezone').fill('Europe/Berlin')
  await ownerPage.getByTestId('general-save').click()
  await expect(ownerPage.getByTestId('general-saved')).toBeVisible()
  await ownerPage.reload()
  await expect(ownerPage.getByTestId('general-timezone')).toHaveValue('Europe/Berlin')
  await expectAccessible(ownerPage, 'settings-general')
  await shot(ownerPage, 'settings-general')
})

test('an invited member opens the link in a second browser, signs up and joins with the role', async ({ browser }) => {
  await ownerPage.getByTestId('tab-team').click()
  await ownerPage.getByTestId('invite-email').fill(invitee.email)
  await ownerPage.getByTestId('invite-role').selectOption('member')
  await ownerPage.getByTestId('invite-submit').click()
  await expect(ownerPage.getByTestId('invite-row')).toContainText(invitee.email)
  // No mail server in this test: the link is shown to pass on.
  await expect(ownerPage.getByTestId('invite-outcome')).toHaveAttribute('data-outcome', 'link')
  const link = ((await ownerPage.getByTestId('invite-link').textContent()) ?? '').trim()
  expect(link).toMatch(/\/invite\/aoi_/)

  memberPage = await (await browser.newContext()).newPage()
  await memberPage.goto(link)
  await expect(memberPage.getByTestId('invite-email')).toHaveText(invitee.email)
  await expect(memberPage.getByTestId('invite-role')).toHaveText('member')
  await expectAccessible(memberPage, 'invite')
  await shot(memberPage, 'invite')
  await memberPage.getByTestId('invite-accept').click()
  await expect(memberPage.getByTestId('register-invited')).toBeVisible()
  await expect(memberPage.getByTestId('register-email')).toHaveValue(invitee.email)
  await memberPage.getByTestId('register-name').fill(invitee.name)
  await memberPage.getByTestId('register-password').fill(invitee.password)
  await memberPage.getByTestId('register-submit').click()
  await expect(memberPage).toHaveURL(/\/dashboard$/)
  await memberPage.getByTestId('nav-settings').click()
  await memberPage.getByTestId('tab-api-keys').click()
  await expect(memberPage.getByTestId('key-form')).toBeVisible() // members create their own keys
  // The link is used up.
  const used = await memberPage.request.get(`/api/v1/invites/${link.split('/invite/')[1]}`)
  expect(used.status()).toBe(404)

  await ownerPage.reload()
  const row = ownerPage.locator(`[data-testid="member-row"][data-email="${invitee.email}"]`)
  await expect(row).toBeVisible()
  await expect(ownerPage.getByTestId('invites-empty')).toBeVisible()
  await row.getByTestId('member-role').selectOption('viewer')
  await expect(row.getByTestId('member-role')).toHaveValue('viewer')

  // The member's next sign-in carries the new role: settings are read-only, no keys.
  await memberPage.reload()
  await expect(memberPage.getByTestId('keys-hidden')).toBeVisible()
  await memberPage.getByTestId('tab-general').click()
  await expect(memberPage.getByTestId('settings-readonly')).toBeVisible()
  await expect(memberPage.getByTestId('general-name')).toBeDisabled()
  await shot(ownerPage, 'settings-team')
})

test('another invitee declines through the link, and the invite is gone', async ({ browser }) => {
  await ownerPage.getByTestId('tab-team').click()
  await ownerPage.getByTestId('invite-email').fill(decliner)
  await ownerPage.getByTestId('invite-submit').click()
  const link = ((await ownerPage.getByTestId('invite-link').textContent()) ?? '').trim()
  await expect(ownerPage.getByTestId('invite-row')).toContainText(decliner)
  const page = await (await browser.newContext()).newPage()
  await page.goto(link)
  await page.getByTestId('invite-decline').click()
  await page.getByTestId('invite-decline-confirm').click()
  await expect(page.getByTestId('invite-declined')).toBeVisible()
  await page.reload()
  await expect(page.getByTestId('invite-error')).toContainText('not valid')
  await page.context().close()
  await ownerPage.reload()
  await expect(ownerPage.getByTestId('invites-empty')).toBeVisible()
})

test('a webhook integration sends a test to a local receiver and shows its answer', async () => {
  const received: { body: string; headers: IncomingHttpHeaders }[] = []
  let status = 200
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push({ body, headers: req.headers })
      res.writeHead(status).end(status === 200 ? 'ok' : 'receiver is down for maintenance')
    })
  })
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok))
  const port = (receiver.address() as { port: number }).port
  try {
    await ownerPage.getByTestId('tab-integrations').click()
    await expect(ownerPage.getByTestId('integration-webhook-state')).toHaveText('not configured')
    await ownerPage.getByTestId('integration-webhook-url').fill(`http://127.0.0.1:${port}/hook`)
    await ownerPage.getByTestId('integration-webhook-secret').fill('e2e-secret')
    await ownerPage.getByTestId('integration-webhook-save').click()
    await expect(ownerPage.getByTestId('integration-webhook-state')).toHaveText('configured')
    await expect(ownerPage.getByTestId('integration-webhook-secret')).toHaveValue('') // never shown back
    await ownerPage.getByTestId('integration-webhook-test').click()
    await expect(ownerPage.getByTestId('integration-webhook-test-result')).toHaveAttribute('data-ok', 'true')
    expect(received).toHaveLength(1)
    expect(JSON.parse(received[0]!.body).rule_name).toBe('Test notification')
    expect(received[0]!.headers['x-agentobs-signature']).toMatch(/^sha256=/)
    status = 503
    await ownerPage.getByTestId('integration-webhook-test').click()
    await expect(ownerPage.getByTestId('integration-webhook-test-result')).toHaveAttribute('data-ok', 'false')
    await expect(ownerPage.getByTestId('integration-webhook-test-result')).toContainText('down for maintenance')
    await expectAccessible(ownerPage, 'settings-integrations')
    await shot(ownerPage, 'settings-integrations')
  } finally {
    receiver.close()
  }
})

test('a key is created, shown once, used, and revoked', async () => {
  await ownerPage.getByTestId('tab-api-keys').click()
  await ownerPage.getByTestId('key-name').fill('e2e agent')
  await ownerPage.getByTestId('key-create').click()
  const secret = (await ownerPage.getByTestId('key-secret').textContent())?.trim() ?? ''
  expect(secret).toMatch(/^ao_/)
  const ingest = () =>
    ownerPage.request.post('/api/v1/traces', {
      headers: { Authorization: `Bearer ${secret}` },
      data: { trace_id: `e2e-key-${stamp}-${Math.random()}`, agent_id: 'e2e-agent', timestamp: new Date().toISOString() },
    })
  expect((await ingest()).status()).toBe(202)
  await ownerPage.reload()
  await expect(ownerPage.getByTestId('key-secret')).toHaveCount(0) // shown only once
  const row = ownerPage.locator('[data-testid="key-row"][data-name="e2e agent"]')
  await row.getByTestId('key-revoke').click()
  await ownerPage.getByTestId('key-revoke-confirm').click()
  await expect(row).toHaveCount(0)
  expect((await ingest()).status()).toBe(401)

  await ownerPage.getByTestId('tab-audit').click()
  await expect(ownerPage.locator('[data-testid="audit-row"][data-action="api_key.revoke"]')).toBeVisible()
  await expect(ownerPage.locator('[data-testid="audit-row"][data-action="member.role"]')).toBeVisible()
  await ownerPage.getByTestId('tab-usage').click()
  await expect(ownerPage.getByTestId('billing-state')).toContainText('Not configured')
  await expect(ownerPage.getByTestId('plan-usage-totals')).toContainText('spans and')
  await expectAccessible(ownerPage, 'settings-audit')
})

test('Home updates without a reload when a trace is ingested', async () => {
  await ownerPage.getByTestId('tab-api-keys').click()
  await ownerPage.getByTestId('key-name').fill('live agent')
  await ownerPage.getByTestId('key-create').click()
  const secret = (await ownerPage.getByTestId('key-secret').textContent())?.trim() ?? ''
  await ownerPage.getByTestId('nav-home').click()
  await expect(ownerPage.getByTestId('live-status')).toHaveAttribute('data-status', 'live')
  const requests = ownerPage.getByTestId('kpi-requests-value')
  await expect(requests).toBeVisible()
  const before = Number(((await requests.textContent()) ?? '').replace(/[^0-9.]/g, '')) || 0
  // A marker on the window survives only if the page is not reloaded.
  await ownerPage.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1))
  const sent = await ownerPage.request.post('/api/v1/traces', {
    headers: { Authorization: `Bearer ${secret}` },
    data: { trace_id: `e2e-live-${stamp}`, agent_id: 'live-agent', timestamp: new Date().toISOString(), latency_ms: 120 },
  })
  expect(sent.status()).toBe(202)
  await expect(requests).toHaveText(String(before + 1), { timeout: 15_000 })
  expect(await ownerPage.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1)

  // The traces list announces new traces instead of moving under the reader.
  await ownerPage.getByTestId('nav-traces').click()
  await expect(ownerPage.getByTestId('page-traces')).toBeVisible()
  await expect(ownerPage.getByTestId('live-status')).toHaveAttribute('data-status', 'live')
  const next = await ownerPage.request.post('/api/v1/traces', {
    headers: { Authorization: `Bearer ${secret}` },
    data: { trace_id: `e2e-live-2-${stamp}`, agent_id: 'live-agent', timestamp: new Date().toISOString(), latency_ms: 80 },
  })
  expect(next.status()).toBe(202)
  await expect(ownerPage.getByTestId('traces-new-banner')).toHaveText('1 new trace: show', { timeout: 15_000 })
  await ownerPage.getByTestId('traces-new-banner').click()
  await expect(ownerPage.getByTestId('traces-new-banner')).toHaveCount(0)
  await expect(ownerPage.locator(`[data-testid="trace-row"][data-trace-id="e2e-live-2-${stamp}"]`)).toBeVisible()
})

test('the Alerts page shows an alert that starts firing without a reload', async () => {
  // The refresh cookie of this browser gives an access token for the API calls.
  const session = await ownerPage.request.post('/api/v1/auth/refresh', { data: {} })
  expect(session.status(), await session.text()).toBe(200)
  const token = ((await session.json()) as { access_token: string }).access_token
  await ownerPage.getByTestId('nav-alerts').click()
  await expect(ownerPage.getByTestId('page-alerts')).toBeVisible()
  await expect(ownerPage.getByTestId('live-status')).toHaveAttribute('data-status', 'live')
  await ownerPage.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1))
  const name = `Live check ${stamp}`
  // Traces were ingested above: any request in the window breaches, at the alert role's next tick.
  const rule = await ownerPage.request.post('/api/v1/alert-rules', {
    headers: { Authorization: `Bearer ${token}` },
    data: { name, metric: 'request_count', operator: '>', threshold: 0, window: '1h', min_samples: 1, severity: 'info' },
  })
  expect(rule.status(), await rule.text()).toBe(201)
  // Faster than the page's 15 s fallback poll: the alert_state message brought it.
  await expect(ownerPage.locator('[data-testid="alert-row"][data-status="firing"]').filter({ hasText: name })).toBeVisible({ timeout: 12_000 })
  expect(await ownerPage.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1)
  await ownerPage.request.delete(`/api/v1/alert-rules/${((await rule.json()) as { id: string }).id}`, { headers: { Authorization: `Bearer ${token}` } })
})
