// Mutation testing of the core modules (`npm run mutate`; too slow for CI on two cores).
// Narrow a run: `npm run mutate -- --mutate src/pipeline/retry.ts` (several files: comma-separated),
// and MUTATE_TESTS=src/pipeline/retry.test.ts to run only the tests beside it.
// MUTATE_REPORT_DIR keeps the reports of parallel narrowed runs apart.
const reportDir = process.env.MUTATE_REPORT_DIR ?? 'reports/mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  coverageAnalysis: 'perTest',
  // The machine running this is usually shared; two test processes at most.
  concurrency: 2,
  mutate: [
    'src/pipeline/pipeline.ts',
    'src/pipeline/outbox.ts',
    'src/pipeline/retry.ts',
    'src/pipeline/alerts.ts',
    'src/core/hash.ts',
    'src/core/alert.ts',
    'src/sources/json-logs/reader.ts',
    'src/detection/brute-force/*.ts',
    '!src/detection/brute-force/*.test.ts',
    'src/detection/sigma/match.ts',
    'src/detection/sigma/condition.ts',
    'src/detection/sigma/correlation.ts',
  ],
  // Mutants in module-level constants run every test; they rarely say anything a test could check.
  ignoreStatic: true,
  timeoutMS: 30_000,
  reporters: ['progress', 'json', 'html'],
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  // Sandboxes of parallel runs and old reports are not part of the project to copy.
  ignorePatterns: ['/.stryker-tmp', '/reports', '/dist', '/coverage'],
  tempDirName: process.env.MUTATE_REPORT_DIR ? `.stryker-tmp/${reportDir.replaceAll('/', '-')}` : '.stryker-tmp',
  cleanTempDir: 'always',
};
