// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'bench/*/*.js', 'examples/*/*.js'] },
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      '@typescript-eslint/prefer-nullish-coalescing': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(net|tls|http|https|fs|path|os|events|stream|crypto|zlib|dns|util|url|child_process|cluster|timers|diagnostics_channel|buffer|assert)(/.*)?$',
              message: 'Use the node: prefix.',
            },
          ],
        },
      ],
    },
  },
  {
    // The codec is sans-io: it never touches sockets or other components.
    files: ['src/codec/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^node:(net|tls|http|https|dns)$' }, { regex: '^\\.\\./(?!errors/|util/)' }] },
      ],
    },
  },
  {
    // The tunnel is sans-socket: the session and the upstream connection feed it their events.
    files: ['src/tunnel/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^node:(net|tls|http|https|dns)$' }, { regex: '^\\.\\./(?!errors/|util/)' }] },
      ],
    },
  },
  {
    // Strategies see only their types, errors and util.
    files: ['src/strategies/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '^node:(net|tls|http|https)$' }, { regex: '^\\.\\./\\.\\./(?!errors/|util/)' }],
        },
      ],
    },
  },
  {
    // A transaction never talks to the connector directly: it asks the router. Nor does a TCP session.
    files: ['src/transaction/**/*.ts', 'src/session/**/*.ts', 'src/tcp/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./connector/' }, { regex: '^\\.\\./cli/' }] },
      ],
    },
  },
  {
    // TLS termination hands sockets on; it never reaches into the components that use them. It owns the
    // listener TLS settings it serves: config/ builds them from here, never the reverse.
    files: ['src/tls/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./(session|transaction|router|connector|listener|server|cli|config)/' },
            { regex: '^(net|tls|crypto|fs|path)$', message: 'Use the node: prefix.' },
          ],
        },
      ],
    },
  },
  {
    // Plugins are set up from what the host is given; config/ loads and checks them, never the reverse.
    files: ['src/plugins/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+config/' }] }],
    },
  },
  {
    // Metrics read the server's observation at a scrape; serving them is the admin API's business.
    files: ['src/metrics/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:(net|tls|http|https|dns)$' },
            { regex: '^\\.\\./(?!server/|errors/|util/)' },
          ],
        },
      ],
    },
  },
  {
    // The process model drives servers, configs and their metrics; the admin API and the CLI drive it,
    // never the reverse.
    files: ['src/workers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./(?!config/|server/|metrics/|errors/|log/|util/)' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The dashboard's page script runs in the browser, beside uPlot's.
    files: ['dashboard/**/*.js'],
    languageOptions: { globals: { ...globals.browser, uPlot: 'readonly' } },
  },
  prettier,
);
