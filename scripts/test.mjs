// Runs the type check and the whole vitest suite, then prints one closing "N passed, N failed" line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const args = process.argv.slice(2);
const results = 'test-results.json';
rmSync(results, { force: true });

// PostgreSQL for the storage contract tests: started (and installed, as root) by .ci/start-postgres.sh
// unless a server is already given. In CI a missing server fails the PostgreSQL suite, never skips it.
if (!process.env.SAASWATCH_TEST_PG_URL) {
  const pg = spawnSync('bash', ['.ci/start-postgres.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = (pg.stdout ?? '').split('\n').find((l) => l.startsWith('SAASWATCH_TEST_PG_URL='));
  if (pg.status === 0 && line) process.env.SAASWATCH_TEST_PG_URL = line.slice('SAASWATCH_TEST_PG_URL='.length).trim();
  else console.error('PostgreSQL could not be started; its contract tests will ' + (process.env.CI === 'true' ? 'fail' : 'be skipped'));
}

// Debian's dovecot for the imap source's tests, which start their own server (a generated config in a
// temporary folder): installed, as root, when missing. The package's system service is kept from
// starting during the install (policy-rc.d) and is never used. In CI a missing dovecot fails those
// tests, never skips them.
if (!existsSync(process.env.SAASWATCH_DOVECOT ?? '/usr/sbin/dovecot') && process.getuid?.() === 0) {
  const install = spawnSync(
    'bash',
    [
      '-c',
      [
        'P=/usr/sbin/policy-rc.d; mine=0',
        'if [ ! -e "$P" ]; then printf "#!/bin/sh\\nexit 101\\n" > "$P" && chmod +x "$P" && mine=1; fi',
        'export DEBIAN_FRONTEND=noninteractive',
        '{ apt-get update -qq && apt-get install -y -qq dovecot-imapd; } >&2; rc=$?',
        'if [ "$mine" = 1 ]; then rm -f "$P"; fi',
        'exit $rc',
      ].join('\n'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (install.status !== 0) console.error('dovecot-imapd could not be installed; the imap tests will ' + (process.env.CI === 'true' ? 'fail' : 'be skipped'));
}

/** Exit code of a command run with inherited output (1 when it cannot start). */
const run = (cmd, argv) =>
  new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });

// Three independent jobs, side by side (about a minute less on two cores than one after another):
// the type check of the sources and tests; the dashboard's browser code, its own project (DOM types,
// JSX); and the package built once, before the tests (`npm run build`: dist/ and the dashboard).
// Servers the tests start serve the dashboard as it is rather than each building it; the end-to-end
// tests run the CLI from dist/ (SAASWATCH_TEST_DIST), which starts in half the CPU time of the sources
// through tsx.
const [tscStatus, tscWebStatus, buildStatus] = await Promise.all([
  run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']),
  run('npx', ['tsc', '-p', 'web/tsconfig.json']),
  run('npm', ['run', '-s', 'build']),
]);
if (buildStatus !== 0) console.error('the build failed');
const typecheckFailed = tscStatus !== 0 || tscWebStatus !== 0 || buildStatus !== 0;
if (typecheckFailed) console.error('type check failed');

const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...args],
  { stdio: 'inherit', env: { ...process.env, ...(buildStatus === 0 ? { SAASWATCH_TEST_DIST: '1' } : {}) } },
);

let passed = 0;
let failed = typecheckFailed ? 1 : 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A test file that fails to load runs no test; count it, or a syntax error would read as green.
  failed += (report.testResults ?? []).filter((f) => f.status === 'failed' && !f.assertionResults?.some((a) => a.status === 'failed')).length;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} catch {
  failed += 1; // no report at all: vitest itself crashed
}
if (vitest.status !== 0 && failed === 0) failed = 1;
if (passed === 0 && failed === 0) failed = 1; // a run with no tests proves nothing

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
