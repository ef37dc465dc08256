import { lazy, Suspense, useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Loader2, Play } from 'lucide-react'
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { ABTestCards } from '@/components/dashboard/ABTestCards'
import { Evaluators } from '@/components/dashboard/Evaluators'
import { KPICard } from '@/components/dashboard/KPICard'
import { ErrorState } from '@/components/dashboard/states'
import { PageHeader } from '@/components/layout/PageHeader'
import { NativeSelect } from '@/components/ui/native-select'
import { useEvaluate, useEvaluationHistory, useJudgeTrace, useQualityOverview, useResumeJudge, type EvalSource, type EvalStatus, type EvalTarget, type Evaluation, type QualityKPI, type QualityOverview } from '@/api/quality'
import { errorMessage } from '@/lib/api'
import { formatCost, formatDateTime, formatDuration, formatInteger, formatNumber, formatRelative } from '@/lib/format'
import { rangeSearch, useTimeRange } from '@/lib/timerange'
import { useParam } from '@/lib/useGranularity'

const QualityTrendChart = lazy(() => import('@/components/charts/QualityCharts').then((m) => ({ default: m.QualityTrendChart })))

const STATUS_VARIANT: Record<EvalStatus, 'success' | 'warning' | 'destructive' | 'secondary'> = {
  done: 'success',
  pending: 'secondary',
  unparsable: 'warning',
  failed: 'destructive',
  skipped: 'secondary',
}

function score(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : formatNumber(v, { decimals: 1 })
}

/** changePct is the change of a mean score against the previous period, in percent. */
export function changePct(k: QualityKPI | undefined): number | null | undefined {
  if (!k || k.mean === null) return undefined
  if (k.previous === null || k.previous === 0) return null
  return ((k.mean - k.previous) / k.previous) * 100
}

function verdictOf(ev: Evaluation, criterion: string): number | null | undefined {
  return ev.verdicts.find((v) => v.criterion === criterion)?.score
}

/** targetOf names what an evaluation judged: a session, a span of a trace, or a trace. */
function targetOf(ev: Evaluation): string {
  if (ev.session_id) return `session ${ev.session_id}`
  if (ev.span_id) return `span ${ev.span_id} of ${ev.trace_id}`
  return ev.trace_id
}

