import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select'
import { useAgents } from '@/api/queries'

export const ALL = '__all'

/** AgentFilter narrows a page to one agent, or shows all of them. */
export function AgentFilter({ value, onChange, testId = 'agent-filter' }: { value: string | null; onChange: (agent: string | null) => void; testId?: string }) {
  const q = useAgents()
  const agents = (q.data?.agents ?? []).map((a) => a.agent_id).sort()
  if (value && !agents.includes(value)) agents.unshift(value)
  return (
    <Select value={value ?? ALL} onValueChange={(v) => onChange(v === ALL ? null : v)}>
      <SelectTrigger data-testid={testId} aria-label="Agent" className="w-[11rem]">
        <SelectValue placeholder="All agents" />
      </SelectTrigger>
      <SelectContent>
        <SelectItem value={ALL}>All agents</SelectItem>
        {agents.map((a) => (
          <SelectItem key={a} value={a}>
            {a}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  )
}
