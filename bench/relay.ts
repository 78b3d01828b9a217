/**
 * `npm run bench` (relay part): p50/p99 of one 10-observable `POST /relay/observe/observables` through
 * `saaswatch serve`'s real listener, with a signed token checked against a local JWKS issuer, over a
 * SQLite store of BENCH_RELAY_EVENTS events (default 100,000) and 2,000 alerts naming the same
 * addresses, users and files, and the fake Graph over HTTPS with BENCH_RELAY_ALERTS alerts_v2 and as
 * many legacy alerts (bench/relay-data.ts). Fixed seed; the clock starts at the data's time and runs at
 * the real pace. Measured with alerts_v2 read afresh by each request, and within the 30 s a read serves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraphSightings } from '../src/api/relay/graph/index.js';
import { relayPlugin } from '../src/api/relay/plugin.js';
import { startServe } from '../src/api/serve.js';
import { validateConfig } from '../src/config/load.js';
import { dedupKey, type Alert } from '../src/core/alert.js';
import type { SecurityEvent } from '../src/core/event.js';
import { sampleAlert, sampleEvent } from '../src/api/routes/testing.js';
import { mulberry32 } from '../src/detection/random.js';
import { startJwksIssuer } from '../src/fakes/jwks/server.js';
import { startFakeGraph } from '../src/fakes/microsoft-graph/server.js';
import { makeTestTls } from '../src/fakes/smtp/cert.js';
import { fetchTrusting } from '../src/fakes/tls-fetch.js';
import { silentLogger } from '../src/log.js';
import { registry } from '../src/registry.js';
import { ALERTS, CLIENT, LIMIT, legacy, NOW, observables, RUNS, SECRET, TENANT, v2 } from './relay-data.js';
import { percentile, timeRuns } from './stats.js';
import { TOKEN_KEY_CLAIM } from '../src/api/relay/config.js';

const EVENTS = Number(process.env.BENCH_RELAY_EVENTS ?? 100_000);
const OWN_ALERTS = 2_000;
const AUDIENCE = 'https://saaswatch.example.com';
const TOKEN_KEY = 'relay-token-key-for-tests';
const SPAN = 30 * 86_400_000;
const BATCH = 5_000;

// The request's address and person are among saaswatch's as well: user 0 and address 0.
const ASKED_IP = observables.find((o) => o.type === 'ip')!.value;
const ASKED_EMAIL = observables.find((o) => o.type === 'email')!.value;
const ASKED_FILE = observables.find((o) => o.type === 'file_name')!.value;
const userOf = (n: number) => (n === 0 ? ASKED_EMAIL : `user${n}@contoso.com`);
const ipOf = (n: number) => (n === 0 ? ASKED_IP : `203.0.113.${n}`);

/** Logins and downloads of 400 users from 250 addresses. */
function event(i: number, rnd: () => number): SecurityEvent {
  const user = userOf(Math.floor(rnd() * 400));
  const ts = NOW - Math.floor(rnd() * SPAN);
  const e = i % 5 === 0 ? sampleEvent(i, ts, { user, kind: 'download', fileId: `file-${Math.floor(rnd() * 30)}` }) : sampleEvent(i, ts, { user, kind: 'login', outcome: rnd() < 0.1 ? 'failure' : 'success' });
  return { ...e, source: { ...e.source, ip: ipOf(Math.floor(rnd() * 250)) } };
}

/** Brute force alerts on those addresses and impossible travel on those users. */
function alert(i: number, rnd: () => number): Alert {
  const created = NOW - Math.floor(rnd() * SPAN);
  if (i % 2) return sampleAlert(i, { rule: 'impossible-travel', severity: 'high', user: userOf(Math.floor(rnd() * 400)), created });
  const a = sampleAlert(i, { rule: 'rules/auth/brute-force-ip', severity: 'high', created });
  const entity = { type: 'ip', value: ipOf(Math.floor(rnd() * 250)) };
  return { ...a, entity, dedupKey: dedupKey({ ...a, entity }), title: `Brute force from ${entity.value}` };
}

