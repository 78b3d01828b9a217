import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { errors, SaaswatchError, type ActionConnector, type ActionState, type Alert, type SecurityEvent, type Store } from '../core/index.js';
import { findingToAlert } from '../pipeline/alerts.js';
import { openStore } from '../storage/index.js';
import { responseSchema, type ResponseConfig } from './config.js';
import { checkResponseConfig, Responder, RATE_LIMIT_RULE } from './responder.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const MIN = 60_000;

/**
 * A small service with users and files whose state the responder changes: what a real connector's
 * fake does, in memory, so the responder's own rules (dry run, policies, limits, recovery) are
 * tested without a network. The connectors' wire formats are the action contract suite's job.
 */
class Service {
  users = new Map<string, { suspended: boolean }>([
    ['alice@acme.test', { suspended: false }],
    ['bob@acme.test', { suspended: false }],
    ['carol@acme.test', { suspended: false }],
    ['root@acme.test', { suspended: false }],
  ]);
  files = new Map<string, { public: boolean }>([['f-payroll', { public: true }]]);
  writes = 0;
  /** Errors thrown by the next calls, in order. */
  failures: unknown[] = [];
  /** When set, apply changes nothing yet answers OK (a service that lies). */
  ignoreWrites = false;
  /** Called after apply changed the state, before it returns (a crash between sending and recording). */
  afterWrite: (() => void) | undefined;

  #fail(): void {
    const f = this.failures.shift();
    if (f) throw f;
  }

  connector(): ActionConnector {
    const user = (id: string) => {
      const u = this.users.get(id);
      if (!u) throw errors.httpRejected({ target: 'Test service', status: 404, detail: `no user ${id}`, details: { notFound: true } });
      return u;
    };
    return {
      service: 'test-service',
      actions: [
        {
          name: 'suspend-user',
          target: 'user',
          summary: 'Suspend the user',
          disruptive: true,
          undo: 'unsuspend-user',
          read: async (t) => (this.#fail(), { suspended: user(t.id).suspended }),
          done: (s: ActionState) => s.suspended === true,
          plan: (t, b) => `would suspend ${t.id} (${b.suspended ? 'suspended' : 'active'} now)`,
          apply: async (t) => {
            this.#fail();
            this.writes++;
            if (!this.ignoreWrites) user(t.id).suspended = true;
            this.afterWrite?.();
          },
        },
        {
          name: 'unsuspend-user',
          target: 'user',
          summary: 'Unsuspend the user',
          disruptive: false,
          undo: 'suspend-user',
          read: async (t) => ({ suspended: user(t.id).suspended }),
          done: (s: ActionState) => s.suspended === false,
          plan: (t) => `would unsuspend ${t.id}`,
          apply: async (t) => {
            this.writes++;
            user(t.id).suspended = false;
          },
        },
        {
          name: 'remove-public-link',
          target: 'file',
          summary: 'Remove the public link',
          disruptive: false,
          read: async (t) => ({ public_link: this.files.get(t.id)?.public ?? false }),
          done: (s: ActionState) => s.public_link === false,
          plan: (t) => `would remove the public link of ${t.id}`,
          apply: async (t) => {
            this.writes++;
            this.files.get(t.id)!.public = false;
          },
        },
      ],
    };
  }
}

const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

interface Setup {
  store: Store;
  service: Service;
  responder: Responder;
  clock: { now: number };
}

async function setup(response: Record<string, unknown> = {}, service = new Service(), prior?: { store: Store; clock: { now: number } }): Promise<Setup> {
  const clock = prior?.clock ?? { now: T0 };
  const store = prior?.store ?? (await openStore({ dialect: 'sqlite', path: ':memory:', now: () => clock.now }));
  if (!prior) opened.push(store);
  const config: ResponseConfig = responseSchema.parse({ retry: { max_attempts: 3 }, ...response });
  const responder = new Responder({
    store,
    connectors: new Map([['svc', service.connector()]]),
    config,
    identities: { svc: { user_map: { 'a.smith@old.acme.test': 'alice@acme.test' } } },
    now: () => clock.now,
    logger: pino({ level: 'silent' }),
    route: () => ['soc'],
    sleep: async () => undefined,
  });
  return { store, service, responder, clock };
}

