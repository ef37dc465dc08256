// Vite empties dist/ on every build; put back the placeholder that keeps `go:embed all:dist`
// compiling on a fresh clone, so `git status` stays clean after a build.
import { writeFileSync } from 'node:fs'

writeFileSync(
  new URL('../dist/.keep', import.meta.url),
  'Placeholder: web/dist holds the Vite build embedded in the binary (see docs/web.md).\n',
)
