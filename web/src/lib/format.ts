// Number, money, duration and date formatting used everywhere a figure is shown, so that
// the same quantity always reads the same way ("1.2k", "$0.0031", "1.4 s").

const DASH = '—'

type Num = number | null | undefined

function isNum(n: Num): n is number {
  return typeof n === 'number' && Number.isFinite(n)
}

/** formatNumber abbreviates large counts: 950, 1.2k, 34k, 1.2M, 3.4B. */
export function formatNumber(n: Num, opts: { decimals?: number } = {}): string {
  if (!isNum(n)) return DASH
  const abs = Math.abs(n)
  const sign = n < 0 ? '-' : ''
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ]
  for (const [size, suffix] of units) {
    // Round first so 999,950 reads "1M" rather than "1000k".
    if (abs >= size * 0.9995 || (size === 1e3 && abs >= 999.5)) {
      const v = abs / size
      const digits = v >= 100 ? 0 : 1
      return sign + trimZeros(v.toFixed(digits)) + suffix
    }
  }
  const decimals = opts.decimals ?? (Number.isInteger(n) ? 0 : abs < 10 ? 2 : 1)
  return sign + trimZeros(abs.toFixed(decimals))
}

/** formatInteger writes a full count with grouping: 12,345. */
export function formatInteger(n: Num): string {
  if (!isNum(n)) return DASH
  return Math.round(n).toLocaleString('en-US')
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}

/**
 * formatCost writes US dollars with the precision the size needs: $0.0031 for a single
 * cheap call, $12.34 for a day, $1,234 for a month, $1.2M beyond.
 */
export function formatCost(usd: Num): string {
  if (!isNum(usd)) return DASH
  const abs = Math.abs(usd)
  const sign = usd < 0 ? '-' : ''
  if (abs === 0) return '$0.00'
  if (abs >= 1e6) return `${sign}$${formatNumber(abs)}`
  if (abs >= 1000) return `${sign}$${Math.round(abs).toLocaleString('en-US')}`
  if (abs >= 1) return `${sign}$${abs.toFixed(2)}`
  if (abs >= 0.01) return `${sign}$${abs.toFixed(abs >= 0.1 ? 2 : 3).replace(/(\.\d\d)0$/, '$1')}`
  // Two significant digits below a cent: $0.0031, $0.000042; below a millionth, a bound.
  if (abs < 0.000001) return `${sign === '-' ? '>-' : '<'}$0.000001`
  const digits = Math.min(7, Math.max(2, -Math.floor(Math.log10(abs)) + 1))
  return `${sign}$${trimZeros(abs.toFixed(digits))}`
}

/** formatDuration writes milliseconds as 840 ms, 1.4 s, 2.5 min or 1.2 h. */
export function formatDuration(ms: Num): string {
  if (!isNum(ms)) return DASH
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(ms)} ms`
  if (abs < 60_000) return `${trimZeros((ms / 1000).toFixed(abs < 10_000 ? 2 : 1))} s`
  if (abs < 3_600_000) return `${trimZeros((ms / 60_000).toFixed(1))} min`
  if (abs < 86_400_000) return `${trimZeros((ms / 3_600_000).toFixed(1))} h`
  return `${trimZeros((ms / 86_400_000).toFixed(1))} d`
}

/** formatPercent writes a 0–100 percentage: 96.1%, 0.35%, 100%. */
export function formatPercent(pct: Num, decimals?: number): string {
  if (!isNum(pct)) return DASH
  const d = decimals ?? (Math.abs(pct) < 1 && pct !== 0 ? 2 : 1)
  return `${trimZeros(pct.toFixed(d))}%`
}

/** formatChange writes a signed percentage change: +8.6%, -1.8%, 0%. */
export function formatChange(pct: Num): string {
  if (!isNum(pct)) return DASH
  const s = formatPercent(Math.abs(pct))
  if (pct > 0) return `+${s}`
  if (pct < 0) return `-${s}`
  return s
}

let workspaceZone = ''

/** setWorkspaceTimeZone records the workspace's time zone (Settings, General); '' clears it. */
export function setWorkspaceTimeZone(tz: string | undefined): void {
  workspaceZone = tz ?? ''
}

/**
 * The time zone sent as `tz` so day buckets start at its midnight: the workspace's when its
 * settings name one, else the viewer's.
 */
export function userTimeZone(): string {
  if (workspaceZone) return workspaceZone
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})
const shortDateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
})
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })

function toDate(v: string | number | Date | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null
  const d = v instanceof Date ? v : new Date(v)
  return Number.isNaN(d.getTime()) ? null : d
}

/** formatDateTime writes an instant in the viewer's time zone, to the second. */
export function formatDateTime(v: string | number | Date | null | undefined): string {
  const d = toDate(v)
  return d ? dateTimeFmt.format(d) : DASH
}

/** formatShortDateTime writes "Nov 25, 10:03" in the viewer's time zone. */
export function formatShortDateTime(v: string | number | Date | null | undefined): string {
  const d = toDate(v)
  return d ? shortDateTimeFmt.format(d) : DASH
}

/** formatRelative writes how long ago an instant was: "just now", "5 min ago", "3 d ago". */
export function formatRelative(v: string | number | Date | null | undefined, now: Date = new Date()): string {
  const d = toDate(v)
  if (!d) return DASH
  const s = Math.round((now.getTime() - d.getTime()) / 1000)
  if (s < 0) return formatShortDateTime(d)
  if (s < 45) return 'just now'
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  if (s < 30 * 86_400) return `${Math.round(s / 86_400)} d ago`
  return formatShortDateTime(d)
}

const dayHourFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric' })

/**
 * bucketLabel returns an axis label formatter for bucket timestamps: times of day within a
 * day or so, day and hour over several days of hourly buckets, dates beyond.
 */
export function bucketLabel(granularity: string | undefined, spanMs = 0): (v: string | number) => string {
  return (v) => {
    const d = toDate(v)
    if (!d) return ''
    if (granularity === '5m' || granularity === 'hourly') {
      if (spanMs > 36 * 3_600_000) return dayHourFmt.format(d)
      return d.getHours() === 0 && d.getMinutes() === 0 ? dayFmt.format(d) : timeFmt.format(d)
    }
    return dayFmt.format(d)
  }
}

/** bucketTooltipLabel is the full label shown in a chart tooltip for one bucket. */
export function bucketTooltipLabel(granularity: string | undefined): (v: string | number) => string {
  return (v) => {
    const d = toDate(v)
    if (!d) return ''
    if (granularity === 'daily') return new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }).format(d)
    if (granularity === 'weekly') return `Week of ${dayFmt.format(d)}`
    return shortDateTimeFmt.format(d)
  }
}

/** truncate shortens text for a table cell, keeping the full text for a title attribute. */
export function truncate(s: string | null | undefined, max: number): string {
  if (!s) return ''
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** formatMonth writes "November 2026" for an instant, in a time zone when one is given. */
export function formatMonth(v: string | null | undefined, timeZone?: string): string {
  const d = toDate(v)
  if (!d) return DASH
  try {
    return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone }).format(d)
  } catch {
    return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' }).format(d)
  }
}
