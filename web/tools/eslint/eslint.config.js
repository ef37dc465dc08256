// ESLint for web/src: the recommended JavaScript and typescript-eslint rules and the whole
// recommended set of eslint-plugin-react-hooks (the rules of hooks, effect dependencies and
// the React Compiler's rules: purity, refs, immutability, set-state-in-effect, ...), zero
// findings. Run from web/ with `npm run lint`.
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/api/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    rules: {
      // --max-warnings 0 fails the run on warnings anyway; errors say so in editors too.
      'react-hooks/exhaustive-deps': 'error',
      'react-hooks/incompatible-library': 'error',
      'react-hooks/unsupported-syntax': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Build scripts run on Node.
  { files: ['scripts/**'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
)
