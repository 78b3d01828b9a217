// Runs StrykerJS (stryker.config.mjs) and prints the mutation score per core module from its JSON report.
//   npm run mutate                                   all core modules
//   npm run mutate -- --mutate src/pipeline/retry.ts narrowed (any other Stryker option passes through)
//   node scripts/mutation-report.mjs --report-only [--survivors]   print the last report again
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPORT = `${process.env.MUTATE_REPORT_DIR ?? 'reports/mutation'}/mutation.json`;

/** Core modules as the issue names them: module -> files (prefix match on the repository path). */
const MODULES = [
  ['pipeline', ['src/pipeline/pipeline.ts']],
  ['outbox', ['src/pipeline/outbox.ts']],
  ['retry', ['src/pipeline/retry.ts']],
  ['event hashing', ['src/core/hash.ts']],
  ['dedup keys', ['src/core/alert.ts', 'src/pipeline/alerts.ts']],
  ['json-logs reader', ['src/sources/json-logs/reader.ts']],
  ['brute-force', ['src/detection/brute-force/']],
  ['sigma match', ['src/detection/sigma/match.ts']],
  ['sigma condition', ['src/detection/sigma/condition.ts']],
  ['sigma correlation', ['src/detection/sigma/correlation.ts']],
];

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Per-module tallies; the score is Stryker's: detected / (detected + undetected), errors and ignored left out. */
export function tally(report) {
  const rows = new Map();
  const survivors = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const rel = file.replaceAll('\\', '/');
    const module = MODULES.find(([, prefixes]) => prefixes.some((p) => rel.endsWith(p) || rel.includes(p)))?.[0] ?? rel;
    const row = rows.get(module) ?? { module, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
    for (const m of mutants) {
      if (m.status === 'Killed') row.killed++;
      else if (m.status === 'Timeout') row.timeout++;
      else if (m.status === 'Survived') row.survived++;
      else if (m.status === 'NoCoverage') row.noCoverage++;
      else if (m.status === 'Ignored') row.ignored++;
      else row.errors++;
      if (UNDETECTED.has(m.status)) {
        survivors.push(`${rel}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${m.replacement ?? ''}`);
      }
    }
    rows.set(module, row);
  }
  const order = MODULES.map(([m]) => m);
  const sorted = [...rows.values()].sort((a, b) => indexOr(order, a.module) - indexOr(order, b.module));
  for (const r of sorted) {
    const detected = r.killed + r.timeout;
    const valid = detected + r.survived + r.noCoverage;
    r.score = valid === 0 ? NaN : (100 * detected) / valid;
  }
  return { rows: sorted, survivors };
}

function indexOr(list, x) {
  const i = list.indexOf(x);
  return i === -1 ? list.length : i;
}

export function formatTable(rows) {
  const head = ['module', 'score %', 'killed', 'timeout', 'survived', 'no cov', 'ignored', 'errors'];
  const body = rows.map((r) => [
    r.module,
    Number.isNaN(r.score) ? 'n/a' : r.score.toFixed(1),
    r.killed, r.timeout, r.survived, r.noCoverage, r.ignored, r.errors,
  ].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function main(argv) {
  const reportOnly = argv.includes('--report-only');
  const showSurvivors = argv.includes('--survivors');
  const strykerArgs = argv.filter((a) => a !== '--report-only' && a !== '--survivors');
  let status = 0;
  if (!reportOnly) {
    const bin = fileURLToPath(new URL('../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url));
    const run = spawnSync(process.execPath, [bin, 'run', ...strykerArgs], { stdio: 'inherit' });
    status = run.status ?? 1;
  }
  if (!existsSync(REPORT)) {
    console.error(`No mutation report at ${REPORT}: run \`npm run mutate\` first.`);
    process.exit(status || 1);
  }
  const { rows, survivors } = tally(JSON.parse(readFileSync(REPORT, 'utf8')));
  console.log(`\nMutation score per core module (${REPORT}):\n`);
  console.log(formatTable(rows));
  if (showSurvivors && survivors.length > 0) console.log(`\nSurvivors:\n${survivors.join('\n')}`);
  process.exit(status);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
