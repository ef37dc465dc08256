import { useMemo, useState, type ReactNode } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { ArrowLeft, Coins, Clock, Hash, Layers } from 'lucide-react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
import { Separator } from '@/components/ui/separator'
import { Skeleton } from '@/components/ui/skeleton'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { EntityLink } from '@/components/dashboard/EntityLink'
import { StatusBadge } from '@/components/dashboard/StatusBadge'
import { Content, JsonValue } from '@/components/trace/Content'
import { flattenSpans, KIND_ICON, SpanWaterfall } from '@/components/trace/SpanWaterfall'
import { useTrace } from '@/api/queries'
import type { Span, Trace } from '@/api/types'
import { ApiError } from '@/lib/api'
import { formatCost, formatDateTime, formatDuration, formatInteger } from '@/lib/format'
import { rangeSearch } from '@/lib/timerange'

function Stat({ icon, label, value, testId }: { icon: ReactNode; label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="flex min-w-0 items-center gap-2">
      <span className="text-muted-foreground" aria-hidden="true">
        {icon}
      </span>
      <div className="min-w-0">
        <div className="text-xs text-muted-foreground">{label}</div>
        <div className="truncate font-semibold tabular-nums" data-testid={testId}>
          {value}
        </div>
      </div>
    </div>
  )
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[8rem_minmax(0,1fr)] gap-2 py-1 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  )
}

function tokens(input: number | null, output: number | null, cached: number | null, total: number | null): string {
  if (total === null && input === null && output === null) return '—'
  const parts = [`${formatInteger(input)} in`, `${formatInteger(output)} out`]
  if (cached) parts.push(`${formatInteger(cached)} cached`)
  return `${formatInteger(total)} (${parts.join(', ')})`
}

export function SpanDetails({ span }: { span: Span }) {
  const Icon = KIND_ICON[span.kind]
  return (
    <div data-testid="span-details" className="grid gap-4">
      <div className="flex flex-wrap items-center gap-2">
        {Icon && <Icon className="size-4 text-muted-foreground" aria-hidden="true" />}
        <h3 className="min-w-0 font-semibold break-words" data-testid="span-details-name">
          {span.name || span.span_id}
        </h3>
        <Badge variant="outline">{span.kind}</Badge>
        <StatusBadge status={span.status} />
      </div>
      <dl>
        <Field label="Model">{span.model ? <EntityLink kind="model" value={span.model} /> : '—'}{span.model_provider && <span className="text-muted-foreground"> · {span.model_provider}</span>}</Field>
        <Field label="Latency">{formatDuration(span.latency_ms)}</Field>
        <Field label="Tokens">{tokens(span.tokens_input, span.tokens_output, span.tokens_cached_input, span.tokens_total)}</Field>
        <Field label="Cost">{span.cost_usd === null ? (span.kind === 'llm' ? 'unpriced model' : '—') : formatCost(span.cost_usd)}</Field>
        <Field label="Started">{formatDateTime(span.start_time)}</Field>
        <Field label="Span id"><code className="text-xs">{span.span_id}</code></Field>
        {span.status_message && <Field label="Message"><span className="text-destructive">{span.status_message}</span></Field>}
      </dl>
      <section>
        <h4 className="mb-2 text-sm font-semibold">Input</h4>
        <Content value={span.input} testId="span-input" />
      </section>
      <section>
        <h4 className="mb-2 text-sm font-semibold">Output</h4>
        <Content value={span.output} testId="span-output" />
      </section>
      <section>
        <h4 className="mb-2 text-sm font-semibold">Attributes</h4>
        <JsonValue value={span.attributes} testId="span-attributes" />
      </section>
    </div>
  )
}

function TraceHeader({ t }: { t: Trace }) {
  return (
    <Card className="gap-3">
      <CardHeader>
        <div className="flex flex-wrap items-center gap-2">
          <CardTitle className="text-lg break-all" data-testid="trace-name">
            {t.name || t.trace_id}
          </CardTitle>
          <StatusBadge status={t.status} testId="trace-status" />
          {(t.tags ?? []).map((tag) => (
            <Badge key={tag} variant="outline">
              {tag}
            </Badge>
          ))}
        </div>
        <p className="text-xs break-all text-muted-foreground">
          <span data-testid="trace-id">{t.trace_id}</span> · {formatDateTime(t.start_time)}
        </p>
      </CardHeader>
      <CardContent className="grid gap-4">
        <div className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          <Stat icon={<Clock className="size-4" />} label="Latency" value={formatDuration(t.latency_ms)} testId="trace-latency" />
          <Stat icon={<Hash className="size-4" />} label="Tokens" value={formatInteger(t.tokens_total)} testId="trace-tokens" />
          <Stat icon={<Coins className="size-4" />} label="Cost" value={formatCost(t.cost_usd)} testId="trace-cost" />
          <Stat icon={<Layers className="size-4" />} label="Spans" value={`${t.span_count}${t.error_span_count ? ` (${t.error_span_count} failed)` : ''}`} testId="trace-spans" />
        </div>
        <Separator />
        <dl className="grid gap-x-6 sm:grid-cols-2">
          <Field label="Agent"><EntityLink kind="agent_id" value={t.agent_id} /></Field>
          <Field label="Model"><EntityLink kind="model" value={t.model} /></Field>
          <Field label="User"><EntityLink kind="user_id" value={t.user_id} /></Field>
          <Field label="Session">
            {t.session_id ? (
              <Link to={`/dashboard/sessions/${encodeURIComponent(t.session_id)}`} className="font-medium text-primary hover:underline" data-testid="trace-session-link">
                {t.session_id}
              </Link>
            ) : (
              '—'
            )}
          </Field>
          {t.error_type && <Field label="Error type"><span className="text-destructive">{t.error_type}</span></Field>}
          {t.error_message && <Field label="Error"><span className="text-destructive">{t.error_message}</span></Field>}
        </dl>
      </CardContent>
    </Card>
  )
}

