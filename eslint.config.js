// Flat config: typescript-eslint's recommended rules (syntax-only, so lint stays fast on two cores);
// type errors are tsc's job (`npm run typecheck`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { fileURLToPath } from 'node:url';
import { boundariesPlugin } from './scripts/eslint-boundaries.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.berth-image/', 'web/dist/', 'test-results/', 'coverage/', 'sdk/python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Folder boundaries (docs/architecture.md): features only through index.ts, no test code in
    // src, web only through src/<feature>/browser.ts. Rules and exceptions: scripts/eslint-boundaries.js.
    files: ['src/**/*.{ts,tsx}', 'web/src/**/*.{ts,tsx}'],
    plugins: { berth: boundariesPlugin(root) },
    rules: { 'berth/boundaries': 'error' },
  },
);
