import { ReferenceLine } from 'recharts'
import { ERROR_COLOR, WARNING_COLOR } from '@/components/dashboard/chart'
import type { Marker } from '@/components/dashboard/eventMarkers'

/** eventLines draws a chart's markers; call it inside the chart, as its children. */
export function eventLines(markers: Marker[]) {
  return markers.map((m) => (
    <ReferenceLine
      key={`event-${m.x}`}
      x={m.x}
      stroke={m.events.some((e) => e.type === 'incident') ? ERROR_COLOR : WARNING_COLOR}
      strokeDasharray="4 3"
      label={{ value: m.events.map((e) => e.title).join(', '), position: 'insideTopLeft', fontSize: 11, fill: 'var(--muted-foreground)' }}
    />
  ))
}

/** EventList names the marked events for screen readers and tests. */
export function EventList({ markers, testId }: { markers: Marker[]; testId: string }) {
  if (markers.length === 0) return null
  return (
    <ul className="sr-only" data-testid={testId}>
      {markers.flatMap((m) => m.events.map((e) => <li key={e.id}>{`${e.type}: ${e.title}`}</li>))}
    </ul>
  )
}
