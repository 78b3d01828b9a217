import { configDefaults, defineConfig } from 'vitest/config';

// The packed-tarball test compiles better-sqlite3 for minutes: it runs after the rest, alone, so it neither
// competes for CPU with timing-sensitive tests nor has them slow its install.
const PACKAGE_TEST = 'test/package.e2e.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit+e2e', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [...configDefaults.exclude, PACKAGE_TEST], sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'package', include: [PACKAGE_TEST], sequence: { groupOrder: 1 } } },
    ],
  },
});
