import { useSearchParams } from 'react-router'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { PageHeader } from '@/components/layout/PageHeader'
import { AuditTab } from '@/components/settings/AuditTab'
import { GeneralTab } from '@/components/settings/GeneralTab'
import { IntegrationsTab } from '@/components/settings/IntegrationsTab'
import { KeysTab } from '@/components/settings/KeysTab'
import { TeamTab } from '@/components/settings/TeamTab'
import { UsageTab } from '@/components/settings/UsageTab'
import { canAdmin } from '@/api/settings'
import { useAuth } from '@/lib/auth'

const TABS = ['general', 'team', 'api-keys', 'usage', 'integrations', 'audit'] as const
type Tab = (typeof TABS)[number]

export default function Settings() {
  const { me } = useAuth()
  const [params, setParams] = useSearchParams()
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'general'
  const role = me?.workspace?.role
  const admin = canAdmin(role)
  const writer = admin || role === 'member'
  return (
    <div data-testid="page-settings" className="min-w-0">
      <PageHeader title="Settings" description={admin ? 'The workspace, its team and API keys.' : 'Read-only for your role.'} />
      <Tabs
        value={tab}
        onValueChange={(v) => {
          const next = new URLSearchParams(params)
          next.set('tab', v)
          setParams(next, { replace: true })
        }}
      >
        <TabsList className="flex-wrap">
          <TabsTrigger value="general" data-testid="tab-general">
            General
          </TabsTrigger>
          <TabsTrigger value="team" data-testid="tab-team">
            Team
          </TabsTrigger>
          <TabsTrigger value="api-keys" data-testid="tab-api-keys">
            API keys
          </TabsTrigger>
          <TabsTrigger value="usage" data-testid="tab-usage">
            Usage &amp; plan
          </TabsTrigger>
          <TabsTrigger value="integrations" data-testid="tab-integrations">
            Integrations
          </TabsTrigger>
          <TabsTrigger value="audit" data-testid="tab-audit">
            Audit log
          </TabsTrigger>
        </TabsList>
        <TabsContent value="general" className="pt-4">
          <GeneralTab editable={admin} />
        </TabsContent>
        <TabsContent value="team" className="pt-4">
          <TeamTab editable={admin} canSee={writer} selfID={me?.user.id} />
        </TabsContent>
        <TabsContent value="api-keys" className="pt-4">
          <KeysTab canCreate={writer} />
        </TabsContent>
        <TabsContent value="usage" className="pt-4">
          <UsageTab admin={admin} />
        </TabsContent>
        <TabsContent value="integrations" className="pt-4">
          <IntegrationsTab editable={admin} />
        </TabsContent>
        <TabsContent value="audit" className="pt-4">
          <AuditTab canSee={admin} />
        </TabsContent>
      </Tabs>
    </div>
  )
}
