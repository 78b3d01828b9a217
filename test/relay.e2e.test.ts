/**
 * The relay end to end: the real server (`startServe`) with the relay on, the real Graph half over
 * HTTPS to the fake Graph, Cisco-like token issuers on loopback, and a SQLite store holding
 * saaswatch's own alerts and events; then `serve --demo` answering the curl `saaswatch demo` prints.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayPlugin } from '../src/api/relay/plugin.js';
import { ATTACKER_IP, C2_DOMAIN, C2_URL, LEGACY_ALERTS, MIMIKATZ_SHA256, T0, TENANT, V2_ALERTS, VICTIM_UPN } from '../src/api/relay/graph/fixtures/alerts.js';
import type { RelayBody } from '../src/api/relay/testing.js';
import type { Observable } from '../src/api/relay/types.js';
import { sampleAlert, sampleEvent } from '../src/api/routes/testing.js';
import { startServe, type Serving } from '../src/api/serve.js';
import { validateConfig } from '../src/config/load.js';
import { dedupKey } from '../src/core/alert.js';
import { demoCurl, DEMO_RELAY_TOKEN_FILE, DEMO_SERVE_URL, demoScenario, attackerIp, writeDemoRun } from '../src/demo/relay.js';
import { startDemoServe, type DemoServing } from '../src/demo/serve.js';
import { startJwksIssuer, type FakeJwksIssuer } from '../src/fakes/jwks/server.js';
import { startFakeGraph, type FakeGraph } from '../src/fakes/microsoft-graph/server.js';
import { makeTestTls } from '../src/fakes/smtp/cert.js';
import { fetchTrusting } from '../src/fakes/tls-fetch.js';
import { silentLogger } from '../src/log.js';
import { registry } from '../src/registry.js';
import { tempDir } from './helpers.js';
import { TOKEN_KEY_CLAIM } from '../src/api/relay/config.js';

const AUDIENCE = 'https://saaswatch.example.com';
const TOKEN_KEY = 'relay-token-key-for-tests';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~relay-e2e-test-secret';
const MIN = 60_000;
const HOUR = 60 * MIN;
const PUBLIC_FILE = { key: 'dropbox:id:mimikatz', fileId: 'id:mimikatz', name: 'mimikatz.exe' };

/** One of each type the relay answers for: the Graph fixtures' attack (and saaswatch's records of it). */
const OBSERVABLES: Observable[] = [
  { type: 'ip', value: ATTACKER_IP },
  { type: 'ipv6', value: 'fe80::1' },
  { type: 'domain', value: C2_DOMAIN },
  { type: 'hostname', value: 'lap-douglasf' },
  { type: 'url', value: C2_URL },
  { type: 'email', value: VICTIM_UPN },
  { type: 'file_name', value: PUBLIC_FILE.name },
  { type: 'file_path', value: 'C:\\Users\\aldom\\Downloads\\mimikatz.exe' },
  { type: 'sha256', value: MIMIKATZ_SHA256 },
  { type: 'user', value: 'aldom' },
];

/** Which places saw each observable: saaswatch's store as seeded below, Graph's as in the fixtures. */
const SEEN_BY: Record<string, string[]> = {
  [ATTACKER_IP]: ['Microsoft Graph Security', 'saaswatch'],
  'fe80::1': ['Microsoft Graph Security'],
  [C2_DOMAIN]: ['Microsoft Graph Security'],
  'lap-douglasf': ['Microsoft Graph Security'],
  [C2_URL]: ['Microsoft Graph Security'],
  [VICTIM_UPN]: ['Microsoft Graph Security', 'saaswatch'],
  [PUBLIC_FILE.name]: ['Microsoft Graph Security', 'saaswatch'],
  'C:\\Users\\aldom\\Downloads\\mimikatz.exe': ['Microsoft Graph Security', 'saaswatch'],
  [MIMIKATZ_SHA256]: ['Microsoft Graph Security'],
  aldom: ['Microsoft Graph Security'],
};

interface Sighting {
  source: string;
  title: string;
  observables: Observable[];
}

function sourcesByValue(body: RelayBody): Record<string, string[]> {
  const docs = (body.data?.sightings?.docs ?? []) as Sighting[];
  const by: Record<string, Set<string>> = {};
  for (const d of docs) for (const o of d.observables) (by[o.value] ??= new Set()).add(d.source);
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, [...v].sort()]));
}

