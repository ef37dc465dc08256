import { Activity, BadgeCheck, BellRing, DollarSign, Gauge, Home, ListTree, MessagesSquare, Settings, ShieldCheck, TrendingUp, type LucideIcon } from 'lucide-react'

export interface NavItem {
  to: string
  label: string
  icon: LucideIcon
  /** Matches only the exact path (Home would otherwise match every page). */
  end?: boolean
  testId: string
}

export const NAV: NavItem[] = [
  { to: '/dashboard', label: 'Home', icon: Home, end: true, testId: 'nav-home' },
  { to: '/dashboard/traces', label: 'Traces', icon: ListTree, testId: 'nav-traces' },
  { to: '/dashboard/sessions', label: 'Sessions', icon: MessagesSquare, testId: 'nav-sessions' },
  { to: '/dashboard/usage', label: 'Usage', icon: Activity, testId: 'nav-usage' },
  { to: '/dashboard/cost', label: 'Cost', icon: DollarSign, testId: 'nav-cost' },
  { to: '/dashboard/performance', label: 'Performance', icon: Gauge, testId: 'nav-performance' },
  { to: '/dashboard/quality', label: 'Quality', icon: BadgeCheck, testId: 'nav-quality' },
  { to: '/dashboard/safety', label: 'Safety', icon: ShieldCheck, testId: 'nav-safety' },
  { to: '/dashboard/alerts', label: 'Alerts', icon: BellRing, testId: 'nav-alerts' },
  { to: '/dashboard/impact', label: 'Impact', icon: TrendingUp, testId: 'nav-impact' },
  { to: '/dashboard/settings', label: 'Settings', icon: Settings, testId: 'nav-settings' },
]
