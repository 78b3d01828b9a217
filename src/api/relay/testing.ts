/**
 * A relay to test against: the app with the relay mounted, a store seeded with a brute force from an IP,
 * an impossible travel and a publicly shared file, the app's own responder (with, on request, a
 * microsoft-graph source against its fake, whose suspend-user is enabled), Cisco's fake token issuer
 * and an attacker's own, and a Graph half whose answers each test sets.
 */
import type { ActionFixture } from '../../actions/testing.js';
import { createResponder } from '../../app.js';
import { dedupKey, type Alert } from '../../core/alert.js';
import type { SecurityEvent } from '../../core/event.js';
import type { Store } from '../../core/store.js';
import { validateConfig } from '../../config/load.js';
import { startJwksIssuer, type FakeJwksIssuer, type MintOptions } from '../../fakes/jwks/server.js';
import { createLogger } from '../../log.js';
import { registry } from '../../registry.js';
import { openStore } from '../../storage/index.js';
import type { ApiApp } from '../context.js';
import { createHttpApp } from '../http.js';
import { actionHarness } from '../../sources/microsoft-graph/fixtures/actions.js';
import { sampleAlert, sampleEvent } from '../routes/testing.js';
import { relaySchema, TOKEN_KEY_CLAIM, type RelayConfig } from './config.js';
import { relayPlugin } from './plugin.js';
import type { GraphCredentials, GraphSightings, Observable, RelayError, SightingResult } from './types.js';

export const NOW = Date.parse('2026-03-02T09:00:00.000Z');
export const AUDIENCE = 'https://saaswatch.example.com';
export const DASHBOARD = 'https://saaswatch.example.com';
const MIN = 60_000;
const HOUR = 60 * MIN;

/** The attacker's address (PLACES[1] of the route fixtures), the victim, and the file shared publicly. */
export const ATTACKER_IP = '203.0.113.9';
export const VICTIM = 'alice@example.com';
export const PUBLIC_FILE = { key: 'dropbox:id:payroll', fileId: 'id:payroll', name: 'payroll-2026.xlsx' };
/** relay.token_key of the test relay; tokens from `token()` carry it unless told otherwise. */
export const TOKEN_KEY = 'k3y-of-this-saaswatch-deployment';
export const GRAPH_CREDENTIALS: GraphCredentials = { tenant_id: 'contoso.onmicrosoft.com', application_id: '11111111-2222-3333-4444-555555555555', client_secret: 'from-the-token' };

/** The Graph port as tests drive it: answers set per observable value, every call recorded. */
export class GraphDouble implements GraphSightings {
  answers = new Map<string, SightingResult>();
  healthError: RelayError | undefined;
  calls: Array<{ observable: Observable; credentials: GraphCredentials; limit: number }> = [];
  healthCalls: GraphCredentials[] = [];

  async observe(observable: Observable, opts: { credentials: GraphCredentials; limit: number; signal?: AbortSignal }): Promise<SightingResult> {
    this.calls.push({ observable, credentials: opts.credentials, limit: opts.limit });
    return this.answers.get(observable.value) ?? { sightings: [], errors: [] };
  }

  async health(opts: { credentials: GraphCredentials }): Promise<RelayError | undefined> {
    this.healthCalls.push(opts.credentials);
    return this.healthError;
  }
}

/** A relay answer, loosely typed for assertions. */
export interface RelayBody {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each endpoint's data differs; tests assert on it
  data?: any;
  errors?: RelayError[];
  version?: string;
}

export interface RelayWorld {
  app: ApiApp;
  store: Store;
  issuer: FakeJwksIssuer;
  attacker: FakeJwksIssuer;
  graph: GraphDouble;
  /** The fake Graph tenant the microsoft-graph source acts on (with `m365`). */
  m365?: ActionFixture;
  relay: RelayConfig;
  /** Moves the clock every part reads (token checks, the JWKS cache). */
  setNow(ms: number): void;
  /** A token from Cisco's fake issuer for this relay, carrying TOKEN_KEY (`tokenKey`: another value; null: none). */
  token(o?: Partial<MintOptions> & { tokenKey?: string | null }): Promise<string>;
  post(path: string, body: unknown, token?: string, headers?: Record<string, string>): Promise<{ status: number; json: RelayBody }>;
  close(): Promise<void>;
}

/** Logins from the attacker's IP (failures, then one success), the victim's usual logins, downloads of the shared file. */
function seedEvents(): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  let n = 1000;
  for (let i = 0; i < 12; i++) events.push(sampleEvent(n++, NOW - 3 * HOUR + i * MIN, { user: VICTIM, kind: 'login', place: 1, outcome: i < 11 ? 'failure' : 'success' }));
  for (let i = 0; i < 6; i++) events.push(sampleEvent(n++, NOW - 30 * HOUR + i * HOUR, { user: VICTIM, kind: 'login', place: 0 }));
  for (let i = 0; i < 3; i++) events.push(sampleEvent(n++, NOW - 2 * HOUR + i * MIN, { user: 'bob@example.com', kind: 'download', place: 0, fileId: PUBLIC_FILE.fileId }));
  return events;
}

