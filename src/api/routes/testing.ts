/** A realistic small world for route tests: a SQLite store with logins, file events, alerts, a block, a file, an identity and a dead letter, and an app whose fake authenticate reads the role from the bearer token. */
import type { FastifyRequest } from 'fastify';
import { Responder } from '../../actions/responder.js';
import { dedupKey, type Alert, type Severity } from '../../core/alert.js';
import { eventId } from '../../core/hash.js';
import type { SecurityEvent } from '../../core/event.js';
import type { Store } from '../../core/store.js';
import { validateConfig } from '../../config/load.js';
import { createLogger } from '../../log.js';
import { registry } from '../../registry.js';
import { openStore } from '../../storage/index.js';
import type { ApiApp, Principal, Role } from '../context.js';
import { createHttpApp } from '../http.js';

export const NOW = Date.parse('2026-03-02T09:00:00.000Z');
const HOUR = 3_600_000;

export const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com'] as const;

const PLACES = [
  { ip: '198.51.100.7', country: 'DE', name: 'Germany', city: 'Berlin', lat: 52.52, lon: 13.4, asn: 3320, org: 'Deutsche Telekom' },
  { ip: '203.0.113.9', country: 'BR', name: 'Brazil', city: 'São Paulo', lat: -23.55, lon: -46.63, asn: 28573, org: 'Claro' },
] as const;

/** A login (Google Workspace shaped) or a Drive download at `ts`. */
export function sampleEvent(n: number, ts: number, o: { user: string; kind: 'login' | 'download'; place?: 0 | 1; fileId?: string; outcome?: 'success' | 'failure' }): SecurityEvent {
  const p = PLACES[o.place ?? 0];
  const raw = { n, kind: o.kind, user: o.user, ts };
  const login = o.kind === 'login';
  return {
    '@timestamp': new Date(ts).toISOString(),
    event: {
      id: eventId('test', raw), kind: 'event', category: login ? ['authentication'] : ['file'], action: login ? 'login_success' : 'download',
      outcome: o.outcome ?? 'success', provider: login ? 'google-workspace' : 'dropbox', dataset: login ? 'google-workspace.login' : 'dropbox.events', ingested: new Date(ts + 60_000).toISOString(),
    },
    user: { email: o.user },
    source: { ip: p.ip, geo: { country_iso_code: p.country, country_name: p.name, city_name: p.city, location: { lat: p.lat, lon: p.lon } }, as: { number: p.asn, organization: { name: p.org } } },
    user_agent: { original: `Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 #${o.place ?? 0}`, name: 'Chrome', os: { name: 'Linux' } },
    ...(o.fileId ? { file: { id: o.fileId, name: `${o.fileId}.pdf` } } : {}),
    raw,
  };
}

export function sampleAlert(n: number, o: { rule?: string; severity?: Severity; user?: string; created: number; evidence?: string[]; observed?: Record<string, number> }): Alert {
  const base = { rule: o.rule ?? 'brute-force', entity: { type: 'user', value: o.user ?? USERS[n % USERS.length]! }, windowStart: o.created - HOUR };
  return {
    ...base,
    id: `alert-${String(n).padStart(3, '0')}`,
    dedupKey: dedupKey(base),
    title: `Finding ${n}`,
    severity: o.severity ?? 'medium',
    windowEnd: o.created - 60_000,
    evidence: o.evidence ?? [],
    description: `${n} things seen, expected fewer`,
    observed: o.observed ?? { failures: 10 + n },
    expected: { failures: 2 },
    status: 'open',
    createdAt: new Date(o.created).toISOString(),
    tags: ['test'],
  };
}

export interface ApiWorld {
  app: ApiApp;
  store: Store;
  events: SecurityEvent[];
  alerts: Alert[];
  /** Headers that authenticate as an account of `role`, through a token. */
  as(role: Role): { authorization: string };
  close(): Promise<void>;
}

