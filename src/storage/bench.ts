/** Measures commitBatch throughput: 200k realistic events in batches of 5000, SQLite always, PostgreSQL when SAASWATCH_TEST_PG_URL is set. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventId } from '../core/hash.js';
import type { SecurityEvent } from '../core/event.js';
import type { Store } from '../core/store.js';
import { openStore } from './index.js';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 5_000);

const ACTIONS = ['login_success', 'login_failure', 'download', 'change_acl', 'view', 'logout'];
const COUNTRIES = [['US', 'United States'], ['DE', 'Germany'], ['BR', 'Brazil'], ['JP', 'Japan']] as const;

/** A Google-Workspace-like login/drive event with a raw record of realistic size (~1 KB of JSON). */
function makeEvent(i: number, base: number): SecurityEvent {
  const action = ACTIONS[i % ACTIONS.length]!;
  const user = `user${i % 5_000}@example.com`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const [iso, country] = COUNTRIES[i % COUNTRIES.length]!;
  const time = new Date(base + i * 37).toISOString();
  const raw = {
    kind: 'admin#reports#activity',
    id: { time, uniqueQualifier: String(1e17 + i), applicationName: 'login', customerId: 'C03az79cb' },
    etag: `"${i.toString(16).padStart(12, '0')}"`,
    actor: { callerType: 'USER', email: user, profileId: String(100_000_000_000 + (i % 5_000)) },
    ipAddress: ip,
    events: [{
      type: 'login', name: action,
      parameters: [
        { name: 'login_type', value: 'google_password' },
        { name: 'login_challenge_method', multiValue: ['password'] },
        { name: 'is_suspicious', boolValue: false },
      ],
    }],
  };
  return {
    '@timestamp': time,
    event: {
      id: eventId('google-workspace', raw), kind: 'event', category: ['authentication'], action,
      outcome: action.endsWith('failure') ? 'failure' : 'success', provider: 'google-workspace',
      dataset: 'google-workspace.login', ingested: new Date().toISOString(),
    },
    user: { email: user, id: raw.actor.profileId },
    source: { ip, geo: { country_iso_code: iso, country_name: country, city_name: 'Somewhere' }, as: { number: 64_512 + (i % 100), organization: { name: 'Example ISP' } } },
    user_agent: { original: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36', name: 'Chrome', os: { name: 'Linux' } },
    related: { ip: [ip], user: [user] },
    labels: { login_type: 'google_password' },
    raw,
  };
}

async function run(label: string, store: Store): Promise<void> {
  const base = Date.parse('2025-01-01T00:00:00Z');
  const events = Array.from({ length: TOTAL }, (_, i) => makeEvent(i, base));
  const bytes = events.reduce((n, e) => n + JSON.stringify(e).length, 0);
  const pass = async (name: string): Promise<void> => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let inserted = 0;
    for (let i = 0; i < events.length; i += BATCH) {
      const r = await store.commitBatch({ source: 'bench', events: events.slice(i, i + BATCH), cursor: String(i + BATCH) });
      inserted += r.inserted;
    }
    const s = (performance.now() - t0) / 1000;
    // CPU of the whole process (SQLite's checkpoint worker included), to tell work from waiting on a busy machine.
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(
      `${label.padEnd(9)} ${name.padEnd(24)} ${TOTAL} events in ${s.toFixed(2)} s = ${Math.round(TOTAL / s).toLocaleString('en-US')} events/s` +
        ` (cpu ${cpuS.toFixed(2)} s = ${Math.round(TOTAL / cpuS).toLocaleString('en-US')} events/cpu-s, inserted ${inserted})`,
    );
  };
  console.log(`${label}: ${TOTAL} events, batch ${BATCH}, avg doc ${Math.round(bytes / TOTAL)} bytes`);
  await pass('insert (new ids)');
  await pass('replay (all duplicates)');
}

const dir = mkdtempSync(join(tmpdir(), 'saaswatch-bench-'));
try {
  const sqlite = await openStore({ dialect: 'sqlite', path: join(dir, 'bench.db') });
  await run('sqlite', sqlite);
  await sqlite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const url = process.env.SAASWATCH_TEST_PG_URL;
if (url) {
  const schema = `bench_${process.pid}_${Date.now()}`;
  const store = await openStore({ dialect: 'postgres', url, schema });
  try {
    await run('postgres', store);
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
} else {
  console.log('postgres: skipped (SAASWATCH_TEST_PG_URL not set)');
}