function seedAlerts(events: readonly SecurityEvent[]): Alert[] {
  const failures = events.filter((e) => e.source?.ip === ATTACKER_IP).map((e) => e.event.id);
  const brute = sampleAlert(1, { rule: 'brute-force', severity: 'high', created: NOW - 2 * HOUR, evidence: failures });
  const ipEntity = { type: 'ip', value: ATTACKER_IP };
  const travel = sampleAlert(2, { rule: 'impossible-travel', severity: 'critical', user: VICTIM, created: NOW - 90 * MIN });
  const shared = sampleAlert(3, { rule: 'public-share', severity: 'medium', created: NOW - 100 * MIN });
  const fileEntity = { type: 'file', value: PUBLIC_FILE.fileId };
  return [
    { ...brute, entity: ipEntity, dedupKey: dedupKey({ ...brute, entity: ipEntity }), title: `Brute force from ${ATTACKER_IP}: 11 failed logins` },
    { ...travel, title: `Impossible travel for ${VICTIM}: Berlin to São Paulo in 20 minutes` },
    { ...shared, entity: fileEntity, dedupKey: dedupKey({ ...shared, entity: fileEntity }), title: `${PUBLIC_FILE.name} shared publicly` },
  ];
}

/** `m365`: a microsoft-graph source (its fake tenant started), with `execute` as response.execute (default: its suspend-user). */
/** `graph: null` with `fetch`: the real Graph half (against the fake Graph, say), its requests made with that fetch. */
/** `relay` overrides the relay section (default: token_key TOKEN_KEY, respond on). */
export async function relayWorld(o: { relay?: Record<string, unknown>; m365?: boolean; execute?: string[]; protected?: string[]; deadlineMs?: number; graph?: GraphDouble | null; fetch?: typeof fetch } = {}): Promise<RelayWorld> {
  let now = NOW;
  const clock = () => now;
  const issuer = await startJwksIssuer({ clock });
  const attacker = await startJwksIssuer({ clock });
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: clock });
  const events = seedEvents();
  await store.commitBatch({ source: 'google', events });
  await store.saveAlerts(seedAlerts(events), []);
  await store.upsertFile({ key: PUBLIC_FILE.key, provider: 'dropbox', fileId: PUBLIC_FILE.fileId, name: PUBLIC_FILE.name, owner: VICTIM, visibility: 'public', data: {}, deleted: false });
  await store.upsertFile({ key: 'dropbox:id:notes', provider: 'dropbox', fileId: 'id:notes', name: 'notes.txt', owner: VICTIM, visibility: 'private', data: {}, deleted: false });

  const relayInput = { enabled: true, audience: AUDIENCE, jwks_hosts: [issuer.host], dashboard_url: DASHBOARD, token_key: TOKEN_KEY, respond: true, ...o.relay };
  const m365 = o.m365 ? await actionHarness.start() : undefined;
  const sources = m365 ? [{ type: 'microsoft-graph', name: 'm365', ...m365.config }] : [];
  const config = validateConfig({ storage: { type: 'sqlite', path: ':memory:' }, sources, relay: relayInput, response: { execute: o.execute ?? (m365 ? ['m365/suspend-user'] : []), ...(o.protected ? { protected: o.protected } : {}) } }, registry, { baseDir: process.cwd(), env: {} });
  const relay = relaySchema.parse(relayInput);
  const logger = createLogger({ level: (process.env.DBG ?? 'silent') as 'silent' });
  const responder = createResponder(config, { store, deps: { logger, dataDir: config.dataDir, files: store, state: store, now: clock }, logger, now: clock });
  const ctx = { store, config, clock, logger, responder };
  const app = await createHttpApp({ ctx, authenticate: async () => undefined });
  const graph = o.graph === null ? undefined : (o.graph ?? new GraphDouble());
  await relayPlugin(ctx, relay, { ...(graph ? { graph } : {}), ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.deadlineMs === undefined ? {} : { deadlineMs: o.deadlineMs }) })(app);
  return {
    app, store, issuer, attacker, graph: graph ?? new GraphDouble(), relay, ...(m365 ? { m365 } : {}),
    setNow: (ms) => void (now = ms),
    token: ({ tokenKey = TOKEN_KEY, ...m } = {}) => issuer.mint({ aud: AUDIENCE, sub: 'xdr-module-1', ...m, claims: { ...(tokenKey === null ? {} : { [TOKEN_KEY_CLAIM]: tokenKey }), ...m.claims } }),
    async post(path, body, token, headers = {}) {
      const res = await app.inject({
        method: 'POST',
        url: `${relay.prefix}${path}`,
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.statusCode, json: res.json<RelayBody>() };
    },
    async close() {
      await app.close();
      await responder.close();
      await store.close();
      await issuer.close();
      await attacker.close();
      await m365?.close();
    },
  };
}
