// The dashboard end to end, in Chromium, against the real binary seeded with demo data:
// register, Home KPIs against the API, time range, trace drill-down, the analytics pages,
// a budget that persists, accessibility, screenshots, sign out.
import { expect, test, type Page } from '@playwright/test'
import { apiJSON, compact, expectAccessible, fillSetupKey, shot } from './helpers'

interface KPI {
  value: number | null
  previous: number | null
  change_pct: number | null
}
interface HomeKPIs {
  total_requests: KPI
  avg_latency_ms: KPI
  p95_latency_ms: KPI
  total_cost_usd: KPI
  success_rate_pct: KPI
}

const user = { name: 'Ada Lovelace', email: `ada-${Date.now()}@example.com`, password: 'analytical-engine-1843' }

test.describe.configure({ mode: 'serial' })

let page: Page

test.beforeAll(async ({ browser }) => {
  const context = await browser.newContext()
  page = await context.newPage()
})

test.afterAll(async () => {
  await page.context().close()
})

test('an anonymous visitor is sent to sign in', async () => {
  await page.goto('/dashboard/usage?range=7d')
  await expect(page).toHaveURL(/\/signin\?next=/)
  await expect(page.getByTestId('signin-form')).toBeVisible()
  await expectAccessible(page, 'sign-in')
  await shot(page, 'signin')
})

test('register, which signs in and owns the seeded workspace', async () => {
  const setupAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/setup')
  await page.getByTestId('to-register').click()
  await expect(page.getByTestId('register-form')).toBeVisible()
  // The first account must prove it runs the server with the setup key.
  expect(await (await setupAnswer).json()).toEqual({ setup_required: true })
  await expect(page.getByTestId('register-setup-key')).toBeVisible()
  await expectAccessible(page, 'register')
  await shot(page, 'register')
  await page.getByTestId('register-name').fill(user.name)
  await page.getByTestId('register-email').fill(user.email)
  await page.getByTestId('register-password').fill(user.password)
  await page.getByTestId('register-setup-key').fill(process.env.E2E_SETUP_KEY ?? '')
  const { body } = await apiJSON<HomeKPIs>(page, '/api/v1/metrics/home-kpis', () => page.getByTestId('register-submit').click())
  await expect(page).toHaveURL(/\/dashboard$/)
  await expect(page.getByTestId('workspace-name')).not.toHaveText('No workspace')
  expect(body.total_requests.value).toBeGreaterThan(0)
})

test('Home KPIs show the numbers the API returns', async () => {
  const { url, body } = await apiJSON<HomeKPIs>(page, '/api/v1/metrics/home-kpis', () => page.reload())
  expect(url.searchParams.get('range')).toBe('24h')
  const requests = page.getByTestId('kpi-requests-value')
  await expect(requests).toHaveAttribute('data-value', String(body.total_requests.value))
  await expect(requests).toHaveText(compact(body.total_requests.value ?? 0))
  await expect(page.getByTestId('kpi-cost-value')).toHaveAttribute('data-value', String(body.total_cost_usd.value))
  await expect(page.getByTestId('kpi-success-rate-value')).toHaveText(/%$/)
  await expect(page.getByTestId('kpi-avg-latency-value')).toHaveText(/\d( ms| s)$/)
  await expect(page.getByTestId('activity-row').first()).toBeVisible()
  await expect(page.getByTestId('home-requests-chart').locator('.recharts-surface')).toBeVisible()
  await expectAccessible(page, 'home')
  await shot(page, 'home')
})

test('changing the time range refetches and changes the KPIs', async () => {
  const before = await page.getByTestId('kpi-requests-value').getAttribute('data-value')
  await page.getByTestId('time-range-select').click()
  const { url, body } = await apiJSON<HomeKPIs>(page, '/api/v1/metrics/home-kpis', () => page.getByTestId('time-range-7d').click())
  expect(url.searchParams.get('range')).toBe('7d')
  await expect(page).toHaveURL(/range=7d/)
  const after = page.getByTestId('kpi-requests-value')
  await expect(after).toHaveAttribute('data-value', String(body.total_requests.value))
  expect(Number(body.total_requests.value)).toBeGreaterThan(Number(before))
  await expect(after).toHaveText(compact(body.total_requests.value ?? 0))
})

test('a custom range sends its bounds and keeps them in the URL', async () => {
  await page.getByTestId('time-range-select').click()
  await page.getByTestId('time-range-custom').click()
  const dialog = page.getByTestId('custom-range-dialog')
  await expect(dialog).toBeVisible()
  const pad = (n: number) => String(n).padStart(2, '0')
  const local = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  const to = new Date()
  const from = new Date(to.getTime() - 3 * 86_400_000)
  await page.getByTestId('custom-range-from').fill(local(from))
  await page.getByTestId('custom-range-to').fill(local(to))
  const { url, body } = await apiJSON<HomeKPIs>(page, '/api/v1/metrics/home-kpis', () => page.getByTestId('custom-range-apply').click())
  expect(url.searchParams.get('range')).toBeNull()
  expect(url.searchParams.get('from')).toMatch(/^\d{4}-\d\d-\d\dT/)
  await expect(page).toHaveURL(/range=custom&from=.+&to=.+/)
  await expect(page.getByTestId('kpi-requests-value')).toHaveAttribute('data-value', String(body.total_requests.value))
  // Back to the last 7 days for the rest of the walk.
  await page.goBack()
  await expect(page).toHaveURL(/range=7d$/)
})

