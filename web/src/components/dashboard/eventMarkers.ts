// Events (deployments, config changes, incidents) as chart annotations: each is placed on
// the bucket that holds it.
import { useApi } from '@/api/queries'
import { useWindow, type EventView } from '@/api/insights'
import type { RangeParams } from '@/lib/timerange'

export const MARKED_TYPES = 'deployment,config_change,incident'

/** useChartEvents lists the window's marked events; a failure leaves the chart unmarked. */
export function useChartEvents(p: RangeParams): EventView[] {
  const w = useWindow(p)
  const q = useApi<{ events: EventView[] }>('/api/v1/events', { ...w, type: MARKED_TYPES }, { retry: false })
  return q.data?.events ?? []
}

export interface Marker {
  /** The bucket timestamp the event falls in, as the chart's x values spell it. */
  x: string
  events: EventView[]
}

/** markersFor places events on the last bucket starting at or before each; events before the first bucket are left out. */
export function markersFor(events: EventView[], bucketTimestamps: string[]): Marker[] {
  const starts = bucketTimestamps.map((t) => Date.parse(t))
  const byX = new Map<string, EventView[]>()
  for (const e of events) {
    const at = Date.parse(e.timestamp)
    let i = -1
    for (let j = 0; j < starts.length; j++) if ((starts[j] as number) <= at) i = j
    if (i < 0) continue
    const x = bucketTimestamps[i] as string
    byX.set(x, [...(byX.get(x) ?? []), e])
  }
  return [...byX.entries()].map(([x, evs]) => ({ x, events: evs }))
}
