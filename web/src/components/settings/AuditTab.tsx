import { useState } from 'react'
import { ScrollText } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { Label } from '@/components/ui/label'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { EmptyState, ErrorState } from '@/components/dashboard/states'
import { useAuditLog } from '@/api/settings'
import { formatDateTime } from '@/lib/format'

const SUBJECTS = [
  ['', 'Everything'],
  ['api_key', 'API keys'],
  ['member', 'Members'],
  ['workspace', 'Workspace'],
  ['setting', 'Dashboard settings'],
] as const

export function AuditTab({ canSee }: { canSee: boolean }) {
  const [action, setAction] = useState('')
  const [cursors, setCursors] = useState<string[]>([''])
  const cursor = cursors[cursors.length - 1]
  const log = useAuditLog({ action, cursor }, canSee)
  if (!canSee) return <EmptyState testId="audit-hidden" title="The audit log is for admins and owners" />
  return (
    <div className="grid gap-3">
      <div className="flex items-end gap-2">
        <div className="grid gap-1">
          <Label htmlFor="audit-action">Show</Label>
          <select
            id="audit-action"
            className="h-9 rounded-md border border-input bg-background px-2 text-sm"
            value={action}
            onChange={(e) => {
              setAction(e.target.value)
              setCursors([''])
            }}
            data-testid="audit-filter"
          >
            {SUBJECTS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {log.isPending ? (
        <Skeleton className="h-48" data-testid="audit-loading" />
      ) : log.isError ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} testId="audit-error" />
      ) : log.data.entries.length === 0 ? (
        <EmptyState testId="audit-empty" icon={<ScrollText className="size-5" />} title="Nothing recorded yet" description="Changes to keys, members and settings appear here." />
      ) : (
        <>
          <Table data-testid="audit-table">
            <TableHeader>
              <TableRow>
                <TableHead>Time</TableHead>
                <TableHead>Who</TableHead>
                <TableHead>Action</TableHead>
                <TableHead>Target</TableHead>
                <TableHead>Address</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {log.data.entries.map((e) => (
                <TableRow key={e.id} data-testid="audit-row" data-action={e.action}>
                  <TableCell>{formatDateTime(e.at)}</TableCell>
                  <TableCell>{e.actor_email || 'system'}</TableCell>
                  <TableCell className="font-mono text-xs">{e.action}</TableCell>
                  <TableCell className="max-w-64 truncate font-mono text-xs" title={e.target}>
                    {e.target}
                  </TableCell>
                  <TableCell className="font-mono text-xs">{e.ip}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <div className="flex gap-2">
            <Button variant="outline" size="sm" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer
            </Button>
            <Button variant="outline" size="sm" disabled={!log.data.next_cursor} onClick={() => setCursors([...cursors, log.data.next_cursor])} data-testid="audit-older">
              Older
            </Button>
          </div>
        </>
      )}
    </div>
  )
}
