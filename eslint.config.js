import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The core is pure and deterministic: every decision comes from the choice
// stream, so nothing in it may read a clock, Math.random, the environment or
// the file system. These rules make that a lint failure, not a review note.
const impure = [
  { name: 'Date', message: 'packages/core is deterministic: no clock.' },
  { name: 'performance', message: 'packages/core is deterministic: no clock.' },
  { name: 'process', message: 'packages/core is pure: no environment or process state.' },
  { name: 'setTimeout', message: 'packages/core is pure: no timers.' },
  { name: 'setInterval', message: 'packages/core is pure: no timers.' },
  { name: 'setImmediate', message: 'packages/core is pure: no timers.' },
  { name: 'queueMicrotask', message: 'packages/core is pure: no timers.' },
  { name: 'require', message: 'packages/core has no runtime dependencies.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', 'results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Plain scripts (the bundler, test fixtures) run on Node.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    // The dashboard's page: plain ES modules run by the browser, no bundler.
    files: ['packages/dashboard/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'localStorage', 'sessionStorage', 'navigator', 'fetch', 'EventSource', 'URLSearchParams', 'FormData', 'Node', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'console'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...impure],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'packages/core draws every decision from the choice stream.' }],
      'no-restricted-syntax': ['error',
        { selector: 'FunctionDeclaration[async=true], FunctionExpression[async=true], ArrowFunctionExpression[async=true]', message: 'packages/core is synchronous: tasks are generators, not async functions.' },
        { selector: 'ImportDeclaration[source.value=/^(node:|fs|path|os|child_process|worker_threads|crypto)/]', message: 'packages/core does no I/O and imports no Node module.' },
      ],
    },
  },
  {
    // A strategy is written against the strategy API alone, so each
    // built-in one is an example a strategy file can copy (issue 15).
    files: ['packages/core/src/strategies/*.ts'],
    ignores: ['packages/core/src/strategies/index.ts', 'packages/core/src/strategies/strategy.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./(?!strategy-api\\.js$)', message: 'A strategy imports the kernel only from ../strategy-api.js.' }] }],
    },
  },
);
