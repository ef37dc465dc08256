import { useState, type FormEvent } from 'react'
import { KeyRound } from 'lucide-react'
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { ConfirmButton } from '@/components/settings/ConfirmButton'
import { CopyButton } from '@/components/settings/GeneralTab'
import { createAPIKey, revokeAPIKey, useAPIKeys, useSettingsMutation, type CreatedKey } from '@/api/settings'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatRelative } from '@/lib/format'

const KEYS = ['/api/v1/api-keys']

export function KeysTab({ canCreate }: { canCreate: boolean }) {
  const keys = useAPIKeys(canCreate)
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState({ ingest: true, read: true })
  const [expires, setExpires] = useState('')
  const [created, setCreated] = useState<CreatedKey | null>(null)
  const create = useSettingsMutation(createAPIKey, KEYS)
  const revoke = useSettingsMutation(revokeAPIKey, KEYS)

  if (!canCreate) return <EmptyState testId="keys-hidden" icon={<KeyRound className="size-5" />} title="Viewers cannot create or list API keys" />
  if (keys.isPending) return <Skeleton className="h-64" data-testid="keys-loading" />
  if (keys.isError) return <ErrorState error={keys.error} onRetry={() => void keys.refetch()} testId="keys-error" />
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const chosen = Object.entries(scopes).filter(([, on]) => on).map(([s]) => s)
    create.mutate(
      { name: name.trim(), scopes: chosen, expires_at: expires ? new Date(expires).toISOString() : undefined },
      {
        onSuccess: (k) => {
          setCreated(k)
          setName('')
        },
      },
    )
  }
  const live = keys.data.api_keys.filter((k) => !k.revoked_at)
  return (
    <div className="grid gap-4">
      {(create.isError || revoke.isError) && (
        <Alert variant="destructive" data-testid="keys-action-error">
          <AlertDescription>{errorMessage(create.error ?? revoke.error)}</AlertDescription>
        </Alert>
      )}
      {created && (
        <Alert data-testid="key-created">
          <AlertTitle>Copy the key now: it is shown only this once</AlertTitle>
          <AlertDescription>
            <div className="mt-2 flex flex-wrap items-center gap-2">
              <code className="rounded bg-muted px-2 py-1 font-mono text-sm break-all" data-testid="key-secret">
                {created.key}
              </code>
              <CopyButton text={created.key} testId="key-copy" />
              <Button variant="ghost" size="sm" onClick={() => setCreated(null)}>
                Done
              </Button>
            </div>
          </AlertDescription>
        </Alert>
      )}
      <form className="flex flex-wrap items-end gap-3" onSubmit={submit} data-testid="key-form">
        <div className="grid gap-1">
          <Label htmlFor="key-name">Name</Label>
          <Input id="key-name" required value={name} onChange={(e) => setName(e.target.value)} data-testid="key-name" className="w-60" />
        </div>
        <fieldset className="flex gap-3 text-sm">
          <legend className="sr-only">Scopes</legend>
          {(['ingest', 'read'] as const).map((s) => (
            <label key={s} className="flex items-center gap-1">
              <input type="checkbox" checked={scopes[s]} onChange={(e) => setScopes({ ...scopes, [s]: e.target.checked })} data-testid={`key-scope-${s}`} />
              {s}
            </label>
          ))}
        </fieldset>
        <div className="grid gap-1">
          <Label htmlFor="key-expires">Expires (optional)</Label>
          <Input id="key-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} data-testid="key-expires" />
        </div>
        <Button type="submit" disabled={!name.trim() || !(scopes.ingest || scopes.read) || create.isPending} data-testid="key-create">
          Create key
        </Button>
      </form>
      {live.length === 0 ? (
        <EmptyState testId="keys-empty" icon={<KeyRound className="size-5" />} title="No API keys yet" description="Create one for each agent or environment." />
      ) : (
        <Table data-testid="keys-table">
          <TableHeader>
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Key</TableHead>
              <TableHead>Scopes</TableHead>
              <TableHead>Created</TableHead>
              <TableHead>Last used</TableHead>
              <TableHead>Expires</TableHead>
              <TableHead className="text-right">Actions</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {live.map((k) => (
              <TableRow key={k.id} data-testid="key-row" data-name={k.name}>
                <TableCell className="font-medium">{k.name}</TableCell>
                <TableCell className="font-mono text-xs">
                  {k.prefix}…{k.last4}
                </TableCell>
                <TableCell>
                  {k.scopes.map((s) => (
                    <Badge key={s} variant="secondary" className="mr-1">
                      {s}
                    </Badge>
                  ))}
                </TableCell>
                <TableCell>{formatDateTime(k.created_at)}</TableCell>
                <TableCell data-testid="key-last-used">{k.last_used_at ? formatRelative(k.last_used_at) : 'never'}</TableCell>
                <TableCell>{k.expires_at ? formatDateTime(k.expires_at) : 'never'}</TableCell>
                <TableCell className="text-right">
                  <ConfirmButton
                    label="Revoke"
                    title={`Revoke the key "${k.name}"?`}
                    description="Every request made with it is refused from now on, on every server process. This cannot be undone."
                    confirm="Revoke key"
                    onConfirm={() => revoke.mutate(k.id)}
                    testId="key-revoke"
                  />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  )
}
