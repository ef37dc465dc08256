import { useState } from 'react'
import { useMutation, useQuery } from '@tanstack/react-query'
import { Link, useParams } from 'react-router'
import { Loader2 } from 'lucide-react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Skeleton } from '@/components/ui/skeleton'
import { AuthLayout } from '@/components/layout/AuthLayout'
import { ErrorState } from '@/components/dashboard/states'
import { errorMessage, request } from '@/lib/api'
import { formatDateTime } from '@/lib/format'

/** InviteView mirrors auth.InviteView: what an invite link offers, shown before signing in. */
export interface InviteView {
  email: string
  role: string
  workspace_name: string
  invited_by: string
  expires_at: string
  account_exists: boolean
}

/**
 * Invite is the page an invite link opens: it says who invites whom to which workspace with
 * which role, and lets the invitee sign up to join, or decline.
 */
export default function Invite() {
  const { token = '' } = useParams()
  const path = `/api/v1/invites/${encodeURIComponent(token)}`
  const q = useQuery({ queryKey: [path], queryFn: () => request<InviteView>(path, { skipRefresh: true }), retry: false })
  const decline = useMutation({ mutationFn: () => request<void>(`${path}/decline`, { method: 'POST', skipRefresh: true }) })
  const [confirming, setConfirming] = useState(false)
  const v = q.data

  let body
  if (q.isPending) body = <Skeleton className="h-32" data-testid="invite-loading" />
  else if (q.isError) body = <ErrorState error={q.error} onRetry={() => void q.refetch()} testId="invite-error" />
  else if (decline.isSuccess)
    body = (
      <p className="text-sm" data-testid="invite-declined">
        You declined the invite to {v!.workspace_name}. Nothing else happens; the link no longer works.
      </p>
    )
  else if (v) {
    const signup = `/register?${new URLSearchParams({ email: v.email, workspace: v.workspace_name })}`
    body = (
      <div className="grid gap-4" data-testid="invite-view">
        <p className="text-sm">
          {v.invited_by || 'An admin'} invites <strong data-testid="invite-email">{v.email}</strong> to{' '}
          <strong data-testid="invite-workspace">{v.workspace_name}</strong> as <strong data-testid="invite-role">{v.role}</strong>.
        </p>
        <p className="text-xs text-muted-foreground">The link works until {formatDateTime(v.expires_at)}.</p>
        {decline.isError && (
          <Alert variant="destructive" data-testid="invite-decline-error">
            <AlertDescription>{errorMessage(decline.error)}</AlertDescription>
          </Alert>
        )}
        <div className="flex flex-wrap gap-2">
          {v.account_exists ? (
            <Button asChild data-testid="invite-signin">
              <Link to="/signin">Sign in to join</Link>
            </Button>
          ) : (
            <Button asChild data-testid="invite-accept">
              <Link to={signup}>Accept and create account</Link>
            </Button>
          )}
          {confirming ? (
            <Button variant="destructive" onClick={() => decline.mutate()} disabled={decline.isPending} data-testid="invite-decline-confirm">
              {decline.isPending && <Loader2 className="animate-spin" aria-hidden="true" />}
              Yes, decline
            </Button>
          ) : (
            <Button variant="outline" onClick={() => setConfirming(true)} data-testid="invite-decline">
              Decline
            </Button>
          )}
        </div>
      </div>
    )
  }
  return (
    <AuthLayout
      title="You are invited"
      description="Join a workspace on agentobs."
      footer={
        <>
          Already a member?{' '}
          <Link to="/signin" className="font-medium text-primary underline-offset-4 hover:underline">
            Sign in
          </Link>
        </>
      }
    >
      <div data-testid="page-invite">{body}</div>
    </AuthLayout>
  )
}
