/**
 * `npm run bench:detection`: false positives on a 30-day normal organisation with the whole rule pack
 * and every detector enabled (alerts per 1,000 users per day; target ≤ 1), and recall on the same
 * organisation with every attack injected, per attack and per category of the threat catalogue.
 */
import { demoDetection } from '../src/demo/demo.js';
import { alertsFor, detectOnScenario, unexplained } from '../src/demo/evaluate.js';
import { ATTACK_CATEGORY, generateScenario, type Scenario } from '../src/fakes/scenario/index.js';

const USERS = Number(process.env.FP_USERS ?? 500);
const DAYS = Number(process.env.FP_DAYS ?? 30);
const detection = demoDetection('7d');
if (process.env.FP_LOGIN_FOREST) detection.push({ type: 'login-forest' });

async function run(label: string, scenario: Scenario) {
  const t0 = performance.now();
  const { alerts, stats, events } = await detectOnScenario(scenario, detection);
  console.log(`${label}: ${scenario.org.users.length} users, ${DAYS} days, ${events.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s (${stats.inserted} stored)`);
  return alerts;
}

/** The rule, and for novelty's organisation-wide finding which kind it is (same rule, one alert per login). */
const label = (a: { rule: string; tags?: string[] }) => (a.tags?.includes('org-new-country') ? `${a.rule} (org-new-country)` : a.rule);

const normal = generateScenario({ users: USERS, days: DAYS, attacks: [], seed: Number(process.env.FP_SEED ?? 101) });
const fp = await run('normal organisation', normal);
const byRule = new Map<string, number>();
for (const a of fp) byRule.set(label(a), (byRule.get(label(a)) ?? 0) + 1);
console.log(`  false positives: ${fp.length} alerts = ${((fp.length / (USERS / 1000)) / DAYS).toFixed(2)} per 1,000 users per day (target ≤ 1)`);
for (const [rule, n] of [...byRule].sort((x, y) => y[1] - x[1])) console.log(`    ${String(n).padStart(4)}  ${rule}`);
for (const a of fp.slice(0, Number(process.env.FP_SHOW ?? 0))) console.log(`    ${a.rule}: ${a.description}`);

const attacked = generateScenario({ users: USERS, days: DAYS, seed: Number(process.env.FP_SEED ?? 101) });
const found = await run('same organisation with every attack', attacked);
let caught = 0;
const byCategory = new Map<string, { attacks: number; caught: number }>();
for (const t of attacked.truth) {
  const hits = alertsFor(t, found).map(label);
  if (hits.length) caught++;
  const c = byCategory.get(ATTACK_CATEGORY[t.kind]) ?? { attacks: 0, caught: 0 };
  c.attacks++;
  if (hits.length) c.caught++;
  byCategory.set(ATTACK_CATEGORY[t.kind], c);
  console.log(`  ${hits.length ? 'detected' : 'MISSED  '}  ${t.kind.padEnd(26)} ${t.actor}${hits.length ? `  by ${[...new Set(hits)].join(', ')}` : ''}`);
}
const stray = unexplained(attacked.truth, found);
console.log(`  recall: ${caught}/${attacked.truth.length} attacks; ${stray.length} alerts not explained by an attack (${((stray.length / (USERS / 1000)) / DAYS).toFixed(2)} per 1,000 users per day)`);
console.log('  recall by category:');
for (const [category, c] of [...byCategory].sort((x, y) => x[0].localeCompare(y[0]))) {
  console.log(`    ${category.padEnd(38)} ${c.caught}/${c.attacks}  ${((100 * c.caught) / c.attacks).toFixed(0)}%`);
}
