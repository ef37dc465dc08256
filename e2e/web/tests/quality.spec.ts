// The Quality page end to end: a user of a new workspace sends a trace, has the judge (a
// local stand-in for Gemini, see fake-judge.ts) evaluate it from the page, and finds the
// verdict in the KPIs, the history and its detail dialog; then defines a session evaluator,
// judges a whole session and opens the trace of the judge's call.
import { expect, test, type Page } from '@playwright/test'
import { expectAccessible, shot } from './helpers'

const user = { name: 'Grace Hopper', email: `grace-${Date.now()}@example.com`, password: 'compiler-a0-1952' }
const traceId = `quality-e2e-${Date.now()}`
const sessionId = `chat-e2e-${Date.now()}`

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
  // The first account owns the seeded demo workspace: when this spec runs alone, someone else
  // takes it, so that this user's workspace holds only what the test sends.
  const setup = (await (await fetch(`${baseURL}/api/v1/auth/setup`)).json()) as { setup_required?: boolean }
  if (setup.setup_required) {
    const first = await api('/api/v1/auth/register', { name: 'Demo Owner', email: `owner-${Date.now()}@example.com`, password: 'seeded-demo-owner', setup_key: process.env.E2E_SETUP_KEY })
    expect(first.status).toBe(201)
  }
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
  // Two turns of one conversation, for the session evaluator.
  for (const [i, text] of ['Can I change my delivery address?', 'Then send it to the office, please.'].entries()) {
    const turn = await api(
      '/api/v1/traces',
      { trace_id: `${sessionId}-${i}`, session_id: sessionId, agent_id: 'support-bot', timestamp: new Date(Date.now() - (2 - i) * 60_000).toISOString(),
        input: text, output: i === 0 ? 'Yes, until it ships.' : 'Done: it goes to the office.', status: 'success', model: 'gpt-4o-mini' },
      key,
    )
    expect(turn.status).toBe(202)
  }
  // Ingestion commits asynchronously: wait until the traces read back.
  for (const id of [traceId, `${sessionId}-1`]) {
    await expect
      .poll(async () => (await fetch(`${baseURL}/api/v1/traces/${id}`, { headers: { Authorization: `Bearer ${key}` } })).status, { timeout: 10_000 })
      .toBe(200)
  }
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

test('define a session evaluator, judge a session and open the judge trace', async () => {
  await page.getByTestId('evaluator-new').click()
  await page.getByTestId('evaluator-id').fill('conversation')
  await page.getByTestId('evaluator-name').fill('Conversation')
  await page.getByTestId('evaluator-scope').selectOption('session')
  await expect(page.getByTestId('evaluator-kinds')).toHaveCount(0)
  await page.getByTestId('evaluator-rate').fill('0')
  await page.getByTestId('evaluator-criteria').fill('helpfulness, coherence')
  await page.getByTestId('evaluator-save').click()
  const evaluator = page.getByTestId('evaluator-row').filter({ hasText: 'Conversation' })
  await expect(evaluator).toContainText('conversation v1')
  await expect(evaluator).toContainText('sessions')

  await page.getByTestId('evaluate-now').click()
  await page.getByTestId('evaluate-target').selectOption('session')
  await page.getByTestId('evaluate-trace-id').fill(sessionId)
  await page.getByTestId('evaluate-submit').click()
  await expect(page.getByTestId('evaluate-now-result')).toContainText('Overall 80 (done)')
  await page.keyboard.press('Escape')

  const row = page.locator(`[data-testid="evaluation-row"][data-session-id="${sessionId}"]`)
  await expect(row.getByTestId('evaluation-session')).toHaveText(`session ${sessionId}`)
  await row.getByTestId('evaluation-view').click()
  const dialog = page.getByTestId('evaluation-dialog')
  await expect(dialog).toContainText(`Evaluation of session ${sessionId}`)
  // The judge saw both turns, in order.
  await expect(dialog.getByTestId('evaluation-dialog-prompt')).toContainText(/Can I change my delivery address\?[\s\S]*send it to the office/)
  await dialog.getByTestId('judge-trace-open').click()
  const calls = dialog.getByTestId('judge-call-row')
  await expect(calls).toHaveCount(1)
  await expect(calls.first()).toContainText('success')
  await expect(calls.first().getByTestId('judge-call-cost')).toHaveText('$0.00055')
  await expectAccessible(page, 'quality-judge-trace')
  await shot(page, 'quality-judge-trace')
  await page.keyboard.press('Escape')
})
