/**
 * `tsx bench/relay-graph.ts`: the relay's Graph half, p50/p99 of one 10-observable request (the
 * observables asked concurrently, as the relay core does) against the fake Graph over HTTPS, with
 * BENCH_RELAY_ALERTS alerts_v2 records and as many legacy alerts (default 2,000 each; alerts_v2 is
 * searched client-side up to the 2,000-record scan limit, so its size is the cost). Fixed seed and
 * data; the token is fetched once, before timing. The clock starts at the data's time and runs at
 * the real pace: the alerts_v2 read is shared for a time (v2CacheMs), measured both fresh and cached.
 */
import { createGraphSightings } from '../src/api/relay/graph/index.js';
import type { Observable } from '../src/api/relay/types.js';
import { generateAlerts, legacyAlert, startFakeGraph } from '../src/fakes/microsoft-graph/server.js';
import { makeTestTls } from '../src/fakes/smtp/cert.js';
import { fetchTrusting } from '../src/fakes/tls-fetch.js';
import { percentile } from './stats.js';

const ALERTS = Number(process.env.BENCH_RELAY_ALERTS ?? 2_000);
const RUNS = Number(process.env.BENCH_RELAY_RUNS ?? 40);
const LIMIT = 100;
const NOW = Date.parse('2026-03-02T09:00:00.000Z');
const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'bench-secret-value';

const v2 = generateAlerts({ count: ALERTS, start: NOW - 20 * 86_400_000, spanMs: 19 * 86_400_000, seed: 5, tenantId: TENANT });
const legacy = Array.from({ length: ALERTS }, (_, i) =>
  legacyAlert({
    id: `L-${i}`,
    tenantId: TENANT,
    title: 'Port scan',
    description: 'A port scan was detected.',
    category: 'network',
    severity: ['low', 'medium', 'high'][i % 3]!,
    confidence: i % 101,
    eventMs: NOW - (i + 1) * 60_000,
    vendor: { provider: 'Palo Alto Networks', subProvider: 'NGFW', vendor: 'Palo Alto Networks' },
    hosts: [{ netBiosName: `host-${i % 50}`, fqdn: `host-${i % 50}.contoso.com`, privateIpAddress: `10.0.${i % 50}.1` }],
    connections: [{ sourceAddress: `203.0.113.${i % 250}`, destinationDomain: `c2-${i % 20}.example`, destinationUrl: `http://c2-${i % 20}.example/x` }],
    files: [{ name: `tool-${i % 30}.exe`, path: `C:\\Temp\\tool-${i % 30}.exe`, sha256: (i % 30).toString(16).padStart(64, 'a') }],
    users: [{ userPrincipalName: `user${i % 40}@contoso.com`, accountName: `user${i % 40}` }],
  }),
);
const firstV2 = v2[0]!.evidence!.map((e) => e as { ipAddress?: string; userAccount?: { userPrincipalName?: string } });
const observables: Observable[] = [
  { type: 'ip', value: firstV2.find((e) => e.ipAddress)!.ipAddress! },
  { type: 'ip', value: '198.51.100.99' },
  { type: 'email', value: firstV2.find((e) => e.userAccount)!.userAccount!.userPrincipalName! },
  { type: 'user', value: 'user7' },
  { type: 'domain', value: 'c2-3.example' },
  { type: 'url', value: 'http://c2-4.example/x' },
  { type: 'hostname', value: 'host-9' },
  { type: 'file_name', value: 'tool-2.exe' },
  { type: 'file_path', value: 'C:\\Temp\\tool-5.exe' },
  { type: 'sha256', value: (6).toString(16).padStart(64, 'a') },
];

const tls = makeTestTls();
const fake = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, alerts: v2, legacyAlerts: legacy, tls });
try {
  const credentials = { tenant_id: TENANT, application_id: CLIENT, client_secret: SECRET };
  // The data's time, running at the real pace: the look-back and the read's cache time are measured on it.
  const started = Date.now();
  const clock = () => NOW + (Date.now() - started);
  console.log(`relay Graph half: 10 observables, ${ALERTS.toLocaleString('en-US')} alerts_v2 + ${ALERTS.toLocaleString('en-US')} legacy alerts, limit ${LIMIT}, ${RUNS} runs`);
  // Fresh: each request reads alerts_v2 once for its ten observables. Warm: within the 30 s a read serves.
  for (const [label, v2CacheMs] of [['fresh alerts_v2 read', 50], ['alerts_v2 read cached', 30_000]] as const) {
    const relay = createGraphSightings({ graphUrl: fake.url, loginUrl: fake.loginUrl, legacyAlerts: true, fetch: fetchTrusting(tls.ca), v2CacheMs, now: clock });
    const request = () => Promise.all(observables.map((o) => relay.observe(o, { credentials, limit: LIMIT })));
    const warm = await request();
    const errors = warm.flatMap((r) => r.errors);
    if (errors.length) throw Object.assign(new TypeError('the bench request failed'), { errors });
    const before = fake.requests.length;
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Runs apart by more than the fresh case's cache time.
      await new Promise((r) => setTimeout(r, 60));
      const t = performance.now();
      await request();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const sightings = warm.reduce((n, r) => n + r.sightings.length, 0);
    console.log(`  ${label.padEnd(22)} p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms   (${sightings} sightings, ${((fake.requests.length - before) / RUNS).toFixed(1)} Graph requests per request)`);
  }
} finally {
  await fake.close();
}