describe('the relay through saaswatch serve, against the fake Graph over HTTPS', () => {
  const tls = makeTestTls();
  let now = T0;
  const clock = () => now;
  let graph: FakeGraph;
  let issuer: FakeJwksIssuer;
  let attacker: FakeJwksIssuer;
  let serving: Serving;

  beforeAll(async () => {
    graph = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, alerts: V2_ALERTS, legacyAlerts: LEGACY_ALERTS, tls });
    issuer = await startJwksIssuer({ clock });
    attacker = await startJwksIssuer({ clock });
    const config = validateConfig(
      {
        data_dir: tempDir('sw-relay-e2e-'),
        storage: { type: 'sqlite', path: 'relay.db' },
        server: { host: '127.0.0.1', port: 0 },
        relay: {
          enabled: true,
          token_key: TOKEN_KEY,
          audience: AUDIENCE,
          jwks_hosts: [issuer.host],
          graph_url: graph.url,
          login_url: graph.loginUrl,
          credentials: { tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET },
        },
      },
      registry,
      { baseDir: process.cwd(), env: {} },
    );
    // The default parts, but the relay's requests trust the fake's test CA (Graph and Entra speak HTTPS only).
    const trusting = fetchTrusting(tls.ca);
    serving = await startServe(config, {
      now: clock,
      logger: silentLogger,
      parts: async (ctx) => ({ authenticate: async () => undefined, extraRoutes: [], plugins: [relayPlugin(ctx, ctx.config.relay, { fetch: trusting })] }),
    });
    const store = serving.ctx.store;
    // The brute force from the attacker's address, seen by saaswatch: failed logins, then the victim's success, and the alert.
    const events = Array.from({ length: 12 }, (_, i) => {
      const e = sampleEvent(100 + i, T0 - 3 * HOUR + i * MIN, { user: VICTIM_UPN, kind: 'login', place: 1, outcome: i < 11 ? 'failure' : 'success' });
      return { ...e, source: { ...e.source, ip: ATTACKER_IP } };
    });
    await store.commitBatch({ source: 'google', events });
    const brute = sampleAlert(1, { rule: 'brute-force', severity: 'high', created: T0 - 2 * HOUR, evidence: events.map((e) => e.event.id) });
    const ipEntity = { type: 'ip', value: ATTACKER_IP };
    const travel = sampleAlert(2, { rule: 'impossible-travel', severity: 'critical', user: VICTIM_UPN, created: T0 - 90 * MIN });
    await store.saveAlerts([{ ...brute, entity: ipEntity, dedupKey: dedupKey({ ...brute, entity: ipEntity }), title: `Brute force from ${ATTACKER_IP}` }, { ...travel, title: `Impossible travel for ${VICTIM_UPN}` }], []);
    await store.upsertFile({ key: PUBLIC_FILE.key, provider: 'dropbox', fileId: PUBLIC_FILE.fileId, name: PUBLIC_FILE.name, owner: VICTIM_UPN, visibility: 'public', data: {}, deleted: false });
  });
  afterAll(async () => {
    await serving?.close();
    await graph?.close();
    await issuer?.close();
    await attacker?.close();
  });

  /** Each request a minute after the last: alerts_v2 is read afresh, not from the previous request's read. */
  async function observe(token: string, body: unknown = OBSERVABLES): Promise<{ status: number; body: RelayBody }> {
    now += MIN;
    const res = await fetch(`${serving.server.url}/relay/observe/observables`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as RelayBody };
  }

  it('answers a 10-observable request with sightings from saaswatch and from Graph', async () => {
    const { status, body } = await observe(await issuer.mint({ aud: AUDIENCE, claims: { [TOKEN_KEY_CLAIM]: TOKEN_KEY } }));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.sightings.count).toBe(body.data.sightings.docs.length);
    expect(sourcesByValue(body)).toEqual(SEEN_BY);
    const titles = (body.data.sightings.docs as Sighting[]).filter((d) => d.observables[0]!.value === ATTACKER_IP).map((d) => `${d.source}: ${d.title}`);
    expect(titles).toEqual(expect.arrayContaining([`saaswatch: Brute force from ${ATTACKER_IP}`]));
    // Graph was asked for the alerts with the configured credentials, over HTTPS: one token for the whole request.
    expect(graph.requests.some((r) => r.path === '/v1.0/security/alerts_v2' && r.authorized)).toBe(true);
    expect(graph.requests.some((r) => r.path === '/v1.0/security/alerts' && r.authorized)).toBe(true);
    expect(graph.tokensIssued).toBe(1);
  });

  it('returns what it has when one Graph API fails: legacy alerts unavailable, alerts_v2 rate limited', async () => {
    graph.faults.serverErrors = 1_000;
    graph.faults.serverErrorsOn = 'legacyAlerts';
    try {
      const { body } = await observe(await issuer.mint({ aud: AUDIENCE, claims: { [TOKEN_KEY_CLAIM]: TOKEN_KEY } }), OBSERVABLES.slice(0, 3));
      expect(body.errors).toEqual([expect.objectContaining({ type: 'fatal', code: 'service unavailable' })]);
      // alerts_v2 and saaswatch still answer.
      expect(sourcesByValue(body)[ATTACKER_IP]).toEqual(['Microsoft Graph Security', 'saaswatch']);
      expect(sourcesByValue(body)[C2_DOMAIN]).toEqual(['Microsoft Graph Security']);
    } finally {
      graph.faults.serverErrors = 0;
      graph.faults.serverErrorsOn = 'all';
    }

    // A Retry-After longer than an analyst should wait: reported, not waited out.
    graph.faults.rateLimited = 1_000;
    graph.faults.rateLimitedOn = 'alerts';
    graph.faults.retryAfterSeconds = 120;
    try {
      const { body } = await observe(await issuer.mint({ aud: AUDIENCE, claims: { [TOKEN_KEY_CLAIM]: TOKEN_KEY } }), [{ type: 'ip', value: ATTACKER_IP }]);
      expect(body.errors).toEqual([expect.objectContaining({ type: 'fatal', code: 'too many requests' })]);
      // The legacy API and saaswatch still answer.
      expect(sourcesByValue(body)[ATTACKER_IP]).toEqual(['Microsoft Graph Security', 'saaswatch']);
    } finally {
      graph.faults.rateLimited = 0;
      graph.faults.rateLimitedOn = 'all';
    }
  });

  it("refuses a token signed by an attacker's own issuer, without fetching its keys", async () => {
    const graphCalls = graph.requests.length;
    const { status, body } = await observe(await attacker.mint({ aud: AUDIENCE }));
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([expect.objectContaining({ type: 'fatal', code: 'authorization error', message: expect.stringContaining('jwks') })]);
    expect(attacker.jwksRequests()).toBe(0);
    expect(graph.requests.length).toBe(graphCalls);
  });
});

