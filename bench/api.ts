/**
 * `npm run bench` (API part): a SQLite store with 1,000,000 events (5,000 users, three providers,
 * logins with geo, ASN and user agent, file events) and 10,000 alerts, then API p50/p95 through
 * app.inject, warm, for the overview, alert list, alert detail, user page and event search. Fixed
 * seed and clock. BENCH_API_EVENTS / BENCH_API_ALERTS change the sizes; BENCH_API_DROP_INDEXES=1
 * measures again without the user and IP event indexes of migration 011 (what they buy).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Responder } from '../src/actions/responder.js';
import { responseSchema } from '../src/actions/config.js';
import type { ApiApp, Role } from '../src/api/context.js';
import { createHttpApp } from '../src/api/http.js';
import { validateConfig } from '../src/config/load.js';
import { dedupKey, type Alert, type Severity } from '../src/core/alert.js';
import type { SecurityEvent } from '../src/core/event.js';
import { eventId } from '../src/core/hash.js';
import type { Store } from '../src/core/store.js';
import { mulberry32 } from '../src/detection/random.js';
import { silentLogger } from '../src/log.js';
import { registry } from '../src/registry.js';
import { openStore } from '../src/storage/index.js';
import { percentile } from './stats.js';

const EVENTS = Number(process.env.BENCH_API_EVENTS ?? 1_000_000);
const ALERTS = Number(process.env.BENCH_API_ALERTS ?? 10_000);
const USERS = 5_000;
const BATCH = 5_000;
const RUNS = Number(process.env.BENCH_API_RUNS ?? 60);
const NOW = Date.parse('2026-03-02T09:00:00.000Z');
const SPAN = 30 * 86_400_000;
const TARGET_P95_MS = 200;

const PLACES = [
  ['US', 'United States', 'New York', 40.71, -74.0, 7922, 'Comcast'], ['DE', 'Germany', 'Berlin', 52.52, 13.4, 3320, 'Deutsche Telekom'],
  ['BR', 'Brazil', 'São Paulo', -23.55, -46.63, 28573, 'Claro'], ['JP', 'Japan', 'Tokyo', 35.68, 139.69, 2516, 'KDDI'],
  ['IN', 'India', 'Mumbai', 19.07, 72.88, 55836, 'Reliance Jio'], ['GB', 'United Kingdom', 'London', 51.5, -0.12, 2856, 'BT'],
] as const;
const AGENTS = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36', 'Chrome', 'Windows'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15', 'Safari', 'macOS'],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Firefox', 'Linux'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', 'Mobile Safari', 'iOS'],
] as const;
const FILE_ACTIONS = ['file_download', 'file_preview', 'file_edit', 'shared_link_create', 'file_delete'];

const userOf = (u: number) => `user${u}@corp.example.com`;
/** Each user works from one home address and country (and now and then another): realistic for the IP search. */
const homeIp = (u: number) => `10.${(u >> 8) & 255}.${u & 255}.${(u * 7) & 255}`;

function makeEvent(i: number, r: () => number): SecurityEvent {
  const u = Math.floor(r() * r() * USERS); // skewed: some users are far busier
  const user = userOf(u);
  const ts = NOW - SPAN + Math.floor((i / EVENTS) * SPAN);
  const time = new Date(ts).toISOString();
  const away = r() < 0.05;
  const place = PLACES[away ? Math.floor(r() * PLACES.length) : u % PLACES.length]!;
  const ip = away ? `203.0.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}` : homeIp(u);
  const agent = AGENTS[(u + (away ? 1 : 0)) % AGENTS.length]!;
  const kind = r();
  const provider = kind < 0.45 ? 'google-workspace' : kind < 0.75 ? 'microsoft-graph' : 'dropbox';
  const login = provider !== 'dropbox';
  const failed = login && r() < 0.08;
  const action = login ? (failed ? 'login_failure' : 'login_success') : FILE_ACTIONS[Math.floor(r() * FILE_ACTIONS.length)]!;
  const fileId = login ? undefined : `id:f${Math.floor(r() * 50_000)}`;
  const raw = { id: { time, uniqueQualifier: String(1e17 + i), applicationName: login ? 'login' : 'drive' }, actor: { email: user, profileId: String(1e11 + u) }, ipAddress: ip, events: [{ type: login ? 'login' : 'access', name: action, parameters: [{ name: 'login_type', value: 'google_password' }, { name: 'doc_id', value: fileId ?? '' }] }] };
  return {
    '@timestamp': time,
    event: { id: eventId(provider, raw), kind: 'event', category: login ? ['authentication'] : ['file'], action, outcome: failed ? 'failure' : 'success', provider, dataset: `${provider}.${login ? 'login' : 'files'}`, ingested: time },
    user: { email: user, id: raw.actor.profileId },
    source: { ip, geo: { country_iso_code: place[0], country_name: place[1], city_name: place[2], location: { lat: place[3], lon: place[4] } }, as: { number: place[5], organization: { name: place[6] } } },
    user_agent: { original: agent[0], name: agent[1], os: { name: agent[2] } },
    ...(fileId ? { file: { id: fileId, name: `${fileId.slice(3)}.docx` } } : {}),
    related: { ip: [ip], user: [user] },
    raw,
  };
}

