import { lazy, Suspense, useState, type FormEvent } from 'react'
import { CalendarClock, Loader2, Target, Trash2 } from 'lucide-react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Progress } from '@/components/ui/progress'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { ChartFallback } from '@/components/dashboard/ChartFallback'
import { FindingRow } from '@/components/dashboard/InsightsFeed'
import { KPICard } from '@/components/dashboard/KPICard'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { PageHeader } from '@/components/layout/PageHeader'
import {
  useCreateGoal,
  useDeleteGoal,
  useImpact,
  usePutImpactSettings,
  useWindow,
  type GoalInput,
  type Impact as ImpactData,
  type PeriodFigures,
} from '@/api/insights'
import { errorMessage } from '@/lib/api'
import { formatCost, formatDateTime, formatInteger, formatNumber, formatPercent } from '@/lib/format'
import { useTimeRange } from '@/lib/timerange'

const ValueVsCostChart = lazy(() => import('@/components/charts/ImpactCharts'))

/** parseGoalForm checks the goal form and returns the POST body, or what is wrong. */
export function parseGoalForm(f: { name: string; unit: string; value: string; target: string; achieved: string; agent: string }): GoalInput | string {
  const num = (s: string) => (s.trim() === '' ? 0 : Number(s.replace(/[$,\s]/g, '')))
  const value = num(f.value)
  const target = num(f.target)
  const achieved = num(f.achieved)
  if (!f.name.trim()) return 'Name the goal, e.g. tickets deflected.'
  if (!Number.isFinite(value) || value < 0) return 'The value per unit is a dollar amount of 0 or more.'
  if (!Number.isFinite(target) || target < 0) return 'The target is a number of units, 0 or more.'
  if (!Number.isFinite(achieved) || achieved < 0) return 'Units achieved is a number, 0 or more.'
  const agent = f.agent.trim()
  return {
    name: f.name.trim(),
    unit: f.unit.trim(),
    value_per_unit_usd: value,
    target,
    achieved: agent ? 0 : achieved,
    source: agent ? 'successful_traces' : 'manual',
    agent_id: agent,
  }
}

function GoalDialog() {
  const [open, setOpen] = useState(false)
  const [form, setForm] = useState({ name: '', unit: '', value: '', target: '', achieved: '', agent: '' })
  const [formError, setFormError] = useState<string | null>(null)
  const create = useCreateGoal()
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const body = parseGoalForm(form)
    if (typeof body === 'string') {
      setFormError(body)
      return
    }
    setFormError(null)
    create.mutate(body, {
      onSuccess: () => {
        setOpen(false)
        setForm({ name: '', unit: '', value: '', target: '', achieved: '', agent: '' })
      },
    })
  }
  const field = (k: keyof typeof form, label: string, placeholder: string) => (
    <div className="grid gap-2">
      <Label htmlFor={`goal-${k}`}>{label}</Label>
      <Input id={`goal-${k}`} value={form[k]} onChange={set(k)} placeholder={placeholder} data-testid={`goal-${k}`} />
    </div>
  )
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm" data-testid="add-goal">
          Add goal
        </Button>
      </DialogTrigger>
      <DialogContent data-testid="goal-dialog" className="sm:max-w-md">
        <DialogHeader>
          <DialogTitle>Business goal</DialogTitle>
          <DialogDescription>A unit of value your agents deliver and what one is worth. Name an agent to count its successful traces as units.</DialogDescription>
        </DialogHeader>
        <form className="grid gap-4" onSubmit={submit} noValidate>
          {(formError || create.error) && (
            <Alert variant="destructive" data-testid="goal-error">
              <AlertDescription>{formError ?? errorMessage(create.error)}</AlertDescription>
            </Alert>
          )}
          {field('name', 'Name', 'Tickets deflected')}
          {field('unit', 'Unit', 'ticket')}
          {field('value', 'Value per unit (USD)', '12')}
          {field('target', 'Target (units)', '1000')}
          {field('agent', 'Count successful traces of agent (optional)', 'support-bot')}
          {!form.agent.trim() && field('achieved', 'Units achieved', '0')}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={create.isPending} data-testid="goal-save">
              {create.isPending && <Loader2 className="animate-spin" aria-hidden="true" />}
              Save goal
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

