import base from './playwright.config'
import { defineConfig } from '@playwright/test'

// Page-speed measurement (not part of `make test`): `npm run perf` seeds 1M traces unless
// E2E_BASE_URL points at a running server, then writes artifacts/perf.json.
export default defineConfig({
  ...base,
  testDir: './perf',
  timeout: 600_000,
  globalSetup: './global-setup.ts',
})