export default function TraceDetail() {
  const { traceId = '' } = useParams()
  const [params] = useSearchParams()
  const q = useTrace(traceId)
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const spans = useMemo(() => q.data?.spans ?? [], [q.data])
  const selected = useMemo(() => {
    const flat = flattenSpans(spans)
    return flat.find((f) => f.span.span_id === selectedId)?.span ?? flat[0]?.span ?? null
  }, [spans, selectedId])

  const back = (
    <Button variant="ghost" size="sm" asChild className="mb-3 -ml-2">
      <Link to={`/dashboard/traces${rangeSearch(params)}`} data-testid="back-to-traces">
        <ArrowLeft aria-hidden="true" /> Traces
      </Link>
    </Button>
  )

  if (q.isPending) {
    return (
      <div data-testid="trace-loading" className="grid gap-4">
        {back}
        <Skeleton className="h-40" />
        <Skeleton className="h-80" />
      </div>
    )
  }
  if (q.isError) {
    const notFound = q.error instanceof ApiError && q.error.status === 404
    return (
      <div data-testid="page-trace">
        {back}
        {notFound ? (
          <EmptyState testId="trace-not-found" title="Trace not found" description={`No trace ${traceId} in this workspace.`} />
        ) : (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="trace-error" />
        )}
      </div>
    )
  }
  const t = q.data
  return (
    <div data-testid="page-trace" className="grid min-w-0 gap-4">
      <div>
        {back}
        <h1 className="sr-only">Trace {t.name}</h1>
        <TraceHeader t={t} />
      </div>
      <Tabs defaultValue="spans">
        <TabsList>
          <TabsTrigger value="spans" data-testid="tab-spans">Spans</TabsTrigger>
          <TabsTrigger value="io" data-testid="tab-io">Input &amp; output</TabsTrigger>
          <TabsTrigger value="meta" data-testid="tab-meta">Metadata</TabsTrigger>
        </TabsList>
        <TabsContent value="spans">
          {spans.length === 0 ? (
            <EmptyState testId="spans-empty" title="No spans" description="This trace was sent without spans." />
          ) : (
            <div className="grid min-w-0 gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
              <Card className="min-w-0 self-start">
                <CardHeader>
                  <CardTitle>Span tree</CardTitle>
                </CardHeader>
                <CardContent>
                  <SpanWaterfall spans={spans} traceStart={t.start_time} traceLatencyMs={t.latency_ms} selectedId={selected?.span_id ?? null} onSelect={(s) => setSelectedId(s.span_id)} />
                </CardContent>
              </Card>
              <Card className="min-w-0 self-start xl:sticky xl:top-16">
                <CardContent>{selected && <SpanDetails span={selected} />}</CardContent>
              </Card>
            </div>
          )}
        </TabsContent>
        <TabsContent value="io">
          <div className="grid gap-4 lg:grid-cols-2">
            <Card className="min-w-0">
              <CardHeader>
                <CardTitle>Input</CardTitle>
              </CardHeader>
              <CardContent>
                <Content value={t.input} testId="trace-input" />
              </CardContent>
            </Card>
            <Card className="min-w-0">
              <CardHeader>
                <CardTitle>Output</CardTitle>
              </CardHeader>
              <CardContent>
                <Content value={t.output} testId="trace-output" />
              </CardContent>
            </Card>
          </div>
        </TabsContent>
        <TabsContent value="meta">
          <div className="grid gap-4 lg:grid-cols-2">
            <Card className="min-w-0">
              <CardHeader>
                <CardTitle>Metadata</CardTitle>
              </CardHeader>
              <CardContent>
                <JsonValue value={t.metadata} testId="trace-metadata" />
              </CardContent>
            </Card>
            <Card className="min-w-0">
              <CardHeader>
                <CardTitle>Scores</CardTitle>
              </CardHeader>
              <CardContent>
                {(t.scores ?? []).length === 0 ? (
                  <p className="text-sm text-muted-foreground italic">No scores</p>
                ) : (
                  <dl data-testid="trace-scores">
                    {(t.scores ?? []).map((s) => (
                      <Field key={s.score_id} label={s.name}>
                        {s.value} <span className="text-xs text-muted-foreground">({s.source}{s.comment ? `: ${s.comment}` : ''})</span>
                      </Field>
                    ))}
                  </dl>
                )}
              </CardContent>
            </Card>
          </div>
        </TabsContent>
      </Tabs>
    </div>
  )
}