function alertOn(user: string, over: Partial<Alert> = {}): Alert {
  return findingToAlert(
    {
      rule: 'mass-download',
      title: `Mass download by ${user}`,
      severity: 'high',
      entity: { type: 'user', value: user },
      windowStart: T0 - 10 * MIN,
      windowEnd: T0,
      evidence: [],
      description: '300 downloads in 30 minutes',
      ...over,
    },
    new Date(T0),
  );
}

async function raise(s: Setup, alerts: Alert[]): Promise<void> {
  await s.store.saveAlerts(alerts, ['soc']);
  await s.responder.onAlerts(alerts);
}

const auditOf = async (store: Store, action?: string) => (await store.listAudit(action ? { action } : {})).reverse();

describe('responder: actions by hand', () => {
  it('dry-runs by default: reads, plans, audits, changes nothing', async () => {
    const s = await setup();
    const [rec] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: false, reason: 'checking', actor: 'ana' });
    expect(rec).toMatchObject({ status: 'dry-run', plan: 'would suspend bob@acme.test (active now)', before: { suspended: false }, mode: 'dry-run' });
    expect(s.service.writes).toBe(0);
    expect(s.service.users.get('bob@acme.test')!.suspended).toBe(false);
    const [entry] = await auditOf(s.store, 'suspend-user');
    expect(entry).toMatchObject({ actor: 'ana', details: { outcome: 'dry-run', target: 'bob@acme.test', before: { suspended: false }, reason: 'checking' } });
  });

  it('refuses to execute an action not enabled in response.execute, naming the key', async () => {
    const s = await setup();
    const err = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'x', actor: 'ana' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaaswatchError);
    expect((err as SaaswatchError).code).toBe('ACTION_REFUSED');
    expect((err as SaaswatchError).message).toMatch(/response\.execute/);
    expect(s.service.writes).toBe(0);
  });

  it('executes, verifies, and records before and after; a repeat is a success that sends nothing', async () => {
    const s = await setup({ execute: ['suspend-user'] });
    const [rec] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'stolen laptop', actor: 'ana' });
    expect(rec).toMatchObject({ status: 'done', before: { suspended: false }, after: { suspended: true } });
    expect(s.service.users.get('bob@acme.test')!.suspended).toBe(true);
    const [again] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'again', actor: 'ana' });
    expect(again!.status).toBe('already');
    expect(s.service.writes).toBe(1);
    expect((await auditOf(s.store, 'suspend-user')).map((e) => e.details.outcome)).toEqual(['done', 'already']);
  });

  it('uses the identity map: one person is one canonical user, known to each service by its own identity; a file goes to file actions only', async () => {
    const s = await setup();
    const offered = (t: string) => s.responder.offers(t).map((o) => [o.source, o.action, o.target.id]);
    const alice = [
      ['saaswatch', 'block-user', 'alice@acme.test'],
      ['saaswatch', 'unblock-user', 'alice@acme.test'],
      ['svc', 'suspend-user', 'a.smith@old.acme.test'],
      ['svc', 'unsuspend-user', 'a.smith@old.acme.test'],
    ];
    expect(offered('A.Smith@old.acme.test')).toEqual(alice);
    expect(offered('alice@acme.test')).toEqual(alice);
    expect(s.responder.offers('f-payroll').map((o) => o.action)).toEqual(['remove-public-link']);
    const err = await s.responder.act({ action: 'remove-public-link', target: 'bob@acme.test', execute: false, reason: 'x', actor: 'ana' }).catch((e: unknown) => e);
    expect((err as SaaswatchError).message).toMatch(/offered: block-user, unblock-user, suspend-user, unsuspend-user/);
  });

  it('retries what the service says to retry, through the shared policy; a refusal fails at once and is never done', async () => {
    const s = await setup({ execute: ['suspend-user'] });
    s.service.failures.push(errors.httpRetryable({ target: 'Test service', status: 503 }), errors.httpRetryable({ target: 'Test service', status: 429, retryAfterMs: 1000 }));
    const [ok] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'x', actor: 'ana' });
    expect(ok!.status).toBe('done');
    s.service.failures.push(errors.httpRejected({ target: 'Test service', status: 403, detail: 'grant the user.write scope' }));
    const [bad] = await s.responder.act({ action: 'suspend-user', target: 'carol@acme.test', execute: true, reason: 'x', actor: 'ana' });
    expect(bad).toMatchObject({ status: 'failed', error: expect.stringMatching(/403.*user\.write scope/) });
    expect(s.service.users.get('carol@acme.test')!.suspended).toBe(false);
    const entry = (await auditOf(s.store, 'suspend-user')).at(-1)!;
    expect(entry.details).toMatchObject({ outcome: 'failed', code: 'HTTP_REJECTED', target: 'carol@acme.test' });
  });

  it('does not report done when the service accepted the change but reads back unchanged', async () => {
    const s = await setup({ execute: ['suspend-user'] });
    s.service.ignoreWrites = true;
    const [rec] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'x', actor: 'ana' });
    expect(rec).toMatchObject({ status: 'failed', error: expect.stringMatching(/still shows suspended=false: not done/) });
  });

  it('requires a reason', async () => {
    const s = await setup();
    await expect(s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: false, reason: ' ', actor: 'ana' })).rejects.toThrow(/a reason is required/);
    await expect(s.responder.block({ user: 'bob@acme.test', reason: '', actor: 'ana' })).rejects.toThrow(/--reason/);
  });
});