const dir = mkdtempSync(join(tmpdir(), 'saaswatch-bench-relay-'));
const tls = makeTestTls();
const started = Date.now();
const clock = () => NOW + (Date.now() - started);
const fake = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, alerts: v2, legacyAlerts: legacy, tls });
const issuer = await startJwksIssuer({ clock });
const trusting = fetchTrusting(tls.ca);
try {
  console.log(
    `relay: one 10-observable POST /relay/observe/observables through the HTTP server, ${EVENTS.toLocaleString('en-US')} events + ${OWN_ALERTS.toLocaleString('en-US')} alerts in SQLite, ` +
      `${ALERTS.toLocaleString('en-US')} alerts_v2 + ${ALERTS.toLocaleString('en-US')} legacy alerts in the fake Graph (HTTPS), limit ${LIMIT}, ${RUNS} runs`,
  );
  for (const [label, v2CacheMs] of [['fresh alerts_v2 read', 50], ['alerts_v2 read cached', 30_000]] as const) {
    const config = validateConfig(
      {
        data_dir: dir,
        storage: { type: 'sqlite', path: 'relay.db' },
        server: { host: '127.0.0.1', port: 0 },
        relay: {
          enabled: true,
          token_key: TOKEN_KEY,
          audience: AUDIENCE,
          jwks_hosts: [issuer.host],
          entities_limit: LIMIT,
          graph_url: fake.url,
          login_url: fake.loginUrl,
          credentials: { tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET },
        },
      },
      registry,
      { baseDir: dir, env: {} },
    );
    const serving = await startServe(config, {
      now: clock,
      logger: silentLogger,
      parts: async (ctx) => {
        // The relay core's default Graph half, but trusting the fake's CA and with this run's cache time.
        const graph = createGraphSightings({ graphUrl: fake.url, loginUrl: fake.loginUrl, legacyAlerts: true, now: clock, fetch: trusting, v2CacheMs });
        return { authenticate: async () => undefined, extraRoutes: [], plugins: [relayPlugin(ctx, ctx.config.relay, { graph })] };
      },
    });
    try {
      if (v2CacheMs === 50) {
        const rnd = mulberry32(17);
        for (let i = 0; i < EVENTS; i += BATCH) {
          await serving.ctx.store.commitBatch({ source: 'google', events: Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, j) => event(i + j, rnd)) });
        }
        await serving.ctx.store.saveAlerts(Array.from({ length: OWN_ALERTS }, (_, i) => alert(i, rnd)), []);
        // The file the request names, shared publicly, among the downloaded ones.
        await serving.ctx.store.upsertFile({ key: 'google-drive:file-2', provider: 'google-drive', fileId: 'file-2', name: ASKED_FILE, owner: userOf(1), visibility: 'public', data: {}, deleted: false });
      }
      const url = `${serving.server.url}/relay/observe/observables`;
      const body = JSON.stringify(observables);
      const request = async () => {
        // A token per request, as XDR sends; its keys are cached after the first.
        const token = await issuer.mint({ aud: AUDIENCE, claims: { [TOKEN_KEY_CLAIM]: TOKEN_KEY } });
        const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
        return (await res.json()) as { data?: { sightings: { count: number; docs: Array<{ source: string }> } }; errors?: unknown[] };
      };
      const warm = await request();
      if (warm.errors?.length || !warm.data) throw Object.assign(new TypeError('the bench request failed'), { errors: warm.errors });
      const before = fake.requests.length;
      // Runs 60 ms apart: more than the fresh case's cache time.
      const times = await timeRuns(RUNS, request, 60);
      const docs = warm.data.sightings.docs;
      const own = docs.filter((d) => d.source === 'saaswatch').length;
      console.log(
        `  ${label.padEnd(22)} p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms   ` +
          `(${docs.length} sightings: ${own} saaswatch, ${docs.length - own} Graph; ${((fake.requests.length - before) / RUNS).toFixed(1)} Graph requests per request)`,
      );
    } finally {
      await serving.close();
    }
  }
} finally {
  await issuer.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
