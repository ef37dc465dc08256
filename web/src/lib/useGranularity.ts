import { useSearchParams } from 'react-router'
import type { Granularity } from '@/api/types'
import { defaultGranularity, granularitiesFor, type TimeRange } from '@/lib/timerange'

/**
 * useGranularity keeps a page's bucket size in the URL (?granularity=daily), falling back to
 * the server's default for the window when the stored one does not fit it.
 */
export function useGranularity(range: TimeRange): [Granularity, Granularity[], (g: Granularity) => void] {
  const [params, setParams] = useSearchParams()
  const options = granularitiesFor(range)
  const raw = params.get('granularity') as Granularity | null
  const def = defaultGranularity(range)
  const value = raw && options.includes(raw) ? raw : options.includes(def) ? def : (options[0] ?? 'hourly')
  const set = (g: Granularity) =>
    setParams((prev) => {
      const p = new URLSearchParams(prev)
      p.set('granularity', g)
      return p
    })
  return [value, options, set]
}

/** useParam reads and writes one optional search parameter. */
export function useParam(name: string): [string | null, (v: string | null) => void] {
  const [params, setParams] = useSearchParams()
  const set = (v: string | null) =>
    setParams((prev) => {
      const p = new URLSearchParams(prev)
      if (v === null || v === '') p.delete(name)
      else p.set(name, v)
      return p
    })
  return [params.get(name), set]
}
