import { defineConfig } from 'vitest/config';

// Only for `npm run mutate` (StrykerJS): the tests that sit beside the mutated core modules, so each
// mutant runs a bounded set of tests. Not a CI project; `vitest.config.ts` stays the one CI uses.
// MUTATE_TESTS (comma-separated globs) narrows it further for a quick run on one module.
const narrowed = process.env.MUTATE_TESTS?.split(',').map((g) => g.trim()).filter((g) => g !== '');

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: narrowed?.length
      ? narrowed
      : [
          'src/core/*.test.ts',
          'src/pipeline/*.test.ts',
          'src/sources/json-logs/*.test.ts',
          'src/detection/*.test.ts',
          'src/detection/brute-force/*.test.ts',
          'src/detection/sigma/*.test.ts',
        ],
  },
});
