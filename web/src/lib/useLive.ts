import { useCallback, useEffect, useEffectEvent, useRef, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { liveConnection, type LiveChannel, type LiveMessage, type LiveStatus } from '@/lib/live'

/**
 * useLiveChannel listens to a live channel while the component is mounted. onChange runs on
 * every message and on every resync (a reconnect, a gap): the caller refetches.
 */
export function useLiveChannel(channel: LiveChannel, onChange: (m: LiveMessage | null) => void, enabled = true): void {
  // The latest onChange runs without resubscribing when the caller passes a new closure.
  const changed = useEffectEvent(onChange)
  useEffect(() => {
    if (!enabled || typeof WebSocket === 'undefined') return
    return liveConnection().listen(channel, { onMessage: (m) => changed(m), onResync: () => changed(null) })
  }, [channel, enabled])
}

/** useLiveStatus is the connection's state, for the indicator. */
export function useLiveStatus(): LiveStatus {
  const [s, setS] = useState<LiveStatus>(() => liveConnection().status)
  useEffect(() => liveConnection().onStatus(setS), [])
  return s
}

/**
 * useThrottled returns a callback that runs fn at most once per interval: a burst of
 * messages costs one run at its end, not one per message.
 */
function useThrottled(fn: () => void, interval = 1000): () => void {
  // The returned callback keeps its identity (listeners subscribe with it) and runs the
  // latest fn, which the effect below records after each render.
  const cb = useRef(fn)
  useEffect(() => {
    cb.current = fn
  })
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null)
  const last = useRef(0)
  useEffect(() => () => {
    if (pending.current) clearTimeout(pending.current)
  }, [])
  return useCallback(() => {
    const run = () => {
      pending.current = null
      last.current = Date.now()
      cb.current()
    }
    if (pending.current) return
    const wait = Math.max(0, interval - (Date.now() - last.current))
    if (wait === 0) run()
    else pending.current = setTimeout(run, wait)
  }, [interval])
}

/**
 * useLiveRefetch refetches the queries under paths when a live channel reports a change,
 * at most once a second.
 */
export function useLiveRefetch(channels: LiveChannel[], paths: string[], enabled = true): void {
  const qc = useQueryClient()
  const key = paths.join('|')
  const refetch = useThrottled(() => {
    for (const p of key.split('|')) void qc.invalidateQueries({ queryKey: [p] })
  })
  const chans = channels.join('|')
  useEffect(() => {
    if (!enabled || typeof WebSocket === 'undefined') return
    const stops = chans.split('|').map((ch) => liveConnection().listen(ch as LiveChannel, { onMessage: refetch, onResync: refetch }))
    return () => stops.forEach((stop) => stop())
  }, [chans, enabled, refetch])
}

/**
 * useLiveTick counts the changes a live channel reports (at most one a second), for pages
 * whose queries name an explicit window: a new tick moves the window's end to now.
 */
export function useLiveTick(channel: LiveChannel, enabled = true): number {
  const [tick, setTick] = useState(0)
  const bump = useThrottled(() => setTick((t) => t + 1))
  useLiveChannel(channel, bump, enabled)
  return tick
}
