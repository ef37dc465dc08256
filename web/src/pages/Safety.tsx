import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Trash2 } from 'lucide-react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { Textarea } from '@/components/ui/textarea'
import { AgentFilter } from '@/components/dashboard/AgentFilter'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { KPICard } from '@/components/dashboard/KPICard'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { PageHeader } from '@/components/layout/PageHeader'
import { useCheckText, useCreateRule, useDeleteRule, useGuardrailRules, useViolations, useViolationStats } from '@/api/queries'
import type { CheckResult, Finding, GuardrailRule, GuardrailRuleInput, Violation } from '@/api/types'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatInteger, formatRelative } from '@/lib/format'
import { rangeDurationMs, rangeSearch, useTimeRange } from '@/lib/timerange'
import { useDebounced } from '@/lib/useDebounced'
import { useLiveTick } from '@/lib/useLive'
import { useParam } from '@/lib/useGranularity'

const ViolationTrend = lazy(() => import('@/components/charts/SafetyCharts').then((m) => ({ default: m.ViolationTrend })))

const SEVERITY_VARIANT: Record<Violation['severity'], 'secondary' | 'warning' | 'destructive'> = {
  low: 'secondary',
  medium: 'warning',
  high: 'destructive',
  critical: 'destructive',
}

export function SeverityBadge({ severity }: { severity: Violation['severity'] }) {
  return (
    <Badge variant={SEVERITY_VARIANT[severity] ?? 'secondary'} data-testid="severity-badge" data-severity={severity} className="capitalize">
      {severity}
    </Badge>
  )
}

/** Redacted shows stored text with its [PLACEHOLDERS] highlighted. */
export function Redacted({ text }: { text: string }) {
  const parts = text.split(/(\[[A-Z_]+\])/g)
  return (
    <span>
      {parts.map((p, i) =>
        /^\[[A-Z_]+\]$/.test(p) ? (
          <mark key={i} data-testid="placeholder" className="rounded bg-warning/20 px-0.5 font-mono text-xs text-foreground">
            {p}
          </mark>
        ) : (
          <span key={i}>{p}</span>
        ),
      )}
    </span>
  )
}

/** Highlighted marks the findings of a check in the text that was checked (code-point offsets). */
export function Highlighted({ text, findings }: { text: string; findings: Finding[] }) {
  const chars = Array.from(text)
  const spans = findings.filter((f) => f.end - f.start < chars.length || chars.length === 0).sort((a, b) => a.start - b.start)
  const out: ReactNode[] = []
  let pos = 0
  for (const f of spans) {
    if (f.start < pos) continue
    out.push(<span key={`t${pos}`}>{chars.slice(pos, f.start).join('')}</span>)
    out.push(
      <mark key={`f${f.start}`} title={`${f.category} ${f.type} (${f.score})`} data-testid="finding-mark" className="rounded bg-destructive/15 px-0.5 text-foreground">
        {chars.slice(f.start, f.end).join('')}
      </mark>,
    )
    pos = f.end
  }
  out.push(<span key="rest">{chars.slice(pos).join('')}</span>)
  return <p className="text-sm break-words whitespace-pre-wrap">{out}</p>
}

function useWindow() {
  const { range, apiParams } = useTimeRange()
  const custom = 'from' in apiParams
  // A stored violation moves a relative window's end to now, so it shows without a reload.
  const tick = useLiveTick('violations', !custom)
  // The guardrail routes take an explicit window; recomputed when the range changes or a
  // violation arrives.
  return useMemo(() => {
    if ('from' in apiParams) return { from: apiParams.from, to: apiParams.to, spanMs: new Date(apiParams.to).getTime() - new Date(apiParams.from).getTime() }
    const span = rangeDurationMs(range)
    const to = new Date()
    return { from: new Date(to.getTime() - span).toISOString(), to: to.toISOString(), spanMs: span }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- tick is the reason to read the clock again
  }, [range, apiParams, tick])
}

