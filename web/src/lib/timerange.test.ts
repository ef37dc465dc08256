import { describe, expect, it } from 'vitest'
import { defaultGranularity, granularitiesFor, parseRange, rangeParams, rangeSearch, windowOnly } from '@/lib/timerange'

describe('time range in the URL', () => {
  it('reads presets and falls back on unknown values', () => {
    expect(parseRange(new URLSearchParams('range=7d'))).toEqual({ key: '7d' })
    expect(parseRange(new URLSearchParams('range=90d'))).toEqual({ key: '24h' })
    expect(parseRange(new URLSearchParams(''), '30d')).toEqual({ key: '30d' })
  })
  it('reads a custom range only when both bounds are valid and ordered', () => {
    const ok = parseRange(new URLSearchParams('range=custom&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z'))
    expect(ok).toEqual({ key: 'custom', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' })
    expect(parseRange(new URLSearchParams('range=custom&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z'))).toEqual({ key: '24h' })
    expect(parseRange(new URLSearchParams('range=custom&from=junk&to=2026-11-01T00:00:00Z'))).toEqual({ key: '24h' })
  })
  it('turns a window into API parameters', () => {
    expect(rangeParams({ key: '7d' }, 'Europe/Berlin')).toEqual({ range: '7d', tz: 'Europe/Berlin' })
    expect(rangeParams({ key: 'custom', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, 'UTC')).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      tz: 'UTC',
    })
    expect(windowOnly({ range: '1h', tz: 'UTC' })).toEqual({ range: '1h' })
  })
  it('keeps only the window when carrying it across pages', () => {
    expect(rangeSearch(new URLSearchParams('range=7d&agent_id=x&granularity=daily'))).toBe('?range=7d')
    expect(rangeSearch(new URLSearchParams('agent_id=x'))).toBe('')
  })
  it('offers granularities that fit the window, defaulting like the server', () => {
    expect(granularitiesFor({ key: '1h' })).toEqual(['5m'])
    expect(granularitiesFor({ key: '24h' })).toEqual(['5m', 'hourly'])
    expect(granularitiesFor({ key: '30d' })).toEqual(['hourly', 'daily', 'weekly'])
    expect(defaultGranularity({ key: '1h' })).toBe('5m')
    expect(defaultGranularity({ key: '7d' })).toBe('hourly')
    expect(defaultGranularity({ key: '30d' })).toBe('daily')
  })
})
