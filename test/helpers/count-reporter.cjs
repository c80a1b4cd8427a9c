// Appends "<passed> <failed>" for the run to $TEST_COUNT_FILE, so .ci/run can total the
// SQLite and MariaDB runs in one closing line.
const { appendFileSync } = require('node:fs');

class CountReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.TEST_COUNT_FILE;
    if (!file) return;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    appendFileSync(file, `${results.numPassedTests} ${failed}\n`);
  }
}

module.exports = CountReporter;
