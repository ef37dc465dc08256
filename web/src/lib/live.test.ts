import { describe, expect, it, vi } from 'vitest'
import { backoff, base64url, LiveConnection } from '@/lib/live'
import { setAccessToken } from '@/lib/api'
import { FakeSocket } from '@/test/fakeSocket'

describe('live connection', () => {
  it('backs off exponentially with jitter, capped at 30 s', () => {
    expect(backoff(0, () => 0)).toBe(250)
    expect(backoff(0, () => 1)).toBe(500)
    expect(backoff(3, () => 0.5)).toBe(3000)
    expect(backoff(20, () => 1)).toBe(30_000)
    const spread = new Set(Array.from({ length: 20 }, () => backoff(4)))
    expect(spread.size).toBeGreaterThan(1)
  })

  it('sends the token as a subprotocol, subscribes, and asks for a refetch on a gap, a resync or a reconnect', async () => {
    vi.useFakeTimers()
    setAccessToken('tok.en.x')
    FakeSocket.all = []
    const conn = new LiveConnection(() => 'ws://x/api/v1/ws', (u, p) => new FakeSocket(u, p) as unknown as WebSocket)
    expect(conn.status).toBe('idle') // nothing listens yet: no socket is wanted
    const seen: string[] = []
    const stop = conn.listen('traces', { onMessage: (m) => seen.push(`msg ${m.seq}`), onResync: () => seen.push('refetch') })
    await vi.advanceTimersByTimeAsync(0)
    const s1 = FakeSocket.all[0]!
    expect(s1.protocols).toEqual(['agentobs.v1', `agentobs.bearer.${base64url('tok.en.x')}`])
    s1.open()
    expect(conn.status).toBe('live')
    expect(s1.sent).toEqual([{ type: 'subscribe', channels: ['traces'] }])
    s1.message({ type: 'new_traces', channel: 'traces', seq: 1 })
    s1.message({ type: 'new_traces', channel: 'traces', seq: 3 }) // 2 was lost
    s1.message({ type: 'resync', channel: 'traces', seq: 4 })
    expect(seen).toEqual(['msg 1', 'refetch', 'refetch'])
    s1.drop()
    expect(conn.status).toBe('offline')
    await vi.advanceTimersByTimeAsync(600)
    const s2 = FakeSocket.all[1]!
    s2.open()
    expect(seen.at(-1)).toBe('refetch') // reconnected: what happened meanwhile is unknown
    s2.message({ type: 'new_traces', channel: 'traces', seq: 1 }) // sequences restart per connection
    expect(seen.at(-1)).toBe('msg 1')
    stop()
    // The next page listens again at once: the socket stays, with no resync owed.
    const again = conn.listen('traces', { onResync: () => seen.push('refetch again') })
    expect(FakeSocket.all).toHaveLength(2)
    again()
    await vi.advanceTimersByTimeAsync(5000)
    expect(conn.status).toBe('idle') // no page listens: nothing to reconnect
    expect(seen).not.toContain('refetch again')
    vi.useRealTimers()
    setAccessToken(null)
  })
})
