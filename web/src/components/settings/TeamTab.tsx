import { useState, type FormEvent } from 'react'
import { Users } from 'lucide-react'
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
import { cancelInvite, inviteMember, removeMember, ROLES, setMemberRole, useSettingsMutation, useTeam, type InviteAnswer, type Role } from '@/api/settings'
import { errorMessage } from '@/lib/api'
import { formatDateTime } from '@/lib/format'

const TEAM = ['/api/v1/team/members']
const selectClass = 'h-9 rounded-md border border-input bg-background px-2 text-sm disabled:opacity-60'

export function TeamTab({ editable, canSee, selfID }: { editable: boolean; canSee: boolean; selfID?: string }) {
  const team = useTeam(canSee)
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<Role>('member')
  const [days, setDays] = useState('7')
  const invite = useSettingsMutation(inviteMember, TEAM)
  const cancel = useSettingsMutation(cancelInvite, TEAM)
  const changeRole = useSettingsMutation(setMemberRole, TEAM)
  const remove = useSettingsMutation(removeMember, TEAM)
  const failed = [invite, cancel, changeRole, remove].find((m) => m.isError)

  if (!canSee) return <EmptyState testId="team-hidden" title="The team is visible to members, admins and owners" />
  if (team.isPending) return <Skeleton className="h-64" data-testid="team-loading" />
  if (team.isError) return <ErrorState error={team.error} onRetry={() => void team.refetch()} testId="team-error" />
  const submit = (e: FormEvent) => {
    e.preventDefault()
    invite.mutate({ email: email.trim(), role, expires_in_days: Number(days) }, { onSuccess: () => setEmail('') })
  }
  return (
    <div className="grid gap-4">
      {failed && (
        <Alert variant="destructive" data-testid="team-action-error">
          <AlertDescription>{errorMessage(failed.error)}</AlertDescription>
        </Alert>
      )}
      {editable && (
        <form className="flex flex-wrap items-end gap-2" onSubmit={submit} data-testid="invite-form">
          <div className="grid gap-1">
            <Label htmlFor="invite-email">Invite by email</Label>
            <Input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="invite-email" className="w-72" />
          </div>
          <div className="grid gap-1">
            <Label htmlFor="invite-role">Role</Label>
            <select id="invite-role" className={selectClass} value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="invite-role">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <div className="grid gap-1">
            <Label htmlFor="invite-days">Link works for</Label>
            <select id="invite-days" className={selectClass} value={days} onChange={(e) => setDays(e.target.value)} data-testid="invite-days">
              {['1', '7', '30'].map((d) => (
                <option key={d} value={d}>
                  {d === '1' ? '1 day' : `${d} days`}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" disabled={!email.trim() || invite.isPending} data-testid="invite-submit">
            Invite
          </Button>
        </form>
      )}
      {invite.data && <InviteOutcome answer={invite.data} />}
      <Table data-testid="members-table">
        <TableHeader>
          <TableRow>
            <TableHead>Member</TableHead>
            <TableHead>Role</TableHead>
            <TableHead>Joined</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {team.data.members.map((m) => (
            <TableRow key={m.user_id} data-testid="member-row" data-email={m.email}>
              <TableCell>
                <div className="font-medium">{m.name || m.email}</div>
                <div className="text-xs text-muted-foreground">{m.email}</div>
              </TableCell>
              <TableCell>
                <select
                  aria-label={`Role of ${m.email}`}
                  className={selectClass}
                  disabled={!editable || changeRole.isPending}
                  value={m.role}
                  onChange={(e) => changeRole.mutate({ user_id: m.user_id, role: e.target.value as Role })}
                  data-testid="member-role"
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </TableCell>
              <TableCell>{formatDateTime(m.joined_at)}</TableCell>
              <TableCell className="text-right">
                {(editable || m.user_id === selfID) && (
                  <ConfirmButton
                    label={m.user_id === selfID ? 'Leave' : 'Remove'}
                    title={m.user_id === selfID ? 'Leave this workspace?' : `Remove ${m.email}?`}
                    description="They lose access on their next request. A workspace always keeps at least one owner."
                    confirm={m.user_id === selfID ? 'Leave' : 'Remove'}
                    onConfirm={() => remove.mutate(m.user_id)}
                    testId="member-remove"
                  />
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <h3 className="text-sm font-medium">Pending invites</h3>
      {team.data.invites.length === 0 ? (
        <EmptyState testId="invites-empty" icon={<Users className="size-5" />} title="No pending invites" description="An invited email joins with its role when it signs up through its link." />
      ) : (
        <ul className="grid gap-2" data-testid="invites-list">
          {team.data.invites.map((i) => (
            <li key={i.email} className="flex items-center justify-between rounded-md border p-2 text-sm" data-testid="invite-row">
              <span>
                {i.email} <Badge variant="secondary">{i.role}</Badge>{' '}
                <span className="text-xs text-muted-foreground" data-testid="invite-expiry">
                  {i.expires_at === null ? 'no expiry' : new Date(i.expires_at) <= new Date() ? 'expired' : `until ${formatDateTime(i.expires_at)}`}
                </span>
              </span>
              {editable && (
                <Button variant="ghost" size="sm" onClick={() => cancel.mutate(i.email)} data-testid="invite-cancel">
                  Revoke
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/** InviteOutcome says what became of the last invite: added, emailed, or a link to pass on. */
function InviteOutcome({ answer }: { answer: InviteAnswer }) {
  if (answer.member)
    return (
      <Alert data-testid="invite-outcome" data-outcome="added">
        <AlertDescription>{answer.member.email} has an account and was added as {answer.member.role}.</AlertDescription>
      </Alert>
    )
  if (answer.email_sent)
    return (
      <Alert data-testid="invite-outcome" data-outcome="emailed">
        <AlertDescription>The invite link was emailed to {answer.invite?.email}.</AlertDescription>
      </Alert>
    )
  return (
    <Alert data-testid="invite-outcome" data-outcome="link">
      <AlertTitle>Send this link to {answer.invite?.email}</AlertTitle>
      <AlertDescription className="grid gap-2">
        <span>
          {answer.email_error ? `The email could not be sent (${answer.email_error}).` : 'No mail server is configured, so no email was sent.'} The link
          is shown only now; whoever opens it can join as {answer.invite?.role}.
        </span>
        <span className="flex items-center gap-2">
          <code className="break-all rounded bg-muted px-1 py-0.5 text-xs" data-testid="invite-link">
            {answer.link}
          </code>
          <CopyButton text={answer.link ?? ''} testId="invite-link-copy" />
        </span>
      </AlertDescription>
    </Alert>
  )
}