describe('response config', () => {
  const connectors = new Map([['svc', new Service().connector()]]);
  const check = (r: Record<string, unknown>) => () => checkResponseConfig(responseSchema.parse(r), connectors);

  it('accepts actions the configured services offer, by name or source/name', () => {
    expect(check({ execute: ['suspend-user', 'svc/remove-public-link', 'block-user'], policies: [{ name: 'p', include: { rules: ['x'] }, actions: ['suspend-user', 'block-user'] }] })).not.toThrow();
  });

  it('names a typo, an unknown source and an action the source lacks, with what is known', () => {
    expect(check({ execute: ['suspend-usr'] })).toThrow(/response\.execute\[0\]: no configured service offers suspend-usr \(known: block-user, remove-public-link, suspend-user, unblock-user, unsuspend-user\)/);
    expect(check({ execute: ['google/suspend-user'] })).toThrow(/response\.execute\[0\]: no configured source named google offers actions \(sources with actions: svc\)/);
    expect(check({ execute: ['svc/sign-out-user'] })).toThrow(/source svc offers no action sign-out-user \(known: suspend-user, unsuspend-user, remove-public-link\)/);
    expect(check({ policies: [{ name: 'p', include: { rules: ['x'] }, actions: ['wipe-laptop'] }] })).toThrow(/response\.policies\[0\]\.actions\[0\]: no configured service offers wipe-laptop/);
  });

  it('refuses saaswatch/ with an action saaswatch does not have, and a member action in a policy', () => {
    expect(check({ execute: ['saaswatch/suspend-user'] })).toThrow(/saaswatch offers no action suspend-user/);
    const withMember = new Map([['svc', { ...new Service().connector(), actions: [{ ...new Service().connector().actions[2]!, name: 'remove-file-member', needsMember: true }] }]]);
    expect(() => checkResponseConfig(responseSchema.parse({ policies: [{ name: 'p', include: { rules: ['x'] }, actions: ['remove-file-member'] }] }), withMember)).toThrow(/needs a member to act on, which an alert does not name/);
  });

  it('refuses a policy that names no alerts, and duplicate policy names', () => {
    expect(() => responseSchema.parse({ policies: [{ name: 'p', actions: ['block-user'] }] })).toThrow(/include/);
    expect(() => responseSchema.parse({ policies: [{ name: 'p', include: { rules: ['a'] }, actions: ['block-user'] }, { name: 'p', include: { rules: ['b'] }, actions: ['block-user'] }] })).toThrow(/policy name p is used twice/);
  });
});

