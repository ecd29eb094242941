/**
 * Prints `N passed, N failed` alone on the last line of a jest run (unit and e2e), for CI logs and humans.
 * When tests sit in describe blocks titled `registry X.Y.Z ...` (the e2e harness's `describeVersions`), a line
 * per registry version comes first: `3.1.1: N passed, N failed`, then `other: ...` for tests outside them.
 * Jest prints its own summary after every reporter's onRunComplete, so the lines are written when
 * the process exits, synchronously (an async write to a pipe would be lost at exit).
 */
const fs = require('fs');

const VERSION_TITLE = /^registry (\d+\.\d+\.\d+)\b/;

/** `{ version: { passed, failed } }` from the describe titles of every test; untagged ones under 'other'. */
function perVersion(results) {
  const counts = new Map();
  for (const file of results.testResults) {
    for (const test of file.testResults) {
      if (test.status !== 'passed' && test.status !== 'failed') continue;
      const title = test.ancestorTitles.map((t) => VERSION_TITLE.exec(t)).find((m) => m);
      const key = title ? title[1] : 'other';
      const count = counts.get(key) ?? { passed: 0, failed: 0 };
      count[test.status] += 1;
      counts.set(key, count);
    }
  }
  return counts;
}

function byVersion(a, b) {
  if (a === 'other') return 1;
  if (b === 'other') return -1;
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    // A file that fails before any test runs (it does not compile) counts as a failure too.
    const brokenFiles = results.testResults.filter((r) => r.testExecError && r.numFailingTests === 0).length;
    const lines = [];
    const counts = perVersion(results);
    if ([...counts.keys()].some((k) => k !== 'other')) {
      for (const key of [...counts.keys()].sort(byVersion)) {
        const c = counts.get(key);
        lines.push(`${key}: ${c.passed} passed, ${c.failed} failed`);
      }
    }
    lines.push(`${results.numPassedTests} passed, ${results.numFailedTests + brokenFiles} failed`);
    process.once('exit', () => fs.writeSync(1, `\n${lines.join('\n')}\n`));
  }
}

module.exports = SummaryReporter;