/** Events (120 per user over two days: logins from two countries, downloads of two files), 25 alerts, a blocked user, a file, an identity, a cursor and a dead letter. */
export async function apiWorld(): Promise<ApiWorld> {
  const clock = () => NOW;
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: clock });
  const events: SecurityEvent[] = [];
  let n = 0;
  for (const user of USERS) {
    for (let i = 0; i < 120; i++) {
      const ts = NOW - 48 * HOUR + i * 20 * 60_000 + USERS.indexOf(user) * 1000;
      const kind = i % 3 === 0 ? 'download' : 'login';
      events.push(sampleEvent(n++, ts, { user, kind, place: (i % 10 === 9 ? 1 : 0), ...(kind === 'download' ? { fileId: i % 2 ? 'file-a' : 'file-b' } : {}), ...(i % 7 === 0 && kind === 'login' ? { outcome: 'failure' } : {}) }));
    }
  }
  await store.commitBatch({ source: 'google', events, cursor: 'page-42', deadLetters: [{ source: 'google', code: 'PARSE', reason: 'not JSON', payload: '{oops' }] });
  const travel = events.filter((e) => e.user?.email === USERS[0] && e.event.action === 'login_success').slice(-12).map((e) => e.event.id);
  const alerts: Alert[] = [];
  const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
  for (let i = 0; i < 25; i++) {
    alerts.push(sampleAlert(i, { severity: severities[i % 4]!, created: NOW - (25 - i) * HOUR, rule: i % 5 === 0 ? 'impossible-travel' : 'brute-force', ...(i === 24 ? { evidence: travel } : {}) }));
  }
  await store.saveAlerts(alerts, []);
  await store.blockUser({ user: 'mallory@example.com', reason: 'stolen laptop', blockedBy: 'web:lead@example.com' });
  await store.upsertFile({ key: 'dropbox:file-a', provider: 'dropbox', fileId: 'file-a', name: 'plans.pdf', owner: USERS[0], visibility: 'external', data: { externalDomains: ['partner.io'] }, deleted: false });
  await store.upsertFile({ key: 'dropbox:file-b', provider: 'dropbox', fileId: 'file-b', name: 'notes.txt', owner: USERS[1], visibility: 'private', data: {}, deleted: false });
  // What the PII scanner stores: counts and masked samples, never the values.
  await store.setClassification(
    { key: 'dropbox:file-a', provider: 'dropbox', fileId: 'file-a' },
    {
      sensitivity: 'high',
      entities: { counts: { CREDIT_CARD: 120, US_SSN: 3 }, samples: { CREDIT_CARD: ['************1111', '************4444'], US_SSN: ['***-**-1120'] } },
      contentHash: 'dropbox:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      scannedAt: new Date(NOW - HOUR).toISOString(),
    },
  );
  await store.putIdentity('dropbox', 'dbid:AAA', USERS[0]);
  const config = validateConfig({ sources: [{ type: 'google-workspace', name: 'google', customer_id: 'C0', subject: 'admin@example.com', credentials_file: '/dev/null' }], detection: [{ type: 'brute-force' }, { type: 'sigma' }] }, registry, { baseDir: process.cwd(), env: {} });
  const logger = createLogger({ level: (process.env.DBG ?? 'silent') as 'silent' });
  const responder = new Responder({ store, connectors: new Map(), config: config.response, logger, now: clock });
  const authenticate = async (req: FastifyRequest): Promise<Principal | undefined> => {
    const m = /^Bearer (viewer|analyst|admin)$/.exec(req.headers.authorization ?? '');
    return m ? { email: `${m[1]}@example.com`, role: m[1] as Role, via: 'token' } : undefined;
  };
  const app = await createHttpApp({ ctx: { store, config, clock, logger, responder }, authenticate });
  return {
    app, store, events, alerts,
    as: (role) => ({ authorization: `Bearer ${role}` }),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
