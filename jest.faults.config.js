import base from './jest.config.js';

/** Fault tests stop the shared MariaDB server: they run alone, one file at a time. */
export default {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.fault.ts'],
  maxWorkers: 1,
  testTimeout: 180000,
};