describe('responder: blocks', () => {
  it('blocks the canonical identity with scope and expiry, lifts it when it expires, and audits each step', async () => {
    const s = await setup();
    const b = await s.responder.block({ user: 'A.Smith@old.acme.test', reason: 'exfiltration', actor: 'ana', scope: 'download', forMs: 60 * MIN });
    expect(b).toMatchObject({ user: 'alice@acme.test', scope: 'download', blockedBy: 'ana', expiresAt: new Date(T0 + 60 * MIN).toISOString() });
    s.clock.now = T0 + 59 * MIN;
    await s.responder.tick();
    expect((await s.store.listBlockedUsers()).map((x) => x.user)).toEqual(['alice@acme.test']);
    s.clock.now = T0 + 60 * MIN;
    await s.responder.tick();
    expect(await s.store.listBlockedUsers()).toEqual([]);
    expect((await auditOf(s.store)).map((e) => [e.actor, e.action, e.details.user])).toEqual([
      ['ana', 'block', 'alice@acme.test'],
      ['saaswatch:expiry', 'unblock', 'alice@acme.test'],
    ]);
  });

  it('unblock records who and why, and says when there was nothing to lift', async () => {
    const s = await setup();
    await s.responder.block({ user: 'bob@acme.test', reason: 'r', actor: 'ana' });
    expect(await s.responder.unblock({ user: 'bob@acme.test', reason: 'cleared by HR', actor: 'ben' })).toMatchObject({ user: 'bob@acme.test', reason: 'r' });
    expect(await s.responder.unblock({ user: 'bob@acme.test', reason: 'again', actor: 'ben' })).toBeUndefined();
    expect((await auditOf(s.store, 'unblock'))[0]).toMatchObject({ actor: 'ben', details: { user: 'bob@acme.test', reason: 'cleared by HR' } });
  });
});

