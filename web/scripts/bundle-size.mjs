// Prints the JavaScript each route needs before it can render (the entry, its static imports
// and the page's chunk with its static imports), gzipped, and fails when one exceeds
// --max-kb. Charts load after a page's figures, so they are not counted.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const dist = new URL('../dist/', import.meta.url)
const html = readFileSync(new URL('index.html', dist), 'utf8')
const entry = /<script type="module" crossorigin src="\/(assets\/[^"]+\.js)"/.exec(html)?.[1]
if (!entry) throw new Error('no entry script in dist/index.html; run npm run build')
const files = new Map()
const read = (f) => {
  if (!files.has(f)) files.set(f, readFileSync(new URL(f, dist)))
  return files.get(f)
}
// Static imports only: `import("./x.js")` is lazy and stays out.
const staticDeps = (f) => [...read(f).toString().matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[^"'();]*?from\s*)?["']\.\/([^"']+\.js)["']/g)].map((m) => `assets/${m[1]}`)
const closure = (roots) => {
  const seen = new Set()
  const walk = (f) => {
    if (seen.has(f)) return
    seen.add(f)
    staticDeps(f).forEach(walk)
  }
  roots.forEach(walk)
  return seen
}
const gz = (set) => [...set].reduce((n, f) => n + gzipSync(read(f), { level: 9 }).length, 0)
const pages = ['SignIn', 'Home', 'Traces', 'TraceDetail', 'Sessions', 'Usage', 'Cost', 'Performance', 'Quality', 'Safety', 'Alerts', 'Impact', 'Settings']
const { readdirSync } = await import('node:fs')
const assets = readdirSync(new URL('assets/', dist))
const max = Number(process.argv[process.argv.indexOf('--max-kb') + 1]) || Infinity
let failed = false
const base = closure([entry])
console.log(`entry ${(gz(base) / 1024).toFixed(1)} KB gzipped`)
for (const p of pages) {
  const chunk = assets.find((a) => a.startsWith(`${p}-`) && a.endsWith('.js'))
  if (!chunk) throw new Error(`no chunk for page ${p}`)
  const kb = gz(closure([entry, `assets/${chunk}`])) / 1024
  const over = kb > max
  failed ||= over
  console.log(`${p.padEnd(12)} ${kb.toFixed(1).padStart(6)} KB gzipped${over ? `  over ${max} KB` : ''}`)
}
if (failed) process.exit(1)
