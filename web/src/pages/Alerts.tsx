import { lazy, Suspense, useState, type FormEvent } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
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
  useDeleteSilence,
  usePreviewAlertRule,
  useSilences,
} from '@/api/queries'
import type { AlertItem, AlertRuleInput } from '@/api/types'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatRelative } from '@/lib/format'
import { useLiveRefetch } from '@/lib/useLive'

const AlertPreviewChart = lazy(() => import('@/components/charts/AlertPreviewChart').then((m) => ({ default: m.AlertPreviewChart })))

const METRICS = [
  'request_count', 'error_rate', 'latency_p50', 'latency_p95', 'latency_p99', 'cost_total', 'cost_per_trace', 'tokens_total',
  'eval_score_avg', 'feedback_score_avg', 'guardrail_violations', 'budget_used_pct', 'no_activity',
] as const

const SEVERITY_VARIANT = { critical: 'destructive', warning: 'warning', info: 'secondary' } as const

const selectClass = 'h-9 w-full rounded-md border border-input bg-transparent px-3 text-sm shadow-xs'

function AlertTable({ status, testId }: { status: string; testId: string }) {
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
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </ChartCard>
  )
}

function RuleEditor() {
  const [rule, setRule] = useState<AlertRuleInput>({ name: '', metric: 'error_rate', operator: '>', threshold: 5, window: '5m', severity: 'critical', group_by: '' })
  const create = useCreateAlertRule()
  const preview = usePreviewAlertRule()
  const set = <K extends keyof AlertRuleInput>(k: K, v: AlertRuleInput[K]) => setRule((r) => ({ ...r, [k]: v }))
  const body = (): AlertRuleInput => ({ ...rule, group_by: rule.group_by || undefined })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    create.mutate(body(), { onSuccess: () => setRule((r) => ({ ...r, name: '' })) })
  }
  return (
    <form onSubmit={submit} data-testid="rule-editor" className="space-y-3 rounded-lg border p-4">
      <h2 className="text-base font-semibold">New rule</h2>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <div className="space-y-1">
          <Label htmlFor="rule-name">Name</Label>
          <Input id="rule-name" data-testid="rule-name" value={rule.name} onChange={(e) => set('name', e.target.value)} required />
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-metric">Metric</Label>
          <select id="rule-metric" data-testid="rule-metric" className={selectClass} value={rule.metric} onChange={(e) => set('metric', e.target.value as AlertRuleInput['metric'])}>
            {METRICS.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-operator">Condition</Label>
          <div className="flex gap-2">
            <select id="rule-operator" data-testid="rule-operator" aria-label="Operator" className={selectClass + ' w-20'} value={rule.operator} onChange={(e) => set('operator', e.target.value as AlertRuleInput['operator'])}>
              {(['>', '>=', '<', '<='] as const).map((o) => <option key={o} value={o}>{o}</option>)}
            </select>
            <Input aria-label="Threshold" data-testid="rule-threshold" type="number" step="any" value={rule.threshold} onChange={(e) => set('threshold', Number(e.target.value))} />
          </div>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-window">Window</Label>
          <select id="rule-window" data-testid="rule-window" className={selectClass} value={rule.window} onChange={(e) => set('window', e.target.value)}>
            {['5m', '15m', '1h', '6h', '24h', '7d'].map((w) => <option key={w} value={w}>{w}</option>)}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-group">Split by</Label>
          <select id="rule-group" data-testid="rule-group" className={selectClass} value={rule.group_by} onChange={(e) => set('group_by', e.target.value as AlertRuleInput['group_by'])}>
            <option value="">nothing</option>
            {['agent', 'model', 'user', 'provider'].map((g) => <option key={g} value={g}>{g}</option>)}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="rule-severity">Severity</Label>
          <select id="rule-severity" data-testid="rule-severity" className={selectClass} value={rule.severity} onChange={(e) => set('severity', e.target.value as AlertRuleInput['severity'])}>
            {['critical', 'warning', 'info'].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
      </div>
      <div className="flex gap-2">
        <Button type="button" variant="outline" data-testid="rule-preview" onClick={() => preview.mutate(body())} disabled={preview.isPending}>
          {preview.isPending ? 'Previewing…' : 'Preview last 7 days'}
        </Button>
        <Button type="submit" data-testid="rule-save" disabled={create.isPending}>Create rule</Button>
      </div>
      {(create.isError || preview.isError) && (
        <p role="alert" data-testid="rule-error" className="text-sm text-destructive">{errorMessage(create.error ?? preview.error)}</p>
      )}
      {create.isSuccess && <p data-testid="rule-saved" className="text-sm text-muted-foreground">Rule created: it is evaluated every minute.</p>}
      {preview.data && (
        <Suspense fallback={<ChartFallback testId="rule-preview-chart" height={220} />}>
          <AlertPreviewChart preview={preview.data} />
        </Suspense>
      )}
    </form>
  )
}

function Rules() {
  const q = useAlertRules()
  const del = useDeleteAlertRule()
  const rules = q.data?.rules ?? []
  return (
    <div className="space-y-4">
      <RuleEditor />
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
                <TableCell className="font-mono text-xs">
                  {r.kind === 'anomaly' ? `${r.metric} anomalous (p < ${r.threshold})` : `${r.metric} ${r.operator} ${r.threshold}`} over {r.window}
                  {r.group_by ? ` by ${r.group_by}` : ''}
                </TableCell>
                <TableCell>{r.notification_channels.join(', ') || '—'}</TableCell>
                <TableCell className="text-right">
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

function Silences() {
  const q = useSilences()
  const del = useDeleteSilence()
  const list = q.data?.silences ?? []
  return (
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
  )
}

// Alert states change in the alert role: its live hints refetch what this page shows.
const LIVE_PATHS = ['/api/v1/alerts', '/api/v1/alert-rules']

export default function Alerts() {
  const [tab, setTab] = useState('active')
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
        <TabsContent value="active"><AlertTable status="active" testId="alerts-active" /></TabsContent>
        <TabsContent value="history"><AlertTable status="" testId="alerts-history" /></TabsContent>
        <TabsContent value="rules"><Rules /></TabsContent>
        <TabsContent value="silences"><Silences /></TabsContent>
      </Tabs>
    </div>
  )
}