describe('responder: policies', () => {
  const suspendAfter = (after: string, extra: Record<string, unknown> = {}) => ({
    execute: ['suspend-user'],
    policies: [{ name: 'contain-exfil', min_severity: 'high', include: { rules: ['mass-download'] }, actions: ['suspend-user'], after }],
    ...extra,
  });

  it('waits `after`, then acts; linked to its alert', async () => {
    const s = await setup(suspendAfter('15m'));
    const alert = alertOn('bob@acme.test');
    await raise(s, [alert]);
    s.clock.now = T0 + 14 * MIN;
    expect(await s.responder.tick()).toBe(0);
    expect(s.service.users.get('bob@acme.test')!.suspended).toBe(false);
    s.clock.now = T0 + 15 * MIN;
    await s.responder.tick();
    expect(s.service.users.get('bob@acme.test')!.suspended).toBe(true);
    expect(await s.store.listActions({ alertId: alert.id })).toMatchObject([{ status: 'done', policy: 'contain-exfil', actor: 'rule:mass-download', automatic: true }]);
  });

  it('skips a service that does not know the user, and fails an action typed by hand on an unknown user', async () => {
    const s = await setup(suspendAfter('0s'));
    const alert = alertOn('nobody@acme.test');
    await raise(s, [alert]);
    await s.responder.tick();
    expect((await s.store.listActions({ alertId: alert.id }))[0]).toMatchObject({ status: 'skipped', error: expect.stringMatching(/no user nobody@acme\.test/) });
    const [byHand] = await s.responder.act({ action: 'suspend-user', target: 'nobody@acme.test', execute: true, reason: 'x', actor: 'ana' });
    expect(byHand!.status).toBe('failed');
  });

  it('cancels when an analyst acknowledges the alert first', async () => {
    const s = await setup(suspendAfter('15m'));
    const alert = alertOn('bob@acme.test');
    await raise(s, [alert]);
    await s.store.setAlertStatus(alert.id, 'acknowledged');
    s.clock.now = T0 + 20 * MIN;
    await s.responder.tick();
    expect(s.service.users.get('bob@acme.test')!.suspended).toBe(false);
    expect((await s.store.listActions({ alertId: alert.id }))[0]).toMatchObject({ status: 'cancelled', error: expect.stringMatching(/acknowledged/) });
  });

  it('dry-runs a policy action that response.execute does not enable, and never acts twice for a replayed alert', async () => {
    const s = await setup({ policies: suspendAfter('0s').policies });
    const alert = alertOn('bob@acme.test');
    await raise(s, [alert]);
    await raise(s, [alert]);
    await s.responder.tick();
    await s.responder.tick();
    expect(s.service.writes).toBe(0);
    expect((await s.store.listActions({ alertId: alert.id })).map((r) => r.status)).toEqual(['dry-run']);
  });

  it('never suspends a protected account automatically, though an analyst may', async () => {
    const s = await setup(suspendAfter('0s', { protected: ['root@*', 'breakglass@acme.test'] }));
    const alert = alertOn('Root@acme.test');
    await raise(s, [alert]);
    await s.responder.tick();
    expect(s.service.users.get('root@acme.test')!.suspended).toBe(false);
    expect((await s.store.listActions({ alertId: alert.id }))[0]).toMatchObject({ status: 'refused', error: expect.stringMatching(/protected account/) });
    const [byHand] = await s.responder.act({ action: 'suspend-user', target: 'root@acme.test', execute: true, reason: 'confirmed compromise', actor: 'ana' });
    expect(byHand!.status).toBe('done');
  });

  it('holds the rate limit: past max_automatic_per_hour it raises an alert instead of acting, and acts again an hour later', async () => {
    const s = await setup(suspendAfter('0s', { max_automatic_per_hour: 2 }));
    const users = ['bob@acme.test', 'carol@acme.test', 'root@acme.test'];
    await raise(s, users.map((u) => alertOn(u)));
    await s.responder.tick();
    const spared = users.filter((u) => !s.service.users.get(u)!.suspended);
    expect(spared).toHaveLength(1);
    expect((await s.store.listActions({ targetId: spared[0]! }))[0]).toMatchObject({ status: 'refused', error: expect.stringMatching(/rate limit: disruptive automatic actions reached 2 people/) });
    const held = await s.store.listAlerts({ rule: RATE_LIMIT_RULE });
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ severity: 'high', entity: { type: 'policy', value: 'contain-exfil' } });
    expect((await s.store.listDeliveries({ alertId: held[0]!.id })).map((d) => d.sink)).toEqual(['soc']);
    // The next hour, a new alert is acted on again.
    s.clock.now = T0 + 61 * MIN;
    const later = alertOn(spared[0]!, { windowStart: T0 + 50 * MIN, windowEnd: T0 + 60 * MIN });
    await s.store.saveAlerts([{ ...later, createdAt: new Date(s.clock.now).toISOString() }], ['soc']);
    await s.responder.onAlerts([{ ...later, createdAt: new Date(s.clock.now).toISOString() }]);
    await s.responder.tick();
    expect(s.service.users.get(spared[0]!)!.suspended).toBe(true);
  });

  it('acts on the files an alert`s evidence names, on the service that owns them', async () => {
    const s = await setup({ execute: ['remove-public-link'], policies: [{ name: 'unpublish', include: { rules: ['public-link'] }, actions: ['remove-public-link'] }] });
    const event = {
      '@timestamp': new Date(T0).toISOString(),
      event: { id: 'ev-pub', action: 'change_document_visibility', provider: 'test-service', dataset: 'test-service.drive', kind: 'event', category: ['file'], outcome: 'success' },
      user: { email: 'bob@acme.test' },
      file: { id: 'f-payroll', name: 'Payroll 2026.xlsx' },
    } as unknown as SecurityEvent;
    await s.store.commitBatch({ source: 'svc', events: [event] });
    const alert = alertOn('bob@acme.test', { rule: 'public-link', evidence: ['ev-pub'], windowStart: T0, windowEnd: T0 });
    await raise(s, [alert]);
    await s.responder.tick();
    expect(s.service.files.get('f-payroll')!.public).toBe(false);
    expect((await s.store.listActions({ alertId: alert.id }))[0]).toMatchObject({ status: 'done', target: { kind: 'file', id: 'f-payroll', owner: 'bob@acme.test' } });
  });

  it('carries out a detector`s own proposal (baseline.auto_block) as a policy: blocked once, linked to the alert', async () => {
    const s = await setup();
    const alert = alertOn('bob@acme.test', { rule: 'baseline', actions: [{ type: 'block-user', user: 'Bob@acme.test', reason: 'download spike' }] });
    await raise(s, [alert]);
    await raise(s, [alert]);
    await s.responder.tick();
    expect(await s.store.listBlockedUsers()).toMatchObject([{ user: 'bob@acme.test', blockedBy: 'rule:baseline', alertId: alert.id, reason: 'download spike' }]);
    expect((await s.store.listActions({ alertId: alert.id })).map((r) => [r.action, r.status, r.policy])).toEqual([['block-user', 'done', 'detector:baseline']]);
    expect(await auditOf(s.store, 'block')).toHaveLength(1);
  });

  it('catches up at start on alerts whose policies were never queued', async () => {
    const s = await setup(suspendAfter('0s'));
    const alert = alertOn('bob@acme.test');
    await s.store.saveAlerts([alert], ['soc']);
    expect(await s.responder.catchUp()).toBe(1);
    await s.responder.tick();
    expect(s.service.users.get('bob@acme.test')!.suspended).toBe(true);
  });
});

