import { useState, type FormEvent } from 'react'
import { Badge } from '@/components/ui/badge'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Skeleton } from '@/components/ui/skeleton'
import { ErrorState } from '@/components/dashboard/states'
import { ConfirmButton } from '@/components/settings/ConfirmButton'
import {
  deleteIntegration,
  saveIntegration,
  testIntegration,
  useIntegrationMutation,
  useIntegrations,
  type ChannelConfig,
  type Integration,
  type IntegrationType,
} from '@/api/settings'
import { errorMessage } from '@/lib/api'
import { formatDateTime } from '@/lib/format'

interface Field {
  key: keyof ChannelConfig
  label: string
  secret?: boolean
  optional?: boolean
  placeholder?: string
}

/** What each channel needs (alert.ChannelConfig); secrets are never shown back. */
const CHANNELS: { type: IntegrationType; title: string; description: string; fields: Field[] }[] = [
  { type: 'slack', title: 'Slack', description: 'An incoming webhook of the channel to post to.', fields: [{ key: 'webhook_url', label: 'Webhook URL', secret: true, placeholder: 'https://hooks.slack.com/services/…' }] },
  {
    type: 'pagerduty',
    title: 'PagerDuty',
    description: 'An Events API v2 integration (routing) key.',
    fields: [
      { key: 'routing_key', label: 'Routing key', secret: true, placeholder: '32 characters' },
      { key: 'url', label: 'Events endpoint', optional: true, placeholder: 'https://events.pagerduty.com/v2/enqueue' },
    ],
  },
  {
    type: 'email',
    title: 'Email (SMTP)',
    description: 'A mail server; alerts go to the recipients, team invites to the invitee.',
    fields: [
      { key: 'host', label: 'Host', placeholder: 'smtp.example.com' },
      { key: 'port', label: 'Port', placeholder: '587' },
      { key: 'username', label: 'Username', optional: true },
      { key: 'password', label: 'Password', secret: true, optional: true },
      { key: 'from', label: 'From', placeholder: 'agentobs@example.com' },
      { key: 'to', label: 'To (comma-separated)', placeholder: 'oncall@example.com' },
      { key: 'tls', label: 'TLS: starttls, tls or none', optional: true, placeholder: 'starttls' },
    ],
  },
  {
    type: 'webhook',
    title: 'Webhook',
    description: 'Any URL; the JSON is signed with HMAC-SHA256 when a secret is set.',
    fields: [
      { key: 'url', label: 'URL', placeholder: 'https://example.com/agentobs' },
      { key: 'secret', label: 'Signing secret', secret: true, optional: true },
    ],
  },
  { type: 'sentry', title: 'Sentry', description: 'A project DSN: alerts become events of that project.', fields: [{ key: 'dsn', label: 'DSN', secret: true, placeholder: 'https://<key>@o1.ingest.sentry.io/<project id>' }] },
]

const MASK = '********'

/** toForm shows stored settings, leaving masked secrets empty: saving replaces them all. */
function toForm(c: ChannelConfig | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(c ?? {})) {
    if (v === MASK || v === undefined || v === null) continue
    out[k] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}

function toConfig(form: Record<string, string>): ChannelConfig {
  const c: Record<string, unknown> = {}
  for (const [k, raw] of Object.entries(form)) {
    const v = raw.trim()
    if (v === '') continue
    if (k === 'port') c.port = Number(v)
    else if (k === 'to')
      c.to = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    else c[k] = v
  }
  return c as ChannelConfig
}

function Channel({ spec, state, editable }: { spec: (typeof CHANNELS)[number]; state?: Integration; editable: boolean }) {
  const [form, setForm] = useState<Record<string, string>>(() => toForm(state?.config ?? null))
  const save = useIntegrationMutation(saveIntegration)
  const remove = useIntegrationMutation(deleteIntegration)
  const test = useIntegrationMutation(testIntegration)
  const configured = state?.configured ?? false
  const t = spec.type
  const submit = (e: FormEvent) => {
    e.preventDefault()
    test.reset()
    save.mutate({ type: t, config: toConfig(form) })
  }
  const failed = [save, remove, test].find((m) => m.isError)
  return (
    <Card data-testid={`integration-${t}`} data-configured={configured}>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          {spec.title}
          <Badge variant={configured ? 'default' : 'secondary'} data-testid={`integration-${t}-state`}>
            {configured ? 'configured' : 'not configured'}
          </Badge>
        </CardTitle>
        <CardDescription>
          {spec.description}
          {state?.updated_at && ` Saved ${formatDateTime(state.updated_at)}.`}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form className="grid gap-3" onSubmit={submit}>
          {spec.fields.map((f) => {
            const id = `integration-${t}-${f.key}`
            const stored = configured && f.secret && state?.config?.[f.key] === MASK
            return (
              <div key={f.key} className="grid gap-1">
                <Label htmlFor={id}>
                  {f.label}
                  {f.optional && <span className="text-muted-foreground"> (optional)</span>}
                </Label>
                <Input
                  id={id}
                  type={f.secret ? 'password' : 'text'}
                  autoComplete="off"
                  disabled={!editable}
                  value={form[f.key] ?? ''}
                  placeholder={stored ? 'stored, never shown: enter it again to save' : f.placeholder}
                  onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
                  data-testid={id}
                />
              </div>
            )
          })}
          {failed && (
            <Alert variant="destructive" data-testid={`integration-${t}-error`}>
              <AlertDescription>{errorMessage(failed.error)}</AlertDescription>
            </Alert>
          )}
          {test.data && (
            <Alert variant={test.data.ok ? 'default' : 'destructive'} data-testid={`integration-${t}-test-result`} data-ok={test.data.ok}>
              <AlertDescription>
                {test.data.ok ? `Delivered: the channel accepted the test notification (${test.data.duration_ms} ms).` : `Not delivered: ${test.data.error}`}
              </AlertDescription>
            </Alert>
          )}
          {editable && (
            <div className="flex flex-wrap gap-2">
              <Button type="submit" disabled={save.isPending} data-testid={`integration-${t}-save`}>
                Save
              </Button>
              <Button type="button" variant="outline" disabled={!configured || test.isPending} onClick={() => test.mutate(t)} data-testid={`integration-${t}-test`}>
                {test.isPending ? 'Sending…' : 'Send test'}
              </Button>
              {configured && (
                <ConfirmButton
                  label="Remove"
                  title={`Remove ${spec.title}?`}
                  description="Alert rules that notify this channel stop doing so."
                  confirm="Remove"
                  onConfirm={() => remove.mutate(t)}
                  testId={`integration-${t}-remove`}
                />
              )}
            </div>
          )}
        </form>
      </CardContent>
    </Card>
  )
}

/** IntegrationsTab configures the notification channels, each with a real "Send test". */
export function IntegrationsTab({ editable }: { editable: boolean }) {
  const q = useIntegrations()
  if (q.isPending) return <Skeleton className="h-64" data-testid="integrations-loading" />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="integrations-error" />
  const byType = new Map(q.data.integrations.map((i) => [i.type, i]))
  const none = q.data.integrations.every((i) => !i.configured)
  return (
    <div className="grid gap-4">
      {none && (
        <p className="text-sm text-muted-foreground" data-testid="integrations-empty">
          No channel is configured yet: alerts show only in the app{editable ? '. Fill in a channel and save it, then send a test.' : '.'}
        </p>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        {CHANNELS.map((c) => (
          <Channel key={`${c.type}:${byType.get(c.type)?.updated_at ?? ''}`} spec={c} state={byType.get(c.type)} editable={editable} />
        ))}
      </div>
    </div>
  )
}
