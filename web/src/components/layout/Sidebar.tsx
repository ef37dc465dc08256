import { NavLink, useSearchParams } from 'react-router'
import { NAV } from '@/components/layout/nav'
import { Logo } from '@/components/layout/Logo'
import { rangeSearch } from '@/lib/timerange'
import { cn } from '@/lib/cn'

/** SidebarNav lists the pages; links keep the current time range. */
export function SidebarNav({ onNavigate }: { onNavigate?: () => void }) {
  const [params] = useSearchParams()
  const search = rangeSearch(params)
  return (
    <nav aria-label="Main" className="flex flex-col gap-1 p-3">
      {NAV.map((item) => (
        <NavLink
          key={item.to}
          to={{ pathname: item.to, search }}
          end={item.end}
          data-testid={item.testId}
          onClick={onNavigate}
          className={({ isActive }) =>
            cn(
              'flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50',
              isActive ? 'bg-primary/10 text-primary dark:bg-primary/15' : 'text-muted-foreground hover:bg-accent hover:text-foreground',
            )
          }
        >
          <item.icon className="size-4" aria-hidden="true" />
          {item.label}
        </NavLink>
      ))}
    </nav>
  )
}

export function Brand() {
  return (
    <div className="flex h-14 items-center gap-2 border-b px-4">
      <Logo />
      <span className="text-base font-semibold tracking-tight">agentobs</span>
    </div>
  )
}

export function Sidebar() {
  return (
    <aside data-testid="sidebar" className="sticky top-0 hidden h-dvh w-56 shrink-0 flex-col border-r bg-sidebar lg:flex">
      <Brand />
      <SidebarNav />
    </aside>
  )
}
