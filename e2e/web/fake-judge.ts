// A stand-in for Gemini's generateContent endpoint, for the browser tests: no model is
// reachable here. It checks the request's shape and rates every criterion the request's
// response schema asks for 80, with an explanation, and reports token usage.
import { createServer, type Server } from 'node:http'

export interface FakeJudge {
  url: string
  calls: () => number
  close: () => Promise<void>
}

export function startFakeJudge(): Promise<FakeJudge> {
  let calls = 0
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const fail = (status: number, message: string) => {
        res.writeHead(status, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ error: { code: status, message, status: 'INVALID_ARGUMENT' } }))
      }
      if (req.method !== 'POST' || !/^\/v1beta\/models\/[^/]+:generateContent$/.test(req.url ?? '')) return fail(404, `no route ${req.method} ${req.url}`)
      if (!req.headers['x-goog-api-key']) return fail(401, 'API key missing')
      let parsed: { contents?: unknown[]; generationConfig?: { responseJsonSchema?: { required?: string[] } } }
      try {
        parsed = JSON.parse(body)
      } catch {
        return fail(400, 'invalid JSON')
      }
      if (!Array.isArray(parsed.contents) || parsed.contents.length === 0) return fail(400, 'contents is empty')
      calls++
      const names = parsed.generationConfig?.responseJsonSchema?.required ?? []
      const verdict = Object.fromEntries(names.map((n) => [n, { explanation: `The ${n} is good.`, score: 80 }]))
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(
        JSON.stringify({
          candidates: [{ content: { role: 'model', parts: [{ text: JSON.stringify(verdict) }] }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 100, totalTokenCount: 1100 },
          modelVersion: 'gemini-2.5-flash',
        }),
      )
    })
  })
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address()
      const port = addr && typeof addr === 'object' ? addr.port : 0
      ok({ url: `http://127.0.0.1:${port}`, calls: () => calls, close: () => new Promise((done) => server.close(() => done())) })
    })
  })
}
