// The console's journeys in a real browser (Debian's chromium driven by playwright-core),
// against the service started in-process. Run by `npm run test:console` after the build;
// `npm test` leaves them out, so it needs no browser.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/console/**/*.browser.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
