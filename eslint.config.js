import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The raw drivers: reached only by repositories and the database infrastructure. */
const RAW_DRIVERS = ['better-sqlite3', 'mysql2', 'mysql2/promise'].map((name) => ({
  name,
  message: 'The raw driver belongs to the database infrastructure; read and write through a repository.',
}));

/** fast-query runs statements around TypeORM: likewise. */
const FAST_QUERY = [
  {
    group: ['**/database/fast-query', '**/database/fast-query.js'],
    message: "fast-query is for repositories only; add the statement to the feature's repository.",
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'bench-baseline/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Rules that catch real bugs, not style.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // The raw drivers and the fast-query module (statements run around TypeORM) are reached
    // only by repositories and the database infrastructure, so every hand-written statement
    // sits where a reviewer looks for one.
    files: ['src/**/*.ts'],
    ignores: ['src/database/**', 'src/**/*.repository.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: RAW_DRIVERS,
          patterns: FAST_QUERY,
        },
      ],
    },
  },
  {
    // Groups, plans, the own account, sessions (signing in, tokens) and tenants go further: every
    // statement over their tables is a method of their repository, so these files hold no
    // DataSource and send nothing through a transaction's manager themselves (they pass it
    // to the repository). Each feature joins the list once its statements have moved.
    files: [
      'src/groups/**/*.ts',
      'src/plans/**/*.ts',
      'src/account/**/*.ts',
      'src/sessions/**/*.ts',
      'src/tenants/**/*.ts',
    ],
    ignores: ['src/**/*.repository.ts', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...RAW_DRIVERS,
            { name: 'typeorm', importNames: ['DataSource', 'Repository'], message: "Statements belong to the feature's repository." },
          ],
          patterns: FAST_QUERY,
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='manager'], CallExpression[callee.property.name=/^(query|createQueryBuilder|getRepository)$/]",
          message: "Statements belong to the feature's repository; pass the manager to a repository method.",
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