test('drill from the activity stream into a trace and see its span tree', async () => {
  const link = page.getByTestId('activity-trace-link').first()
  await link.click()
  await expect(page).toHaveURL(/\/dashboard\/traces\/[^/?]+/)
  await expect(page.getByTestId('page-trace')).toBeVisible()
  const rows = page.getByTestId('span-row')
  await expect(rows.first()).toBeVisible()
  expect(await rows.count()).toBeGreaterThan(0)
  await expect(page.getByTestId('span-details')).toBeVisible()
  const last = rows.last()
  await last.getByTestId('span-select').click()
  await expect(last).toHaveAttribute('aria-selected', 'true')
  await expectAccessible(page, 'trace')
  await shot(page, 'trace')
})

test('the traces explorer filters by a clicked agent and pages', async () => {
  await page.getByTestId('nav-traces').click()
  await expect(page.getByTestId('trace-row').first()).toBeVisible()
  await expect(page.getByTestId('traces-count')).toContainText('of')
  await expectAccessible(page, 'traces')
  await shot(page, 'traces')
  const agentLink = page.getByTestId('trace-row').first().getByTestId('filter-link-agent_id')
  const agent = (await agentLink.textContent()) ?? ''
  await agentLink.click()
  await expect(page).toHaveURL(new RegExp(`agent_id=${encodeURIComponent(agent)}`))
  await expect(page.getByTestId('filter-chip-agent_id')).toContainText(agent)
  // The unfiltered rows stay on screen, dimmed, until the filtered page arrives.
  const agents = page.getByTestId('trace-row').getByTestId('filter-link-agent_id')
  await expect.poll(async () => [...new Set(await agents.allTextContents())]).toEqual([agent])
  await page.getByTestId('traces-next').click()
  await expect(page.getByTestId('traces-count')).toContainText(/^51–/)
  await page.getByTestId('traces-clear-filters').click()
  await expect(page.getByTestId('filter-chip-agent_id')).toHaveCount(0)
})

test('sessions list a conversation and its traces', async () => {
  await page.getByTestId('nav-sessions').click()
  await expect(page.getByTestId('session-row').first()).toBeVisible()
  await page.getByTestId('session-link').first().click()
  await expect(page.getByTestId('session-trace').first()).toBeVisible()
  await expectAccessible(page, 'session')
  await shot(page, 'session')
})

test('Usage renders its KPIs and charts with data', async () => {
  await page.getByTestId('nav-usage').click()
  await expect(page.getByTestId('kpi-total-calls-value')).toHaveAttribute('data-value', /^[1-9]\d*$/)
  await expect(page.getByTestId('usage-calls-chart').locator('.recharts-line-curve').first()).toBeVisible()
  await expect(page.getByTestId('usage-agent-distribution').locator('.recharts-pie-sector').first()).toBeVisible()
  await expect(page.getByTestId('top-user-row').first()).toBeVisible()
  const { url } = await apiJSON(page, '/api/v1/usage/calls-over-time', () => page.getByTestId('granularity-daily').click())
  expect(url.searchParams.get('granularity')).toBe('daily')
  await expectAccessible(page, 'usage')
  await shot(page, 'usage')
})

test('Cost renders its charts, and a budget set in the dialog persists across reload', async () => {
  await page.getByTestId('nav-cost').click()
  await expect(page.getByTestId('kpi-total-spend-value')).toHaveText(/^\$/)
  await expect(page.getByTestId('cost-trend-chart').locator('.recharts-area-area').first()).toBeVisible()
  await expect(page.getByTestId('cost-by-model-chart').locator('.recharts-bar-rectangle').first()).toBeVisible()
  await page.getByTestId('set-budget').click()
  await expect(page.getByTestId('budget-dialog')).toBeVisible()
  await page.getByTestId('budget-limit').fill('1234')
  await page.getByTestId('budget-thresholds').fill('50, 80, 100')
  await page.getByTestId('budget-save').click()
  await expect(page.getByTestId('budget-dialog')).toBeHidden()
  await expect(page.getByTestId('budget-limit-value')).toHaveText('$1,234')
  await page.reload()
  await expect(page.getByTestId('budget-limit-value')).toHaveText('$1,234')
  await expect(page.getByTestId('budget-progress')).toBeVisible()
  await expect(page.getByTestId('kpi-budget-remaining-value')).toHaveText(/^\$/)
  await expectAccessible(page, 'cost')
  await shot(page, 'cost')
})

