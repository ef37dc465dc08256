// Measures, in Chromium, how long each page takes from navigation until its KPIs (or its
// first rows) are visible, and how much JavaScript the first page load downloads.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { artifacts, fillSetupKey } from '../tests/helpers'

const pages = [
  { name: 'home', path: '/dashboard', ready: 'kpi-requests-value' },
  { name: 'traces', path: '/dashboard/traces', ready: 'trace-row' },
  { name: 'sessions', path: '/dashboard/sessions', ready: 'session-row' },
  { name: 'usage', path: '/dashboard/usage', ready: 'kpi-total-calls-value' },
  { name: 'cost', path: '/dashboard/cost', ready: 'kpi-total-spend-value' },
  { name: 'performance', path: '/dashboard/performance', ready: 'kpi-p95-value' },
]

test('time to KPIs on every page', async ({ browser }) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  // The first user to register owns the seeded workspace; on a reused data directory that user
  // exists already and signs in instead.
  const email = process.env.E2E_PERF_EMAIL ?? 'perf@example.com'
  const password = process.env.E2E_PERF_PASSWORD ?? 'measure-it-please'
  await page.goto('/register')
  await fillSetupKey(page)
  await page.getByTestId('register-email').fill(email)
  await page.getByTestId('register-password').fill(password)
  await page.getByTestId('register-submit').click()
  await expect(page.getByTestId('register-error').or(page.getByTestId('page-home'))).toBeVisible({ timeout: 120_000 })
  if (await page.getByTestId('register-error').isVisible()) {
    await page.goto('/signin')
    await page.getByTestId('signin-email').fill(email)
    await page.getByTestId('signin-password').fill(password)
    await page.getByTestId('signin-submit').click()
  }
  await expect(page.getByTestId('kpi-requests-value')).toBeVisible({ timeout: 120_000 })

  const results: Record<string, unknown>[] = []
  for (const range of ['24h', '30d']) {
    for (const p of pages) {
      // A full page load: new document, session restored from the refresh cookie, the
      // route's chunks and API answers fetched; the browser's HTTP cache is warm for JS.
      const t0 = Date.now()
      await page.goto(`${p.path}?range=${range}`)
      await expect(page.getByTestId(p.ready).first()).toBeVisible({ timeout: 120_000 })
      const load = Date.now() - t0
      // A client-side navigation (sidebar click) to the same page after leaving it.
      await page.getByTestId(p.name === 'home' ? 'nav-traces' : 'nav-home').click()
      await page.waitForLoadState('networkidle')
      const t1 = Date.now()
      await page.getByTestId(`nav-${p.name}`).first().click()
      await expect(page.getByTestId(p.ready).first()).toBeVisible({ timeout: 120_000 })
      const nav = Date.now() - t1
      results.push({ page: p.name, range, full_load_ms: load, client_nav_ms: nav })
    }
  }

  writeFileSync(join(artifacts, 'perf.json'), JSON.stringify({ results }, null, 2))

  // Initial JavaScript of a cold visit: a fresh context with an empty cache, counting the
  // compressed bytes of every script fetched until the page's KPIs are visible.
  const cold = await browser.newContext()
  const cp = await cold.newPage()
  const scripts = new Map<string, Promise<number>>()
  cp.on('requestfinished', (req) => {
    if (req.resourceType() === 'script') scripts.set(new URL(req.url()).pathname, req.sizes().then((s) => s.responseBodySize))
  })
  const total = async () => (await Promise.all(scripts.values())).reduce((a, b) => a + b, 0)
  await cp.goto('/signin')
  await expect(cp.getByTestId('signin-form')).toBeVisible()
  const signinJS = await total()
  const initial: Record<string, number> = {}
  let coldHome = 0
  for (const p of pages) {
    // Refresh tokens rotate and a reused one ends the session: sign this context in anew.
    await cold.clearCookies()
    const login = await cold.request.post('/api/v1/auth/login', { data: { email, password, cookie: true } })
    expect(login.status()).toBe(200)
    const fresh = await cold.newPage()
    const own = new Map<string, Promise<number>>()
    fresh.on('requestfinished', (req) => {
      if (req.resourceType() === 'script') own.set(new URL(req.url()).pathname, req.sizes().then((s) => s.responseBodySize))
    })
    // A new page in the same cold context would reuse its cache: clear it through CDP.
    const cdp = await cold.newCDPSession(fresh)
    await cdp.send('Network.clearBrowserCache')
    const t = Date.now()
    await fresh.goto(p.path)
    await expect(fresh.getByTestId(p.ready).first()).toBeVisible({ timeout: 120_000 })
    if (p.name === 'home') coldHome = Date.now() - t
    initial[p.name] = (await Promise.all(own.values())).reduce((a, b) => a + b, 0)
    await fresh.close()
  }

  const report = { results, cold_home_ms: coldHome, js_loaded_before_kpis_gzip_bytes: { signin: signinJS, ...initial } }
  writeFileSync(join(artifacts, 'perf.json'), JSON.stringify(report, null, 2))
  console.log(JSON.stringify(report, null, 2))
  await cold.close()
  await context.close()
})
