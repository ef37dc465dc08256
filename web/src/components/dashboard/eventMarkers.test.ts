import { describe, expect, it } from 'vitest'
import { markersFor } from '@/components/dashboard/eventMarkers'
import type { EventView } from '@/api/insights'

const ev = (id: string, timestamp: string, type = 'deployment'): EventView => ({
  id,
  type,
  timestamp,
  agent_id: 'bot',
  version: '',
  title: id,
  description: '',
  severity: 'info',
  metadata: {},
})

describe('markersFor', () => {
  it('places each event on the bucket that holds it, and leaves out earlier ones', () => {
    const buckets = ['2026-11-24T10:00:00Z', '2026-11-24T11:00:00Z', '2026-11-24T12:00:00Z']
    const m = markersFor([ev('a', '2026-11-24T10:59:59Z'), ev('b', '2026-11-24T12:30:00Z'), ev('c', '2026-11-24T12:00:00Z', 'incident'), ev('old', '2026-11-24T09:00:00Z')], buckets)
    expect(m).toEqual([
      { x: '2026-11-24T10:00:00Z', events: [expect.objectContaining({ id: 'a' })] },
      { x: '2026-11-24T12:00:00Z', events: [expect.objectContaining({ id: 'b' }), expect.objectContaining({ id: 'c' })] },
    ])
  })
})
