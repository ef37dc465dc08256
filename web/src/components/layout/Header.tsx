import { useState } from 'react'
import { Check, ChevronsUpDown, LogOut, Menu, Monitor, Moon, Sun, User as UserIcon } from 'lucide-react'
import { useNavigate } from 'react-router'
import { Button } from '@/components/ui/button'
import { Dialog, DialogContent, DialogDescription, DialogTitle } from '@/components/ui/dialog'
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu'
import { Brand, SidebarNav } from '@/components/layout/Sidebar'
import { LiveIndicator } from '@/components/layout/LiveIndicator'
import { TimeRangeSelector } from '@/components/layout/TimeRangeSelector'
import { useAuth } from '@/lib/auth'
import { useTheme, type ThemeChoice } from '@/lib/theme'
import { useTimeRange } from '@/lib/timerange'
import { errorMessage } from '@/lib/api'

function WorkspaceSwitcher() {
  const { me, switchWorkspace } = useAuth()
  const [error, setError] = useState<string | null>(null)
  const current = me?.workspace
  const list = me?.workspaces ?? []
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="sm" data-testid="workspace-switcher" className="max-w-[11rem] justify-between gap-1 sm:max-w-[14rem]" aria-label={`Workspace: ${current?.name ?? 'none'}`}>
          <span className="truncate font-semibold" data-testid="workspace-name">
            {current?.name ?? 'No workspace'}
          </span>
          <ChevronsUpDown className="size-3.5 opacity-60" aria-hidden="true" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="w-60">
        <DropdownMenuLabel className="text-xs text-muted-foreground">Workspaces</DropdownMenuLabel>
        {list.map((w) => (
          <DropdownMenuItem
            key={w.id}
            data-testid={`workspace-option-${w.id}`}
            onSelect={() => {
              if (w.id === current?.id) return
              setError(null)
              switchWorkspace(w.id).catch((e: unknown) => setError(errorMessage(e)))
            }}
          >
            <span className="flex-1 truncate">{w.name}</span>
            <span className="text-xs text-muted-foreground">{w.role}</span>
            {w.id === current?.id && <Check className="size-4" aria-label="current" />}
          </DropdownMenuItem>
        ))}
        {error && <p className="px-2 py-1 text-xs text-destructive">{error}</p>}
      </DropdownMenuContent>
    </DropdownMenu>
  )
}

function UserMenu() {
  const { me, logout } = useAuth()
  const { choice, setChoice } = useTheme()
  const navigate = useNavigate()
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" data-testid="user-menu" aria-label="Account and theme">
          <UserIcon aria-hidden="true" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-56">
        <DropdownMenuLabel>
          <div className="truncate">{me?.user.name || me?.user.email}</div>
          <div className="truncate text-xs font-normal text-muted-foreground">{me?.user.email}</div>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuLabel className="text-xs text-muted-foreground">Theme</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={choice} onValueChange={(v) => setChoice(v as ThemeChoice)}>
          <DropdownMenuRadioItem value="light" data-testid="theme-light">
            <Sun className="size-4" aria-hidden="true" /> Light
          </DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="dark" data-testid="theme-dark">
            <Moon className="size-4" aria-hidden="true" /> Dark
          </DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="system" data-testid="theme-system">
            <Monitor className="size-4" aria-hidden="true" /> System
          </DropdownMenuRadioItem>
        </DropdownMenuRadioGroup>
        <DropdownMenuSeparator />
        <DropdownMenuItem
          data-testid="sign-out"
          onSelect={() => {
            void logout().finally(() => navigate('/signin', { replace: true }))
          }}
        >
          <LogOut aria-hidden="true" /> Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  )
}

function ThemeToggle() {
  const { resolved, setChoice } = useTheme()
  const next = resolved === 'dark' ? 'light' : 'dark'
  return (
    <Button variant="ghost" size="icon" onClick={() => setChoice(next)} aria-label={`Switch to ${next} theme`} data-testid="theme-toggle" className="hidden sm:inline-flex">
      {resolved === 'dark' ? <Sun aria-hidden="true" /> : <Moon aria-hidden="true" />}
    </Button>
  )
}

export function Header() {
  const { range, setRange } = useTimeRange()
  const [menuOpen, setMenuOpen] = useState(false)
  return (
    <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b bg-background/95 px-3 backdrop-blur sm:px-4">
      <Button variant="ghost" size="icon" className="lg:hidden" aria-label="Open navigation" data-testid="nav-open" onClick={() => setMenuOpen(true)}>
        <Menu aria-hidden="true" />
      </Button>
      <Dialog open={menuOpen} onOpenChange={setMenuOpen}>
        <DialogContent
          data-testid="mobile-nav"
          className="top-0 left-0 h-dvh max-w-[16rem] translate-x-0 translate-y-0 gap-0 rounded-none border-r p-0 sm:max-w-[16rem]"
        >
          <DialogTitle className="sr-only">Navigation</DialogTitle>
          <DialogDescription className="sr-only">Pages of the dashboard</DialogDescription>
          <Brand />
          <SidebarNav onNavigate={() => setMenuOpen(false)} />
        </DialogContent>
      </Dialog>
      <WorkspaceSwitcher />
      <div className="ml-auto flex items-center gap-1 sm:gap-2">
        <LiveIndicator />
        <TimeRangeSelector value={range} onChange={setRange} />
        <ThemeToggle />
        <UserMenu />
      </div>
    </header>
  )
}
