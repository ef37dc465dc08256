import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import Quality, { changePct } from '@/pages/Quality'
import { trendRows } from '@/components/charts/QualityCharts'
import type { Evaluation, QualityOverview } from '@/api/quality'
import { mockApi, renderAt } from '@/test/utils'

const judge = { configured: true, provider: 'gemini', model: 'gemini-2.5-flash', status: 'ready' as const, evaluator_id: 'default', evaluator_version: 1 }

const overview = (over: Partial<QualityOverview> = {}): QualityOverview => ({
  from: '2026-11-18T00:00:00Z',
  to: '2026-11-25T00:00:00Z',
  bucket_ms: 86400000,
  kpis: {
    overall: { mean: 82.5, count: 40, previous: 75 },
    accuracy: { mean: 90, count: 40, previous: 95 },
    helpfulness: { mean: 80, count: 40, previous: null },
    tone: { mean: null, count: 0, previous: null },
  },
  criteria: [],
  trend: [
    { t: 1795996800000, agent_id: 'support-bot', mean: 80, count: 20 },
    { t: 1795996800000, agent_id: 'sql-agent', mean: 70, count: 5 },
    { t: 1796083200000, agent_id: 'support-bot', mean: 85, count: 15 },
  ],
  judge,
  judge_spend: { today_usd: 0.012, range_usd: 0.25 },
  ...over,
})

const evaluation: Evaluation = {
  id: 'e1',
  trace_id: 'trace-42',
  agent_id: 'support-bot',
  evaluator_id: 'default',
  evaluator_version: 1,
  source: 'manual',
  status: 'done',
  overall_score: 77.5,
  verdicts: [
    { criterion: 'accuracy', score: 90, explanation: 'Right date.', status: 'done' },
    { criterion: 'helpfulness', score: 65, explanation: 'Terse.', status: 'done' },
    { criterion: 'tone', score: null, status: 'unparsable' },
  ],
  prompt: 'Evaluate the following AI agent interaction.',
  raw_answer: '{"accuracy": {"score": 90}}',
  provider: 'gemini',
  model: 'gemini-2.5-flash',
  cached: false,
  tokens_input: 1200,
  tokens_output: 80,
  cost_usd: 0.00056,
  latency_ms: 850,
  attempts: 1,
  created_at: '2026-11-24T10:00:00Z',
  finished_at: '2026-11-24T10:00:01Z',
}

