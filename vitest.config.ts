import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

// The packed-tarball test compiles better-sqlite3 for minutes: it runs after the rest, alone, so it neither
// competes for CPU with timing-sensitive tests nor has them slow its install.
const PACKAGE_TEST = 'test/package.e2e.test.ts';

export default defineConfig({
  test: {
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
