import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'
import { userTimeZone } from '@/lib/format'

export const PRESETS = ['1h', '24h', '7d', '30d'] as const
export type Preset = (typeof PRESETS)[number]
export type RangeKey = Preset | 'custom'

export const RANGE_LABELS: Record<RangeKey, string> = {
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  custom: 'Custom range',
}

export interface TimeRange {
  key: RangeKey
  /** Custom bounds as ISO strings; set only when key is 'custom'. */
  from?: string
  to?: string
}

/** The parameters every analytics route takes for a window (see docs/query-api.md). */
export type RangeParams = { range: Preset; tz: string } | { from: string; to: string; tz: string }

function isPreset(v: string | null): v is Preset {
  return v !== null && (PRESETS as readonly string[]).includes(v)
}

function validDate(v: string | null): v is string {
  return v !== null && v !== '' && !Number.isNaN(new Date(v).getTime())
}

/** parseRange reads the window from URL search parameters, falling back to a default preset. */
export function parseRange(params: URLSearchParams, fallback: Preset = '24h'): TimeRange {
  const key = params.get('range')
  if (key === 'custom') {
    const from = params.get('from')
    const to = params.get('to')
    if (validDate(from) && validDate(to) && new Date(from) < new Date(to)) return { key: 'custom', from, to }
  }
  return { key: isPreset(key) ? key : fallback }
}

/** rangeParams turns a window into API query parameters in the viewer's time zone. */
export function rangeParams(r: TimeRange, tz: string = userTimeZone()): RangeParams {
  if (r.key === 'custom' && r.from && r.to) {
    return { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), tz }
  }
  return { range: r.key === 'custom' ? '24h' : r.key, tz }
}

/** rangeSearch keeps only the window's parameters, to carry them across navigation. */
export function rangeSearch(params: URLSearchParams): string {
  const out = new URLSearchParams()
  for (const k of ['range', 'from', 'to']) {
    const v = params.get(k)
    if (v) out.set(k, v)
  }
  const s = out.toString()
  return s ? `?${s}` : ''
}

/** rangeDurationMs is the length of the window, used to choose default granularities. */
export function rangeDurationMs(r: TimeRange): number {
  switch (r.key) {
    case '1h':
      return 3_600_000
    case '24h':
      return 86_400_000
    case '7d':
      return 7 * 86_400_000
    case '30d':
      return 30 * 86_400_000
    case 'custom':
      return r.from && r.to ? new Date(r.to).getTime() - new Date(r.from).getTime() : 86_400_000
  }
}

/** The granularities that make sense for a window, finest first (at most ~2,000 points). */
export function granularitiesFor(r: TimeRange): ('5m' | 'hourly' | 'daily' | 'weekly')[] {
  const d = rangeDurationMs(r)
  const all: ['5m' | 'hourly' | 'daily' | 'weekly', number][] = [
    ['5m', 300_000],
    ['hourly', 3_600_000],
    ['daily', 86_400_000],
    ['weekly', 7 * 86_400_000],
  ]
  const ok = all.filter(([, size]) => d / size <= 2000 && d / size >= 2).map(([g]) => g)
  return ok.length > 0 ? ok : ['hourly']
}

/** defaultGranularity mirrors the server's choice so tabs show the right one selected. */
export function defaultGranularity(r: TimeRange): '5m' | 'hourly' | 'daily' | 'weekly' {
  const d = rangeDurationMs(r)
  if (d <= 6 * 3_600_000) return '5m'
  if (d <= 7 * 86_400_000) return 'hourly'
  if (d <= 90 * 86_400_000) return 'daily'
  return 'weekly'
}

/** useTimeRange reads and writes the window kept in the URL (?range=7d or ?range=custom&from=…&to=…). */
export function useTimeRange(fallback: Preset = '24h') {
  const [params, setParams] = useSearchParams()
  const range = useMemo(() => parseRange(params, fallback), [params, fallback])
  const setRange = useCallback(
    (next: TimeRange) => {
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev)
          p.set('range', next.key)
          if (next.key === 'custom' && next.from && next.to) {
            p.set('from', next.from)
            p.set('to', next.to)
          } else {
            p.delete('from')
            p.delete('to')
          }
          // A cursor belongs to the old window.
          p.delete('cursor')
          return p
        },
        { replace: false },
      )
    },
    [setParams],
  )
  const apiParams = useMemo(() => rangeParams(range), [range])
  return { range, setRange, apiParams }
}

/** windowOnly drops `tz` for routes that take a window but no time zone (traces, sessions). */
export function windowOnly(p: RangeParams): { range: Preset } | { from: string; to: string } {
  if ('range' in p) return { range: p.range }
  return { from: p.from, to: p.to }
}
