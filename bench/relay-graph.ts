/**
 * `tsx bench/relay-graph.ts`: the relay's Graph half, p50/p99 of one 10-observable request (the
 * observables asked concurrently, as the relay core does) against the fake Graph over HTTPS, with
 * BENCH_RELAY_ALERTS alerts_v2 records and as many legacy alerts (default 2,000 each; alerts_v2 is
 * searched client-side up to the 2,000-record scan limit, so its size is the cost). Fixed seed and
 * data; the token is fetched once, before timing. The clock starts at the data's time and runs at
 * the real pace: the alerts_v2 read is shared for a time (v2CacheMs), measured both fresh and cached.
 */
import { createGraphSightings } from '../src/api/relay/graph/index.js';
import { startFakeGraph } from '../src/fakes/microsoft-graph/server.js';
import { makeTestTls } from '../src/fakes/smtp/cert.js';
import { fetchTrusting } from '../src/fakes/tls-fetch.js';
import { ALERTS, CLIENT, LIMIT, legacy, NOW, observables, RUNS, SECRET, TENANT, v2 } from './relay-data.js';
import { percentile, timeRuns } from './stats.js';

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
    // Runs 60 ms apart: more than the fresh case's cache time.
    const times = await timeRuns(RUNS, request, 60);
    const sightings = warm.reduce((n, r) => n + r.sightings.length, 0);
    console.log(`  ${label.padEnd(22)} p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms   (${sightings} sightings, ${((fake.requests.length - before) / RUNS).toFixed(1)} Graph requests per request)`);
  }
} finally {
  await fake.close();
}
