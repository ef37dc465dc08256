// The Quality page end to end: a user of a new workspace sends a trace, has the judge (a
// local stand-in for Gemini, see fake-judge.ts) evaluate it from the page, and finds the
// verdict in the KPIs, the history and its detail dialog.
import { expect, test, type Page } from '@playwright/test'
import { expectAccessible, shot } from './helpers'

const user = { name: 'Grace Hopper', email: `grace-${Date.now()}@example.com`, password: 'compiler-a0-1952' }
const traceId = `quality-e2e-${Date.now()}`

test.describe.configure({ mode: 'serial' })

let page: Page

test.beforeAll(async ({ browser, baseURL }) => {
  // A workspace of her own, an ingest key, and one trace sent with it.
  const api = (path: string, body: unknown, token?: string) =>
    fetch(`${baseURL}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    })
  const reg = await api('/api/v1/auth/register', { ...user, workspace_name: 'Quality e2e' })
  expect(reg.status).toBe(201)
  const { access_token: token } = (await reg.json()) as { access_token: string }
  const keyRes = await api('/api/v1/api-keys', { name: 'e2e', scopes: ['ingest', 'read'] }, token)
  expect(keyRes.status).toBe(201)
  const { key } = (await keyRes.json()) as { key: string }
  const ingest = await api(
    '/api/v1/traces',
    { trace_id: traceId, agent_id: 'support-bot', timestamp: new Date().toISOString(), input: 'Where is my order?', output: 'It ships tomorrow.', status: 'success', model: 'gpt-4o-mini' },
    key,
  )
  expect(ingest.status).toBe(202)
  // Ingestion commits asynchronously: wait until the trace reads back.
  await expect
    .poll(async () => (await fetch(`${baseURL}/api/v1/traces/${traceId}`, { headers: { Authorization: `Bearer ${key}` } })).status, { timeout: 10_000 })
    .toBe(200)
  const ab = await api('/api/v1/ab-tests', { name: 'Shorter prompt', primary_metric: 'success_rate', guardrail_metrics: ['latency'] }, token)
  expect(ab.status).toBe(201)
  page = await (await browser.newContext()).newPage()
})

test.afterAll(async () => {
  await page.context().close()
})

test('sign in and open an empty Quality page', async () => {
  await page.goto('/signin')
  await page.getByTestId('signin-email').fill(user.email)
  await page.getByTestId('signin-password').fill(user.password)
  await page.getByTestId('signin-submit').click()
  await expect(page).toHaveURL(/\/dashboard/)
  await page.getByTestId('nav-quality').click()
  await expect(page.getByTestId('page-quality')).toBeVisible()
  await expect(page.getByTestId('quality-history-empty')).toBeVisible()
  await expect(page.getByTestId('judge-status')).toHaveCount(0)
  await expectAccessible(page, 'quality-empty')
})

test('evaluate a trace now and see it on the Quality page', async () => {
  await page.getByTestId('evaluate-now').click()
  await page.getByTestId('evaluate-trace-id').fill(traceId)
  await page.getByTestId('evaluate-submit').click()
  await expect(page.getByTestId('evaluate-now-result')).toContainText('Overall 80 (done)')
  await page.keyboard.press('Escape')

  const row = page.getByTestId('evaluation-row').filter({ hasText: traceId })
  await expect(row).toBeVisible()
  await expect(row.getByTestId('evaluation-overall')).toHaveText('80')
  await expect(row.getByTestId('evaluation-status')).toHaveText('done')
  await expect(page.getByTestId('kpi-quality-overall-value')).toHaveText('80')
  await expect(page.getByTestId('kpi-quality-accuracy-value')).toHaveText('80')
  await expect(page.getByTestId('quality-trend-chart').locator('.recharts-line')).toHaveCount(1)
  await expectAccessible(page, 'quality')
  await shot(page, 'quality')

  await row.getByTestId('evaluation-view').click()
  const dialog = page.getByTestId('evaluation-dialog')
  await expect(dialog.getByTestId('evaluation-dialog-prompt')).toContainText('Where is my order?')
  await expect(dialog.getByTestId('evaluation-dialog-raw')).toContainText('"accuracy"')
  await expect(dialog.getByTestId('verdict-row')).toHaveCount(4)
  // 1,000 input and 100 output tokens of gemini-2.5-flash at $0.30 and $2.50 per million.
  await expect(dialog.getByTestId('evaluation-dialog-cost')).toHaveText('$0.00055')
  await shot(page, 'quality-evaluation')
  await page.keyboard.press('Escape')

  // The A/B test has too little data for a verdict, and says so.
  const card = page.getByTestId('ab-test-card').filter({ hasText: 'Shorter prompt' })
  await expect(card.getByTestId('ab-srm')).toHaveAttribute('data-blocked', 'false')
  await expect(card.getByTestId('ab-verdict')).toHaveAttribute('data-verdict', 'no_difference_yet')

  await page.getByTestId('history-tab-auto').click()
  await expect(page.getByTestId('quality-history-empty')).toBeVisible()
  await page.getByTestId('history-tab-manual').click()
  await expect(page.getByTestId('evaluation-row')).toHaveCount(1)

  // A workspace evaluator, then its second version.
  await expect(page.getByTestId('evaluators-empty')).toBeVisible()
  await page.getByTestId('evaluator-new').click()
  await page.getByTestId('evaluator-id').fill('answer-quality')
  await page.getByTestId('evaluator-name').fill('Answer quality')
  await page.getByTestId('evaluator-scope').selectOption('span')
  await page.getByTestId('evaluator-kinds').fill('llm')
  await page.getByTestId('evaluator-criteria').fill('helpfulness, relevance')
  await page.getByTestId('evaluator-save').click()
  const evaluator = page.getByTestId('evaluator-row').filter({ hasText: 'Answer quality' })
  await expect(evaluator).toContainText('answer-quality v1')
  await expect(evaluator).toContainText('spans (llm)')
  await evaluator.getByTestId('evaluator-edit').click()
  await page.getByTestId('evaluator-rate').fill('0.5')
  await page.getByTestId('evaluator-save').click()
  await expect(evaluator).toContainText('answer-quality v2')
  await expect(evaluator).toContainText('50 % after 30s')
})

