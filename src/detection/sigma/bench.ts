/** Benchmark: Sigma rule evaluation events/s with ~100 rules (the built-in pack replicated with variations) over generated Google Workspace and Dropbox events, and the cost of saving correlation windows. Run: npx tsx src/detection/sigma/bench.ts [events] */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecurityEvent } from '../../core/index.js';
import { normalizeTeamEvent } from '../../sources/dropbox/normalize.js';
import { normalizeActivity } from '../../sources/google-workspace/normalize.js';
import type { ActivityLike } from '../../sources/google-workspace/wire.js';
import { openStore } from '../../storage/index.js';
import { Rng } from '../random.js';
import { savedWindows } from '../restart-testing.js';
import { BUILTIN_RULES_DIR } from './config.js';
import { SigmaEngine } from './engine.js';
import { loadRuleDirs, type RuleDef } from './loader.js';

const TARGET_RULES = 100;

/**
 * Copies of the pack under new ids with shifted thresholds and values, so the engine cannot share
 * work between copies and the rule count is what a real deployment with custom rules would load.
 */
function replicate(pack: RuleDef[], target: number): RuleDef[] {
  const out: RuleDef[] = [];
  for (let v = 0; out.length < target; v++) {
    const suffix = v === 0 ? '' : `-v${v}`;
    for (const d of pack) {
      if (out.length >= target) break;
      const ref = (s: string) => `${s}${suffix}`;
      const common = { key: ref(d.key), ...(d.id ? { id: ref(d.id) } : {}), ...(d.name ? { name: ref(d.name) } : {}) };
      if (d.kind === 'correlation') {
        const cond = d.condition ? { ...d.condition } : undefined;
        if (cond?.gte !== undefined) cond.gte += v;
        out.push({ ...d, ...common, rules: d.rules.map(ref), ...(cond ? { condition: cond } : {}) });
      } else {
        // Variants add a filter on the actor's domain, so each copy is a distinct predicate.
        const detection = v === 0 ? d.detection : { ...d.detection, [`filter_v${v}`]: { 'user.email|endswith': `@variant${v}.example` } };
        const condition = v === 0 ? d.condition : d.condition.map((c) => `(${c}) and not filter_v${v}`);
        out.push({ ...d, ...common, detection, condition });
      }
    }
  }
  return out;
}

function generate(n: number, seed = 1, userCount = 500): SecurityEvent[] {
  const rng = new Rng(seed);
  const t0 = Date.parse('2024-05-06T00:00:00.000Z');
  const users = Array.from({ length: userCount }, (_, i) => `user${i}@example.com`);
  const out: SecurityEvent[] = [];
  let t = t0;
  const gActions: Array<[string, string, string, Array<Record<string, unknown>>]> = [
    ['login', 'login', 'login_success', [{ name: 'login_type', value: 'google_password' }, { name: 'is_suspicious', boolValue: false }]],
    ['login', 'login', 'login_failure', [{ name: 'login_type', value: 'google_password' }]],
    ['drive', 'access', 'view', [{ name: 'doc_id', value: 'd1' }, { name: 'doc_title', value: 'Plan' }, { name: 'visibility', value: 'private' }]],
    ['drive', 'access', 'download', [{ name: 'doc_id', value: 'd2' }, { name: 'doc_title', value: 'Report' }]],
    ['drive', 'access', 'edit', [{ name: 'doc_id', value: 'd3' }]],
    ['drive', 'acl_change', 'change_user_access', [{ name: 'doc_id', value: 'd4' }, { name: 'target_user', value: 'x@partner.example.org' }, { name: 'new_value', multiValue: ['can_view'] }, { name: 'visibility_change', value: 'external' }]],
    ['drive', 'acl_change', 'change_document_visibility', [{ name: 'doc_id', value: 'd5' }, { name: 'new_value', multiValue: ['shared_internally'] }]],
    ['token', 'auth', 'authorize', [{ name: 'app_name', value: 'Zoom' }, { name: 'scope', multiValue: ['openid'] }]],
    ['admin', 'USER_SETTINGS', 'CHANGE_PASSWORD', [{ name: 'USER_EMAIL', value: 'a@example.com' }]],
  ];
  const dTags: Array<[string, string]> = [
    ['file_operations', 'file_preview'],
    ['file_operations', 'file_download'],
    ['file_operations', 'file_delete'],
    ['logins', 'login_success'],
    ['logins', 'login_fail'],
    ['sharing', 'shared_content_add_member'],
    ['sharing', 'shared_link_create'],
  ];
  for (let i = 0; i < n; i++) {
    t += rng.int(200);
    const time = new Date(t).toISOString();
    const user = users[rng.int(users.length)]!;
    const ip = `198.51.${rng.int(256)}.${rng.int(256)}`;
    if (rng.chance(0.6)) {
      const [app, type, name, parameters] = gActions[rng.int(gActions.length)]!;
      const activity = { kind: 'admin#reports#activity', id: { time, uniqueQualifier: String(i), applicationName: app, customerId: 'C0' }, actor: { email: user }, ipAddress: ip, events: [{ type, name, parameters }] };
      out.push(...normalizeActivity(activity as ActivityLike, { source: 'g', application: app, ingested: time }).events);
    } else {
      const [cat, tag] = dTags[rng.int(dTags.length)]!;
      const raw = {
        timestamp: time.replace(/\.\d{3}Z$/, 'Z'),
        event_category: { '.tag': cat },
        actor: { '.tag': 'user', user: { '.tag': 'team_member', email: user, account_id: `dbid:${i}` } },
        origin: { geo_location: { ip_address: ip } },
        involve_non_team_member: rng.chance(0.1),
        participants: [],
        assets: [{ '.tag': 'file', path: { contextual: `/f/${i}.txt` }, file_id: `id:${i}` }],
        event_type: { '.tag': tag },
        details: { '.tag': `${tag}_details` },
      };
      const r = normalizeTeamEvent(raw, time);
      if (r.ok) out.push(r.event);
    }
  }
  return out;
}

