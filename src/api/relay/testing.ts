/**
 * A relay to test against: the app with the relay mounted, a store seeded with a brute force from an IP,
 * an impossible travel and a publicly shared file, a responder with a service that can suspend users,
 * Cisco's fake token issuer and an attacker's own, and a Graph half whose answers each test sets.
 */
import { Responder } from '../../actions/responder.js';
import { responseSchema } from '../../actions/config.js';
import { dedupKey, type Alert } from '../../core/alert.js';
import type { ActionConnector, ActionState } from '../../core/action.js';
import type { SecurityEvent } from '../../core/event.js';
import { errors } from '../../core/errors.js';
import type { Store } from '../../core/store.js';
import { validateConfig } from '../../config/load.js';
import { startJwksIssuer, type FakeJwksIssuer, type MintOptions } from '../../fakes/jwks/server.js';
import { createLogger } from '../../log.js';
import { registry } from '../../registry.js';
import { openStore } from '../../storage/index.js';
import type { ApiApp } from '../context.js';
import { createHttpApp } from '../http.js';
import { sampleAlert, sampleEvent } from '../routes/testing.js';
import { relaySchema, type RelayConfig } from './config.js';
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
export const GRAPH_CREDENTIALS: GraphCredentials = { tenant_id: 'contoso.onmicrosoft.com', application_id: '11111111-2222-3333-4444-555555555555', client_secret: 'from-the-token' };

/** The Graph port as tests drive it: answers set per observable value, every call recorded. */
export class GraphDouble implements GraphSightings {
  answers = new Map<string, SightingResult>();
  healthError: RelayError | undefined;
  calls: Array<{ observable: Observable; credentials: GraphCredentials; limit: number }> = [];
  healthCalls: GraphCredentials[] = [];

  async observe(observable: Observable, opts: { credentials: GraphCredentials; limit: number }): Promise<SightingResult> {
    this.calls.push({ observable, credentials: opts.credentials, limit: opts.limit });
    return this.answers.get(observable.value) ?? { sightings: [], errors: [] };
  }

  async health(opts: { credentials: GraphCredentials }): Promise<RelayError | undefined> {
    this.healthCalls.push(opts.credentials);
    return this.healthError;
  }
}

/** A service whose users the relay's suspend action changes (what a connector's fake does, in memory). */
export class UserService {
  suspended = new Set<string>();
  readonly users = new Set(['alice@example.com', 'bob@example.com']);

  connector(): ActionConnector {
    const known = (id: string) => {
      if (!this.users.has(id)) throw errors.httpRejected({ target: 'Test service', status: 404, detail: `no user ${id}`, details: { notFound: true } });
      return { suspended: this.suspended.has(id) };
    };
    return {
      service: 'google-workspace',
      actions: [
        {
          name: 'suspend-user',
          target: 'user',
          summary: 'Suspend the user',
          disruptive: true,
          read: async (t) => known(t.id),
          done: (s: ActionState) => s.suspended === true,
          plan: (t) => `would suspend ${t.id}`,
          apply: async (t) => void this.suspended.add(t.id),
        },
      ],
    };
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
  service: UserService;
  relay: RelayConfig;
  /** Moves the clock every part reads (token checks, the JWKS cache). */
  setNow(ms: number): void;
  /** A token from Cisco's fake issuer for this relay. */
  token(o?: Partial<MintOptions>): Promise<string>;
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

export async function relayWorld(o: { relay?: Record<string, unknown>; sources?: unknown[]; graph?: GraphDouble | null } = {}): Promise<RelayWorld> {
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

  const relayInput = { enabled: true, audience: AUDIENCE, jwks_hosts: [issuer.host], dashboard_url: DASHBOARD, ...o.relay };
  const config = validateConfig({ storage: { type: 'sqlite', path: ':memory:' }, sources: o.sources ?? [], relay: relayInput, response: { execute: ['suspend-user'] } }, registry, { baseDir: process.cwd(), env: {} });
  const relay = relaySchema.parse(relayInput);
  const logger = createLogger({ level: (process.env.DBG ?? 'silent') as 'silent' });
  const service = new UserService();
  const responder = new Responder({ store, connectors: new Map([['google', service.connector()]]), config: responseSchema.parse({ execute: ['suspend-user'] }), logger, now: clock });
  const ctx = { store, config, clock, logger, responder };
  const app = await createHttpApp({ ctx, authenticate: async () => undefined });
  const graph = o.graph === null ? undefined : (o.graph ?? new GraphDouble());
  await relayPlugin(ctx, relay, graph ? { graph } : {})(app);
  return {
    app, store, issuer, attacker, graph: graph ?? new GraphDouble(), service, relay,
    setNow: (ms) => void (now = ms),
    token: (m = {}) => issuer.mint({ aud: AUDIENCE, sub: 'xdr-module-1', ...m }),
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
      await store.close();
      await issuer.close();
      await attacker.close();
    },
  };
}
