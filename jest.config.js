// Nest 12 ships ES modules only, so jest runs in its native ESM mode
// (node --experimental-vm-modules) and ts-jest transpiles TypeScript to ESM, file by file
// (type-checking is `npm run typecheck`'s job).
const tsJest = [
  'ts-jest',
  {
    useESM: true,
    tsconfig: {
      module: 'esnext',
      moduleResolution: 'bundler',
      target: 'es2022',
      isolatedModules: true,
      allowJs: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      esModuleInterop: true,
      sourceMap: true,
    },
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': tsJest,
    // ESM-only packages that CommonJS dependencies require(): jest on Node 20 cannot
    // require(esm), so these are compiled to CommonJS when required.
    '^.+\\.js$': tsJest,
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(content-disposition|cookie|set-cookie-parser|toad-cache|long|file-type|strtok3|token-types|@tokenizer|@borewit|uint8array-extras)/)',
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/helpers/count-reporter.cjs'],
};
