// Sign-in state. The refresh token lives in an httpOnly cookie the server sets (JavaScript
// never sees it); the short-lived access token lives only in memory (lib/api.ts), so a
// reload restores the session by asking /api/v1/auth/refresh for a new one.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { ApiError, configureAuth, request, setAccessToken } from '@/lib/api'
import { setWorkspaceTimeZone } from '@/lib/format'

export interface User {
  id: string
  email: string
  name: string
}

export interface WorkspaceRef {
  id: string
  name: string
  role: string
}

export interface Me {
  user: User
  workspace: WorkspaceRef | null
  workspaces: WorkspaceRef[]
}

/**
 * TokenResponse is the session that register, login, refresh and switch answer (auth.Session
 * in Go). With `cookie: true` the refresh token goes into the httpOnly cookie, not the body.
 */
interface TokenResponse {
  access_token: string
  token_type?: string
  expires_in?: number
  user?: User
  workspace_id?: string
  role?: string
}

type Status = 'loading' | 'anonymous' | 'authenticated'

interface AuthState {
  status: Status
  me: Me | null
  /** True once /auth/me answered for this session (me may be provisional before). */
  meLoaded: boolean
  login: (email: string, password: string) => Promise<void>
  register: (input: { email: string; password: string; name: string; workspace_name?: string; setup_key?: string }) => Promise<void>
  logout: () => Promise<void>
  switchWorkspace: (id: string) => Promise<void>
}

const AuthContext = createContext<AuthState | null>(null)

let lastSession: TokenResponse | null = null

async function refreshToken(): Promise<string | null> {
  try {
    const t = await request<TokenResponse>('/api/v1/auth/refresh', { method: 'POST', skipRefresh: true })
    setAccessToken(t.access_token)
    lastSession = t
    return t.access_token
  } catch {
    setAccessToken(null)
    return null
  }
}

/** The answer of GET /api/v1/auth/me (auth.Me in Go). */
interface MeResponse {
  user: User
  workspace: { id: string; name: string; created_at: string; time_zone?: string } | null
  role?: string
  workspaces: { workspace_id: string; user_id: string; role: string; workspace_name?: string }[] | null
}

async function loadMe(): Promise<Me> {
  const raw = await request<MeResponse>('/api/v1/auth/me')
  const workspaces = (raw.workspaces ?? []).map((m) => ({ id: m.workspace_id, name: m.workspace_name || m.workspace_id, role: m.role }))
  const workspace = raw.workspace ? { id: raw.workspace.id, name: raw.workspace.name, role: raw.role ?? '' } : null
  setWorkspaceTimeZone(raw.workspace?.time_zone)
  return { user: raw.user, workspace, workspaces }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient()
  const [status, setStatus] = useState<Status>('loading')
  const [me, setMe] = useState<Me | null>(null)
  const [meLoaded, setMeLoaded] = useState(false)
  const started = useRef(false)

  const signedOut = useCallback(() => {
    setAccessToken(null)
    setMe(null)
    setMeLoaded(false)
    setStatus('anonymous')
    qc.clear()
  }, [qc])

  useEffect(() => {
    configureAuth({ refresh: refreshToken, onUnauthorized: signedOut })
  }, [signedOut])

  // Pages need only the token: they render at once while the user and workspace list load
  // (one round trip less before the first figures show).
  const establish = useCallback(
    (token: string, session?: TokenResponse) => {
      setAccessToken(token)
      setMeLoaded(false)
      if (session?.user) {
        setMe({ user: session.user, workspace: session.workspace_id ? { id: session.workspace_id, name: '…', role: session.role ?? '' } : null, workspaces: [] })
      }
      setStatus('authenticated')
      return loadMe().then(
        (m) => {
          setMe(m)
          setMeLoaded(true)
        },
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 401) signedOut()
        },
      )
    },
    [signedOut],
  )

  useEffect(() => {
    // Strict mode runs effects twice; a second refresh would rotate the token the first used.
    if (started.current) return
    started.current = true
    void (async () => {
      const token = await refreshToken()
      if (!token) {
        setStatus('anonymous')
        return
      }
      await establish(token, lastSession ?? undefined)
    })()
  }, [establish, signedOut])

  const login = useCallback(
    async (email: string, password: string) => {
      const t = await request<TokenResponse>('/api/v1/auth/login', { method: 'POST', body: { email, password, cookie: true }, skipRefresh: true })
      qc.clear()
      await establish(t.access_token, t)
    },
    [establish, qc],
  )

  const register = useCallback(
    async (input: { email: string; password: string; name: string; workspace_name?: string; setup_key?: string }) => {
      const t = await request<TokenResponse>('/api/v1/auth/register', { method: 'POST', body: { ...input, cookie: true }, skipRefresh: true })
      qc.clear()
      await establish(t.access_token, t)
    },
    [establish, qc],
  )

  const logout = useCallback(async () => {
    try {
      await request<unknown>('/api/v1/auth/logout', { method: 'POST', skipRefresh: true })
    } finally {
      signedOut()
    }
  }, [signedOut])

  const switchWorkspace = useCallback(
    async (id: string) => {
      const t = await request<TokenResponse>('/api/v1/auth/switch', { method: 'POST', body: { workspace_id: id }, skipRefresh: true })
      // Everything cached belongs to the old workspace.
      qc.clear()
      await establish(t.access_token, t)
    },
    [establish, qc],
  )

  const value = useMemo(
    () => ({ status, me, meLoaded, login, register, logout, switchWorkspace }),
    [status, me, meLoaded, login, register, logout, switchWorkspace],
  )
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext)
  if (!ctx) throw new Error('useAuth outside AuthProvider')
  return ctx
}
