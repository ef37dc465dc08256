import { lazy, Suspense, useState, type FormEvent } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { NativeSelect } from '@/components/ui/native-select'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { PageHeader } from '@/components/layout/PageHeader'
import {
  useAlertRules,
  useAlerts,
  useChangeAlert,
  useCreateAlertRule,
  useDeleteAlertRule,
  useCreateSilence,
  useDeleteSilence,
  usePreviewAlertRule,
  useSilences,
  useUpdateAlertRule,
} from '@/api/queries'
import type { AlertFilters, AlertItem, AlertRule, AlertRuleInput, NotificationChannel } from '@/api/types'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatRelative } from '@/lib/format'
import { useLiveRefetch } from '@/lib/useLive'

const AlertPreviewChart = lazy(() => import('@/components/charts/AlertPreviewChart').then((m) => ({ default: m.AlertPreviewChart })))

const METRICS = [
  'request_count', 'error_rate', 'latency_p50', 'latency_p95', 'latency_p99', 'cost_total', 'cost_per_trace', 'tokens_total',
  'eval_score_avg', 'feedback_score_avg', 'guardrail_violations', 'budget_used_pct', 'no_activity',
] as const

const SEVERITY_VARIANT = { critical: 'destructive', warning: 'warning', info: 'secondary' } as const


// silenceMatchers are the labels that pick out this alert's rule and group.
function silenceMatchers(a: AlertItem): string {
  const parts = [`rule_id=${a.rule_id}`]
  for (const k of ['agent', 'model', 'user', 'provider', 'period']) {
    const v = a.labels?.[k]
    if (v) parts.push(`${k}=${v}`)
  }
  return parts.join(', ')
}

