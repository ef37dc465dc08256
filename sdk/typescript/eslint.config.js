// ESLint for the SDK: the recommended JavaScript and typescript-eslint rules, zero findings
// (make lint, run by make test).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The CommonJS consumer test exists to require() the package.
  { files: ['tests/cjs-consumer.cts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly',
        TextEncoder: 'readonly', Buffer: 'readonly', performance: 'readonly', queueMicrotask: 'readonly',
        Response: 'readonly', Request: 'readonly', Headers: 'readonly', AbortSignal: 'readonly', crypto: 'readonly',
        structuredClone: 'readonly', globalThis: 'readonly', setImmediate: 'readonly',
      },
    },
  },
)
