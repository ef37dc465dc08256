// Live updates (docs/live.md): one WebSocket per tab, shared by every component that
// listens. Messages are hints: on a reconnect, a resync or a gap in a channel's seq the
// listeners are told to refetch, so nothing stays wrong when a message is lost.
import { getAccessToken, refreshOnce } from '@/lib/api'

export type LiveChannel = 'traces' | 'kpis' | 'alerts' | 'violations'
/** idle: no page listens, so no socket is wanted; offline: one is wanted and is reconnecting. */
export type LiveStatus = 'idle' | 'connecting' | 'live' | 'offline'

export interface LiveMessage {
  type: string
  channel?: LiveChannel
  seq?: number
  sent_at?: number
  data?: unknown
}

export interface LiveListener {
  /** A message of the channel arrived (in order, without a gap). */
  onMessage?: (m: LiveMessage) => void
  /** Messages may have been missed: refetch what is shown. */
  onResync: () => void
}

/** backoff is the delay before reconnect attempt n (0-based): exponential, full jitter. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10))
  return Math.round(cap / 2 + random() * (cap / 2))
}

/** base64url of a string, for the credential subprotocol. */
export function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s)
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

type SocketFactory = (url: string, protocols: string[]) => WebSocket

/** LiveConnection keeps one socket open while anything listens, reconnecting with backoff. */
export class LiveConnection {
  private socket: WebSocket | null = null
  private listeners = new Map<LiveChannel, Set<LiveListener>>()
  private statusListeners = new Set<(s: LiveStatus) => void>()
  private seq = new Map<LiveChannel, number>()
  private attempt = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private everOpen = false
  private linger: ReturnType<typeof setTimeout> | null = null
  private stopped = true
  status: LiveStatus = 'idle'

  constructor(
    private url: () => string,
    private factory: SocketFactory = (u, p) => new WebSocket(u, p),
  ) {}

  listen(channel: LiveChannel, l: LiveListener): () => void {
    let set = this.listeners.get(channel)
    if (!set) this.listeners.set(channel, (set = new Set()))
    set.add(l)
    if (set.size === 1) this.send({ type: 'subscribe', channels: [channel] })
    this.start()
    return () => {
      set.delete(l)
      if (set.size === 0) {
        this.listeners.delete(channel)
        this.send({ type: 'unsubscribe', channels: [channel] })
      }
      // Navigating between pages removes and adds listeners at once: keep the socket a
      // moment rather than reconnect for the next page.
      if (this.listeners.size === 0) {
        if (this.linger) clearTimeout(this.linger)
        this.linger = setTimeout(() => {
          if (this.listeners.size === 0) this.stop()
        }, 5000)
      }
    }
  }

  onStatus(f: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(f)
    return () => this.statusListeners.delete(f)
  }

  private setStatus(s: LiveStatus) {
    this.status = s
    for (const f of this.statusListeners) f(s)
  }

  private send(m: unknown) {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(m))
  }

  private start() {
    if (!this.stopped) return
    this.stopped = false
    void this.connect()
  }

  stop() {
    this.stopped = true
    // A later start is a new session whose listeners fetch afresh: no resync owed.
    this.everOpen = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const s = this.socket
    this.socket = null
    s?.close(1000)
    this.setStatus('idle')
  }

  private resyncAll() {
    for (const set of this.listeners.values()) for (const l of set) l.onResync()
  }

  private async connect() {
    if (this.stopped) return
    this.setStatus('connecting')
    const token = getAccessToken() ?? (await refreshOnce())
    if (this.stopped) return
    if (!token) {
      this.retry()
      return
    }
    let ws: WebSocket
    try {
      ws = this.factory(this.url(), ['agentobs.v1', `agentobs.bearer.${base64url(token)}`])
    } catch {
      this.retry()
      return
    }
    this.socket = ws
    ws.onopen = () => {
      this.attempt = 0
      this.seq.clear()
      this.setStatus('live')
      const channels = [...this.listeners.keys()]
      if (channels.length) this.send({ type: 'subscribe', channels })
      // What changed while disconnected is unknown: refetch (not on the first open).
      if (this.everOpen) this.resyncAll()
      this.everOpen = true
    }
    ws.onmessage = (ev: MessageEvent) => {
      let m: LiveMessage
      try {
        m = JSON.parse(String(ev.data)) as LiveMessage
      } catch {
        return
      }
      const ch = m.channel
      if (!ch || m.seq === undefined) return
      const want = (this.seq.get(ch) ?? 0) + 1
      this.seq.set(ch, m.seq)
      const set = this.listeners.get(ch)
      if (!set) return
      for (const l of set) {
        if (m.type === 'resync' || m.seq !== want) l.onResync()
        else l.onMessage?.(m)
      }
    }
    ws.onclose = () => {
      if (this.socket !== ws) return
      this.socket = null
      this.retry()
    }
  }

  private retry() {
    if (this.stopped) return
    this.setStatus('offline')
    const delay = backoff(this.attempt++)
    this.timer = setTimeout(() => void this.connect(), delay)
  }
}

function liveURL(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${window.location.host}/api/v1/ws`
}

let shared: LiveConnection | null = null

/** liveConnection is the tab's connection, made on first use. */
export function liveConnection(): LiveConnection {
  shared ??= new LiveConnection(liveURL)
  return shared
}