function AlertTable({ status, testId, onSilence }: { status: string; testId: string; onSilence: (matchers: string) => void }) {
  const q = useAlerts(status)
  const change = useChangeAlert()
  const alerts = q.data?.alerts ?? []
  return (
    <ChartCard
      title={status === 'active' ? 'Active alerts' : 'History'}
      description={status === 'active' ? 'Firing and acknowledged episodes' : 'Every episode, newest first'}
      testId={testId}
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={alerts.length === 0}
      emptyTitle={status === 'active' ? 'Nothing is firing' : 'No alerts yet'}
      emptyDescription="Alerts appear here when a rule's condition holds."
      height={160}
    >
      {change.isError && <p role="alert" className="mb-2 text-sm text-destructive">{errorMessage(change.error)}</p>}
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Alert</TableHead>
            <TableHead>Severity</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Since</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {alerts.map((a: AlertItem) => (
            <TableRow key={a.id} data-testid="alert-row" data-status={a.status}>
              <TableCell>
                <div className="font-medium">{a.title}</div>
                <div className="max-w-[32rem] truncate text-xs text-muted-foreground" title={a.description}>{a.description}</div>
              </TableCell>
              <TableCell><Badge variant={SEVERITY_VARIANT[a.severity]}>{a.severity}</Badge></TableCell>
              <TableCell className="capitalize">{a.status}</TableCell>
              <TableCell className="text-muted-foreground" title={formatDateTime(a.triggered_at)}>{formatRelative(a.triggered_at)}</TableCell>
              <TableCell className="space-x-2 text-right">
                {a.status === 'firing' && (
                  <Button size="sm" variant="outline" data-testid="alert-ack" onClick={() => change.mutate({ id: a.id, action: 'acknowledge' })}>
                    Acknowledge
                  </Button>
                )}
                {a.status !== 'resolved' && (
                  <Button size="sm" variant="outline" data-testid="alert-resolve" onClick={() => change.mutate({ id: a.id, action: 'resolve' })}>
                    Resolve
                  </Button>
                )}
                {a.status !== 'resolved' && (
                  <Button size="sm" variant="outline" data-testid="alert-silence" onClick={() => onSilence(silenceMatchers(a))}>
                    Silence
                  </Button>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </ChartCard>
  )
}

const CHANNELS = ['slack', 'pagerduty', 'email', 'webhook'] as const
const FILTERS = ['agent', 'model', 'provider', 'tag', 'user'] as const
const NEW_RULE: AlertRuleInput = { name: '', kind: 'threshold', metric: 'error_rate', operator: '>', threshold: 5, window: '5m', severity: 'critical', group_by: '', filters: {}, notification_channels: [] }

// The fields the editor shows, taken from a stored rule; the rest of the rule is sent back
// unchanged so that an edit keeps settings made through the API (for, min_samples, ...).
function editable(r: AlertRule): AlertRuleInput {
  return {
    ...r,
    group_by: (r.group_by ?? '') as AlertRuleInput['group_by'],
    warning_threshold: r.warning_threshold ?? undefined,
    filters: r.filters ?? {},
    notification_channels: r.notification_channels ?? [],
  }
}

function RuleEditor({ editing, onDone }: { editing?: AlertRule; onDone?: () => void }) {
  const [rule, setRule] = useState<AlertRuleInput>(editing ? editable(editing) : NEW_RULE)
  const create = useCreateAlertRule()
  const update = useUpdateAlertRule()
  const preview = usePreviewAlertRule()
  const save = editing ? update : create
  const set = <K extends keyof AlertRuleInput>(k: K, v: AlertRuleInput[K]) => setRule((r) => ({ ...r, [k]: v }))
  const setFilter = (k: keyof AlertFilters, v: string) => setRule((r) => ({ ...r, filters: { ...r.filters, [k]: v || undefined } }))
  const anomaly = rule.kind === 'anomaly'
  const scored = rule.metric === 'eval_score_avg' || rule.metric === 'feedback_score_avg'
  const body = (): AlertRuleInput => ({
    ...rule,
    group_by: rule.group_by || undefined,
    criterion: scored ? rule.criterion || undefined : undefined,
    warning_threshold: anomaly ? undefined : rule.warning_threshold,
  })
  const setKind = (kind: 'threshold' | 'anomaly') =>
    // An anomaly rule's threshold is a p-value; a threshold rule's is in the metric's unit.
    setRule((r) => ({ ...r, kind, threshold: kind === 'anomaly' ? 0.001 : 5, warning_threshold: undefined, operator: '>' }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (editing) {
      update.mutate({ id: editing.id, rule: body() }, { onSuccess: () => onDone?.() })
    } else {
      create.mutate(body(), { onSuccess: () => setRule((r) => ({ ...r, name: '' })) })
    }
  }
  const toggleChannel = (c: NotificationChannel, on: boolean) =>
    setRule((r) => {
      const list = (r.notification_channels ?? []).filter((x) => x !== c)
      return { ...r, notification_channels: on ? [...list, c] : list }
    })
  return (
    <form onSubmit={submit} data-testid="rule-editor" className="space-y-3 rounded-lg border p-4">
      <h2 className="text-base font-semibold">{editing ? `Edit rule “${editing.name}”` : 'New rule'}</h2>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <div className="space-y-1">
          <Label htmlFor="rule-name">Name</Label>
          <Input id="rule-name" data-testid="rule-name" value={rule.name} onChange={(e) => set('name', e.target.value)} required />
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-kind">Kind</Label>
          <NativeSelect id="rule-kind" data-testid="rule-kind" value={rule.kind} onChange={(e) => setKind(e.target.value as 'threshold' | 'anomaly')}>
            <option value="threshold">threshold</option>
            <option value="anomaly">anomaly (against the last 14 days)</option>
          </NativeSelect>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-metric">Metric</Label>
          <NativeSelect id="rule-metric" data-testid="rule-metric" value={rule.metric} onChange={(e) => set('metric', e.target.value as AlertRuleInput['metric'])}>
            {METRICS.filter((m) => !anomaly || (m !== 'no_activity' && m !== 'budget_used_pct')).map((m) => <option key={m} value={m}>{m}</option>)}
          </NativeSelect>
        </div>
        {scored && (
          <div className="space-y-1">
            <Label htmlFor="rule-criterion">Criterion</Label>
            <Input id="rule-criterion" data-testid="rule-criterion" placeholder="all criteria" value={rule.criterion ?? ''} onChange={(e) => set('criterion', e.target.value)} />
          </div>
        )}
        <div className="space-y-1">
          <Label htmlFor="rule-operator">{anomaly ? 'Direction and p-value' : 'Condition'}</Label>
          <div className="flex gap-2">
            <NativeSelect id="rule-operator" data-testid="rule-operator" aria-label="Operator" className="w-20" value={rule.operator} onChange={(e) => set('operator', e.target.value as AlertRuleInput['operator'])}>
              {(anomaly ? (['>', '<'] as const) : (['>', '>=', '<', '<='] as const)).map((o) => <option key={o} value={o}>{anomaly ? (o === '>' ? 'spike' : 'drop') : o}</option>)}
            </NativeSelect>
            <Input aria-label={anomaly ? 'p-value' : 'Threshold'} data-testid="rule-threshold" type="number" step="any" value={rule.threshold} onChange={(e) => set('threshold', Number(e.target.value))} />
          </div>
        </div>
        {!anomaly && (
          <div className="space-y-1">
            <Label htmlFor="rule-warning">Warning at (optional)</Label>
            <Input id="rule-warning" data-testid="rule-warning" type="number" step="any" value={rule.warning_threshold ?? ''}
              onChange={(e) => set('warning_threshold', e.target.value === '' ? undefined : Number(e.target.value))} />
          </div>
        )}
        <div className="space-y-1">
          <Label htmlFor="rule-window">Window</Label>
          <NativeSelect id="rule-window" data-testid="rule-window" value={rule.window} onChange={(e) => set('window', e.target.value)}>
            {Array.from(new Set(['5m', '15m', '1h', '6h', '24h', '7d', rule.window])).map((w) => <option key={w} value={w}>{w}</option>)}
          </NativeSelect>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-group">Split by</Label>
          <NativeSelect id="rule-group" data-testid="rule-group" value={rule.group_by} onChange={(e) => set('group_by', e.target.value as AlertRuleInput['group_by'])}>
            <option value="">nothing</option>
            {['agent', 'model', 'user', 'provider'].map((g) => <option key={g} value={g}>{g}</option>)}
          </NativeSelect>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-severity">Severity</Label>
          <NativeSelect id="rule-severity" data-testid="rule-severity" value={rule.severity} onChange={(e) => set('severity', e.target.value as AlertRuleInput['severity'])}>
            {['critical', 'warning', 'info'].map((s) => <option key={s} value={s}>{s}</option>)}
          </NativeSelect>
        </div>
      </div>
      <fieldset className="grid grid-cols-1 gap-3 sm:grid-cols-3 lg:grid-cols-5" data-testid="rule-filters">
        <legend className="mb-1 text-sm font-medium">Only traces of (empty: all)</legend>
        {FILTERS.map((f) => (
          <div key={f} className="space-y-1">
            <Label htmlFor={`rule-filter-${f}`}>{f}</Label>
            <Input id={`rule-filter-${f}`} data-testid={`rule-filter-${f}`} value={rule.filters?.[f] ?? ''} onChange={(e) => setFilter(f, e.target.value)} />
          </div>
        ))}
      </fieldset>
      <fieldset className="flex flex-wrap items-center gap-4" data-testid="rule-channels">
        <legend className="mb-1 text-sm font-medium">Notify through (configured in Settings, Integrations)</legend>
        {CHANNELS.map((c) => (
          <label key={c} className="flex items-center gap-1 text-sm">
            <input type="checkbox" data-testid={`rule-channel-${c}`} checked={rule.notification_channels?.includes(c) ?? false} onChange={(e) => toggleChannel(c, e.target.checked)} />
            {c}
          </label>
        ))}
      </fieldset>
      <div className="flex gap-2">
        <Button type="button" variant="outline" data-testid="rule-preview" onClick={() => preview.mutate(body())} disabled={preview.isPending || anomaly}
          title={anomaly ? 'The preview draws thresholds; anomaly rules show their baseline on each evaluation' : undefined}>
          {preview.isPending ? 'Previewing…' : 'Preview last 7 days'}
        </Button>
        <Button type="submit" data-testid="rule-save" disabled={save.isPending}>{editing ? 'Save changes' : 'Create rule'}</Button>
        {editing && <Button type="button" variant="ghost" data-testid="rule-cancel" onClick={onDone}>Cancel</Button>}
      </div>
      {(save.isError || preview.isError) && (
        <p role="alert" data-testid="rule-error" className="text-sm text-destructive">{errorMessage(save.error ?? preview.error)}</p>
      )}
      {create.isSuccess && !editing && <p data-testid="rule-saved" className="text-sm text-muted-foreground">Rule created: it is evaluated every minute.</p>}
      {preview.data && !anomaly && (
        <Suspense fallback={<ChartFallback testId="rule-preview-chart" height={220} />}>
          <AlertPreviewChart preview={preview.data} />
        </Suspense>
      )}
    </form>
  )
}

function ruleCondition(r: AlertRule): string {
  const head = r.kind === 'anomaly' ? `${r.metric} ${r.operator === '<' ? 'drops' : 'spikes'} (p < ${r.threshold})` : `${r.metric} ${r.operator} ${r.threshold}`
  const filters = Object.entries(r.filters ?? {}).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`)
  return `${head} over ${r.window}${r.group_by ? ` by ${r.group_by}` : ''}${filters.length ? ` where ${filters.join(', ')}` : ''}`
}

function Rules() {
  const q = useAlertRules()
  const del = useDeleteAlertRule()
  const [editing, setEditing] = useState<AlertRule | undefined>()
  const rules = q.data?.rules ?? []
  return (
    <div className="space-y-4">
      <RuleEditor key={editing?.id ?? 'new'} editing={editing} onDone={() => setEditing(undefined)} />
      <ChartCard title="Rules" testId="rules-table" isLoading={q.isPending} error={q.error} onRetry={() => void q.refetch()}
        isEmpty={rules.length === 0} emptyTitle="No rules yet" emptyDescription="Create one above; budgets and health thresholds add their own." height={120}>
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Condition</TableHead>
              <TableHead>Channels</TableHead>
              <TableHead className="text-right">Actions</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rules.map((r) => (
              <TableRow key={r.id} data-testid="rule-row">
                <TableCell className="font-medium">{r.name}</TableCell>
                <TableCell className="font-mono text-xs">{ruleCondition(r)}</TableCell>
                <TableCell>{r.notification_channels.join(', ') || '—'}</TableCell>
                <TableCell className="space-x-2 text-right">
                  <Button size="sm" variant="outline" data-testid="rule-edit" onClick={() => setEditing(r)} aria-label={`Edit rule ${r.name}`}>Edit</Button>
                  <Button size="sm" variant="outline" onClick={() => del.mutate(r.id)} aria-label={`Delete rule ${r.name}`}>Delete</Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </ChartCard>
    </div>
  )
}

const SILENCE_FOR = [['1h', 1], ['4h', 4], ['24h', 24], ['7d', 168]] as const

// parseMatchers reads "name=value, name=value"; it returns an error message for a part
// without a name or '='.
function parseMatchers(text: string): { matchers: { name: string; value: string }[]; error?: string } {
  const matchers: { name: string; value: string }[] = []
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) return { matchers, error: `“${part}” is not name=value` }
    matchers.push({ name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() })
  }
  if (matchers.length === 0) return { matchers, error: 'at least one matcher, such as alertname=Slow agent' }
  return { matchers }
}

function SilenceEditor({ initial }: { initial: string }) {
  const [text, setText] = useState(initial)
  const [hours, setHours] = useState(4)
  const [comment, setComment] = useState('')
  const [problem, setProblem] = useState<string>()
  const create = useCreateSilence()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const { matchers, error } = parseMatchers(text)
    setProblem(error)
    if (error) return
    create.mutate({ matchers, ends_at: new Date(Date.now() + hours * 3600_000).toISOString(), comment }, { onSuccess: () => setComment('') })
  }
  return (
    <form onSubmit={submit} data-testid="silence-editor" className="space-y-3 rounded-lg border p-4">
      <h2 className="text-base font-semibold">New silence</h2>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-[2fr_1fr_2fr]">
        <div className="space-y-1">
          <Label htmlFor="silence-matchers">Matchers (labels of the alerts to mute)</Label>
          <Input id="silence-matchers" data-testid="silence-matchers" placeholder="alertname=Slow agent, agent=support-bot" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="space-y-1">
          <Label htmlFor="silence-for">For</Label>
          <NativeSelect id="silence-for" data-testid="silence-for" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {SILENCE_FOR.map(([label, h]) => <option key={label} value={h}>{label}</option>)}
          </NativeSelect>
        </div>
        <div className="space-y-1">
          <Label htmlFor="silence-comment">Comment</Label>
          <Input id="silence-comment" data-testid="silence-comment" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why, and who looks into it" />
        </div>
      </div>
      <Button type="submit" data-testid="silence-save" disabled={create.isPending}>Silence</Button>
      {(problem || create.isError) && <p role="alert" data-testid="silence-error" className="text-sm text-destructive">{problem ?? errorMessage(create.error)}</p>}
      {create.isSuccess && !problem && <p data-testid="silence-saved" className="text-sm text-muted-foreground">Silenced until {formatDateTime(create.data.ends_at)}.</p>}
    </form>
  )
}

function Silences({ prefill }: { prefill: string }) {
  const q = useSilences()
  const del = useDeleteSilence()
  const list = q.data?.silences ?? []
  return (
    <div className="space-y-4">
    <SilenceEditor key={prefill} initial={prefill} />
    <ChartCard title="Silences" description="Notifications of matching alerts are muted until the silence ends (POST /api/v1/silences)." testId="silences-table"
      isLoading={q.isPending} error={q.error} onRetry={() => void q.refetch()} isEmpty={list.length === 0} emptyTitle="No active silences" emptyDescription="Silences mute notifications, never the alerts themselves." height={120}>
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Matchers</TableHead>
            <TableHead>Ends</TableHead>
            <TableHead>Comment</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {list.map((s) => (
            <TableRow key={s.id} data-testid="silence-row">
              <TableCell className="font-mono text-xs">{s.matchers.map((m) => `${m.name}=${m.value}`).join(', ')}</TableCell>
              <TableCell>{formatDateTime(s.ends_at)}</TableCell>
              <TableCell>{s.comment}</TableCell>
              <TableCell className="text-right"><Button size="sm" variant="outline" onClick={() => del.mutate(s.id)}>End</Button></TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </ChartCard>
    </div>
  )
}

// Alert states change in the alert role: its live hints refetch what this page shows.
const LIVE_PATHS = ['/api/v1/alerts', '/api/v1/alert-rules']

export default function Alerts() {
  const [tab, setTab] = useState('active')
  const [prefill, setPrefill] = useState('')
  const silence = (matchers: string) => {
    setPrefill(matchers)
    setTab('silences')
  }
  useLiveRefetch(['alerts'], LIVE_PATHS)
  return (
    <div data-testid="page-alerts" className="min-w-0">
      <PageHeader title="Alerts" description="Rules on any metric, their alerts, and silences." />
      <Tabs value={tab} onValueChange={setTab}>
        <TabsList aria-label="View">
          <TabsTrigger value="active" data-testid="alerts-tab-active">Active</TabsTrigger>
          <TabsTrigger value="history" data-testid="alerts-tab-history">History</TabsTrigger>
          <TabsTrigger value="rules" data-testid="alerts-tab-rules">Rules</TabsTrigger>
          <TabsTrigger value="silences" data-testid="alerts-tab-silences">Silences</TabsTrigger>
        </TabsList>
        <TabsContent value="active"><AlertTable status="active" testId="alerts-active" onSilence={silence} /></TabsContent>
        <TabsContent value="history"><AlertTable status="" testId="alerts-history" onSilence={silence} /></TabsContent>
        <TabsContent value="rules"><Rules /></TabsContent>
        <TabsContent value="silences"><Silences prefill={prefill} /></TabsContent>
      </Tabs>
    </div>
  )
}
