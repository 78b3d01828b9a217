/**
 * What migration 011's event indexes cost an insert: commitBatch of BENCH_EVENTS (default 200k)
 * realistic events into a fresh SQLite file with none of them, with only the covering (ts, provider,
 * count) one, and with all three, each twice, interleaved, so a busy machine skews every variant alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SecurityEvent } from '../src/core/event.js';
import { eventId } from '../src/core/hash.js';
import { silentLogger } from '../src/log.js';
import { openStore } from '../src/storage/index.js';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 200_000);
const BATCH = 5_000;
const ACTIONS = ['login_success', 'login_failure', 'download', 'change_acl', 'view', 'logout'];

/** As src/storage/bench.ts makes them: 5,000 users, an address per event, ~1.3 KB of JSON. */
function makeEvent(i: number, base: number): SecurityEvent {
  const action = ACTIONS[i % ACTIONS.length]!;
  const user = `user${i % 5_000}@example.com`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const time = new Date(base + i * 37).toISOString();
  const raw = { id: { time, uniqueQualifier: String(1e17 + i), applicationName: 'login' }, actor: { email: user, profileId: String(1e11 + (i % 5_000)) }, ipAddress: ip, pad: 'x'.repeat(700) };
  return {
    '@timestamp': time,
    event: { id: eventId('google-workspace', raw), kind: 'event', category: ['authentication'], action, outcome: action.endsWith('failure') ? 'failure' : 'success', provider: 'google-workspace', dataset: 'google-workspace.login', ingested: time },
    user: { email: user },
    source: { ip, geo: { country_iso_code: 'DE', country_name: 'Germany', city_name: 'Berlin' }, as: { number: 3320, organization: { name: 'Example ISP' } } },
    user_agent: { original: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0', name: 'Chrome', os: { name: 'Linux' } },
    raw,
  };
}

const VARIANTS: Record<string, string[]> = {
  'no 011 event index': ['events_user_ts', 'events_ip_ts', 'events_ts_provider'],
  '(ts, provider, count) only': ['events_user_ts', 'events_ip_ts'],
  'all three (as shipped)': [],
};

const base = Date.parse('2025-01-01T00:00:00Z');
const events = Array.from({ length: TOTAL }, (_, i) => makeEvent(i, base));
for (let round = 0; round < 2; round++) {
  for (const [label, drop] of Object.entries(VARIANTS)) {
    const dir = mkdtempSync(join(tmpdir(), 'saaswatch-ingest-'));
    try {
      const path = join(dir, 'b.db');
      await (await openStore({ dialect: 'sqlite', path, logger: silentLogger })).close();
      const db = new Database(path);
      for (const name of drop) db.exec(`drop index ${name}`);
      db.close();
      const store = await openStore({ dialect: 'sqlite', path, logger: silentLogger });
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < events.length; i += BATCH) await store.commitBatch({ source: 'bench', events: events.slice(i, i + BATCH), cursor: String(i) });
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      console.log(`${label.padEnd(28)} ${Math.round(TOTAL / s).toLocaleString('en-US').padStart(8)} events/s  (cpu ${cpuS.toFixed(2)} s = ${Math.round(TOTAL / cpuS).toLocaleString('en-US')} events/cpu-s)`);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