describe('responder: the config as it is when an action runs', () => {
  const policy = (actions: string[], after = '10m') => [{ name: 'contain', include: { rules: ['mass-download'] }, actions, after }];

  it('cancels a queued action whose policy no longer asks for it, and dry-runs one no longer enabled', async () => {
    const s = await setup({ execute: ['suspend-user'], policies: policy(['suspend-user']) });
    const a = alertOn('bob@acme.test');
    const b = alertOn('carol@acme.test');
    await raise(s, [a, b]);
    s.clock.now = T0 + 10 * MIN;
    // Restarted with the policy dropped for one alert's action, and execution switched off.
    const gone = await setup({ policies: [{ name: 'other', include: { rules: ['x'] }, actions: ['suspend-user'] }] }, s.service, s);
    await gone.responder.tick();
    expect((await s.store.listActions()).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    const s2 = await setup({ execute: ['suspend-user'], policies: policy(['suspend-user']) });
    await raise(s2, [a]);
    s2.clock.now = T0 + 10 * MIN;
    const off = await setup({ policies: policy(['suspend-user']) }, s2.service, s2);
    await off.responder.tick();
    expect((await s2.store.listActions())[0]).toMatchObject({ status: 'dry-run', mode: 'dry-run' });
    expect(s2.service.writes).toBe(0);
  });

  it('does not send again, after a stop, an action no longer enabled; it records what it finds', async () => {
    const s = await setup({ execute: ['suspend-user'], policies: policy(['suspend-user'], '0s') });
    await raise(s, [alertOn('bob@acme.test')]);
    const [queued] = await s.store.listActions();
    await s.store.updateAction(queued!.id, { status: 'started', before: { suspended: false }, attempts: 1 }, { from: 'pending' });
    const off = await setup({ policies: policy(['suspend-user'], '0s') }, s.service, s);
    await off.responder.tick();
    expect(s.service.writes).toBe(0);
    expect((await s.store.listActions())[0]).toMatchObject({ status: 'refused', error: expect.stringMatching(/no longer in response\.execute/) });
  });

  it('a dry run by hand never resumes (so never sends) an action a crash left started', async () => {
    const s = await setup({ execute: ['suspend-user'] });
    const [rec] = await s.store.queueActions([{ key: 'manual:x', source: 'svc', service: 'test-service', action: 'suspend-user', target: { kind: 'user', id: 'bob@acme.test' }, actor: 'ana', reason: 'r', mode: 'execute', automatic: false, disruptive: true, dueAt: T0 }]);
    await s.store.updateAction(rec!.id, { status: 'started', before: { suspended: false }, attempts: 1 }, { from: 'pending' });
    const [dry] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: false, reason: 'look', actor: 'ben' });
    expect(dry!.status).toBe('dry-run');
    expect(s.service.writes).toBe(0);
    expect((await s.store.listActions({ status: ['started'] })).map((r) => r.id)).toEqual([rec!.id]);
    // Executing it finishes the old one first (not done: sent again), so the new request finds it done.
    const [live] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'confirmed', actor: 'ben' });
    expect(live!.status).toBe('already');
    expect(s.service.writes).toBe(1);
    expect((await s.store.listActions({ status: ['done'] })).map((r) => r.id)).toEqual([rec!.id]);
    expect((await s.store.listActions({ status: ['started'] }))).toEqual([]);
  });
});

