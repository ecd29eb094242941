/**
 * Prints `N passed, N failed` alone on the last line of a jest run (unit and e2e), for CI logs and humans.
 * Jest prints its own summary after every reporter's onRunComplete, so the line is written when
 * the process exits, synchronously (an async write to a pipe would be lost at exit).
 */
const fs = require('fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    // A file that fails before any test runs (it does not compile) counts as a failure too.
    const brokenFiles = results.testResults.filter((r) => r.testExecError && r.numFailingTests === 0).length;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests + brokenFiles} failed`;
    process.once('exit', () => fs.writeSync(1, `\n${line}\n`));
  }
}

module.exports = SummaryReporter;
