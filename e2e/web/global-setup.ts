// Starts the built agentobs binary on a free loopback port with freshly seeded demo data.
// The first user to register owns the seeded workspace (docs/auth.md), with the setup key
// chosen here (E2E_SETUP_KEY), so the tests see real numbers without any API key.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeJudge } from './fake-judge'

const here = dirname(fileURLToPath(import.meta.url))

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.once('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (addr && typeof addr === 'object' ? ok(addr.port) : fail(new Error('no port'))))
    })
  })
}

async function waitReady(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url)
      if (res.ok) return
      last = `status ${res.status}`
    } catch (e) {
      last = String(e)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`agentobs not ready at ${url}: ${last}`)
}

/** Returns the teardown, which Playwright runs after the last test. */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.E2E_BASE_URL) return undefined // an already running server was given
  const bin = process.env.AGENTOBS_BIN ?? resolve(here, '../../bin/agentobs')
  // E2E_DATA_DIR reuses a seeded directory (kept, never deleted): seeding 1M traces takes minutes.
  const reuse = process.env.E2E_DATA_DIR
  const dataDir = reuse ?? mkdtempSync(join(tmpdir(), 'agentobs-e2e-'))
  if (!reuse || !existsSync(join(dataDir, 'agentobs.duckdb'))) {
    mkdirSync(dataDir, { recursive: true })
    const traces = process.env.E2E_SEED_TRACES ?? '20000'
    const seed = spawnSync(bin, ['seed', '--data-dir', dataDir, '--traces', traces, '--days', '30', '--quiet'], { encoding: 'utf8' })
    if (seed.status !== 0) throw new Error(`agentobs seed failed: ${seed.stderr || seed.error}`)
  }

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const log = openSync(join(dataDir, 'serve.log'), 'a')
  // The first account needs the setup key; the tests choose it rather than read the log.
  const setupKey = process.env.E2E_SETUP_KEY ?? `aosetup_e2e_${randomBytes(12).toString('hex')}`
  process.env.E2E_SETUP_KEY = setupKey
  // The evaluate role's judge is a local stand-in for Gemini (fake-judge.ts).
  const judge = await startFakeJudge()
  const env = { ...process.env, AGENTOBS_SETUP_SECRET: setupKey, GEMINI_API_KEY: 'e2e-judge-key', GEMINI_BASE_URL: judge.url }
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], { stdio: ['ignore', log, log], detached: false, env })
  try {
    await waitReady(`${base}/ready`, 30_000)
  } catch (e) {
    child.kill('SIGKILL')
    await judge.close()
    throw new Error(`${e}\n${readFileSync(join(dataDir, 'serve.log'), 'utf8')}`)
  }
  process.env.E2E_BASE_URL = base

  return async () => {
    child.kill('SIGTERM')
    // Give the server its graceful shutdown before the data directory goes.
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    await judge.close()
    if (process.env.E2E_SHOW_LOG) process.stdout.write(readFileSync(join(dataDir, 'serve.log'), 'utf8'))
    if (!reuse && !process.env.E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
  }
}