function ViolationTable({ agent }: { agent: string | null }) {
  const w = useWindow()
  // Paging belongs to one window and agent: when either changes, the table starts again at
  // the first page (the pages kept for another query are ignored, not reset by an effect).
  const query = `${w.from}|${w.to}|${agent ?? ''}`
  const [paging, setPaging] = useState<{ query: string; cursor?: string; history: string[] }>({ query, history: [] })
  const { cursor, history } = paging.query === query ? paging : { cursor: undefined, history: [] }
  const setPage = (cursor: string | undefined, history: string[]) => setPaging({ query, cursor, history })
  const q = useViolations({ from: w.from, to: w.to, agent_id: agent, limit: 20, cursor })
  const [params] = useSearchParams()
  const search = rangeSearch(params)
  const rows = q.data?.violations ?? []
  return (
    <ChartCard
      title="Recent violations"
      description="Newest first; stored text shows placeholders where it was redacted"
      testId="safety-violations"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={rows.length === 0 && !cursor}
      emptyTitle="No violations in this period"
      emptyDescription="Guardrails scan every span's input and output; nothing was flagged."
      height={240}
    >
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>When</TableHead>
            <TableHead>Severity</TableHead>
            <TableHead>Type</TableHead>
            <TableHead>Agent</TableHead>
            <TableHead>Action</TableHead>
            <TableHead>Detail</TableHead>
            <TableHead>Trace</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((v) => (
            <TableRow key={v.id} data-testid="violation-row">
              <TableCell className="text-muted-foreground" title={formatDateTime(v.time)}>
                {formatRelative(v.time)}
              </TableCell>
              <TableCell>
                <SeverityBadge severity={v.severity} />
              </TableCell>
              <TableCell className="font-medium">
                {v.type} · {v.subtype}
              </TableCell>
              <TableCell>
                <EntityLink kind="agent_id" value={v.agent_id} />
              </TableCell>
              <TableCell className="capitalize">{v.action}</TableCell>
              <TableCell className="max-w-[24rem] truncate" title={v.detail}>
                <Redacted text={v.detail} />
              </TableCell>
              <TableCell>
                <Link to={`/dashboard/traces/${encodeURIComponent(v.trace_id)}${search}`} className="font-mono text-xs hover:underline" data-testid="violation-trace-link">
                  {v.trace_id.slice(0, 12)}
                </Link>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <div className="mt-3 flex justify-end gap-2">
        <Button
          variant="outline"
          size="sm"
          data-testid="violations-prev"
          disabled={history.length === 0}
          onClick={() => {
            setPage(history.length > 1 ? history[history.length - 2] : undefined, history.slice(0, -1))
          }}
        >
          Newer
        </Button>
        <Button
          variant="outline"
          size="sm"
          data-testid="violations-next"
          disabled={!q.data?.next_cursor}
          onClick={() => {
            const next = q.data?.next_cursor
            if (next) setPage(next, [...history, next])
          }}
        >
          Older
        </Button>
      </div>
    </ChartCard>
  )
}

function TestText() {
  const [text, setText] = useState('')
  const [direction, setDirection] = useState<'input' | 'output'>('input')
  const debounced = useDebounced(text, 300)
  const check = useCheckText()
  const { mutate } = check
  const [checked, setChecked] = useState<{ text: string; res: CheckResult } | null>(null)
  useEffect(() => {
    if (debounced.trim() === '') return
    mutate({ text: debounced, direction }, { onSuccess: (res) => setChecked({ text: debounced, res }) })
  }, [debounced, direction, mutate])
  // A cleared text hides the last verdict; typing again shows the next one when it comes.
  const result = debounced.trim() === '' ? null : checked
  return (
    <Card data-testid="safety-test-text">
      <CardHeader>
        <CardTitle>Test a text</CardTitle>
        <CardDescription>Runs the workspace's guardrails as an agent's inline check would.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        <Textarea value={text} onChange={(e) => setText(e.target.value)} placeholder="Paste a prompt or an answer…" rows={4} data-testid="test-text-input" aria-label="Text to check" />
        <div className="flex items-center gap-2 text-sm">
          <Button variant={direction === 'input' ? 'default' : 'outline'} size="sm" onClick={() => setDirection('input')}>
            Input
          </Button>
          <Button variant={direction === 'output' ? 'default' : 'outline'} size="sm" onClick={() => setDirection('output')}>
            Output
          </Button>
          {check.isPending && <span className="text-muted-foreground">Checking…</span>}
        </div>
        {check.isError && <ErrorState error={check.error} testId="test-text-error" />}
        {result && (
          <div data-testid="test-text-result" data-flagged={result.res.flagged} className="flex flex-col gap-2">
            <div className="flex items-center gap-2 text-sm">
              <Badge variant={result.res.flagged ? 'destructive' : 'success'} data-testid="test-text-verdict">
                {result.res.flagged ? `flagged: ${result.res.action}` : 'allowed'}
              </Badge>
              <span className="text-muted-foreground">{formatInteger(result.res.findings.length)} findings</span>
            </div>
            <Highlighted text={result.text} findings={result.res.findings} />
            <ul className="flex flex-col gap-1 text-sm">
              {result.res.findings.map((f, i) => (
                <li key={i} data-testid="finding" className="flex flex-wrap gap-2">
                  <Badge variant="outline">{f.category}</Badge>
                  <span className="font-medium">{f.type}</span>
                  <span className="text-muted-foreground">
                    [{f.start}, {f.end}) score {f.score} · {f.detector}
                  </span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </CardContent>
    </Card>
  )
}

// parseSchemaObject reads a typed JSON Schema; the API takes only an object there.
function parseSchemaObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

function RuleForm() {
  const create = useCreateRule()
  const [name, setName] = useState('')
  const [kind, setKind] = useState<GuardrailRule['kind']>('keywords')
  const [value, setValue] = useState('')
  const [action, setAction] = useState<GuardrailRule['action']>('flag')
  const [schemaError, setSchemaError] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const body: GuardrailRuleInput = { name, kind, action, severity: 'medium' }
    if (kind === 'regex') body.pattern = value
    else if (kind === 'length') body.max_length = Number(value)
    else if (kind === 'json_schema') {
      const schema = parseSchemaObject(value)
      setSchemaError(schema ? '' : 'The JSON schema must be a JSON object, such as {"type":"object"}.')
      if (!schema) return
      body.schema = schema
    } else body.keywords = value.split(',').map((k) => k.trim()).filter(Boolean)
    create.mutate(body, {
      onSuccess: () => {
        setName('')
        setValue('')
      },
    })
  }
  const placeholder = { regex: 'ORD-\\d{6}', keywords: 'acme, globex', denied_topic: 'diagnosis, dosage, symptom', length: '2000', json_schema: '{"type":"object","required":["answer"]}' }[kind]
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-2 sm:grid-cols-5 sm:items-end" data-testid="rule-form">
      <div className="flex flex-col gap-1">
        <Label htmlFor="rule-name">Name</Label>
        <Input id="rule-name" value={name} onChange={(e) => setName(e.target.value)} required data-testid="rule-name" />
      </div>
      <div className="flex flex-col gap-1">
        <Label htmlFor="rule-kind">Kind</Label>
        <select id="rule-kind" value={kind} onChange={(e) => setKind(e.target.value as GuardrailRule['kind'])} className="h-9 rounded-md border bg-transparent px-2 text-sm" data-testid="rule-kind">
          <option value="keywords">keywords</option>
          <option value="regex">regex</option>
          <option value="denied_topic">denied topic</option>
          <option value="length">length</option>
          <option value="json_schema">JSON schema</option>
        </select>
      </div>
      <div className="flex flex-col gap-1 sm:col-span-1">
        <Label htmlFor="rule-value">Pattern, keywords or limit</Label>
        <Input id="rule-value" value={value} onChange={(e) => setValue(e.target.value)} placeholder={placeholder} required data-testid="rule-value" />
      </div>
      <div className="flex flex-col gap-1">
        <Label htmlFor="rule-action">Action</Label>
        <select id="rule-action" value={action} onChange={(e) => setAction(e.target.value as GuardrailRule['action'])} className="h-9 rounded-md border bg-transparent px-2 text-sm" data-testid="rule-action">
          <option value="log">log</option>
          <option value="flag">flag</option>
          <option value="redact">redact</option>
          <option value="block">block</option>
        </select>
      </div>
      <Button type="submit" disabled={create.isPending} data-testid="rule-submit">
        Add rule
      </Button>
      {(schemaError || create.isError) && (
        <p role="alert" className="text-sm text-destructive sm:col-span-5" data-testid="rule-error">
          {schemaError || errorMessage(create.error)}
        </p>
      )}
    </form>
  )
}

function Rules() {
  const q = useGuardrailRules()
  const del = useDeleteRule()
  const rules = q.data?.rules ?? []
  return (
    <Card data-testid="safety-rules">
      <CardHeader>
        <CardTitle>Custom rules</CardTitle>
        <CardDescription>Checked on every span and by inline checks, next to the built-in detectors.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        <RuleForm />
        {q.isPending ? (
          <p className="text-sm text-muted-foreground">Loading rules…</p>
        ) : q.isError ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="rules-error" />
        ) : rules.length === 0 ? (
          <EmptyState title="No custom rules" description="Add a regex, a keyword list, a length limit, a JSON schema or a denied topic." testId="rules-empty" />
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Kind</TableHead>
                <TableHead>Definition</TableHead>
                <TableHead>Action</TableHead>
                <TableHead />
              </TableRow>
            </TableHeader>
            <TableBody>
              {rules.map((r) => (
                <TableRow key={r.id} data-testid="rule-row">
                  <TableCell className="font-medium">{r.name}</TableCell>
                  <TableCell>{r.kind}</TableCell>
                  <TableCell className="max-w-[20rem] truncate font-mono text-xs">
                    {r.pattern ?? r.keywords?.join(', ') ?? (r.max_length ? `≤ ${r.max_length} characters` : JSON.stringify(r.schema))}
                  </TableCell>
                  <TableCell className="capitalize">{r.action}</TableCell>
                  <TableCell className="text-right">
                    <Button variant="ghost" size="sm" aria-label={`Delete rule ${r.name}`} onClick={() => del.mutate(r.id)} data-testid="rule-delete">
                      <Trash2 aria-hidden="true" />
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  )
}

export default function Safety() {
  const [agent, setAgent] = useParam('agent_id')
  const w = useWindow()
  const q = useViolationStats({ from: w.from, to: w.to, agent_id: agent })
  const s = q.data
  const loading = q.isPending
  const count = (t: string) => s?.by_type[t] ?? 0
  return (
    <div data-testid="page-safety" className="min-w-0">
      <PageHeader title="Safety" description="Guardrail violations: personal data, secrets, prompt injection, toxicity and custom rules." actions={<AgentFilter value={agent} onChange={setAgent} />} />
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="safety-kpis-error" className="mb-4" />
      ) : (
        <section aria-label="Safety figures" className="grid grid-cols-1 gap-3 sm:grid-cols-2 sm:gap-4 xl:grid-cols-5" data-testid="safety-kpis">
          <KPICard testId="kpi-violations" title="Violations" loading={loading} rawValue={s?.total} value={formatInteger(s?.total)} trend="neutral" />
          <KPICard testId="kpi-pii" title="Personal data" loading={loading} rawValue={count('pii')} value={formatInteger(count('pii'))} trend="neutral" />
          <KPICard testId="kpi-secret" title="Secrets" loading={loading} rawValue={count('secret')} value={formatInteger(count('secret'))} trend="neutral" />
          <KPICard testId="kpi-injection" title="Prompt injection" loading={loading} rawValue={count('injection')} value={formatInteger(count('injection'))} trend="neutral" />
          <KPICard testId="kpi-toxicity" title="Toxicity" loading={loading} rawValue={count('toxicity')} value={formatInteger(count('toxicity'))} trend="neutral" />
        </section>
      )}
      <ChartCard
        title="Violations over time"
        description="Stacked by type"
        testId="safety-trend"
        className="mt-4"
        isLoading={loading}
        error={q.error}
        onRetry={() => void q.refetch()}
        isEmpty={(s?.total ?? 0) === 0}
        emptyTitle="No violations in this period"
        height={280}
      >
        {s && (
          <Suspense fallback={<ChartFallback testId="safety-trend-chart" height={280} />}>
            <ViolationTrend stats={s} spanMs={w.spanMs} />
          </Suspense>
        )}
      </ChartCard>
      <div className="mt-4">
        <ViolationTable agent={agent} />
      </div>
      <div className="mt-4 grid grid-cols-1 gap-4 xl:grid-cols-2">
        <TestText />
        <Rules />
      </div>
    </div>
  )
}
