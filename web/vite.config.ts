/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'
import { defineConfig } from 'vite'

// `npm run dev` serves the app with hot reload and forwards API calls to a running
// agentobs (AGENTOBS_URL, default http://127.0.0.1:8000), so cookies stay same-origin.
const api = process.env.AGENTOBS_URL ?? 'http://127.0.0.1:8000'
const proxied = ['/api', '/v1', '/health', '/ready', '/metrics']

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The Go server caches everything under /assets/ for a year: names must carry a hash.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: 'happy-dom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    testTimeout: 20_000,
    include: ['src/**/*.test.{ts,tsx}'],
    // `npm test` measures coverage and fails below today's line coverage: it may only rise
    // (raise the floor when it does).
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      exclude: ['src/**/*.test.*', 'src/test/**', 'src/api/generated/**'],
      reporter: ['text-summary'],
      thresholds: { lines: 80 },
    },
  },
})
