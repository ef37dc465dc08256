import type { ReactElement, ReactNode } from 'react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import { MemoryRouter, Route, Routes } from 'react-router'
import { vi } from 'vitest'
import { ThemeProvider } from '@/lib/theme'

export type Handler = unknown | ((url: URL, init: RequestInit | undefined) => Response | unknown | Promise<unknown>)

export interface MockedApi {
  calls: { method: string; url: URL; body: unknown }[]
  fetch: ReturnType<typeof vi.fn>
}

/** jsonResponse builds a Response the way the server answers. */
export function jsonResponse(body: unknown, status = 200): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json'
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': type } })
}

/**
 * mockApi replaces fetch with routes keyed "METHOD /path" (or "/path" for GET). A handler is
 * a body to answer with 200, a Response, or a function of the request returning either.
 */
export function mockApi(routes: Record<string, Handler>): MockedApi {
  const calls: MockedApi['calls'] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost')
    const method = init?.method ?? 'GET'
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    calls.push({ method, url, body })
    const h = routes[`${method} ${url.pathname}`] ?? (method === 'GET' ? routes[url.pathname] : undefined)
    if (h === undefined) return jsonResponse({ status: 404, title: 'Not found', detail: `no mock for ${method} ${url.pathname}` }, 404)
    const v = typeof h === 'function' ? await (h as (u: URL, i?: RequestInit) => unknown)(url, init) : h
    return v instanceof Response ? v : jsonResponse(v)
  })
  vi.stubGlobal('fetch', fetch)
  return { calls, fetch }
}

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } })
}

/** renderAt renders ui at a URL (with a route pattern when the page reads params). */
export function renderAt(ui: ReactElement, { url = '/', path = '*', wrapper }: { url?: string; path?: string; wrapper?: (c: ReactNode) => ReactNode } = {}) {
  const client = testQueryClient()
  const tree = (
    <QueryClientProvider client={client}>
      <ThemeProvider>
        <MemoryRouter initialEntries={[url]}>
          <Routes>
            <Route path={path} element={wrapper ? wrapper(ui) : ui} />
            <Route path="*" element={<div data-testid="elsewhere" />} />
          </Routes>
        </MemoryRouter>
      </ThemeProvider>
    </QueryClientProvider>
  )
  return { client, ...render(tree) }
}

export const kpi = (value: number | null, previous: number | null, change_pct: number | null) => ({ value, previous, change_pct })
export const win = { from: '2026-11-24T10:00:00Z', to: '2026-11-25T10:00:00Z', previous_from: '2026-11-23T10:00:00Z', previous_to: '2026-11-24T10:00:00Z' }
