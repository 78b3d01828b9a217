import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponder } from '../../app.js';
import { validateConfig } from '../../config/load.js';
import type { Store } from '../../core/store.js';
import { createServiceAccountKey, startFakeGoogle, type FakeGoogle } from '../../fakes/google/index.js';
import { createLogger } from '../../log.js';
import { registry } from '../../registry.js';
import { ADMIN, fixtureFiles, fixtureUsers, PAYROLL_ID } from '../../sources/google-workspace/fixtures/actions.js';
import { openStore } from '../../storage/index.js';
import type { ApiApp, Principal, Role } from '../context.js';
import { createHttpApp } from '../http.js';
import { sampleAlert } from './testing.js';

const NOW = Date.parse('2026-11-03T12:00:00.000Z');
const key = createServiceAccountKey();

interface World {
  app: ApiApp;
  store: Store;
  google: FakeGoogle;
  as(role: Role): { authorization: string };
}

let open: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of open.reverse()) await close();
  open = [];
});

/** The API over a responder whose one source is the Google Workspace fake (official SDK inside), with `execute` as response.execute. */
async function world(execute: string[]): Promise<World> {
  const clock = () => NOW;
  const google = await startFakeGoogle({ serviceAccounts: [key], users: fixtureUsers(), files: fixtureFiles() });
  // A test may close it early, to see a service down.
  open.push(() => google.close().catch(() => undefined));
  const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: clock });
  open.push(() => store.close());
  const config = validateConfig(
    {
      sources: [{ type: 'google-workspace', name: 'google', credentials: JSON.stringify(key.json), subject: ADMIN, base_url: google.url, token_url: google.tokenUrl }],
      detection: [{ type: 'sigma' }],
      response: { execute },
    },
    registry,
    { baseDir: process.cwd(), env: {} },
  );
  const logger = createLogger({ level: (process.env.DBG ?? 'silent') as 'silent' });
  const responder = createResponder(config, { store, logger, now: clock, deps: { logger, dataDir: process.cwd(), now: clock, files: store, state: store } });
  open.push(() => responder.close());
  const authenticate = async (req: FastifyRequest): Promise<Principal | undefined> => {
    const m = /^Bearer (viewer|analyst|admin)$/.exec(req.headers.authorization ?? '');
    return m ? { email: `${m[1]}@example.com`, role: m[1] as Role, via: 'token' } : undefined;
  };
  const app = await createHttpApp({ ctx: { store, config, clock, logger, responder }, authenticate });
  open.push(() => app.close());
  return { app, store, google, as: (role) => ({ authorization: `Bearer ${role}` }) };
}

const publicLink = (g: FakeGoogle) => (g.file(PAYROLL_ID)?.permissions ?? []).some((p) => p.type === 'anyone');

const act = (w: World, body: Record<string, unknown>, role: Role = 'analyst') =>
  w.app.inject({ method: 'POST', url: '/api/actions', headers: w.as(role), payload: body });

describe('GET /api/actions/offers', () => {
  it('lists what Google can do to a file, and whether each executes', async () => {
    const w = await world(['google/remove-public-link']);
    const res = await w.app.inject({ method: 'GET', url: `/api/actions/offers?target=${PAYROLL_ID}`, headers: w.as('viewer') });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ source: string; action: string; executes: boolean; target: { kind: string; id: string } }>;
    const link = items.find((o) => o.action === 'remove-public-link');
    expect(link).toMatchObject({ source: 'google', service: 'google-workspace', executes: true, disruptive: expect.any(Boolean), target: { kind: 'file', id: PAYROLL_ID } });
    expect(items.every((o) => o.target.kind === 'file')).toBe(true);
    expect(items.filter((o) => o.action !== 'remove-public-link').every((o) => !o.executes)).toBe(true);
  });

  it('offers user actions for an email, saaswatch\'s own block among them', async () => {
    const w = await world([]);
    const res = await w.app.inject({ method: 'GET', url: '/api/actions/offers?target=alice@example.com', headers: w.as('viewer') });
    const names = (res.json().items as Array<{ source: string; action: string }>).map((o) => `${o.source}/${o.action}`);
    expect(names).toContain('google/suspend-user');
    expect(names).toContain('saaswatch/block-user');
  });
});

