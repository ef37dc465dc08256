import { useState, type FormEvent } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { NativeSelect } from '@/components/ui/native-select'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { ChartCard } from '@/components/dashboard/ChartCard'
import { useDeleteEvaluator, useEvaluators, useSaveEvaluator, type EvaluatorDef } from '@/api/quality'
import { errorMessage } from '@/lib/api'


const EMPTY: EvaluatorDef = { id: '', name: '', scope: 'trace', filter: {}, sample_rate: 0.1, delay: '30s', criteria: [], daily_budget_usd: 0, enabled: true }

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean)

// EvaluatorEditor creates an evaluator or saves the next version of one; fields it does not
// show (template, system, model, ...) are sent back unchanged.
function EvaluatorEditor({ editing, onDone }: { editing?: EvaluatorDef; onDone: () => void }) {
  const [def, setDef] = useState<EvaluatorDef>(editing ?? EMPTY)
  const [criteria, setCriteria] = useState((editing?.criteria ?? []).join(', '))
  const [agents, setAgents] = useState((editing?.filter.agents ?? []).join(', '))
  const [kinds, setKinds] = useState((editing?.filter.span_kinds ?? []).join(', '))
  const save = useSaveEvaluator()
  const set = <K extends keyof EvaluatorDef>(k: K, v: EvaluatorDef[K]) => setDef((d) => ({ ...d, [k]: v }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const body: EvaluatorDef = {
      ...def,
      criteria: list(criteria),
      filter: { ...def.filter, agents: list(agents), span_kinds: def.scope === 'span' ? list(kinds) : [] },
    }
    delete body.version
    delete body.created_at
    delete body.created_by
    save.mutate({ def: body, update: !!editing }, { onSuccess: onDone })
  }
  return (
    <form onSubmit={submit} data-testid="evaluator-editor" className="mb-4 space-y-3 rounded-lg border p-4">
      <h3 className="text-sm font-semibold">{editing ? `New version of “${editing.name}”` : 'New evaluator'}</h3>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <div className="space-y-1">
          <Label htmlFor="evaluator-id">Id</Label>
          <Input id="evaluator-id" data-testid="evaluator-id" value={def.id} disabled={!!editing} placeholder="answer-quality" onChange={(e) => set('id', e.target.value)} required />
        </div>
        <div className="space-y-1">
          <Label htmlFor="evaluator-name">Name</Label>
          <Input id="evaluator-name" data-testid="evaluator-name" value={def.name} onChange={(e) => set('name', e.target.value)} required />
        </div>
        <div className="space-y-1">
          <Label htmlFor="evaluator-scope">Judges</Label>
          <NativeSelect id="evaluator-scope" data-testid="evaluator-scope" value={def.scope} onChange={(e) => set('scope', e.target.value as EvaluatorDef['scope'])}>
            <option value="trace">each trace</option>
            <option value="span">each matching span</option>
            <option value="session">each session (its traces together)</option>
          </NativeSelect>
        </div>
        <div className="space-y-1">
          <Label htmlFor="evaluator-rate">Sample rate (0–1)</Label>
          <Input id="evaluator-rate" data-testid="evaluator-rate" type="number" step="any" min={0} max={1} value={def.sample_rate} onChange={(e) => set('sample_rate', Number(e.target.value))} />
        </div>
        <div className="space-y-1">
          <Label htmlFor="evaluator-criteria">Criteria (comma-separated; empty: the default four)</Label>
          <Input id="evaluator-criteria" data-testid="evaluator-criteria" value={criteria} placeholder="helpfulness, relevance" onChange={(e) => setCriteria(e.target.value)} />
        </div>
        <div className="space-y-1">
          <Label htmlFor="evaluator-agents">Agents (empty: all)</Label>
          <Input id="evaluator-agents" data-testid="evaluator-agents" value={agents} onChange={(e) => setAgents(e.target.value)} />
        </div>
        {def.scope === 'span' && (
          <div className="space-y-1">
            <Label htmlFor="evaluator-kinds">Span kinds (empty: all)</Label>
            <Input id="evaluator-kinds" data-testid="evaluator-kinds" value={kinds} placeholder="llm" onChange={(e) => setKinds(e.target.value)} />
          </div>
        )}
        <div className="space-y-1">
          <Label htmlFor="evaluator-delay">{def.scope === 'session' ? 'Quiet time before a session counts as complete' : 'Delay after the trace ends'}</Label>
          <Input id="evaluator-delay" data-testid="evaluator-delay" value={def.delay} onChange={(e) => set('delay', e.target.value)} />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" data-testid="evaluator-enabled" checked={def.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          Sample automatically
        </label>
      </div>
      <div className="flex gap-2">
        <Button type="submit" data-testid="evaluator-save" disabled={save.isPending}>{editing ? 'Save new version' : 'Create evaluator'}</Button>
        <Button type="button" variant="ghost" onClick={onDone}>Cancel</Button>
      </div>
      {save.isError && <p role="alert" data-testid="evaluator-error" className="text-sm text-destructive">{errorMessage(save.error)}</p>}
    </form>
  )
}

/** Evaluators lists the workspace's evaluators and edits them (docs/evaluation.md). */
export function Evaluators() {
  const q = useEvaluators()
  const del = useDeleteEvaluator()
  const [editing, setEditing] = useState<EvaluatorDef | 'new' | undefined>()
  const rows = q.data?.evaluators ?? []
  return (
    <ChartCard
      title="Evaluators"
      description="This workspace's judges: what they judge, how often, with which criteria. Saving one makes a new version, which judges again."
      testId="evaluators"
      isLoading={q.isPending}
      error={q.error}
      onRetry={() => void q.refetch()}
      isEmpty={false}
      height={120}
    >
      {editing ? (
        <EvaluatorEditor key={editing === 'new' ? 'new' : editing.id} editing={editing === 'new' ? undefined : editing} onDone={() => setEditing(undefined)} />
      ) : (
        <Button size="sm" className="mb-3" data-testid="evaluator-new" onClick={() => setEditing('new')}>New evaluator</Button>
      )}
      {del.isError && <p role="alert" className="mb-2 text-sm text-destructive">{errorMessage(del.error)}</p>}
      {rows.length === 0 ? (
        <p data-testid="evaluators-empty" className="text-sm text-muted-foreground">
          No workspace evaluators yet: the server's default evaluator judges what is sampled or asked for.
        </p>
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Evaluator</TableHead>
              <TableHead>Judges</TableHead>
              <TableHead>Criteria</TableHead>
              <TableHead>Sampling</TableHead>
              <TableHead className="text-right">Actions</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.map((d) => (
              <TableRow key={d.id} data-testid="evaluator-row">
                <TableCell>
                  <div className="font-medium">{d.name}</div>
                  <div className="font-mono text-xs text-muted-foreground">{d.id} v{d.version}</div>
                </TableCell>
                <TableCell>
                  {d.scope === 'span' ? `spans${d.filter.span_kinds?.length ? ` (${d.filter.span_kinds.join(', ')})` : ''}` : d.scope === 'session' ? 'sessions' : 'traces'}
                  {d.filter.agents?.length ? ` of ${d.filter.agents.join(', ')}` : ''}
                </TableCell>
                <TableCell className="text-xs">{d.criteria.length ? d.criteria.join(', ') : 'default'}</TableCell>
                <TableCell>
                  {d.enabled && d.sample_rate > 0 ? <Badge variant="secondary">{Math.round(d.sample_rate * 1000) / 10} % after {d.delay}</Badge> : <Badge variant="outline">on demand</Badge>}
                </TableCell>
                <TableCell className="space-x-2 text-right">
                  <Button size="sm" variant="outline" data-testid="evaluator-edit" onClick={() => setEditing(d)}>Edit</Button>
                  <Button size="sm" variant="outline" aria-label={`Delete evaluator ${d.name}`} onClick={() => del.mutate(d.id)}>Delete</Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </ChartCard>
  )
}
