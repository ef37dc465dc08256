import { useState, type FormEvent } from 'react'
import { useQuery } from '@tanstack/react-query'
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router'
import { Loader2 } from 'lucide-react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { AuthLayout } from '@/components/layout/AuthLayout'
import { PageSkeleton } from '@/components/layout/PageSkeleton'
import { errorMessage, request } from '@/lib/api'
import { useAuth } from '@/lib/auth'

export const MIN_PASSWORD = 10

/** SetupStatus mirrors auth.SetupStatus: whether the next account claims the first workspace. */
interface SetupStatus {
  setup_required: boolean
}

export default function Register() {
  const { status, register } = useAuth()
  const navigate = useNavigate()
  const [name, setName] = useState('')
  // An invite link sends the invitee here with its email and workspace: signing up with
  // that email joins the workspace, so no workspace of their own is made.
  const [params] = useSearchParams()
  const invitedTo = params.get('workspace')
  const [email, setEmail] = useState(params.get('email') ?? '')
  const [password, setPassword] = useState('')
  const [workspace, setWorkspace] = useState('')
  const [setupKey, setSetupKey] = useState('')
  // The first account takes over the server's first workspace and proves it runs the server
  // with the setup key printed at first start; later accounts are not asked for it.
  const setup = useQuery({
    queryKey: ['auth-setup'],
    queryFn: () => request<SetupStatus>('/api/v1/auth/setup', { skipRefresh: true }),
    staleTime: 0,
  })
  const needsKey = setup.data?.setup_required === true
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  if (status === 'loading') return <PageSkeleton full />
  if (status === 'authenticated') return <Navigate to="/dashboard" replace />

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    if (password.length < MIN_PASSWORD) {
      setError(`The password needs at least ${MIN_PASSWORD} characters.`)
      return
    }
    setBusy(true)
    try {
      await register({
        name: name.trim(),
        email: email.trim(),
        password,
        workspace_name: workspace.trim() || undefined,
        setup_key: needsKey ? setupKey.trim() : undefined,
      })
      navigate('/dashboard', { replace: true })
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <AuthLayout
      title="Create your account"
      description="Sign up to explore your agents' traces, usage and cost."
      footer={
        <>
          Already have an account?{' '}
          <Link to="/signin" className="font-medium text-primary underline-offset-4 hover:underline" data-testid="to-signin">
            Sign in
          </Link>
        </>
      }
    >
      <form
        className="grid gap-4"
        onSubmit={submit}
        data-testid="register-form"
        // Says when the server's answer about the setup key is in, so a script filling the
        // form knows whether the key field is coming.
        data-setup={setup.isPending ? 'pending' : needsKey ? 'required' : 'not-required'}
        noValidate
      >
        {invitedTo && (
          <Alert data-testid="register-invited">
            <AlertDescription>Creating the account joins {invitedTo} with the role you were invited to.</AlertDescription>
          </Alert>
        )}
        {error && (
          <Alert variant="destructive" data-testid="register-error">
            <AlertDescription>{error}</AlertDescription>
          </Alert>
        )}
        <div className="grid gap-2">
          <Label htmlFor="name">Name</Label>
          <Input id="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="register-name" />
        </div>
        <div className="grid gap-2">
          <Label htmlFor="email">Email</Label>
          <Input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="register-email" />
        </div>
        <div className="grid gap-2">
          <Label htmlFor="password">Password</Label>
          <Input
            id="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="register-password"
            aria-describedby="password-hint"
          />
          <p id="password-hint" className="text-xs text-muted-foreground">
            At least {MIN_PASSWORD} characters.
          </p>
        </div>
        {needsKey && (
          <div className="grid gap-2" data-testid="register-setup">
            <Label htmlFor="setup-key">Setup key</Label>
            <Input
              id="setup-key"
              required
              autoComplete="off"
              value={setupKey}
              onChange={(e) => setSetupKey(e.target.value)}
              data-testid="register-setup-key"
              aria-describedby="setup-hint"
            />
            <p id="setup-hint" className="text-xs text-muted-foreground">
              You are the first to sign up: your account will own this server's workspace and its data. Paste the setup key
              the server printed at its first start (or its API key).
            </p>
          </div>
        )}
        {!invitedTo && (
          <div className="grid gap-2">
            <Label htmlFor="workspace">Workspace name (optional)</Label>
            <Input id="workspace" value={workspace} onChange={(e) => setWorkspace(e.target.value)} data-testid="register-workspace" />
          </div>
        )}
        <Button type="submit" disabled={busy || !email || !password || (needsKey && !setupKey.trim())} data-testid="register-submit">
          {busy && <Loader2 className="animate-spin" aria-hidden="true" />}
          Create account
        </Button>
      </form>
    </AuthLayout>
  )
}