describe('responder: who a policy may act on', () => {
  it('knows a protected account by its canonical identity, whatever the service calls it', async () => {
    const service = new Service();
    service.users.set('a.smith@old.acme.test', { suspended: false });
    const s = await setup({ execute: ['suspend-user'], protected: ['alice@acme.test'], policies: [{ name: 'p', include: { rules: ['mass-download'] }, actions: ['suspend-user', 'block-user'] }] }, service);
    await raise(s, [alertOn('alice@acme.test')]);
    await s.responder.tick();
    expect(service.users.get('a.smith@old.acme.test')!.suspended).toBe(false);
    expect((await s.store.listActions()).map((r) => [r.action, r.target.id, r.status]).sort()).toEqual([
      ['block-user', 'alice@acme.test', 'refused'],
      ['suspend-user', 'a.smith@old.acme.test', 'refused'],
    ]);
  });

  it('never acts on the users of an alert about an address (a spray`s victims)', async () => {
    const s = await setup({ execute: ['suspend-user'], policies: [{ name: 'p', include: { rules: ['password-spray'] }, actions: ['suspend-user', 'block-user'] }] });
    const event = (n: number, user: string) =>
      ({ '@timestamp': new Date(T0 + n).toISOString(), event: { id: `ev-${n}`, action: 'login', provider: 'json-logs', dataset: 'auth', kind: 'event', category: ['authentication'], outcome: 'failure' }, user: { email: user }, source: { ip: '203.0.113.9' } }) as unknown as SecurityEvent;
    await s.store.commitBatch({ source: 'svc', events: [event(1, 'bob@acme.test'), event(2, 'carol@acme.test')] });
    await raise(s, [alertOn('203.0.113.9', { rule: 'password-spray', entity: { type: 'ip', value: '203.0.113.9' }, evidence: ['ev-1', 'ev-2'] })]);
    await s.responder.tick();
    expect(await s.store.listActions()).toEqual([]);
    expect(s.service.writes).toBe(0);
  });

  it('counts people for the rate limit, and counts a send that failed (it may have landed)', async () => {
    const s = await setup({ execute: ['suspend-user'], max_automatic_per_hour: 1, policies: [{ name: 'p', include: { rules: ['mass-download'] }, actions: ['suspend-user'] }] });
    // The first send times out: it may have suspended bob, so it counts.
    s.service.failures.push(undefined, errors.timeout({ target: 'Test service' }), errors.timeout({ target: 'Test service' }), errors.timeout({ target: 'Test service' }));
    s.service.ignoreWrites = true;
    await raise(s, [alertOn('bob@acme.test')]);
    await s.responder.tick();
    expect((await s.store.listActions({ targetId: 'bob@acme.test' }))[0]).toMatchObject({ status: 'failed', attempts: 1 });
    s.service.ignoreWrites = false;
    await raise(s, [alertOn('carol@acme.test')]);
    await s.responder.tick();
    expect((await s.store.listActions({ targetId: 'carol@acme.test' }))[0]).toMatchObject({ status: 'refused', error: expect.stringMatching(/reached 1 people/) });
    // The same person again is the same containment, not one more person.
    const again = alertOn('bob@acme.test', { windowStart: T0 + MIN, windowEnd: T0 + MIN });
    await raise(s, [again]);
    await s.responder.tick();
    expect((await s.store.listActions({ alertId: again.id }))[0]!.status).toBe('done');
  });

  it('records done when the answer was an error but the change landed', async () => {
    const s = await setup({ execute: ['suspend-user'], retry: { max_attempts: 1 } });
    s.service.afterWrite = () => {
      throw errors.timeout({ target: 'Test service' });
    };
    const [rec] = await s.responder.act({ action: 'suspend-user', target: 'bob@acme.test', execute: true, reason: 'x', actor: 'ana' });
    expect(rec).toMatchObject({ status: 'done', after: { suspended: true }, error: expect.stringMatching(/change landed/) });
  });

  it('a narrower block is not the block asked for: block-user widens it', async () => {
    const s = await setup();
    await s.responder.block({ user: 'bob@acme.test', reason: 'downloads', actor: 'ana', scope: 'download' });
    const [rec] = await s.responder.act({ action: 'block-user', target: 'bob@acme.test', execute: true, reason: 'everything', actor: 'ana', scope: 'all' });
    expect(rec).toMatchObject({ status: 'done', before: { blocked: true, scope: 'download', covered: false } });
    expect((await s.store.listBlockedUsers())[0]!.scope).toBe('all');
    const [again] = await s.responder.act({ action: 'block-user', target: 'bob@acme.test', execute: true, reason: 'download only', actor: 'ana', scope: 'download' });
    expect(again!.status).toBe('already');
  });

  it('catches up on a detector`s proposal even with no policy configured', async () => {
    const s = await setup();
    const alert = alertOn('bob@acme.test', { rule: 'baseline', actions: [{ type: 'block-user', user: 'bob@acme.test', reason: 'spike' }] });
    await s.store.saveAlerts([alert], ['soc']);
    expect(await s.responder.catchUp()).toBe(1);
    await s.responder.tick();
    expect((await s.store.listBlockedUsers()).map((b) => b.user)).toEqual(['bob@acme.test']);
  });
});

