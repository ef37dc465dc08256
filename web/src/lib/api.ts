// One typed fetch wrapper for the whole app. It adds the in-memory access token, refreshes
// it once through the httpOnly refresh cookie when the server answers 401, and turns every
// error response (RFC 9457 problem documents) into an ApiError.
import type { Problem } from '@/api/types'

export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `request failed with status ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
  }
}

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[]
export type Query = Record<string, QueryValue>

/** buildQuery writes parameters in a stable order, repeating arrays (agent_id=a&agent_id=b). */
export function buildQuery(q: Query | undefined): string {
  if (!q) return ''
  const p = new URLSearchParams()
  for (const key of Object.keys(q).sort()) {
    const v = q[key]
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) {
      for (const item of v as readonly (string | number)[]) p.append(key, String(item))
    } else {
      p.set(key, String(v))
    }
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

let accessToken: string | null = null
let refreshHandler: (() => Promise<string | null>) | null = null
let unauthorizedHandler: (() => void) | null = null
let refreshing: Promise<string | null> | null = null

/** setAccessToken keeps the token in memory only: it is never written to storage. */
export function setAccessToken(token: string | null): void {
  accessToken = token
}

export function getAccessToken(): string | null {
  return accessToken
}

/** The auth layer registers how to refresh and what to do once a session is gone. */
export function configureAuth(opts: { refresh: () => Promise<string | null>; onUnauthorized: () => void }): void {
  refreshHandler = opts.refresh
  unauthorizedHandler = opts.onUnauthorized
}

/** refreshOnce shares one refresh among the requests that failed with 401 at the same time. */
export function refreshOnce(): Promise<string | null> {
  if (!refreshHandler) return Promise.resolve(null)
  if (!refreshing) {
    refreshing = refreshHandler().finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Query
  body?: unknown
  signal?: AbortSignal
  /** Auth endpoints themselves must not trigger a refresh on 401. */
  skipRefresh?: boolean
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`
  return fetch(path + buildQuery(opts.query), {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
    credentials: 'same-origin',
  })
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '')
  try {
    const p = JSON.parse(text) as Problem
    if (p && typeof p === 'object') return p
  } catch {
    // Not JSON: a proxy or the network answered; keep the status.
  }
  return { status: res.status, title: res.statusText || 'Request failed', detail: text.slice(0, 200) }
}

/** request performs an API call and decodes its JSON answer as T. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  let res = await send(path, opts)
  if (res.status === 401 && !opts.skipRefresh && refreshHandler) {
    const token = await refreshOnce()
    if (token) {
      res = await send(path, opts)
    }
    if (res.status === 401) unauthorizedHandler?.()
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res))
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/** errorMessage gives a person-readable sentence for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.problem.errors?.map((f) => `${f.field}: ${f.detail}`).join('; ')
    return fields ? `${err.message} (${fields})` : err.message
  }
  if (err instanceof Error) return err.message
  return 'Something went wrong'
}