describe('POST /api/actions', () => {
  it('a dry run plans and changes nothing', async () => {
    const w = await world(['google/remove-public-link']);
    const writes = w.google.writes.length;
    const res = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'payroll must not be public', execute: false });
    expect(res.statusCode).toBe(200);
    const [rec] = res.json().items;
    expect(rec).toMatchObject({ source: 'google', action: 'remove-public-link', status: 'dry-run', mode: 'dry-run', actor: 'api:analyst@example.com', reason: 'payroll must not be public' });
    expect(rec.plan).toEqual(expect.any(String));
    expect(w.google.writes.length).toBe(writes);
    expect(publicLink(w.google)).toBe(true);
  });

  it('with execute and the action enabled, the file loses its public link and the record says so, audited under the caller', async () => {
    const w = await world(['google/remove-public-link']);
    expect(publicLink(w.google)).toBe(true);
    const res = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'payroll must not be public', execute: true });
    expect(res.statusCode).toBe(200);
    const [rec] = res.json().items;
    expect(rec).toMatchObject({ status: 'done', mode: 'execute', target: { kind: 'file', id: PAYROLL_ID } });
    expect(rec.before).toBeTruthy();
    expect(rec.after).toBeTruthy();
    expect(JSON.stringify(rec.before)).not.toBe(JSON.stringify(rec.after));
    expect(publicLink(w.google)).toBe(false);
    // The partner's share is another action's job: still there.
    expect(w.google.file(PAYROLL_ID)!.permissions!.some((p) => p.emailAddress === 'partner@external.example.org')).toBe(true);
    const audit = await w.store.listAudit({ actor: 'api:analyst@example.com' });
    expect(audit.map((e) => e.action)).toContain('remove-public-link');

    const log = await w.app.inject({ method: 'GET', url: `/api/actions?target=${PAYROLL_ID}&status=done`, headers: w.as('viewer') });
    expect(log.json().items.map((x: { id: string }) => x.id)).toEqual([rec.id]);
  });

  it('refuses execute when the action is not enabled: 403 ACTION_REFUSED naming the fix, and nothing sent', async () => {
    const w = await world([]);
    const writes = w.google.writes.length;
    const res = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'payroll must not be public', execute: true });
    expect(res.statusCode).toBe(403);
    const err = res.json().error;
    expect(err.code).toBe('ACTION_REFUSED');
    expect(err.message).toMatch(/not enabled for execution on google/);
    expect(err.message).toMatch(/response\.execute/);
    expect(w.google.writes.length).toBe(writes);
    expect(publicLink(w.google)).toBe(true);
  });

  it('refuses an action nobody offers for the target, naming those offered', async () => {
    const w = await world([]);
    const res = await act(w, { action: 'suspend-user', target: PAYROLL_ID, reason: 'wrong target kind', execute: false });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'ACTION_REFUSED', message: expect.stringMatching(/offered: .*remove-public-link/) });
  });

  it('an action taken for an alert is listed with the alert\'s responses; an unknown alert is a 404 before anything runs', async () => {
    const w = await world([]);
    await w.store.saveAlerts([sampleAlert(1, { created: NOW - 3_600_000 })], []);
    const res = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'from the alert', execute: false, alert_id: 'alert-001' });
    expect(res.statusCode).toBe(200);
    const detail = await w.app.inject({ method: 'GET', url: '/api/alerts/alert-001', headers: w.as('viewer') });
    expect(detail.json().responses).toEqual([expect.objectContaining({ id: res.json().items[0].id, action: 'remove-public-link', status: 'dry-run', alertId: 'alert-001' })]);
    const unknown = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'x', execute: false, alert_id: 'alert-999' });
    expect(unknown.statusCode).toBe(404);
    expect(await w.store.countActions()).toBe(1);
  });

  it('a service that cannot be reached: the record says failed with the reason, and nothing claims done', async () => {
    const w = await world(['google/remove-public-link']);
    await w.google.close();
    const res = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'while Google is down', execute: true });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([expect.objectContaining({ status: 'failed', error: expect.stringMatching(/could not reach Google Workspace.*ECONNREFUSED/) })]);
  }, 30_000);

  it('a viewer may not act; a missing reason is a 400 naming body.reason', async () => {
    const w = await world(['google/remove-public-link']);
    const viewer = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: 'r', execute: true }, 'viewer');
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().error.code).toBe('FORBIDDEN');
    const noReason = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, execute: true });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.message).toContain('body.reason');
    const blank = await act(w, { action: 'remove-public-link', target: PAYROLL_ID, reason: '   ', execute: true });
    expect(blank.statusCode).toBe(400);
    expect(publicLink(w.google)).toBe(true);
    expect(await w.store.countActions()).toBe(0);
  });
});