/** JudgeTrace shows the judge calls of an evaluation: one row per provider call, retries included. */
function JudgeTrace({ id }: { id: string }) {
  const [open, setOpen] = useState(false)
  const q = useJudgeTrace(id, open)
  if (!open) {
    return (
      <Button variant="outline" size="sm" data-testid="judge-trace-open" onClick={() => setOpen(true)}>
        Show judge trace
      </Button>
    )
  }
  if (q.isPending) return <p className="text-sm text-muted-foreground" data-testid="judge-trace-loading">Loading the judge trace…</p>
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />
  const spans = q.data.spans ?? []
  if (spans.length === 0) return <p className="text-sm text-muted-foreground" data-testid="judge-trace-empty">The judge trace has no calls.</p>
  return (
    <div data-testid="judge-trace" data-trace-id={q.data.trace_id}>
      <p className="mb-1 text-xs text-muted-foreground">
        Trace {q.data.trace_id} · {q.data.cost_usd === null ? 'cost unknown' : formatCost(q.data.cost_usd)} · kept apart from this workspace's own traffic
      </p>
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Call</TableHead>
            <TableHead>Model</TableHead>
            <TableHead className="text-right">Tokens</TableHead>
            <TableHead className="text-right">Cost</TableHead>
            <TableHead className="text-right">Latency</TableHead>
            <TableHead>Status</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {spans.map((sp) => (
            <TableRow key={sp.span_id} data-testid="judge-call-row">
              <TableCell className="font-mono text-xs">{sp.span_id}</TableCell>
              <TableCell>{sp.model_provider} {sp.model}</TableCell>
              <TableCell className="text-right tabular-nums">
                {sp.tokens_input === null ? '—' : `${formatInteger(sp.tokens_input)} / ${formatInteger(sp.tokens_output ?? 0)}`}
              </TableCell>
              <TableCell className="text-right tabular-nums" data-testid="judge-call-cost">{sp.cost_usd === null ? '—' : formatCost(sp.cost_usd)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatDuration(sp.latency_ms)}</TableCell>
              <TableCell>
                <Badge variant={sp.status === 'success' ? 'success' : 'destructive'} title={sp.status_message}>
                  {sp.status}
                </Badge>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  )
}

function EvaluationDialog({ ev }: { ev: Evaluation }) {
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" data-testid="evaluation-view">
          View
        </Button>
      </DialogTrigger>
      <DialogContent className="max-h-[90vh] overflow-y-auto sm:max-w-3xl" data-testid="evaluation-dialog">
        <DialogHeader>
          <DialogTitle>Evaluation of {targetOf(ev)}</DialogTitle>
          <DialogDescription>
            {ev.provider} {ev.model} · {formatDateTime(ev.created_at)} · {ev.source}
            {ev.cached && ' · from the verdict cache'}
          </DialogDescription>
        </DialogHeader>
        <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-4">
          <div>
            <dt className="text-muted-foreground">Overall</dt>
            <dd className="font-medium" data-testid="evaluation-dialog-overall">{score(ev.overall_score)}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Judge cost</dt>
            <dd data-testid="evaluation-dialog-cost">{ev.cost_usd === null ? 'unknown' : formatCost(ev.cost_usd)}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Tokens</dt>
            <dd>{formatInteger(ev.tokens_input)} in / {formatInteger(ev.tokens_output)} out</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">Latency</dt>
            <dd>{formatDuration(ev.latency_ms)} ({ev.attempts} {ev.attempts === 1 ? 'attempt' : 'attempts'})</dd>
          </div>
        </dl>
        {ev.error && (
          <Alert variant="destructive">
            <AlertDescription>{ev.error}</AlertDescription>
          </Alert>
        )}
        <section>
          <h3 className="mb-1 text-sm font-medium">Parsed verdict</h3>
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Criterion</TableHead>
                <TableHead className="text-right">Score</TableHead>
                <TableHead>Explanation</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {ev.verdicts.map((v) => (
                <TableRow key={v.criterion} data-testid="verdict-row">
                  <TableCell className="font-medium">{v.criterion}</TableCell>
                  <TableCell className="text-right tabular-nums">
                    {v.status === 'unparsable' ? <Badge variant="warning">unparsable</Badge> : `${score(v.score)}${v.label ? ` (${v.label})` : ''}`}
                  </TableCell>
                  <TableCell className="whitespace-pre-wrap text-muted-foreground">{v.explanation}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </section>
        <section>
          <h3 className="mb-1 text-sm font-medium">Prompt sent</h3>
          <pre className="max-h-64 overflow-auto rounded-md bg-muted p-3 text-xs whitespace-pre-wrap" data-testid="evaluation-dialog-prompt" tabIndex={0} aria-label="Prompt sent">
            {ev.prompt || '(not sent)'}
          </pre>
        </section>
        <section>
          <h3 className="mb-1 text-sm font-medium">Raw answer</h3>
          <pre className="max-h-64 overflow-auto rounded-md bg-muted p-3 text-xs whitespace-pre-wrap" data-testid="evaluation-dialog-raw" tabIndex={0} aria-label="Raw answer">
            {ev.raw_answer || '(no answer)'}
          </pre>
        </section>
        <section>
          <h3 className="mb-1 text-sm font-medium">Judge trace</h3>
          {ev.judge_trace_id ? (
            <JudgeTrace id={ev.judge_trace_id} />
          ) : (
            <p className="text-sm text-muted-foreground" data-testid="judge-trace-none">No judge call was made{ev.cached ? ': the verdict came from the cache' : ''}.</p>
          )}
        </section>
      </DialogContent>
    </Dialog>
  )
}

function EvaluateNow({ disabled }: { disabled: boolean }) {
  const [open, setOpen] = useState(false)
  const [traceId, setTraceId] = useState('')
  const [target, setTarget] = useState<EvalTarget>('trace')
  const run = useEvaluate()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!traceId.trim()) return
    run.mutate({ target, id: traceId.trim() })
  }
  const ev = run.data
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        if (o) run.reset()
        setOpen(o)
      }}
    >
      <DialogTrigger asChild>
        <Button data-testid="evaluate-now" disabled={disabled}>
          <Play aria-hidden="true" /> Evaluate now
        </Button>
      </DialogTrigger>
      <DialogContent data-testid="evaluate-now-dialog">
        <form onSubmit={submit} className="grid gap-4">
          <DialogHeader>
            <DialogTitle>Evaluate a {target}</DialogTitle>
            <DialogDescription>
              {target === 'trace'
                ? "The judge rates the trace's output for accuracy, helpfulness, tone and relevance."
                : "The judge reads the session's traces in time order and rates the whole conversation."}
            </DialogDescription>
          </DialogHeader>
          <div className="grid gap-2">
            <Label htmlFor="evaluate-target">Judge</Label>
            <NativeSelect id="evaluate-target" data-testid="evaluate-target" value={target} onChange={(e) => setTarget(e.target.value as EvalTarget)}>
              <option value="trace">a trace</option>
              <option value="session">a session</option>
            </NativeSelect>
          </div>
          <div className="grid gap-2">
            <Label htmlFor="evaluate-trace-id">{target === 'trace' ? 'Trace ID' : 'Session ID'}</Label>
            <Input id="evaluate-trace-id" data-testid="evaluate-trace-id" value={traceId} onChange={(e) => setTraceId(e.target.value)} placeholder={`${target} id`} autoFocus />
          </div>
          {run.isError && (
            <Alert variant="destructive" data-testid="evaluate-now-error">
              <AlertDescription>{errorMessage(run.error)}</AlertDescription>
            </Alert>
          )}
          {ev && (
            <Alert data-testid="evaluate-now-result">
              <AlertTitle>
                {ev.status === 'pending' ? 'The judge is still working; the result will appear in the history.' : `Overall ${score(ev.overall_score)} (${ev.status})`}
              </AlertTitle>
              <AlertDescription>{ev.verdicts.map((v) => `${v.criterion} ${score(v.score)}`).join(' · ')}</AlertDescription>
            </Alert>
          )}
          <DialogFooter>
            <Button type="submit" disabled={run.isPending || !traceId.trim()} data-testid="evaluate-submit">
              {run.isPending && <Loader2 className="animate-spin" aria-hidden="true" />} Evaluate
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

const SOURCES: { value: string; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'manual', label: 'Manual' },
  { value: 'auto', label: 'Auto' },
  { value: 'batch', label: 'Batch' },
]

/** History is the evaluation history with one tab per origin (manual, auto, batch). */
function History() {
  const [tab, setTab] = useParam('evals')
  const [page, setPage] = useState(1)
  const current = tab ?? 'all'
  return (
    <Tabs
      value={current}
      onValueChange={(v) => {
        setPage(1)
        setTab(v === 'all' ? null : v)
      }}
    >
      <TabsList aria-label="Evaluations by origin">
        {SOURCES.map((s) => (
          <TabsTrigger key={s.value} value={s.value} data-testid={`history-tab-${s.value}`}>
            {s.label}
          </TabsTrigger>
        ))}
      </TabsList>
      {SOURCES.map((s) => (
        <TabsContent key={s.value} value={s.value}>
          {s.value === current && <HistoryTable source={s.value === 'all' ? null : (s.value as EvalSource)} page={page} setPage={setPage} />}
        </TabsContent>
      ))}
    </Tabs>
  )
}

function HistoryTable({ source, page, setPage }: { source: EvalSource | null; page: number; setPage: (p: number) => void }) {
  const [params] = useSearchParams()
  const q = useEvaluationHistory(page, source)
  const d = q.data
  const pages = d ? Math.max(1, Math.ceil(d.total / d.page_size)) : 1
  const search = rangeSearch(params)
  return (
    <ChartCard
      title="Evaluation history"
      description={d ? `${formatInteger(d.total)} evaluations` : 'Judge runs, newest first'}
      testId="quality-history"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={(d?.evaluations.length ?? 0) === 0}
      emptyTitle={source === 'auto' ? 'No automatic evaluations' : 'No evaluations yet'}
      emptyDescription="Use “Evaluate now” with a trace or session id, or POST /api/v1/evaluate/batch."
      height={200}
    >
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Judged</TableHead>
            <TableHead className="text-right">Quality</TableHead>
            <TableHead className="text-right">Accuracy</TableHead>
            <TableHead className="text-right">Helpfulness</TableHead>
            <TableHead className="text-right">Tone</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>When</TableHead>
            <TableHead>
              <span className="sr-only">Actions</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {(d?.evaluations ?? []).map((ev) => (
            <TableRow key={ev.id} data-testid="evaluation-row" data-trace-id={ev.trace_id} data-session-id={ev.session_id ?? ''}>
              <TableCell className="max-w-[14rem] truncate font-medium">
                {ev.session_id ? (
                  <Link to={`/dashboard/sessions/${encodeURIComponent(ev.session_id)}${search}`} className="hover:underline" data-testid="evaluation-session">
                    session {ev.session_id}
                  </Link>
                ) : (
                  <Link to={`/dashboard/traces/${encodeURIComponent(ev.trace_id)}${search}`} className="hover:underline">
                    {ev.trace_id}
                  </Link>
                )}
              </TableCell>
              <TableCell className="text-right tabular-nums" data-testid="evaluation-overall">{score(ev.overall_score)}</TableCell>
              <TableCell className="text-right tabular-nums">{score(verdictOf(ev, 'accuracy'))}</TableCell>
              <TableCell className="text-right tabular-nums">{score(verdictOf(ev, 'helpfulness'))}</TableCell>
              <TableCell className="text-right tabular-nums">{score(verdictOf(ev, 'tone'))}</TableCell>
              <TableCell>
                <Badge variant={STATUS_VARIANT[ev.status]} data-testid="evaluation-status">
                  {ev.status}
                </Badge>
              </TableCell>
              <TableCell className="text-muted-foreground" title={formatDateTime(ev.created_at)}>
                {formatRelative(ev.created_at)}
              </TableCell>
              <TableCell className="text-right">
                <EvaluationDialog ev={ev} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {pages > 1 && (
        <div className="mt-3 flex items-center justify-end gap-2 text-sm">
          <Button variant="outline" size="sm" disabled={page <= 1} onClick={() => setPage(page - 1)} data-testid="history-prev">
            Previous
          </Button>
          <span className="text-muted-foreground">
            Page {page} of {pages}
          </span>
          <Button variant="outline" size="sm" disabled={page >= pages} onClick={() => setPage(page + 1)} data-testid="history-next">
            Next
          </Button>
        </div>
      )}
    </ChartCard>
  )
}

const KPIS: { key: string; title: string }[] = [
  { key: 'overall', title: 'Overall quality' },
  { key: 'accuracy', title: 'Accuracy' },
  { key: 'helpfulness', title: 'Helpfulness' },
  { key: 'tone', title: 'Tone' },
]

/**
 * CriteriaTable lists every criterion scored in the period: the judge's, and the score names
 * SDKs send through the API (Langfuse's create_score, our feedback API), each on its own scale.
 */
function CriteriaTable({ data, isLoading, error, onRetry }: { data?: QualityOverview; isLoading: boolean; error: Error | null; onRetry: () => void }) {
  const rows = data?.criteria ?? []
  return (
    <ChartCard
      title="Scores by criterion"
      description="The judge’s criteria (0–100) and scores sent by SDKs, on their own scale"
      testId="quality-criteria"
      isLoading={isLoading}
      error={error}
      onRetry={onRetry}
      isEmpty={rows.length === 0}
      emptyTitle="Nothing scored in this period"
      emptyDescription="Run the judge, or send scores with an SDK (create_score, POST /api/public/scores)."
      height={120}
    >
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Criterion</TableHead>
            <TableHead>From</TableHead>
            <TableHead className="text-right">Mean</TableHead>
            <TableHead className="text-right">Scores</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={`${r.source}:${r.criterion}`} data-testid="criterion-row" data-criterion={r.criterion} data-source={r.source}>
              <TableCell className="font-medium">{r.criterion}</TableCell>
              <TableCell>
                <Badge variant="outline">{r.source === 'judge' ? 'Judge' : 'API scores'}</Badge>
              </TableCell>
              <TableCell className="text-right tabular-nums">{r.source === 'judge' ? score(r.mean) : formatNumber(r.mean)}</TableCell>
              <TableCell className="text-right tabular-nums">{formatInteger(r.count)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </ChartCard>
  )
}

export default function Quality() {
  const { range } = useTimeRange('7d')
  // The overview takes the preset windows; a custom window shows the last 30 days.
  const preset = range.key === 'custom' ? '30d' : range.key
  const q = useQualityOverview(preset)
  const resume = useResumeJudge()
  const o = q.data
  const judge = o?.judge
  return (
    <div data-testid="page-quality" className="min-w-0">
      <PageHeader
        title="Quality"
        description={
          o
            ? `LLM-as-judge scores (0–100). Judge spend: ${formatCost(o.judge_spend.range_usd)} in this period, ${formatCost(o.judge_spend.today_usd)} today.`
            : 'LLM-as-judge scores (0–100) of your agents’ answers.'
        }
        actions={<EvaluateNow disabled={!judge || judge.status === 'not_configured'} />}
      />
      {judge && judge.status !== 'ready' && (
        <Alert variant={judge.status === 'paused' ? 'destructive' : 'default'} className="mb-4" data-testid="judge-status" data-status={judge.status}>
          <AlertTitle>{judge.status === 'paused' ? 'The judge is paused' : 'No judge model is configured'}</AlertTitle>
          <AlertDescription>
            <span>{judge.reason}</span>
            {judge.status === 'paused' && (
              <Button variant="outline" size="sm" className="mt-2" onClick={() => resume.mutate()} disabled={resume.isPending} data-testid="judge-resume">
                Resume
              </Button>
            )}
          </AlertDescription>
        </Alert>
      )}
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="quality-kpis-error" className="mb-4" />
      ) : (
        <section aria-label="Quality scores" className="grid grid-cols-1 gap-3 sm:grid-cols-2 sm:gap-4 xl:grid-cols-4" data-testid="quality-kpis">
          {KPIS.map((k) => {
            const kpi = o?.kpis[k.key]
            return (
              <KPICard
                key={k.key}
                testId={`kpi-quality-${k.key}`}
                title={k.title}
                loading={q.isPending}
                rawValue={kpi?.mean}
                value={score(kpi?.mean)}
                change={changePct(kpi)}
                hint={kpi ? `${formatInteger(kpi.count)} judged in this period` : undefined}
              />
            )
          })}
        </section>
      )}
      <div className="mt-4 grid gap-4">
        <Suspense fallback={<ChartFallback testId="quality-trend-chart" height={300} />}>
          <QualityTrendChart data={o} isLoading={q.isPending} error={q.error} onRetry={() => void q.refetch()} />
        </Suspense>
        <CriteriaTable data={o} isLoading={q.isPending} error={q.error} onRetry={() => void q.refetch()} />
        <History />
        <Evaluators />
        <section aria-labelledby="ab-tests-title" className="grid gap-3">
          <h2 id="ab-tests-title" className="text-lg font-semibold">
            A/B tests
          </h2>
          <ABTestCards />
        </section>
      </div>
    </div>
  )
}
