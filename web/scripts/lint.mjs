// Runs ESLint on src/ and scripts/ with zero findings allowed. ESLint and typescript-eslint
// live in tools/eslint (their own lock file) because typescript-eslint drives the TypeScript 5
// compiler API, which the app's TypeScript 7 does not have; the first run installs them.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const tool = join(web, 'tools', 'eslint')
const eslint = join(tool, 'node_modules', 'eslint', 'bin', 'eslint.js')
if (!existsSync(eslint)) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: tool, stdio: 'inherit' })
}
try {
  execFileSync(process.execPath, [eslint, '-c', join(tool, 'eslint.config.js'), '--max-warnings', '0', 'src', 'scripts'],
    { cwd: web, stdio: 'inherit' })
} catch {
  process.exit(1)
}
console.log('eslint: no findings')
