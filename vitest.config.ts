import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The packed-tarball test compiles better-sqlite3 for minutes: it runs after the rest, alone, so it neither
// competes for CPU with timing-sensitive tests nor has them slow its install.
const PACKAGE_TEST = 'test/package.e2e.test.ts';

/**
 * The longest files, measured on CI (seconds of a 2-core run), in the order they start. Vitest's default
 * order on a clean clone (no timing cache) is by file size, which started the 270 s demo file near the end:
 * one worker ran it alone for minutes while the other had finished. Longest first balances the two.
 */
const SLOW_FIRST = [
  'test/demo.e2e.test.ts', // 270
  'test/hostile/poison.e2e.test.ts', // 190
  'test/hostile/secrets.e2e.test.ts', // 115
  'test/alerts-triage.e2e.test.ts', // 110
  'test/cli.e2e.test.ts', // 110
  'test/hostile/outbox.e2e.test.ts', // 105
  'test/hostile/outbox-crash.e2e.test.ts', // 95
  'test/contracts/detector.contract.test.ts', // 90
  'src/demo/evaluate.test.ts', // 70
  'test/hostile/ops.e2e.test.ts', // 60
  'test/response.e2e.test.ts', // 55
  'src/api/relay/relay.test.ts', // 45
  'test/dashboard.e2e.test.ts', // 35
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    // Stable: files not in the list keep the default order after the listed ones.
    return sorted.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default (CPUs - 1) is one worker on CI's 2 cores, which leaves a core idle while a test waits on
    // the CLI, a server or a browser it started. Test files share nothing (ephemeral ports, a temp folder and
    // a PostgreSQL schema of their own), so two run at once.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: { name: 'unit+e2e', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [...configDefaults.exclude, PACKAGE_TEST], sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'package', include: [PACKAGE_TEST], sequence: { groupOrder: 1 } } },
    ],
  },
});