async function fill(store: Store): Promise<{ alertIds: string[]; users: string[]; ips: string[] }> {
  const r = mulberry32(16);
  const t0 = performance.now();
  // Each user's last events, as evidence for the alerts.
  const evidence = new Map<string, Array<{ id: string; ts: number }>>();
  let genMs = 0;
  for (let i = 0; i < EVENTS; i += BATCH) {
    const g = performance.now();
    const batch: SecurityEvent[] = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
      const e = makeEvent(j, r);
      batch.push(e);
      const user = e.user!.email!;
      const ev = evidence.get(user) ?? [];
      ev.push({ id: e.event.id, ts: Date.parse(e['@timestamp']) });
      if (ev.length > 10) ev.shift();
      evidence.set(user, ev);
    }
    genMs += performance.now() - g;
    await store.commitBatch({ source: 'google', events: batch, cursor: String(i + BATCH) });
  }
  const storeS = (performance.now() - t0 - genMs) / 1000;
  console.log(`generated ${EVENTS.toLocaleString('en-US')} events in ${(genMs / 1000).toFixed(1)} s; stored them in ${storeS.toFixed(1)} s (${Math.round(EVENTS / storeS).toLocaleString('en-US')} events/s through commitBatch, migration 011's indexes included)`);
  const t1 = performance.now();
  const users = [...evidence.keys()];
  const severities: Severity[] = ['low', 'medium', 'medium', 'high', 'high', 'critical'];
  const rules = ['brute-force', 'impossible-travel', 'baseline', 'rules/dropbox/mass-download', 'rules/google-workspace/public-link'];
  const alertIds: string[] = [];
  for (let i = 0; i < ALERTS; i += 1_000) {
    const batch: Alert[] = [];
    for (let j = i; j < Math.min(ALERTS, i + 1_000); j++) {
      const user = users[Math.floor(r() * r() * users.length)]!;
      // A detector's window: the user's last hour of activity, and its events as evidence.
      const last = evidence.get(user)!;
      const end = last.at(-1)!.ts;
      const ev = last.filter((x) => x.ts >= end - 3_600_000);
      const created = NOW - Math.floor((1 - j / ALERTS) * SPAN);
      const base = { rule: rules[j % rules.length]!, entity: { type: 'user', value: user }, windowStart: ev[0]!.ts - j };
      const status = r() < 0.6 ? 'open' : r() < 0.5 ? 'acknowledged' : 'closed';
      batch.push({
        ...base, id: `alert-${String(j).padStart(5, '0')}`, dedupKey: dedupKey(base), title: `${base.rule} on ${user}`, severity: severities[j % severities.length]!,
        windowEnd: end + 1, evidence: ev.map((x) => x.id), description: 'seen more than expected', observed: { events: 40 + (j % 50) }, expected: { events: 5 },
        status, createdAt: new Date(created).toISOString(), tags: ['bench'],
      });
    }
    await store.saveAlerts(batch, []);
    alertIds.push(...batch.map((a) => a.id));
  }
  console.log(`stored ${ALERTS.toLocaleString('en-US')} alerts in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  // The busiest users and their home addresses: the searches an analyst makes.
  const pick = users.slice(0, 200);
  return { alertIds, users: pick, ips: pick.map((u) => homeIp(Number(/user(\d+)@/.exec(u)![1]))) };
}

async function measure(app: ApiApp, label: string, urls: () => string): Promise<{ label: string; p50: number; p95: number; max: number }> {
  const headers = { authorization: 'Bearer viewer' };
  for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: urls(), headers });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const url = urls();
    const t = performance.now();
    const res = await app.inject({ method: 'GET', url, headers });
    times.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
  times.sort((a, b) => a - b);
  return { label, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! };
}

async function table(app: ApiApp, data: { alertIds: string[]; users: string[]; ips: string[] }, title: string): Promise<void> {
  const r = mulberry32(7);
  const any = <T>(xs: T[]) => () => xs[Math.floor(r() * xs.length)]!;
  const alert = any(data.alertIds);
  const user = any(data.users);
  const ip = any(data.ips);
  const rows = [
    await measure(app, 'GET /api/overview (7 days)', () => '/api/overview'),
    await measure(app, 'GET /api/alerts', () => '/api/alerts'),
    await measure(app, 'GET /api/alerts?severity=high&status=open', () => '/api/alerts?severity=high&status=open'),
    await measure(app, 'GET /api/alerts/{id}', () => `/api/alerts/${alert()}`),
    await measure(app, 'GET /api/users/{user}', () => `/api/users/${user()}`),
    await measure(app, 'GET /api/events?user=', () => `/api/events?user=${user()}`),
    await measure(app, 'GET /api/events?ip=', () => `/api/events?ip=${ip()}`),
    await measure(app, 'GET /api/events (newest)', () => '/api/events'),
  ];
  console.log(`\n${title} (${RUNS} requests each, warm; target p95 < ${TARGET_P95_MS} ms)`);
  console.log(`${'route'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  for (const x of rows) {
    const flag = x.p95 < TARGET_P95_MS ? '' : '  over target';
    console.log(`${x.label.padEnd(44)} ${x.p50.toFixed(1).padStart(8)} ${x.p95.toFixed(1).padStart(8)} ${x.max.toFixed(1).padStart(8)}${flag}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'saaswatch-bench-api-'));
const path = join(dir, 'api.db');
try {
  const clock = () => NOW;
  let store = await openStore({ dialect: 'sqlite', path, now: clock, logger: silentLogger });
  const data = await fill(store);
  const config = validateConfig({ sources: [{ type: 'json-logs', name: 'google', path: join(dir, 'none.jsonl') }, { type: 'json-logs', name: 'dropbox', path: join(dir, 'none.jsonl') }] }, registry, { baseDir: dir, env: {} });
  const serve = async (s: Store) =>
    createHttpApp({
      ctx: { store: s, config, clock, logger: silentLogger, responder: new Responder({ store: s, connectors: new Map(), config: responseSchema.parse({}), logger: silentLogger, now: clock }) },
      authenticate: async (req) => (req.headers.authorization === 'Bearer viewer' ? { email: 'bench@example.com', role: 'viewer' as Role, via: 'token' as const } : undefined),
    });
  if (process.env.BENCH_API_PROFILE === '1') {
    // What the overview's store reads cost alone, to tell the store from the HTTP layer.
    const parts: Array<[string, () => Promise<unknown>]> = [
      ['eventHistogram (7 days, 1 h)', () => store.eventHistogram({ from: NOW - 7 * 86_400_000, to: NOW, bucketMs: 3_600_000 })],
      ['countAlerts', () => store.countAlerts()],
      ['openAlertCounts(user)', () => store.openAlertCounts('user')],
      ['lastEventTimes (1 day)', () => store.lastEventTimes(NOW - 86_400_000)],
      ['listBlockedUsers', () => store.listBlockedUsers({ activeAt: NOW })],
    ];
    for (const [label, f] of parts) {
      await f();
      const t = performance.now();
      for (let i = 0; i < 5; i++) await f();
      console.log(`${label.padEnd(32)} ${((performance.now() - t) / 5).toFixed(1)} ms`);
    }
  }
  let app = await serve(store);
  await table(app, data, `API latency, SQLite, ${EVENTS.toLocaleString('en-US')} events, ${ALERTS.toLocaleString('en-US')} alerts`);
  if (process.env.BENCH_API_DROP_INDEXES === '1') {
    await app.close();
    await store.close();
    const db = new Database(path);
    db.exec('drop index events_user_ts; drop index events_ip_ts;');
    db.close();
    store = await openStore({ dialect: 'sqlite', path, now: clock, logger: silentLogger });
    app = await serve(store);
    await table(app, data, 'the same without the events (user_email, ts) and (source_ip, ts) indexes');
  }
  await app.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
