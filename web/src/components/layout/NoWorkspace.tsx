import { useState, type FormEvent } from 'react'
import { Loader2 } from 'lucide-react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { errorMessage, request } from '@/lib/api'
import { useAuth } from '@/lib/auth'

/**
 * NoWorkspace is shown to a signed-in user whose session has no workspace: they pick one of
 * theirs, or create one (POST /api/v1/workspaces, then switch to it).
 */
export function NoWorkspace() {
  const { me, switchWorkspace, logout } = useAuth()
  const [name, setName] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const list = me?.workspaces ?? []

  const run = async (fn: () => Promise<void>) => {
    setError(null)
    setBusy(true)
    try {
      await fn()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  const create = (e: FormEvent) => {
    e.preventDefault()
    void run(async () => {
      const ws = await request<{ id: string }>('/api/v1/workspaces', { method: 'POST', body: { name: name.trim() } })
      await switchWorkspace(ws.id)
    })
  }

  return (
    <main className="grid min-h-dvh place-items-center bg-muted/40 p-4" data-testid="no-workspace">
      <Card className="w-full max-w-md">
        <CardHeader>
          <CardTitle>
            <h1 className="text-xl">Choose a workspace</h1>
          </CardTitle>
          <CardDescription>Traces, keys and budgets belong to a workspace. You are not in one yet{list.length > 0 ? ' in this session' : ''}.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {error && (
            <Alert variant="destructive">
              <AlertDescription>{error}</AlertDescription>
            </Alert>
          )}
          {list.length > 0 && (
            <div className="grid gap-2">
              {list.map((w) => (
                <Button key={w.id} variant="outline" className="justify-between" disabled={busy} onClick={() => void run(() => switchWorkspace(w.id))}>
                  {w.name} <span className="text-xs text-muted-foreground">{w.role}</span>
                </Button>
              ))}
            </div>
          )}
          <form className="grid gap-2" onSubmit={create}>
            <Label htmlFor="new-workspace">New workspace</Label>
            <div className="flex gap-2">
              <Input id="new-workspace" value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme support" data-testid="new-workspace-name" />
              <Button type="submit" disabled={busy || !name.trim()} data-testid="create-workspace">
                {busy && <Loader2 className="animate-spin" aria-hidden="true" />}
                Create
              </Button>
            </div>
          </form>
          <Button variant="link" className="justify-self-start px-0" onClick={() => void logout()}>
            Sign out
          </Button>
        </CardContent>
      </Card>
    </main>
  )
}
