/** Where an analysis's CPU time goes (not a bench): each recognizer's own time, the shared scan, and the analyzer's context and overlap work, over the bench corpus (PII_PROF_MB, default 8; PII_PROF_CSV=<rows> for the dense CSV). */
import { createAnalyzer } from '../src/pii/analyzer.js';
import { BUILTIN_RECOGNIZERS } from '../src/pii/recognizers/index.js';
import { scanNumericRuns } from '../src/pii/scan.js';
import type { Recognizer } from '../src/pii/types.js';
import { corpus, customerCsv } from './pii-data.js';

const names = new Set(['PERSON', 'LOCATION']);
const spent = new Map<string, number>();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const timed: Recognizer[] = BUILTIN_RECOGNIZERS.filter((r) => !r.entities.some((e) => names.has(e))).map((r) => ({
  ...r,
  recognize(text, ctx) {
    const t = cpu();
    const out = r.recognize(text, ctx);
    spent.set(r.id, (spent.get(r.id) ?? 0) + cpu() - t);
    return out;
  },
}));
const analyzer = createAnalyzer({}, { recognizers: timed });
const text = process.env.PII_PROF_CSV ? customerCsv(Number(process.env.PII_PROF_CSV), 18) : corpus(Number(process.env.PII_PROF_MB ?? 8) * 1_000_000, 18);
const RUNS = Number(process.env.PII_PROF_RUNS ?? 5);
analyzer.analyze(text, { minScore: 0.5 });
spent.clear();
const totals: number[] = [];
const rests: number[] = [];
const scans: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const before = [...spent.values()].reduce((a, b) => a + b, 0);
  let t = cpu();
  analyzer.analyze(text, { minScore: 0.5 });
  const total = cpu() - t;
  totals.push(total);
  rests.push(total - ([...spent.values()].reduce((a, b) => a + b, 0) - before));
  t = cpu();
  scanNumericRuns(text);
  scans.push(cpu() - t);
}
const mb = text.length / 1e6;
const min = (a: number[]) => Math.min(...a);
const med = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const per = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
console.log(`total best ${per(min(totals))} = ${(mb / (min(totals) / 1000)).toFixed(1)} MB/s CPU, median ${per(med(totals))} = ${(mb / (med(totals) / 1000)).toFixed(1)} MB/s, over ${mb.toFixed(1)} MB, ${RUNS} runs`);
console.log(`  numeric scan (alone)   best ${per(min(scans))}`);
for (const [id, ms] of [...spent].sort((a, b) => b[1] - a[1])) console.log(`  ${id.padEnd(22)} mean ${per(ms / RUNS)}`);
console.log(`  analyzer rest (scan, context, overlaps) best ${per(min(rests))}, median ${per(med(rests))}`);