const BATCH = 1000;
/** What the flushes promise, as a poller with a five-minute settle would: correlations count five minutes behind the newest event. */
const LATENESS_MS = 5 * 60_000;
const watermarkAfter = (events: SecurityEvent[], i: number) => Date.parse(events[i]!['@timestamp']) - LATENESS_MS;

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

/**
 * The pipeline's rhythm against a real SQLite store: observe a batch, flush, save. Reports rule
 * evaluation with change tracking on, the cost of each save against the live groups it covers, the
 * bytes a saved group takes, and how long a restart's restore takes.
 */
async function persistBench(label: string, defs: RuleDef[], events: SecurityEvent[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sigma-bench-'));
  const store = await openStore({ dialect: 'sqlite', path: join(dir, 'state.db') });
  try {
    const engine = new SigmaEngine(defs, {}, { state: store });
    await engine.restore();
    let observeMs = 0;
    const saves: number[] = [];
    const live: number[] = [];
    const written: number[] = [];
    for (let i = 0; i < events.length; i += BATCH) {
      const t0 = performance.now();
      const end = Math.min(events.length, i + BATCH);
      for (let k = i; k < end; k++) engine.observe(events[k]!);
      engine.flush({ final: false, watermark: watermarkAfter(events, end - 1) });
      observeMs += performance.now() - t0;
      const t1 = performance.now();
      await engine.persist();
      saves.push(performance.now() - t1);
      const st = engine.stats();
      live.push(Object.values(st.correlationState).reduce((a, c) => a + c.groups, 0));
      written.push(st.windowLog!.lastSaveRecords);
    }
    const st = engine.stats();
    const log = st.windowLog!;
    const saved = await savedWindows(store, 'sigma');
    const mean = saves.reduce((a, b) => a + b, 0) / saves.length;
    const meanLive = live.reduce((a, b) => a + b, 0) / live.length;
    const meanWritten = written.reduce((a, b) => a + b, 0) / written.length;
    const t2 = performance.now();
    const restarted = new SigmaEngine(defs, {}, { state: store });
    await restarted.restore();
    const restoreMs = performance.now() - t2;
    console.log(`sigma+state [${label}]: ${events.length} events, evaluation with change tracking ${Math.round(events.length / (observeMs / 1000)).toLocaleString('en-US')} events/s`);
    console.log(
      `sigma+state [${label}]: save every ${BATCH} events: ${mean.toFixed(2)} ms mean, p95 ${quantile(saves, 0.95).toFixed(2)} ms, max ${Math.max(...saves).toFixed(2)} ms` +
        ` with ${Math.round(meanLive).toLocaleString('en-US')} live groups on average (peak ${Math.max(...live).toLocaleString('en-US')}), ${Math.round(meanWritten)} groups written per save`,
    );
    console.log(
      `sigma+state [${label}]: stored ${saved.bytes.toLocaleString('en-US')} bytes in ${log.segments} segments for ${log.liveCopies.toLocaleString('en-US')} live copies` +
        ` (${log.storedRecords.toLocaleString('en-US')} records incl. stale) = ${Math.round(saved.bytes / Math.max(1, log.storedRecords))} bytes per record; restore ${restoreMs.toFixed(0)} ms for ${restarted.stats().windowLog!.restored.toLocaleString('en-US')} groups`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 300_000);
  const defs = replicate(loadRuleDirs([BUILTIN_RULES_DIR]), TARGET_RULES);
  const t0 = performance.now();
  const engine = new SigmaEngine(defs);
  const compileMs = performance.now() - t0;
  const s = engine.stats();
  const events = generate(n);
  // Warm-up on a copy of the engine, so the JIT has seen the closures before timing starts.
  const warm = new SigmaEngine(defs);
  for (let i = 0; i < 20_000; i++) {
    warm.observe(events[i]!);
    if ((i + 1) % 1000 === 0) warm.flush({ final: false, watermark: watermarkAfter(events, i) });
  }
  const start = performance.now();
  let findings = 0;
  for (let i = 0; i < events.length; i++) {
    findings += engine.observe(events[i]!).length;
    if ((i + 1) % 1000 === 0) findings += engine.flush({ final: false, watermark: watermarkAfter(events, i) }).length;
  }
  findings += engine.flush({ final: true, watermark: Number.POSITIVE_INFINITY }).length;
  const secs = (performance.now() - start) / 1000;
  console.log(`sigma: ${defs.length} rules (${s.rules} reporting, ${s.correlations} correlations, ${s.baseRules} correlation-only) compiled in ${compileMs.toFixed(1)} ms`);
  console.log(`sigma: ${events.length} events in ${secs.toFixed(2)} s = ${Math.round(events.length / secs).toLocaleString('en-US')} events/s, ${findings} findings`);

  await persistBench('pack', defs, events);
  // Ten times the users: the high-cardinality case, with tens of thousands of live groups across the pack.
  await persistBench('5000 users', defs, generate(n, 2, 5000));
}

await main();