function InfraCostForm({ data }: { data: ImpactData }) {
  const [value, setValue] = useState(String(data.settings.infra_monthly_usd))
  const save = usePutImpactSettings()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const n = Number(value.replace(/[$,\s]/g, ''))
    if (!Number.isFinite(n) || n < 0) return
    save.mutate({ infra_monthly_usd: n, daily_summary_channels: data.settings.daily_summary_channels })
  }
  return (
    <form className="flex flex-wrap items-end gap-2" onSubmit={submit} data-testid="infra-form">
      <div className="grid gap-1">
        <Label htmlFor="infra-monthly" className="text-xs">
          Infrastructure per month (USD)
        </Label>
        <Input id="infra-monthly" className="h-8 w-32" inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} data-testid="infra-monthly" />
      </div>
      <Button type="submit" size="sm" variant="outline" disabled={save.isPending} data-testid="infra-save">
        Save
      </Button>
      {save.error && <span className="text-xs text-destructive">{errorMessage(save.error)}</span>}
    </form>
  )
}

function ROICard({ data }: { data: ImpactData }) {
  const r = data.roi
  return (
    <Card data-testid="roi-card" className="min-w-0">
      <CardHeader>
        <CardTitle>Return on investment</CardTitle>
        <CardDescription data-testid="roi-formula">{r.formula}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <div className="grid grid-cols-2 gap-3">
          <KPICard testId="roi-percent" title="ROI" rawValue={r.roi_percent} value={r.roi_percent === null ? 'No cost' : formatPercent(r.roi_percent)} />
          <KPICard testId="roi-value" title="Value" rawValue={r.value_usd} value={formatCost(r.value_usd)} />
          <KPICard testId="roi-cost" title="LLM + infrastructure" rawValue={r.total_cost_usd} value={formatCost(r.total_cost_usd)} hint={`${formatCost(r.llm_cost_usd)} + ${formatCost(r.infra_cost_usd)}`} />
          <KPICard testId="roi-net" title="Net" rawValue={r.net_usd} value={formatCost(r.net_usd)} />
        </div>
        <Suspense fallback={<ChartFallback testId="impact-value-chart" height={180} />}>
          <ValueVsCostChart roi={r} />
        </Suspense>
        <InfraCostForm key={data.settings.infra_monthly_usd} data={data} />
      </CardContent>
    </Card>
  )
}

function GoalsCard({ data }: { data: ImpactData }) {
  const del = useDeleteGoal()
  return (
    <Card data-testid="goals-card" className="min-w-0">
      <CardHeader>
        <CardTitle>Goals</CardTitle>
        <CardDescription>Business outcomes and what they are worth</CardDescription>
        <CardAction>
          <GoalDialog />
        </CardAction>
      </CardHeader>
      <CardContent className="grid gap-4">
        {data.goals.length === 0 ? (
          <EmptyState testId="goals-empty" icon={<Target className="size-5" />} title="No goals yet" description="Add a goal such as tickets deflected at $12 each to see the value your agents create." />
        ) : (
          data.goals.map((g) => (
            <div key={g.id} className="grid gap-1" data-testid="goal-row" data-goal={g.name}>
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-medium">{g.name}</span>
                <span className="text-sm tabular-nums text-muted-foreground" data-testid="goal-figures">
                  {formatNumber(g.achieved)}
                  {g.target > 0 && ` of ${formatNumber(g.target)}`} {g.unit} · {formatCost(g.value_usd)}
                </span>
              </div>
              {g.progress !== null && <Progress value={Math.min(100, g.progress * 100)} aria-label={`${g.name} progress`} data-testid="goal-progress" />}
              <div className="flex items-center justify-between text-xs text-muted-foreground">
                <span>{g.source === 'successful_traces' ? `successful traces of ${g.agent_id}` : 'entered by hand'} · {formatCost(g.value_per_unit_usd)} per {g.unit || 'unit'}</span>
                <Button variant="ghost" size="sm" aria-label={`Delete ${g.name}`} onClick={() => del.mutate(g.id)} data-testid="goal-delete">
                  <Trash2 aria-hidden="true" />
                </Button>
              </div>
            </div>
          ))
        )}
      </CardContent>
    </Card>
  )
}

