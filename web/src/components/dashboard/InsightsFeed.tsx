import { Lightbulb, Loader2 } from 'lucide-react'
import { Link } from 'react-router'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { useInsights, useRunInsight, type Finding } from '@/api/insights'
import { errorMessage } from '@/lib/api'
import { formatCost, formatRelative } from '@/lib/format'

const confidenceHelp: Record<Finding['confidence'], string> = {
  measured: 'counted from stored traces',
  estimated: 'computed from stored traces and list prices',
  unvalidated: 'no evaluation scores back this up yet: evaluate before acting',
}

/** FindingRow shows one finding with its saving, confidence and links to its evidence. */
export function FindingRow({ finding }: { finding: Finding }) {
  const ids = finding.evidence.trace_ids.slice(0, 3)
  return (
    <li className="grid gap-1 rounded-lg border p-3" data-testid="insight-finding" data-kind={finding.kind} data-confidence={finding.confidence}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{finding.title}</span>
        {finding.estimated_savings_usd > 0 && (
          <Badge variant="secondary" data-testid="insight-savings">
            saves {formatCost(finding.estimated_savings_usd)}
          </Badge>
        )}
        <Badge variant={finding.confidence === 'unvalidated' ? 'outline' : 'secondary'} title={confidenceHelp[finding.confidence]} data-testid="insight-confidence">
          {finding.confidence}
        </Badge>
      </div>
      <p className="text-sm text-muted-foreground">{finding.detail}</p>
      {ids.length > 0 && (
        <p className="flex flex-wrap gap-2 text-xs" data-testid="insight-evidence">
          Evidence:
          {ids.map((id) => (
            <Link key={id} to={`/dashboard/traces/${encodeURIComponent(id)}`} className="font-mono underline underline-offset-2">
              {id.slice(0, 12)}
            </Link>
          ))}
        </p>
      )}
    </li>
  )
}

/**
 * InsightsFeed lists the findings of the latest cost analysis with their savings and
 * evidence, and runs a new analysis over the last 7 days on request.
 */
export function InsightsFeed({ limit = 5, testId = 'insights-feed' }: { limit?: number; testId?: string }) {
  const q = useInsights('cost-optimization', 1)
  const run = useRunInsight('cost-optimization')
  const latest = q.data?.insights[0]
  const findings = latest?.findings.slice(0, limit) ?? []
  return (
    <Card data-testid={testId} className="min-w-0">
      <CardHeader>
        <CardTitle>Insights</CardTitle>
        <CardDescription>
          {latest ? (
            <>
              {formatCost(latest.total_savings_usd)} of savings found {formatRelative(latest.created_at)}
            </>
          ) : (
            'Savings computed from your traces'
          )}
        </CardDescription>
        <CardAction>
          <Button size="sm" variant="outline" onClick={() => run.mutate({})} disabled={run.isPending} data-testid={`${testId}-run`}>
            {run.isPending && <Loader2 className="animate-spin" aria-hidden="true" />}
            Analyse
          </Button>
        </CardAction>
      </CardHeader>
      <CardContent className="grid gap-3">
        {run.error && (
          <Alert variant="destructive" data-testid={`${testId}-run-error`}>
            <AlertDescription>{errorMessage(run.error)}</AlertDescription>
          </Alert>
        )}
        {q.isPending ? (
          <div className="grid gap-2" data-testid={`${testId}-loading`}>
            {Array.from({ length: 3 }, (_, i) => (
              <Skeleton key={i} className="h-16" />
            ))}
          </div>
        ) : q.isError ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} testId={`${testId}-error`} />
        ) : findings.length === 0 ? (
          <EmptyState
            testId={`${testId}-empty`}
            icon={<Lightbulb className="size-5" />}
            title={latest ? 'Nothing to save' : 'No analysis yet'}
            description={latest ? 'The latest analysis found no saving worth a cent.' : 'Analyse the last 7 days of traces for savings.'}
          />
        ) : (
          <>
            {latest?.narration && (
              <p className="text-sm" data-testid={`${testId}-narration`}>
                {latest.narration}
              </p>
            )}
            <ul className="grid gap-2">
              {findings.map((f, i) => (
                <FindingRow key={`${f.kind}-${i}`} finding={f} />
              ))}
            </ul>
          </>
        )}
      </CardContent>
    </Card>
  )
}
