// Generates src/api/generated/openapi.ts from the server's OpenAPI document with
// openapi-typescript, so the dashboard's types follow the API. `--check` regenerates into a
// temporary file and fails when the committed file differs (run after changing
// internal/httpapi/openapi.json: `npm run gen:api`).
//
// openapi-typescript drives the TypeScript 5 compiler API, which the app's TypeScript does
// not have, so it lives in tools/openapi-types with its own lock file.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const tool = join(web, 'tools', 'openapi-types')
const spec = join(web, '..', 'internal', 'httpapi', 'openapi.json')
const target = join(web, 'src', 'api', 'generated', 'openapi.ts')
const check = process.argv.includes('--check')

const bin = join(tool, 'node_modules', '.bin', 'openapi-typescript')
if (!existsSync(bin)) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: tool, stdio: 'inherit' })
}

function generate(out) {
  execFileSync(bin, [spec, '--output', out, '--alphabetize'], { stdio: ['ignore', 'ignore', 'inherit'] })
}

if (!check) {
  generate(target)
} else {
  const dir = mkdtempSync(join(tmpdir(), 'agentobs-api-'))
  try {
    const fresh = join(dir, 'openapi.ts')
    generate(fresh)
    if (!existsSync(target) || readFileSync(fresh, 'utf8') !== readFileSync(target, 'utf8')) {
      console.error('src/api/generated/openapi.ts is stale: run `npm run gen:api` in web/ and commit the result')
      process.exit(1)
    }
    console.log('src/api/generated/openapi.ts matches internal/httpapi/openapi.json')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