describe('Quality page', () => {
  it('shows score KPIs with their change, the trend and the history with a detail dialog', async () => {
    mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [evaluation], total: 1, page: 1, page_size: 20 },
    })
    renderAt(<Quality />, { url: '/dashboard/quality?range=7d' })
    expect(await screen.findByTestId('kpi-quality-overall-value')).toHaveTextContent('82.5')
    expect(screen.getByTestId('kpi-quality-overall-trend')).toHaveAttribute('data-tone', 'up-good')
    expect(screen.getByTestId('kpi-quality-accuracy-trend')).toHaveAttribute('data-tone', 'down-bad')
    expect(screen.getByTestId('kpi-quality-tone-value')).toHaveTextContent('—')
    expect(await screen.findByTestId('quality-trend-chart-content')).toBeInTheDocument()
    const row = await screen.findByTestId('evaluation-row')
    expect(within(row).getByTestId('evaluation-overall')).toHaveTextContent('77.5')
    await userEvent.click(within(row).getByTestId('evaluation-view'))
    const dialog = await screen.findByTestId('evaluation-dialog')
    expect(within(dialog).getByTestId('evaluation-dialog-prompt')).toHaveTextContent('Evaluate the following')
    expect(within(dialog).getByTestId('evaluation-dialog-raw')).toHaveTextContent('"score": 90')
    expect(within(dialog).getByTestId('evaluation-dialog-cost')).toHaveTextContent('$0.00056')
    expect(within(dialog).getAllByTestId('verdict-row')[2]).toHaveTextContent('unparsable')
  })

  it('lists criteria of the judge next to scores sent through the API', async () => {
    mockApi({
      '/api/v1/quality/overview': overview({
        criteria: [
          { criterion: 'accuracy', source: 'judge', mean: 90, count: 40 },
          { criterion: 'correctness', source: 'api', mean: 0.75, count: 2 },
        ],
      }),
      '/api/v1/evaluate/history': { evaluations: [], total: 0, page: 1, page_size: 20 },
    })
    renderAt(<Quality />, { url: '/dashboard/quality' })
    const rows = await screen.findAllByTestId('criterion-row')
    expect(rows).toHaveLength(2)
    expect(rows[1]).toHaveAttribute('data-source', 'api')
    expect(rows[1]).toHaveTextContent('correctness')
    expect(rows[1]).toHaveTextContent('API scores')
    expect(rows[1]).toHaveTextContent('0.75')
    expect(rows[0]).toHaveTextContent('Judge')
  })

  it('says so when nothing was scored in the period', async () => {
    mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [], total: 0, page: 1, page_size: 20 },
    })
    renderAt(<Quality />, { url: '/dashboard/quality' })
    expect(await screen.findByTestId('quality-criteria-empty')).toBeInTheDocument()
  })

  it('filters the history by tab and evaluates a trace on demand', async () => {
    const api = mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [], total: 0, page: 1, page_size: 20 },
      'POST /api/v1/evaluate/trace/trace-42': evaluation,
    })
    renderAt(<Quality />, { url: '/dashboard/quality' })
    expect(await screen.findByTestId('quality-history-empty')).toBeInTheDocument()
    await userEvent.click(screen.getByTestId('history-tab-auto'))
    await waitFor(() => {
      const call = api.calls.filter((c) => c.url.pathname === '/api/v1/evaluate/history').at(-1)
      expect(call?.url.searchParams.get('source')).toBe('auto')
    })
    await userEvent.click(screen.getByTestId('evaluate-now'))
    await userEvent.type(await screen.findByTestId('evaluate-trace-id'), 'trace-42')
    await userEvent.click(screen.getByTestId('evaluate-submit'))
    expect(await screen.findByTestId('evaluate-now-result')).toHaveTextContent('Overall 77.5 (done)')
  })

  it('says why the judge is paused or missing, and shows load errors', async () => {
    mockApi({
      '/api/v1/quality/overview': overview({ judge: { ...judge, status: 'paused', reason: 'auth error from gemini: API key not valid' } }),
      '/api/v1/evaluate/history': new Response(JSON.stringify({ status: 500, title: 'Internal server error', detail: 'boom' }), {
        status: 500,
        headers: { 'Content-Type': 'application/problem+json' },
      }),
    })
    renderAt(<Quality />)
    const alert = await screen.findByTestId('judge-status')
    expect(alert).toHaveAttribute('data-status', 'paused')
    expect(alert).toHaveTextContent('API key not valid')
    expect(screen.getByTestId('judge-resume')).toBeInTheDocument()
    expect(await screen.findByTestId('quality-history-error')).toHaveTextContent('boom')
  })

  it('shows A/B test cards with intervals, the SRM status and a winner only when significant', async () => {
    const test = (id: string, name: string) => ({
      id, name, unit: 'user', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
      primary_metric: 'success_rate', guardrail_metrics: ['latency'], alpha: 0.05, mde_pct: 5, started_at: '2026-11-20T00:00:00Z', created_at: '2026-11-20T00:00:00Z',
    })
    const metric = (over: object) => ({
      metric: 'success_rate', role: 'primary', higher_is_better: true, control: 0.8, treatment: 0.86, delta: 0.06, delta_pct: 7.5, p_value: 0.001,
      sequential_p: 0.004, ci_low: 0.02, ci_high: 0.1, adjusted_p: 0.008, significant: true, n_control: 2000, n_treatment: 2000, better: true, ...over,
    })
    const results = (id: string, over: object) => ({
      test: test(id, id), units: { control: 2000, treatment: 1990 }, srm: { chi2: 0.02, p_value: 0.87, blocked: false },
      arms: [{ variant: 'treatment', metrics: [metric({}), metric({ metric: 'latency', role: 'guardrail', higher_is_better: false, control: 250, treatment: 252, delta: 2, ci_low: -5, ci_high: 9, significant: false, better: false })] }],
      sample_size_per_arm: 1000, progress: 1, verdict: 'winner', winner: 'treatment', reason: 'Variant treatment significantly improves success_rate.', ...over,
    })
    mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [], total: 0, page: 1, page_size: 20 },
      '/api/v1/ab-tests': { ab_tests: [test('ab_win', 'Shorter prompt'), test('ab_srm', 'Leaky logger')] },
      '/api/v1/ab-tests/ab_win/results': results('ab_win', {}),
      '/api/v1/ab-tests/ab_srm/results': results('ab_srm', { srm: { chi2: 16, p_value: 0.00006, blocked: true }, verdict: 'srm', winner: undefined, reason: 'mismatch' }),
    })
    renderAt(<Quality />)
    const cards = await screen.findAllByTestId('ab-test-card')
    await waitFor(() => expect(within(cards[0]!).getByTestId('ab-verdict')).toHaveAttribute('data-verdict', 'winner'))
    expect(within(cards[0]!).getByTestId('ab-verdict')).toHaveTextContent('Winner: treatment')
    expect(within(cards[0]!).getByTestId('ab-srm')).toHaveAttribute('data-blocked', 'false')
    expect(within(cards[0]!).getAllByTestId('ab-interval')[0]).toHaveTextContent('Δ +6 pp [2 pp, 10 pp]')
    await waitFor(() => expect(within(cards[1]!).getByTestId('ab-srm')).toHaveAttribute('data-blocked', 'true'))
    expect(within(cards[1]!).getByTestId('ab-verdict')).toHaveTextContent('No verdict')
  })

  it('computes changes and pivots the trend', () => {
    expect(changePct({ mean: 90, count: 1, previous: 60 })).toBe(50)
    expect(changePct({ mean: 90, count: 1, previous: null })).toBeNull()
    expect(changePct({ mean: null, count: 0, previous: 50 })).toBeUndefined()
    const { agents, rows } = trendRows(overview().trend)
    expect(agents).toEqual(['sql-agent', 'support-bot'])
    expect(rows).toEqual([
      { t: 1795996800000, 'support-bot': 80, 'sql-agent': 70 },
      { t: 1796083200000, 'support-bot': 85 },
    ])
  })

  it('lists evaluators, creates one and saves a new version', async () => {
    const stored = { id: 'answers', version: 2, name: 'Answers', scope: 'span', filter: { span_kinds: ['llm'], agents: ['bot'] }, sample_rate: 0.2,
      delay: '1m0s', criteria: ['helpfulness'], template: 'custom {{input}}', daily_budget_usd: 0, enabled: true, created_at: '2026-11-20T10:00:00Z' }
    const api = mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [], total: 0, page: 1, page_size: 20 },
      '/api/v1/ab-tests': { ab_tests: [] },
      '/api/v1/evaluators': { evaluators: [stored] },
      'POST /api/v1/evaluators': (_u: URL, init?: RequestInit) => ({ ...JSON.parse(String(init?.body)), version: 1 }),
      'PUT /api/v1/evaluators/answers': (_u: URL, init?: RequestInit) => ({ ...JSON.parse(String(init?.body)), version: 3 }),
    })
    renderAt(<Quality />)
    const row = await screen.findByTestId('evaluator-row')
    expect(row).toHaveTextContent('answers v2')
    expect(row).toHaveTextContent('spans (llm) of bot')
    expect(row).toHaveTextContent('20 % after 1m0s')

    await userEvent.click(screen.getByTestId('evaluator-new'))
    await userEvent.type(screen.getByTestId('evaluator-id'), 'tone-check')
    await userEvent.type(screen.getByTestId('evaluator-name'), 'Tone check')
    await userEvent.type(screen.getByTestId('evaluator-criteria'), 'tone, relevance')
    await userEvent.click(screen.getByTestId('evaluator-save'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/v1/evaluators')).toBe(true))
    expect(api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/evaluators')?.body).toMatchObject({
      id: 'tone-check', name: 'Tone check', scope: 'trace', criteria: ['tone', 'relevance'], sample_rate: 0.1, enabled: true })

    await userEvent.click(await screen.findByTestId('evaluator-edit'))
    expect(screen.getByTestId('evaluator-id')).toBeDisabled()
    await userEvent.clear(screen.getByTestId('evaluator-kinds'))
    await userEvent.type(screen.getByTestId('evaluator-kinds'), 'llm, tool')
    await userEvent.click(screen.getByTestId('evaluator-save'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'PUT')).toBe(true))
    const put = api.calls.find((c) => c.method === 'PUT')?.body as Record<string, unknown>
    expect(put).toMatchObject({ id: 'answers', template: 'custom {{input}}', filter: { span_kinds: ['llm', 'tool'], agents: ['bot'] } })
    expect(put.version).toBeUndefined()
  })

  it('creates a session evaluator, judges a session now and opens its judge trace', async () => {
    const sessionEval: Evaluation = { ...evaluation, id: 'se1', trace_id: '', session_id: 'chat-7', judge_trace_id: 'se1', attempts: 2 }
    const judgeTrace = {
      trace_id: 'se1', workspace_id: 'ws~judge', agent_id: 'judge', cost_usd: 0.00056,
      spans: [
        { span_id: 'call-1', kind: 'llm', model: 'gemini-2.5-flash', model_provider: 'gemini', status: 'error', status_message: 'server (HTTP 503)',
          tokens_input: null, tokens_output: null, cost_usd: null, latency_ms: 120 },
        { span_id: 'call-2', kind: 'llm', model: 'gemini-2.5-flash', model_provider: 'gemini', status: 'success', status_message: '',
          tokens_input: 1200, tokens_output: 80, cost_usd: 0.00056, latency_ms: 700 },
      ],
    }
    const api = mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [sessionEval], total: 1, page: 1, page_size: 20 },
      '/api/v1/ab-tests': { ab_tests: [] },
      '/api/v1/evaluators': { evaluators: [] },
      'POST /api/v1/evaluators': (_u: URL, init?: RequestInit) => ({ ...JSON.parse(String(init?.body)), version: 1 }),
      'POST /api/v1/evaluate/session/chat-7': sessionEval,
      '/api/v1/evaluate/judge-traces/se1': judgeTrace,
    })
    renderAt(<Quality />)
    await userEvent.click(await screen.findByTestId('evaluator-new'))
    await userEvent.type(screen.getByTestId('evaluator-id'), 'conversation')
    await userEvent.type(screen.getByTestId('evaluator-name'), 'Conversation')
    await userEvent.selectOptions(screen.getByTestId('evaluator-scope'), 'session')
    expect(screen.queryByTestId('evaluator-kinds')).not.toBeInTheDocument()
    await userEvent.click(screen.getByTestId('evaluator-save'))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/v1/evaluators')).toBe(true))
    expect(api.calls.find((c) => c.method === 'POST' && c.url.pathname === '/api/v1/evaluators')?.body).toMatchObject({ id: 'conversation', scope: 'session' })

    await userEvent.click(screen.getByTestId('evaluate-now'))
    await userEvent.selectOptions(await screen.findByTestId('evaluate-target'), 'session')
    await userEvent.type(screen.getByTestId('evaluate-trace-id'), 'chat-7')
    await userEvent.click(screen.getByTestId('evaluate-submit'))
    expect(await screen.findByTestId('evaluate-now-result')).toHaveTextContent('Overall 77.5 (done)')
    expect(api.calls.some((c) => c.method === 'POST' && c.url.pathname === '/api/v1/evaluate/session/chat-7')).toBe(true)
    await userEvent.keyboard('{Escape}')

    const row = await screen.findByTestId('evaluation-row')
    expect(within(row).getByTestId('evaluation-session')).toHaveTextContent('session chat-7')
    await userEvent.click(within(row).getByTestId('evaluation-view'))
    const dialog = await screen.findByTestId('evaluation-dialog')
    expect(dialog).toHaveTextContent('Evaluation of session chat-7')
    await userEvent.click(within(dialog).getByTestId('judge-trace-open'))
    const calls = await within(dialog).findAllByTestId('judge-call-row')
    expect(calls).toHaveLength(2)
    expect(calls[0]).toHaveTextContent('error')
    expect(within(calls[1]!).getByTestId('judge-call-cost')).toHaveTextContent('$0.00056')
  })

  it('says when no judge call was made', async () => {
    mockApi({
      '/api/v1/quality/overview': overview(),
      '/api/v1/evaluate/history': { evaluations: [{ ...evaluation, cached: true }], total: 1, page: 1, page_size: 20 },
    })
    renderAt(<Quality />)
    await userEvent.click(within(await screen.findByTestId('evaluation-row')).getByTestId('evaluation-view'))
    expect(await screen.findByTestId('judge-trace-none')).toHaveTextContent('from the cache')
  })
})
