import { useState, type FormEvent } from 'react'
import type { UseMutationResult } from '@tanstack/react-query'
import { Check, Copy } from 'lucide-react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Skeleton } from '@/components/ui/skeleton'
import { Textarea } from '@/components/ui/textarea'
import { ErrorState } from '@/components/dashboard/states'
import { updateWorkspace, useSettingsMutation, useWorkspace, type WorkspaceUpdate } from '@/api/settings'
import { errorMessage } from '@/lib/api'

/** CopyButton copies text and says so for two seconds. */
export function CopyButton({ text, testId, label = 'Copy' }: { text: string; testId: string; label?: string }) {
  const [done, setDone] = useState(false)
  return (
    <Button
      type="button"
      variant="outline"
      size="sm"
      data-testid={testId}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setDone(true)
          setTimeout(() => setDone(false), 2000)
        })
      }}
    >
      {done ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />} {done ? 'Copied' : label}
    </Button>
  )
}

export function GeneralTab({ editable }: { editable: boolean }) {
  const ws = useWorkspace()
  const save = useSettingsMutation<WorkspaceUpdate>(updateWorkspace, ['/api/v1/workspace', '/api/v1/auth/me'])
  if (ws.isPending) return <Skeleton className="h-64" data-testid="general-loading" />
  if (ws.isError) return <ErrorState error={ws.error} onRetry={() => void ws.refetch()} testId="general-error" />
  const { id, name, description, time_zone } = ws.data
  // The form starts from the saved values and starts again whenever they change on the
  // server (after a save, or another admin's), so it never shows stale values.
  return (
    <GeneralForm
      key={JSON.stringify([name, description, time_zone])}
      id={id}
      saved={{ name, description, time_zone }}
      editable={editable}
      save={save}
    />
  )
}

function GeneralForm({ id, saved, editable, save }: {
  id: string
  saved: Required<WorkspaceUpdate>
  editable: boolean
  save: UseMutationResult<unknown, Error, WorkspaceUpdate>
}) {
  const [form, setForm] = useState(saved)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate({ name: form.name.trim(), description: form.description.trim(), time_zone: form.time_zone.trim() })
  }
  return (
    <form className="grid max-w-2xl gap-4" onSubmit={submit} data-testid="general-form">
      {save.isError && (
        <Alert variant="destructive" data-testid="general-save-error">
          <AlertDescription>{errorMessage(save.error)}</AlertDescription>
        </Alert>
      )}
      {save.isSuccess && <p className="text-sm text-muted-foreground" data-testid="general-saved">Saved.</p>}
      <div className="grid gap-2">
        <Label htmlFor="ws-id">Workspace id</Label>
        <div className="flex gap-2">
          <Input id="ws-id" readOnly value={id} className="font-mono" data-testid="general-id" />
          <CopyButton text={id} testId="general-copy-id" />
        </div>
      </div>
      <div className="grid gap-2">
        <Label htmlFor="ws-name">Name</Label>
        <Input id="ws-name" disabled={!editable} required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="general-name" />
      </div>
      <div className="grid gap-2">
        <Label htmlFor="ws-description">Description</Label>
        <Textarea
          id="ws-description"
          disabled={!editable}
          maxLength={2000}
          value={form.description}
          onChange={(e) => setForm({ ...form, description: e.target.value })}
          data-testid="general-description"
        />
      </div>
      <div className="grid gap-2">
        <Label htmlFor="ws-tz">Time zone</Label>
        <Input
          id="ws-tz"
          disabled={!editable}
          placeholder="UTC"
          value={form.time_zone}
          onChange={(e) => setForm({ ...form, time_zone: e.target.value })}
          data-testid="general-timezone"
          aria-describedby="ws-tz-hint"
        />
        <p id="ws-tz-hint" className="text-xs text-muted-foreground">
          An IANA name such as Europe/Berlin: where the workspace's days start. Empty means UTC.
        </p>
      </div>
      {editable ? (
        <Button type="submit" className="w-fit" disabled={save.isPending || !form.name.trim()} data-testid="general-save">
          Save
        </Button>
      ) : (
        <p className="text-sm text-muted-foreground" data-testid="settings-readonly">
          Only owners and admins change these settings.
        </p>
      )}
    </form>
  )
}
