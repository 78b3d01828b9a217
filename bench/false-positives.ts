/**
 * `npm run bench:detection`: false positives on a 30-day normal organisation (alerts per 1,000
 * users per day; target ≤ 1) and recall on the same organisation with every attack injected.
 */
import { validateConfig } from '../src/config/load.js';
import type { SecurityEvent, Source, SourceBatch } from '../src/core/index.js';
import { demoDetection, scenarioEnrichOverrides } from '../src/demo/demo.js';
import { createEnrichers } from '../src/enrich/index.js';
import { generateScenario, type Scenario } from '../src/fakes/scenario/index.js';
import { silentLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { registry } from '../src/registry.js';
import { normalizeTeamEvent } from '../src/sources/dropbox/normalize.js';
import { normalizeActivity } from '../src/sources/google-workspace/normalize.js';
import { openStore } from '../src/storage/index.js';

const USERS = Number(process.env.FP_USERS ?? 500);
const DAYS = Number(process.env.FP_DAYS ?? 30);

/** The scenario's vendor records, normalized by the real normalizers, in time order. */
function events(scenario: Scenario): SecurityEvent[] {
  const ingested = new Date().toISOString();
  const out: SecurityEvent[] = [];
  for (const a of scenario.google.activities) {
    out.push(...normalizeActivity(a, { source: 'google', application: a.id.applicationName, ingested }).events);
  }
  for (const e of scenario.dropbox.events) {
    const r = normalizeTeamEvent(e, ingested);
    if (r.ok) out.push(r.event);
  }
  return out.sort((x, y) => (x['@timestamp'] < y['@timestamp'] ? -1 : x['@timestamp'] > y['@timestamp'] ? 1 : 0));
}

function memorySource(all: SecurityEvent[]): Source {
  return {
    name: 'scenario',
    type: 'scenario',
    async *batches(): AsyncIterable<SourceBatch> {
      for (let i = 0; i < all.length; i += 5000) yield { events: all.slice(i, i + 5000), deadLetters: [] };
    },
  };
}

async function run(label: string, scenario: Scenario) {
  const config = validateConfig({ detection: demoDetection('7d') }, registry);
  const deps = { logger: silentLogger, dataDir: '.', state: undefined };
  const store = await openStore({ dialect: 'sqlite', path: ':memory:' });
  const detectors = config.detection.map((d) => registry.detectors.get(d.type)!.create(d.config, { ...deps, state: store }));
  const enrichers = await createEnrichers({ overrides: scenarioEnrichOverrides(scenario) });
  const pipeline = new Pipeline({ store, detectors, sinkNames: [], logger: silentLogger, enrichers });
  const all = events(scenario);
  const t0 = performance.now();
  const stats = await pipeline.ingest(memorySource(all));
  const alerts = await store.listAlerts();
  await store.close();
  console.log(`${label}: ${scenario.org.users.length} users, ${DAYS} days, ${all.length.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s (${stats.inserted} stored)`);
  return alerts;
}

const normal = generateScenario({ users: USERS, days: DAYS, attacks: [], seed: 101 });
const fp = await run('normal organisation', normal);
const byRule = new Map<string, number>();
for (const a of fp) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
console.log(`  false positives: ${fp.length} alerts = ${((fp.length / (USERS / 1000)) / DAYS).toFixed(2)} per 1,000 users per day (target ≤ 1)`);
for (const [rule, n] of [...byRule].sort((x, y) => y[1] - x[1])) console.log(`    ${String(n).padStart(4)}  ${rule}`);
for (const a of fp.slice(0, Number(process.env.FP_SHOW ?? 0))) console.log(`    ${a.rule}: ${a.description}`);

const attacked = generateScenario({ users: USERS, days: DAYS, seed: 101 });
const found = await run('same organisation with every attack', attacked);
for (const t of attacked.truth) {
  const hits = found.filter((a) => a.entity.value === t.actor || a.entity.value === t.ip).map((a) => a.rule);
  console.log(`  ${hits.length ? 'detected' : 'MISSED  '}  ${t.kind.padEnd(20)} ${t.actor}${hits.length ? `  by ${[...new Set(hits)].join(', ')}` : ''}`);
}
