// Settings: the workspace, its team, API keys, plan and audit log. Types mirror the Go
// structs of internal/httpapi and internal/auth.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { request } from '@/lib/api'
import { useApi } from '@/api/queries'

export type Role = 'owner' | 'admin' | 'member' | 'viewer'
export const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer']

export interface Limits {
  key_rate: number
  key_burst: number
  workspace_rate: number
  workspace_burst: number
}

export interface WorkspaceView {
  id: string
  name: string
  description: string
  time_zone: string
  created_at: string
  role?: Role
  rate_limits: Limits
  effective_rate_limits: Limits
}

export interface WorkspaceUpdate {
  name?: string
  description?: string
  time_zone?: string
}

export interface Member {
  user_id: string
  email: string
  name: string
  role: Role
  joined_at: string
}

export interface Invite {
  email: string
  role: Role
  invited_by: string
  expires_at: string | null
  created_at: string
}

export interface Team {
  members: Member[]
  invites: Invite[]
}

export interface APIKey {
  id: string
  name: string
  prefix: string
  last4: string
  scopes: string[]
  created_by?: string
  created_at: string
  last_used_at?: string
  expires_at?: string
  revoked_at?: string
}

export interface CreatedKey extends APIKey {
  key: string
}

export interface AuditEntry {
  id: string
  at: string
  actor_id: string
  actor_email: string
  action: string
  target: string
  detail?: unknown
  ip: string
}

export interface AuditPage {
  entries: AuditEntry[]
  next_cursor: string
}

export interface BillingPlan {
  plan: string
  billing_provider: string | null
  rate_limits: Limits
  traces_per_month: number | null
  retention_days: number | null
}

export interface BillingHistory {
  configured: boolean
  invoices: unknown[]
}

export const useWorkspace = () => useApi<WorkspaceView>('/api/v1/workspace')
export const useTeam = (enabled: boolean) => useApi<Team>('/api/v1/team/members', undefined, { enabled })
export const useAPIKeys = (enabled: boolean) => useApi<{ api_keys: APIKey[] }>('/api/v1/api-keys', undefined, { enabled })
export const useBillingPlan = () => useApi<BillingPlan>('/api/v1/billing/plan')
export const useBillingHistory = (enabled: boolean) => useApi<BillingHistory>('/api/v1/billing/history', undefined, { enabled })
export const useAuditLog = (query: { action?: string; cursor?: string }, enabled: boolean) =>
  useApi<AuditPage>('/api/v1/audit-log', { action: query.action || undefined, cursor: query.cursor || undefined }, { enabled })

/** useSettingsMutation runs a write and then refetches what it may have changed. */
export function useSettingsMutation<I, O = unknown>(call: (input: I) => Promise<O>, invalidate: string[]) {
  const qc = useQueryClient()
  return useMutation<O, Error, I>({
    mutationFn: call,
    onSuccess: async () => {
      await Promise.all([...invalidate, '/api/v1/audit-log'].map((p) => qc.invalidateQueries({ queryKey: [p] })))
    },
  })
}

export const updateWorkspace = (u: WorkspaceUpdate) => request<WorkspaceView>('/api/v1/workspace', { method: 'PUT', body: u })
/** InviteAnswer mirrors httpapi.InviteAnswer: the link is given only when it was not emailed. */
export interface InviteAnswer {
  member?: Member
  invite?: Invite
  link?: string
  email_sent: boolean
  email_error?: string
}

export const inviteMember = (i: { email: string; role: Role; expires_in_days?: number }) =>
  request<InviteAnswer>('/api/v1/team/invite', { method: 'POST', body: i })
export const cancelInvite = (email: string) => request<void>(`/api/v1/team/invites/${encodeURIComponent(email)}`, { method: 'DELETE' })
export const setMemberRole = (m: { user_id: string; role: Role }) =>
  request<unknown>(`/api/v1/team/members/${encodeURIComponent(m.user_id)}/role`, { method: 'PUT', body: { role: m.role } })
export const removeMember = (userID: string) => request<void>(`/api/v1/team/members/${encodeURIComponent(userID)}`, { method: 'DELETE' })
export const createAPIKey = (k: { name: string; scopes: string[]; expires_at?: string }) =>
  request<CreatedKey>('/api/v1/api-keys', { method: 'POST', body: k })
export const revokeAPIKey = (id: string) => request<APIKey>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' })

/** canAdmin: owners and admins change settings; members and viewers see them read-only. */
export const canAdmin = (role: string | undefined) => role === 'owner' || role === 'admin'

export type IntegrationType = 'slack' | 'pagerduty' | 'email' | 'webhook' | 'sentry'

/** ChannelConfig mirrors alert.ChannelConfig; secrets come back masked as ********. */
export interface ChannelConfig {
  url?: string
  secret?: string
  webhook_url?: string
  routing_key?: string
  host?: string
  port?: number
  username?: string
  password?: string
  from?: string
  to?: string[]
  tls?: string
  dsn?: string
}

export interface Integration {
  type: IntegrationType
  configured: boolean
  updated_at: string | null
  config: ChannelConfig | null
}

/** IntegrationTestResult mirrors httpapi.TestSendResult: what the channel answered. */
export interface IntegrationTestResult {
  type: IntegrationType
  ok: boolean
  error?: string
  sent_at: string
  duration_ms: number
}

const INTEGRATIONS = ['/api/v1/integrations']
export const useIntegrations = () => useApi<{ integrations: Integration[] }>('/api/v1/integrations')
export const saveIntegration = (i: { type: IntegrationType; config: ChannelConfig }) =>
  request<Integration>(`/api/v1/integrations/${i.type}`, { method: 'PUT', body: i.config })
export const deleteIntegration = (type: IntegrationType) => request<void>(`/api/v1/integrations/${type}`, { method: 'DELETE' })
export const testIntegration = (type: IntegrationType) => request<IntegrationTestResult>(`/api/v1/integrations/${type}/test`, { method: 'POST' })
export const useIntegrationMutation = <I, O = unknown>(call: (input: I) => Promise<O>) => useSettingsMutation<I, O>(call, INTEGRATIONS)
