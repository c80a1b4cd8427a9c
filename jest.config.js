// Nest 12 ships ES modules only, so jest runs in its native ESM mode
// (node --experimental-vm-modules) and swc compiles TypeScript to ESM.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    // ESM-only packages that CommonJS dependencies require(): jest on Node 20 cannot
    // require(esm), so these are compiled to CommonJS when required.
    '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(content-disposition|cookie|set-cookie-parser|toad-cache|long|file-type|strtok3|token-types|@tokenizer|@borewit|uint8array-extras)/)',
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/helpers/count-reporter.cjs'],
};
