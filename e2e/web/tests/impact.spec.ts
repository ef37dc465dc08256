// The Impact page end to end, in Chromium, against the real binary: a user of a workspace of
// their own sends three identical requests and a deployment marker with an API key, runs a
// cost analysis from the Cost page, adds a goal and an infrastructure cost, and reads ROI,
// goal progress, the timeline and the before/after split that the server computed.
import { expect, test, type Page } from '@playwright/test'
import { expectAccessible, shot } from './helpers'

const user = { name: 'Katherine Johnson', email: `katherine-${Date.now()}@example.com`, password: 'trajectory-1962' }

test.describe.configure({ mode: 'serial' })

let page: Page
let token = ''
let apiKey = ''

async function api<T>(method: string, path: string, body?: unknown, cred = token): Promise<{ status: number; body: T }> {
  const res = await page.request.fetch(path, {
    method,
    headers: { Authorization: `Bearer ${cred}`, 'Content-Type': 'application/json' },
    data: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status(), body: (await res.json().catch(() => ({}))) as T }
}

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage()
  await page.goto('/signin')
  // The first account owns the seeded demo workspace: when this spec runs alone, someone else
  // takes it, so that this user's workspace holds only what the test sends.
  const setup = await page.request.get('/api/v1/auth/setup')
  if (((await setup.json()) as { setup_required?: boolean }).setup_required) {
    const first = await page.request.post('/api/v1/auth/register', {
      data: { name: 'Demo Owner', email: `owner-${Date.now()}@example.com`, password: 'seeded-demo-owner', setup_key: process.env.E2E_SETUP_KEY },
    })
    expect(first.status(), await first.text()).toBe(201)
  }
  const reg = await page.request.post('/api/v1/auth/register', { data: { ...user, create_workspace: true, setup_key: process.env.E2E_SETUP_KEY } })
  expect(reg.status(), await reg.text()).toBe(201)
  token = ((await reg.json()) as { access_token: string }).access_token
  const key = await api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'agent', scopes: ['ingest', 'read'] })
  apiKey = key.body.key
})

test.afterAll(async () => {
  await page.context().close()
})

test('savings, ROI by hand, goals, timeline and the deployment split', async () => {
  const now = Date.now()
  const deployed = await api<{ id: string }>(
    'POST',
    '/api/v1/events',
    { type: 'deployment', title: 'support-bot v2', agent_id: 'support-bot', version: 'v2', timestamp: new Date(now - 30 * 60_000).toISOString(), metadata: { commit: 'a1b2c3' } },
    apiKey,
  )
  expect(deployed.status).toBe(201)
  // Three identical requests: 20,000 input and 2,000 output tokens of gpt-4o are
  // $0.05 + $0.02 = $0.07 each; caching the answer saves two of them, $0.14.
  const ids = [1, 2, 3].map((i) => `impact-${now}-${i}`)
  for (const [i, id] of ids.entries()) {
    const r = await api(
      'POST',
      '/api/v1/traces',
      { trace_id: id, agent_id: 'support-bot', name: 'answer', model: 'gpt-4o', timestamp: new Date(now - (10 - i) * 60_000).toISOString(), input: 'What is my order status?', output: 'Shipped.', tokens_input: 20000, tokens_output: 2000 },
      apiKey,
    )
    expect(r.status).toBeLessThan(300)
  }
  await expect.poll(async () => (await Promise.all(ids.map((id) => api('GET', `/api/v1/traces/${id}`)))).every((r) => r.status === 200), { timeout: 20_000 }).toBe(true)

  await page.getByTestId('signin-email').fill(user.email)
  await page.getByTestId('signin-password').fill(user.password)
  await page.getByTestId('signin-submit').click()
  await expect(page).toHaveURL(/\/dashboard/)
  await expect(page.getByTestId('home-insights')).toBeVisible()
  // The deployment marks the Home requests chart.
  await expect(page.getByTestId('home-requests-chart-events')).toContainText('deployment: support-bot v2')

  await page.getByTestId('nav-cost').click()
  await expect(page.getByTestId('cost-trend-chart-events')).toContainText('deployment: support-bot v2')
  const feed = page.getByTestId('cost-insights')
  await expect(feed.getByTestId('cost-insights-empty')).toBeVisible()
  await feed.getByTestId('cost-insights-run').click()
  const dup = feed.locator('[data-testid="insight-finding"][data-kind="duplicate_requests"]')
  await expect(dup).toBeVisible()
  await expect(dup.getByTestId('insight-savings')).toHaveText('saves $0.14')
  await expect(dup.getByTestId('insight-confidence')).toHaveText('measured')
  await expect(dup.getByTestId('insight-evidence').getByRole('link')).toHaveCount(2)

  await page.getByTestId('nav-impact').click()
  await expect(page.getByTestId('page-impact')).toBeVisible()
  await expect(page.getByTestId('goals-empty')).toBeVisible()
  await page.getByTestId('add-goal').click()
  await page.getByTestId('goal-name').fill('tickets deflected')
  await page.getByTestId('goal-unit').fill('ticket')
  await page.getByTestId('goal-value').fill('5')
  await page.getByTestId('goal-target').fill('40')
  await page.getByTestId('goal-achieved').fill('10')
  await page.getByTestId('goal-save').click()
  await expect(page.getByTestId('goal-row')).toContainText('10 of 40 ticket · $50.00')
  await page.getByTestId('infra-monthly').fill('72')
  await page.getByTestId('infra-save').click()

  // ROI by hand over the last 24 hours: value 10 × $5 = $50; LLM $0.21; infrastructure
  // $72 a month over 1 of 30 days = $2.40; cost $2.61, net $47.39, ROI 47.39 / 2.61 = 1815.7 %.
  await expect(page.getByTestId('roi-cost-value')).toHaveText('$2.61')
  await expect(page.getByTestId('roi-net-value')).toHaveText('$47.39')
  const roi = Number(await page.getByTestId('roi-percent-value').getAttribute('data-value'))
  expect(roi).toBeCloseTo(1815.7088, 3)
  await expect(page.getByTestId('roi-formula')).toContainText('ROI = (value − (LLM cost + infrastructure cost))')

  const event = page.locator('[data-testid="timeline-event"][data-type="deployment"]')
  await expect(event).toContainText('support-bot v2')
  await expect(event).toContainText('v2')
  await expect(page.getByTestId('deployment-before')).toContainText('0')
  await expect(page.getByTestId('deployment-after')).toContainText('$0.07')
  await expect(page.getByTestId('impact-savings').getByTestId('insight-finding').first()).toBeVisible()
  await shot(page, 'impact')
  await expectAccessible(page, 'impact page')
})
