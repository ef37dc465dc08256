import { afterEach, describe, expect, it } from 'vitest'
import { ApiError, buildQuery, configureAuth, errorMessage, request, setAccessToken } from '@/lib/api'
import { jsonResponse, mockApi } from '@/test/utils'

afterEach(() => {
  setAccessToken(null)
  configureAuth({ refresh: async () => null, onUnauthorized: () => {} })
})

describe('request', () => {
  it('writes repeated parameters in a stable order and skips empty ones', () => {
    expect(buildQuery({ range: '7d', agent_id: ['a', 'b'], q: '', cursor: undefined, limit: 50 })).toBe('?agent_id=a&agent_id=b&limit=50&range=7d')
    expect(buildQuery({})).toBe('')
  })

  it('sends the in-memory access token and refreshes it once on 401', async () => {
    let refreshed = 0
    const api = mockApi({
      '/api/v1/usage/overview': (_u: URL, init?: RequestInit) => {
        const auth = (init?.headers as Record<string, string>).Authorization
        return auth === 'Bearer new' ? { ok: true } : jsonResponse({ status: 401, title: 'Unauthorized', detail: 'token expired' }, 401)
      },
    })
    setAccessToken('old')
    configureAuth({
      refresh: async () => {
        refreshed++
        setAccessToken('new')
        return 'new'
      },
      onUnauthorized: () => {},
    })
    const [a, b] = await Promise.all([request('/api/v1/usage/overview'), request('/api/v1/usage/overview')])
    expect(a).toEqual({ ok: true })
    expect(b).toEqual({ ok: true })
    expect(refreshed).toBe(1)
    expect(api.calls.filter((c) => c.url.pathname === '/api/v1/usage/overview')).toHaveLength(4)
  })

  it('reports the end of the session and turns problems into errors', async () => {
    let gone = false
    mockApi({
      '/api/v1/x': jsonResponse({ status: 401, title: 'Unauthorized', detail: 'no session' }, 401),
      '/api/v1/bad': jsonResponse({ status: 400, title: 'Invalid request', detail: 'invalid query', errors: [{ field: 'range', pointer: '/range', detail: 'must be one of 1h, 24h' }] }, 400),
    })
    configureAuth({ refresh: async () => null, onUnauthorized: () => (gone = true) })
    await expect(request('/api/v1/x')).rejects.toBeInstanceOf(ApiError)
    expect(gone).toBe(true)
    const err = await request('/api/v1/bad').catch((e: unknown) => e)
    expect((err as ApiError).status).toBe(400)
    expect(errorMessage(err)).toBe('invalid query (range: must be one of 1h, 24h)')
  })
})