test('Performance renders latency, throughput and errors with health badges', async () => {
  await page.getByTestId('nav-performance').click()
  await expect(page.getByTestId('perf-health')).toHaveAttribute('data-health', /healthy|degraded|critical/)
  await expect(page.getByTestId('kpi-p95-value')).toHaveText(/\d( ms| s)$/)
  await expect(page.getByTestId('perf-latency-chart').locator('.recharts-line-curve')).toHaveCount(3)
  await expectAccessible(page, 'performance')
  await shot(page, 'performance')
  await page.getByTestId('perf-tab-throughput').click()
  await expect(page.getByTestId('perf-throughput-chart').locator('.recharts-area-area').first()).toBeVisible()
  await page.getByTestId('perf-tab-errors').click()
  await expect(page.getByTestId('error-row').first()).toBeVisible()
  await shot(page, 'performance-errors')
})

test('dark theme and a 390-px phone', async () => {
  await page.getByTestId('nav-home').click()
  await page.getByTestId('theme-toggle').click()
  await expect(page.locator('html')).toHaveClass(/dark/)
  await expect(page.getByTestId('kpi-requests-value')).toBeVisible()
  await expectAccessible(page, 'home-dark')
  await shot(page, 'home-dark')
  await page.setViewportSize({ width: 390, height: 844 })
  await expect(page.getByTestId('sidebar')).toBeHidden()
  await page.getByTestId('nav-open').click()
  await expect(page.getByTestId('mobile-nav')).toBeVisible()
  await page.getByTestId('mobile-nav').getByTestId('nav-cost').click()
  await expect(page.getByTestId('page-cost')).toBeVisible()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow, 'the page scrolls sideways on a phone').toBeLessThanOrEqual(0)
  await shot(page, 'cost-phone-dark')
  await page.setViewportSize({ width: 1280, height: 900 })
})

test('Alerts: a rule made in the editor previews the last 7 days, then fires', async () => {
  await page.getByTestId('nav-alerts').click()
  await expect(page.getByTestId('page-alerts')).toBeVisible()
  await page.getByTestId('alerts-tab-rules').click()
  await page.getByTestId('rule-name').fill('Seeded traffic')
  await page.getByTestId('rule-metric').selectOption('request_count')
  await page.getByTestId('rule-operator').selectOption('>')
  await page.getByTestId('rule-threshold').fill('10')
  await page.getByTestId('rule-window').selectOption('24h')
  await page.getByTestId('rule-preview').click()
  const chart = page.getByTestId('rule-preview-chart')
  await expect(chart).toHaveAttribute('data-fired', /^[1-9]/)
  await expect(page.getByTestId('rule-preview-summary')).toContainText('Would have fired at')
  await shot(page, 'alerts-rule-editor')
  await page.getByTestId('rule-save').click()
  await expect(page.getByTestId('rule-saved')).toBeVisible()
  await expect(page.getByTestId('rule-row').filter({ hasText: 'Seeded traffic' })).toBeVisible()
  await page.getByTestId('alerts-tab-active').click()
  // The alert role evaluates new rules within seconds; the table refreshes every 15 s.
  const row = page.getByTestId('alert-row').filter({ hasText: 'Seeded traffic' })
  await expect(row).toBeVisible({ timeout: 45_000 })
  await expect(row).toHaveAttribute('data-status', 'firing')
  await row.getByTestId('alert-ack').click()
  await expect(row).toHaveAttribute('data-status', 'acknowledged')
  await shot(page, 'alerts-active')
  // Silence it from its row: the Silences tab opens with matchers for its rule.
  await row.getByTestId('alert-silence').click()
  await expect(page.getByTestId('silence-matchers')).toHaveValue(/^rule_id=/)
  await page.getByTestId('silence-comment').fill('looking into it')
  await page.getByTestId('silence-save').click()
  await expect(page.getByTestId('silence-saved')).toBeVisible()
  await expect(page.getByTestId('silence-row').filter({ hasText: 'looking into it' })).toBeVisible()
  await page.getByTestId('nav-home').click()
  await expect(page.getByTestId('page-home')).toContainText('Seeded traffic', { timeout: 45_000 })
})

test('sign out ends the session', async () => {
  await page.getByTestId('user-menu').click()
  await page.getByTestId('sign-out').click()
  await expect(page).toHaveURL(/\/signin/)
  await page.goto('/dashboard')
  await expect(page).toHaveURL(/\/signin/)
  // The refresh cookie is gone too: signing in again works with the password.
  await page.getByTestId('signin-email').fill(user.email)
  await page.getByTestId('signin-password').fill(user.password)
  await page.getByTestId('signin-submit').click()
  await expect(page).toHaveURL(/\/dashboard/)
  await expect(page.getByTestId('kpi-requests-value')).toBeVisible()
})
