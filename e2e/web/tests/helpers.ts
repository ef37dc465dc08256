import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'

const here = dirname(fileURLToPath(import.meta.url))
export const artifacts = join(here, '..', 'artifacts')
export const screenshots = join(artifacts, 'screenshots')
mkdirSync(screenshots, { recursive: true })

/** shot saves a full-page screenshot as a test artifact (artifacts/screenshots/NAME.png). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true, animations: 'disabled' })
}

/** expectAccessible fails on any serious or critical axe violation of the current page. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const report = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 5).map((n) => `  ${n.target.join(' ')} ${n.failureSummary ?? ''}`).join('\n')}`).join('\n')
  expect(bad, `${name}: accessibility violations\n${report}`).toEqual([])
}

/** apiJSON waits for the page's own call to an API route and returns what it received. */
export async function apiJSON<T>(page: Page, route: string | RegExp, action: () => Promise<unknown>): Promise<{ url: URL; body: T }> {
  const matcher = (u: string) => (typeof route === 'string' ? new URL(u).pathname === route : route.test(u))
  const [res] = await Promise.all([page.waitForResponse((r) => matcher(r.url()) && r.request().method() === 'GET'), action()])
  expect(res.status(), `${res.url()} answered ${res.status()}`).toBe(200)
  return { url: new URL(res.url()), body: (await res.json()) as T }
}

/** The app's number formats, restated so a test checks what a person reads. */
export function compact(n: number): string {
  const abs = Math.abs(n)
  const trim = (s: string) => (s.includes('.') ? s.replace(/\.?0+$/, '') : s)
  for (const [size, suffix] of [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (abs >= size * 0.9995 || (size === 1e3 && abs >= 999.5)) {
      const v = abs / size
      return (n < 0 ? '-' : '') + trim(v.toFixed(v >= 100 ? 0 : 1)) + suffix
    }
  }
  return String(n)
}

/**
 * fillSetupKey fills the sign-up form's setup key when the server asks for one (the first
 * account): global setup starts the server with a chosen key, E2E_SETUP_KEY.
 */
export async function fillSetupKey(page: Page): Promise<void> {
  // The form asks the server whether the key is needed and marks when the answer is in. Waiting
  // for the answer's response instead races it: it may arrive before the wait begins.
  const form = page.getByTestId('register-form')
  await expect(form).toHaveAttribute('data-setup', /^(required|not-required)$/)
  if ((await form.getAttribute('data-setup')) === 'required') {
    await page.getByTestId('register-setup-key').fill(process.env.E2E_SETUP_KEY ?? '')
  }
}
