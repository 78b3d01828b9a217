/** Benchmark: events per second of the brute-force and isolation-forest detectors over 1M generated events (`npx tsx src/detection/bench.ts [events]`). */
import type { Detector, SecurityEvent } from '../core/index.js';
import { bruteForcePlugin } from './brute-force/plugin.js';
import { isolationForestPlugin } from './isolation-forest/plugin.js';
import { generateSampleAuthLog, type SampleAuthRecord } from './sample-data.js';

const target = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;

/** Light mapping (ids are counters, no raw copy): the bench measures detectors, not hashing or JSON. */
function toEvent(r: SampleAuthRecord, i: number): SecurityEvent {
  return {
    '@timestamp': r.time,
    event: {
      id: `e${i}`,
      kind: 'event',
      category: r.action === 'login' || r.action === 'logout' ? ['authentication'] : [],
      action: r.action,
      outcome: r.result,
      provider: 'bench',
      dataset: 'bench',
      ingested: r.time,
    },
    user: { email: r.user },
    source: { ip: r.src_ip },
    raw: null,
  };
}

function generate(): SecurityEvent[] {
  // The sample generator scaled up (~17 events per user-day) to a denser stream than the sample:
  // 1M events over two days is ~20k events an hour, still far below the rate the project targets.
  const days = 2;
  const users = Math.max(250, Math.ceil(target / (days * 16)));
  const records = generateSampleAuthLog({ seed: 7, users, days, officeUsers: Math.min(400, Math.floor(users / 10)) });
  return records.slice(0, target).map(toEvent);
}

function run(name: string, make: () => Detector[], events: SecurityEvent[]): void {
  const detectors = make();
  let findings = 0;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    for (const d of detectors) findings += d.observe(e).length;
    // Flushed as the pipeline does, with a watermark five minutes behind the newest event.
    if ((i + 1) % BATCH === 0) for (const d of detectors) findings += d.flush({ final: false, watermark: Date.parse(e['@timestamp']) - 5 * 60_000 }).length;
  }
  for (const d of detectors) findings += d.flush({ final: true, watermark: Number.POSITIVE_INFINITY }).length;
  const ms = performance.now() - t0;
  const rate = Math.round(events.length / (ms / 1000));
  console.log(`${name.padEnd(28)} ${rate.toLocaleString('en-US').padStart(12)} events/s  ${ms.toFixed(0).padStart(6)} ms  ${findings} findings`);
}

const tg = performance.now();
const events = generate();
const span = (Date.parse(events.at(-1)!['@timestamp']) - Date.parse(events[0]!['@timestamp'])) / 86_400_000;
console.log(`generated ${events.length.toLocaleString('en-US')} events over ${span.toFixed(1)} days in ${(performance.now() - tg).toFixed(0)} ms`);

const deps = {} as never;
const bf = () => bruteForcePlugin.create(bruteForcePlugin.configSchema.parse({}), deps);
const iforest = () => isolationForestPlugin.create(isolationForestPlugin.configSchema.parse({}), deps);
// Twice: the first pass includes JIT warm-up.
for (let round = 1; round <= 2; round++) {
  console.log(`round ${round}`);
  run('brute-force', () => [bf()], events);
  run('isolation-forest', () => [iforest()], events);
  run('both', () => [bf(), iforest()], events);
}