describe('responder: a crash between sending and recording', () => {
  const config = { execute: ['suspend-user'], policies: [{ name: 'contain', include: { rules: ['mass-download'] }, actions: ['suspend-user'] }] };

  it('verifies a sent action on the next start and records it once', async () => {
    const s = await setup(config);
    const alert = alertOn('bob@acme.test');
    await raise(s, [alert]);
    // What a kill after sending leaves: the record started with its before state, the service changed.
    const [queued] = await s.store.listActions({ alertId: alert.id });
    await s.store.updateAction(queued!.id, { status: 'started', before: { suspended: false }, plan: 'would suspend bob@acme.test', attempts: 1 }, { from: 'pending' });
    s.service.users.get('bob@acme.test')!.suspended = true;
    const restarted = await setup(config, s.service, s);
    await restarted.responder.tick();
    expect(s.service.writes).toBe(0);
    expect((await s.store.listActions({ alertId: alert.id }))[0]).toMatchObject({ status: 'done', before: { suspended: false }, after: { suspended: true } });
    const done = (await auditOf(s.store, 'suspend-user')).filter((e) => e.details.outcome === 'done');
    expect(done).toHaveLength(1);
    expect(done[0]!.details).toMatchObject({ recovered: true, before: { suspended: false }, after: { suspended: true } });
    await restarted.responder.tick();
    expect(await auditOf(s.store, 'suspend-user')).toHaveLength(1);
  });

  it('sends again when the kill came before the service changed', async () => {
    const s = await setup(config);
    const alert = alertOn('bob@acme.test');
    await raise(s, [alert]);
    const [queued] = await s.store.listActions({ alertId: alert.id });
    await s.store.updateAction(queued!.id, { status: 'started', before: { suspended: false }, attempts: 1 }, { from: 'pending' });
    const restarted = await setup(config, s.service, s);
    await restarted.responder.tick();
    expect(s.service.writes).toBe(1);
    expect((await s.store.listActions({ alertId: alert.id }))[0]!.status).toBe('done');
  });
});
