/** Benchmark: baseline update events/s and serialized bytes of state per user (`npx tsx src/detection/baseline/bench.ts [users] [days]`). */
import type { SecurityEvent } from '../../core/index.js';
import { Rng } from '../random.js';
import { baselineConfigSchema } from './config.js';
import { BaselineDetector } from './detector.js';
import { DAY, HOUR } from './testing.js';

const users = Number(process.argv[2] ?? 2000);
const days = Number(process.argv[3] ?? 14);
const ACTIONS = ['login', 'view_file', 'download_file', 'edit_file', 'share_file', 'delete_file'];
const T0 = Date.parse('2026-10-05T00:00:00.000Z');

/** Light events (counter ids, no raw copy, no hashing): the bench measures the detector alone. */
function generate(): SecurityEvent[] {
  const rng = new Rng(11);
  const out: SecurityEvent[] = [];
  for (let h = 0; h < days * 24; h++) {
    const hourOfDay = h % 24;
    const mean = hourOfDay >= 8 && hourOfDay < 18 ? 1.2 : 0.05;
    for (let u = 0; u < users; u++) {
      const n = rng.poisson(mean);
      for (let i = 0; i < n; i++) {
        const t = new Date(T0 + h * HOUR + rng.int(HOUR)).toISOString();
        out.push({
          '@timestamp': t,
          event: { id: `e${out.length}`, kind: 'event', category: [], action: ACTIONS[rng.int(ACTIONS.length)]!, outcome: 'success', provider: 'bench', dataset: 'bench', ingested: t },
          user: { email: `user${u}@example.com` },
          raw: null,
        });
      }
    }
  }
  return out;
}

const events = generate();
const d = new BaselineDetector(baselineConfigSchema.parse({}));
const started = performance.now();
let findings = 0;
for (let i = 0; i < events.length; i++) {
  findings += d.observe(events[i]!).length;
  if (i % 1000 === 999) findings += d.flush({ final: false }).length;
}
findings += d.flush({ final: true }).length;
const seconds = (performance.now() - started) / 1000;

let total = 0;
let max = 0;
for (let u = 0; u < users; u++) {
  const bytes = Buffer.byteLength(JSON.stringify(d.encoded(`user${u}@example.com`)));
  total += bytes;
  max = Math.max(max, bytes);
}
console.log(`baseline: ${events.length.toLocaleString('en')} events, ${users} users x ${days} d, ${ACTIONS.length} actions, 3 horizons`);
console.log(`  update: ${Math.round(events.length / seconds).toLocaleString('en')} events/s (${findings} findings)`);
console.log(`  state:  ${Math.round(total / users)} bytes/user mean, ${max} bytes max (limit 2048)`);
console.log(`  span:   ${((Date.parse(events.at(-1)!['@timestamp']) - T0) / DAY).toFixed(1)} d of event time`);