function Period({ p, label }: { p: PeriodFigures; label: string }) {
  return (
    <TableRow data-testid={`deployment-${label}`}>
      <TableCell>{label}</TableCell>
      <TableCell className="text-right tabular-nums">{formatInteger(p.traces)}</TableCell>
      <TableCell className="text-right tabular-nums">{p.success_rate === null ? '—' : formatPercent(p.success_rate * 100)}</TableCell>
      <TableCell className="text-right tabular-nums">{p.cost_per_trace_usd === null ? '—' : formatCost(p.cost_per_trace_usd)}</TableCell>
      <TableCell className="text-right tabular-nums">{p.mean_score === null ? '—' : formatNumber(p.mean_score)}</TableCell>
    </TableRow>
  )
}

function TimelineCard({ data }: { data: ImpactData }) {
  const d = data.deployment
  return (
    <Card data-testid="impact-timeline" className="min-w-0">
      <CardHeader>
        <CardTitle>Impact timeline</CardTitle>
        <CardDescription>Deployments, config changes, incidents and markers sent to POST /api/v1/events</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {d && (
          <div data-testid="deployment-split">
            <p className="mb-2 text-sm">
              Before and after <strong>{d.event.title}</strong>
              {d.event.version && <> ({d.event.version})</>} on {formatDateTime(d.event.timestamp)}
              {d.event.agent_id && <> for {d.event.agent_id}</>}
            </p>
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead />
                  <TableHead className="text-right">Traces</TableHead>
                  <TableHead className="text-right">Success</TableHead>
                  <TableHead className="text-right">Cost / trace</TableHead>
                  <TableHead className="text-right">Mean score</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                <Period p={d.before} label="before" />
                <Period p={d.after} label="after" />
              </TableBody>
            </Table>
          </div>
        )}
        {data.timeline.length === 0 ? (
          <EmptyState testId="impact-timeline-empty" icon={<CalendarClock className="size-5" />} title="No events in this period" description="Record deployments with the SDK's event() call or POST /api/v1/events." />
        ) : (
          <ol className="grid gap-2 border-l pl-4">
            {[...data.timeline].reverse().map((e) => (
              <li key={e.id} data-testid="timeline-event" data-type={e.type} className="grid gap-0.5">
                <span className="flex flex-wrap items-center gap-2 text-sm font-medium">
                  <Badge variant={e.type === 'incident' ? 'destructive' : e.type === 'deployment' ? 'success' : 'secondary'}>{e.type.replace('_', ' ')}</Badge>
                  {e.title}
                  {e.version && <span className="text-xs text-muted-foreground">{e.version}</span>}
                </span>
                <span className="text-xs text-muted-foreground">
                  {formatDateTime(e.timestamp)}
                  {e.agent_id && ` · ${e.agent_id}`}
                  {e.description && ` · ${e.description}`}
                </span>
              </li>
            ))}
          </ol>
        )}
      </CardContent>
    </Card>
  )
}

function SavingsCard({ data }: { data: ImpactData }) {
  const s = data.savings
  return (
    <Card data-testid="impact-savings" className="min-w-0">
      <CardHeader>
        <CardTitle>Savings found</CardTitle>
        <CardDescription>{s.run_id ? `${formatCost(s.total_usd)} in the latest cost analysis` : 'Run a cost analysis from Home or Cost'}</CardDescription>
      </CardHeader>
      <CardContent>
        {s.findings.length === 0 ? (
          <EmptyState testId="impact-savings-empty" title="No savings yet" description="Cost analyses list model switches, caching and duplicate requests here." />
        ) : (
          <ul className="grid gap-2">
            {s.findings.map((f, i) => (
              <FindingRow key={`${f.kind}-${i}`} finding={f} />
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  )
}

export default function Impact() {
  const { apiParams } = useTimeRange()
  const w = useWindow(apiParams)
  const q = useImpact(w)
  return (
    <div data-testid="page-impact" className="min-w-0">
      <PageHeader title="Impact" description="What your agents are worth against what they cost." />
      {q.isPending ? (
        <div className="grid gap-4" data-testid="impact-loading">
          <Skeleton className="h-48" />
          <Skeleton className="h-48" />
        </div>
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="impact-error" />
      ) : (
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
          <ROICard data={q.data} />
          <GoalsCard data={q.data} />
          <TimelineCard data={q.data} />
          <SavingsCard data={q.data} />
        </div>
      )}
    </div>
  )
}
