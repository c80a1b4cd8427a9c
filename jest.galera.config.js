import base from './jest.config.js';

/** `npm run test:galera`: a three-node Galera cluster of its own, on loopback ports; one file, alone. */
export default {
  ...base,
  testMatch: ['<rootDir>/test/galera/**/*.galera.ts'],
  maxWorkers: 1,
  testTimeout: 600000,
};