describe('saaswatch serve --demo answers the curl saaswatch demo prints', () => {
  // A demo run as `saaswatch demo` records it (its database need not hold anything for Graph's half).
  const run = { seed: 11, users: 60, days: 3, end: '2026-12-06T09:06:37.000Z' };
  // Two months after the run: Graph's 30-day look-back still finds the run's alerts.
  const now = () => Date.parse(run.end) + 60 * 24 * HOUR;
  let dir: string;
  let demo: DemoServing;

  beforeAll(async () => {
    dir = tempDir('sw-serve-demo-');
    writeFileSync(join(dir, 'demo.yml'), 'data_dir: .\nstorage: { type: sqlite, path: demo.db }\n');
    writeDemoRun(dir, run);
    demo = await startDemoServe(dir, now, { port: 0, logger: silentLogger });
  });
  afterAll(async () => demo?.close());

  /** Runs a printed `curl -s -X POST -H … -d '…' URL` through fetch, the demo's server standing in for the default port. */
  async function runCurl(curl: string): Promise<RelayBody> {
    const withToken = curl.replace(/\$\(cat ([^)]+)\)/, (_, file: string) => readFileSync(file, 'utf8'));
    const m = /^curl -s -X POST -H "Authorization: Bearer ([^"]+)" -H 'Content-Type: application\/json' -d '([^']+)' (\S+)$/.exec(withToken);
    expect(m, curl).not.toBeNull();
    const url = m![3]!.replace(DEMO_SERVE_URL, demo.serving.server.url);
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${m![1]}`, 'content-type': 'application/json' }, body: m![2] });
    expect(res.status).toBe(200);
    return (await res.json()) as RelayBody;
  }

  it("serves the scenario's Graph alerts for the attacker's address, to the demo's curl and to its own", async () => {
    const ip = attackerIp(demoScenario(run));
    expect(demo.relay?.ip).toBe(ip);
    expect(readFileSync(join(dir, DEMO_RELAY_TOKEN_FILE), 'utf8')).toBe(demo.relay!.token);
    const scenario = demoScenario(run);
    // Identity Protection's alerts naming the address, from alerts_v2 and the legacy API.
    const names = (a: unknown) => JSON.stringify(a).includes(`"${ip}"`);
    const expected = [...scenario.microsoft.alerts.filter(names).map((a) => a.id), ...scenario.microsoft.legacyAlerts.filter(names).map((a) => a.id)].sort();
    expect(scenario.microsoft.alerts.filter(names).length).toBeGreaterThan(0);
    for (const curl of [demoCurl(dir, ip), demo.relay!.curl]) {
      const body = await runCurl(curl);
      expect(body.errors).toBeUndefined();
      const docs = body.data.sightings.docs as Array<Sighting & { external_ids: string[] }>;
      expect(docs.every((d) => d.source === 'Microsoft Graph Security' && d.observables[0]!.value === ip)).toBe(true);
      expect(docs.map((d) => d.external_ids[0]).sort()).toEqual(expected);
    }
  });
});
