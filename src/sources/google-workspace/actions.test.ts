import { drive } from '@googleapis/drive';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionConnector, ActionTarget, ConnectorAction } from '../../core/index.js';
import { Redactor, SaaswatchError } from '../../core/index.js';
import { createServiceAccountKey, startFakeGoogle, type FakeGoogle } from '../../fakes/google/index.js';
import { generateScenario } from '../../fakes/scenario/generate.js';
import { DIRECTORY_SECURITY_SCOPE, DIRECTORY_USER_SCOPE, DRIVE_WRITE_SCOPE, createGoogleWorkspaceActions } from './actions.js';
import { createJwt, sdkOptions } from './client.js';
import { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig } from './config.js';
import { actionHarness, ADMIN, fixtureFiles, fixtureUsers, PAYROLL_ID } from './fixtures/actions.js';
import { googleWorkspacePlugin } from './source.js';
import { failureOf } from '../../core/testing.js';

const key = createServiceAccountKey();
const PRIVATE_KEY_LINE = (key.json as { private_key: string }).private_key.split('\n')[1]!;
const signal = new AbortController().signal;
const ALICE = 'alice@example.com';
const FILE: ActionTarget = { kind: 'file', id: PAYROLL_ID, owner: ALICE };

let fake: FakeGoogle | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(): Promise<{ fake: FakeGoogle; config: GoogleWorkspaceConfig; connector: ActionConnector; action: (name: string) => ConnectorAction }> {
  fake = await startFakeGoogle({ serviceAccounts: [key], users: fixtureUsers(), files: fixtureFiles() });
  const config = googleWorkspaceConfigSchema.parse({ credentials: JSON.stringify(key.json), subject: ADMIN, base_url: fake.url, token_url: fake.tokenUrl });
  const connector = createGoogleWorkspaceActions(config);
  const action = (name: string): ConnectorAction => {
    const a = connector.actions.find((x) => x.name === name);
    if (!a) throw new TypeError(`no action ${name}`);
    return a;
  };
  return { fake, config, connector, action };
}

/** The API calls the fake saw (token requests left out), as `METHOD path status as-subject`. */
const calls = (f: FakeGoogle): string[] => f.requests.filter((r) => r.path !== '/token').map((r) => `${r.method} ${decodeURIComponent(r.path)} ${r.status} ${r.subject ?? '-'}`);

const failure = failureOf;

describe('google-workspace action connector', () => {
  it('offers the five shared actions, through the source plugin', async () => {
    const { config } = await setup();
    const connector = googleWorkspacePlugin.actions!('gw', config, { logger: pino({ level: 'silent' }), dataDir: '.' });
    expect(connector.service).toBe('google-workspace');
    expect(connector.actions.map((a) => [a.name, a.target, a.disruptive, a.undo ?? null, a.needsMember ?? false, typeof a.done])).toEqual([
      ['suspend-user', 'user', true, 'unsuspend-user', false, 'function'],
      ['unsuspend-user', 'user', false, null, false, 'function'],
      ['sign-out-user', 'user', true, null, false, 'undefined'],
      ['remove-public-link', 'file', false, null, false, 'function'],
      ['remove-file-member', 'file', false, null, true, 'function'],
    ]);
    // Building a connector calls nothing.
    expect(fake!.requests).toEqual([]);
  });

  it('suspend-user reads, plans, suspends with users.update, reads back done, and a repeat changes nothing', async () => {
    const { fake, action } = await setup();
    const a = action('suspend-user');
    const t: ActionTarget = { kind: 'user', id: ALICE };
    const before = await a.read(t, signal);
    expect(before).toEqual({ user: ALICE, suspended: false, is_admin: false });
    expect(a.done!(before)).toBe(false);
    expect(a.plan(t, before)).toBe('would suspend alice@example.com in Google Workspace (active now)');
    expect(fake.writes).toEqual([]);

    expect(await a.apply(t, before, signal)).toEqual({ suspended: true });
    expect(fake.user(ALICE)).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
    const after = await a.read(t, signal);
    expect(after).toEqual({ user: ALICE, suspended: true, suspension_reason: 'ADMIN', is_admin: false });
    expect(a.done!(after)).toBe(true);
    expect(a.plan(t, after)).toBe('alice@example.com is already suspended in Google Workspace: nothing to do');
    // A retried apply (the responder lost the answer) is a success and leaves the same state.
    expect(await a.apply(t, after, signal)).toEqual({ suspended: true });
    expect(calls(fake)).toEqual([
      `GET /admin/directory/v1/users/${ALICE} 200 ${ADMIN}`,
      `PUT /admin/directory/v1/users/${ALICE} 200 ${ADMIN}`,
      `GET /admin/directory/v1/users/${ALICE} 200 ${ADMIN}`,
      `PUT /admin/directory/v1/users/${ALICE} 200 ${ADMIN}`,
    ]);
    // Only the user scope was asked for: one token, reused.
    expect(fake.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  });

  it('unsuspend-user restores a user an admin suspended, and finds users by id as well', async () => {
    const { fake, action } = await setup();
    const a = action('unsuspend-user');
    const t: ActionTarget = { kind: 'user', id: 'bob@example.com' };
    const before = await a.read(t, signal);
    expect(before).toEqual({ user: 'bob@example.com', suspended: true, suspension_reason: 'ADMIN', is_admin: false });
    expect(a.plan(t, before)).toBe('would unsuspend bob@example.com in Google Workspace (suspended now, reason ADMIN)');
    await a.apply(t, before, signal);
    expect(fake.user('bob@example.com')).toMatchObject({ suspended: false });
    expect(fake.user('bob@example.com')!.suspensionReason).toBeUndefined();
    const byId = await a.read({ kind: 'user', id: fixtureUsers()[2]!.id }, signal);
    expect(byId).toEqual({ user: 'bob@example.com', suspended: false, is_admin: false });
    expect(a.done!(byId)).toBe(true);
  });

  it('sign-out-user posts users.signOut with the security scope, every time it is applied', async () => {
    const { fake, action } = await setup();
    const a = action('sign-out-user');
    const t: ActionTarget = { kind: 'user', id: 'carol@example.com' };
    const before = await a.read(t, signal);
    expect(a.plan(t, before)).toBe('would sign carol@example.com out of every Google web and device session');
    expect(await a.apply(t, before, signal)).toEqual({ signed_out: true });
    expect(await a.apply(t, before, signal)).toEqual({ signed_out: true });
    const carol = fake.user('carol@example.com')!;
    expect(fake.signOuts.get(carol.id)).toBe(2);
    expect(calls(fake).slice(1)).toEqual([`POST /admin/directory/v1/users/carol@example.com/signOut 204 ${ADMIN}`, `POST /admin/directory/v1/users/carol@example.com/signOut 204 ${ADMIN}`]);
    // Separate tokens for the two scopes: a delegation missing one must not block the other.
    expect(fake.requests.filter((r) => r.path === '/token')).toHaveLength(2);
  });

  it('remove-public-link deletes the anyone permission as the file owner; permissions.list and files.get no longer show it', async () => {
    const { fake, config, action } = await setup();
    const a = action('remove-public-link');
    const before = await a.read(FILE, signal);
    expect(before).toEqual({ file: PAYROLL_ID, as: ALICE, public_link: true, permissions: ['anyoneWithLink'], role: 'reader', discoverable: false });
    expect(a.done!(before)).toBe(false);
    expect(a.plan(FILE, before)).toBe(`would remove the anyone with the link permission (reader) from Drive file ${PAYROLL_ID}, acting as ${ALICE}`);
    expect(fake.writes).toEqual([]);

    expect(await a.apply(FILE, before, signal)).toEqual({ removed: ['anyoneWithLink'] });
    expect(fake.writes).toEqual([{ method: 'DELETE', path: `/drive/v3/files/${PAYROLL_ID}/permissions/anyoneWithLink`, subject: ALICE }]);
    const after = await a.read(FILE, signal);
    expect(after).toEqual({ file: PAYROLL_ID, as: ALICE, public_link: false, permissions: [] });
    expect(a.done!(after)).toBe(true);
    expect(a.plan(FILE, after)).toBe(`Drive file ${PAYROLL_ID} has no anyone-with-the-link permission: nothing to do`);
    // A repeat on the stale before state: Drive says the permission is gone, which is the job done.
    expect(await a.apply(FILE, before, signal)).toEqual({ removed: [] });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 404 });

    // files.get as Drive serves it, through the SDK: the file keeps its owner and partner only.
    const d = drive({ version: 'v3', ...sdkOptions(config, createJwt(config, { client_email: key.clientEmail, private_key: (key.json as { private_key: string }).private_key }, new Redactor(), { subject: ADMIN, scopes: [DRIVE_WRITE_SCOPE] })) });
    const got = await d.files.get({ fileId: PAYROLL_ID, fields: 'id,shared,permissions(id,type,role)', supportsAllDrives: true });
    expect(got.data).toEqual({
      id: PAYROLL_ID,
      shared: true,
      permissions: [
        { id: '01234567890123456789', type: 'user', role: 'owner' },
        { id: '09876543210987654321', type: 'user', role: 'writer' },
      ],
    });
  });

  it('remove-file-member removes the member matched case-insensitively, and refuses the owner', async () => {
    const { fake, action } = await setup();
    const a = action('remove-file-member');
    const t: ActionTarget = { ...FILE, member: 'Partner@External.example.org' };
    const before = await a.read(t, signal);
    expect(before).toEqual({ file: PAYROLL_ID, as: ALICE, member: 'Partner@External.example.org', has_access: true, permission_id: '09876543210987654321', role: 'writer', type: 'user' });
    expect(a.plan(t, before)).toBe(`would remove Partner@External.example.org (writer) from Drive file ${PAYROLL_ID}, acting as ${ALICE}`);
    expect(await a.apply(t, before, signal)).toEqual({ removed: true });
    const after = await a.read(t, signal);
    expect(after).toEqual({ file: PAYROLL_ID, as: ALICE, member: 'Partner@External.example.org', has_access: false });
    expect(a.done!(after)).toBe(true);
    expect(await a.apply(t, after, signal)).toEqual({ removed: false });
    expect(fake.writes).toHaveLength(1);

    const owner: ActionTarget = { ...FILE, member: ALICE };
    const ob = await a.read(owner, signal);
    expect(ob).toMatchObject({ has_access: true, role: 'owner' });
    expect(a.plan(owner, ob)).toBe(`cannot remove ${ALICE} from Drive file ${PAYROLL_ID}: they own it (transfer ownership first)`);
    const err = await failure(a.apply(owner, ob, signal));
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(err.message).toContain(`${ALICE} owns Drive file ${PAYROLL_ID}`);
    expect(fake.writes).toHaveLength(1);
    expect(fake.file(PAYROLL_ID)!.permissions!.some((p) => p.role === 'owner')).toBe(true);
    // Had the owner been sent anyway, Drive's own refusal reads the same way.
    const forced = await failure(a.apply(owner, { ...ob, role: 'writer' }, signal));
    expect(forced.message).toMatch(/cannot be removed.*transfer ownership/);
  });

  it('acts on a file as the admin when the owner is outside the domain or unknown', async () => {
    const { fake, action } = await setup();
    const a = action('remove-public-link');
    expect(await a.read({ kind: 'file', id: PAYROLL_ID }, signal)).toMatchObject({ as: ADMIN });
    expect(await a.read({ kind: 'file', id: PAYROLL_ID, owner: 'someone@elsewhere.example' }, signal)).toMatchObject({ as: ADMIN });
    expect(fake.requests.filter((r) => r.path !== '/token').map((r) => r.subject)).toEqual([ADMIN, ADMIN]);
  });

  it('acts on a suspended owner\'s file as the admin, since Google will not impersonate them', async () => {
    const { fake, action } = await setup();
    const suspend = action('suspend-user');
    await suspend.apply({ kind: 'user', id: ALICE }, {}, signal);
    const a = action('remove-public-link');
    const before = await a.read(FILE, signal);
    expect(before).toMatchObject({ as: ADMIN, public_link: true });
    expect(a.plan(FILE, before)).toContain(`acting as ${ADMIN}`);
    await a.apply(FILE, before, signal);
    expect(fake.writes.at(-1)).toEqual({ method: 'DELETE', path: `/drive/v3/files/${PAYROLL_ID}/permissions/anyoneWithLink`, subject: ADMIN });
    expect(fake.requests.filter((r) => r.path === '/token').map((r) => r.status)).toContain(400);
  });

  it('names an unknown user or file in a non-retryable HTTP_REJECTED', async () => {
    const { action } = await setup();
    const u = await failure(action('suspend-user').read({ kind: 'user', id: 'nobody@example.com' }, signal));
    expect(u).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(u.message).toBe('Google Workspace users.get rejected the request with 404 (it has no user nobody@example.com): Resource Not Found: userKey');
    const s = await failure(action('sign-out-user').apply({ kind: 'user', id: 'nobody@example.com' }, {}, signal));
    expect(s.message).toContain('it has no user nobody@example.com');
    const f = await failure(action('remove-public-link').read({ kind: 'file', id: 'nope', owner: ALICE }, signal));
    expect(f).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(f.message).toBe(`Google Workspace permissions.list rejected the request with 404 (no file nope that ${ALICE} can see): File not found: nope.`);
  });

  it('names the scope to grant in domain-wide delegation when a call lacks it', async () => {
    const { fake, action } = await setup();
    fake.faults.denyScopes([DIRECTORY_USER_SCOPE, DIRECTORY_SECURITY_SCOPE, DRIVE_WRITE_SCOPE]);
    const dir = await failure(action('suspend-user').read({ kind: 'user', id: ALICE }, signal));
    expect(dir).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(dir.message).toContain(`grant the service account the ${DIRECTORY_USER_SCOPE} scope in domain-wide delegation`);
    expect(dir.message).toContain('Request had insufficient authentication scopes.');
    const so = await failure(action('sign-out-user').apply({ kind: 'user', id: ALICE }, {}, signal));
    expect(so.message).toContain(`the ${DIRECTORY_SECURITY_SCOPE} scope`);
    const dr = await failure(action('remove-file-member').read({ ...FILE, member: 'x@example.com' }, signal));
    expect(dr.message).toContain(`the ${DRIVE_WRITE_SCOPE} scope`);
    for (const e of [dir, so, dr]) {
      expect(JSON.stringify({ m: e.message, d: e.details })).not.toContain(PRIVATE_KEY_LINE);
      expect(e.message).not.toMatch(/ya29\./);
    }
  });

  it('names the missing scope when domain-wide delegation refuses the token, and the granted scopes keep working', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [{ ...key, delegatedScopes: [DIRECTORY_USER_SCOPE] }], users: fixtureUsers(), files: fixtureFiles() });
    const config = googleWorkspaceConfigSchema.parse({ credentials: JSON.stringify(key.json), subject: ADMIN, base_url: fake.url, token_url: fake.tokenUrl });
    const connector = createGoogleWorkspaceActions(config);
    const [suspend, , signOut, publicLink] = connector.actions;
    expect(await suspend!.read({ kind: 'user', id: ALICE }, signal)).toMatchObject({ suspended: false });
    const so = await failure(signOut!.apply({ kind: 'user', id: ALICE }, {}, signal));
    expect(so).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
    expect(so.message).toContain(`rejected the request with 401; grant the service account the ${DIRECTORY_SECURITY_SCOPE} scope in domain-wide delegation`);
    expect(so.message).toContain('unauthorized_client: Client is unauthorized to retrieve access tokens');
    const dr = await failure(publicLink!.read(FILE, signal));
    expect(dr.message).toContain(`the ${DRIVE_WRITE_SCOPE} scope in domain-wide delegation`);
    expect(JSON.stringify({ m: dr.message, d: dr.details })).not.toContain(PRIVATE_KEY_LINE);
  });

  it('sends nothing once its signal is aborted', async () => {
    const { fake, action } = await setup();
    const a = action('suspend-user');
    const before = await a.read({ kind: 'user', id: ALICE }, signal);
    const stop = new AbortController();
    stop.abort();
    await expect(a.apply({ kind: 'user', id: ALICE }, before, stop.signal)).rejects.toBeInstanceOf(SaaswatchError);
    expect(fake.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(fake.user(ALICE)!.suspended).toBe(false);
  });

  it('passes 429 on as retryable with the Retry-After wait, and retries nothing itself', async () => {
    const { fake, action } = await setup();
    fake.faults.rateLimitNext(1, 7);
    const err = await failure(action('suspend-user').apply({ kind: 'user', id: ALICE }, {}, signal));
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true, retryAfterMs: 7000 });
    expect(fake.user(ALICE)!.suspended).toBe(false);
    expect(fake.requests.filter((r) => r.path !== '/token')).toHaveLength(1);
    fake.faults.failNext(1, 503);
    expect(await failure(action('remove-public-link').read(FILE, signal))).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true });
  });
});

describe('google-workspace actions on the demo scenario', () => {
  it("removes the public payroll file's link as its owner, and the scenario's people can be suspended", async () => {
    const scenario = generateScenario({ seed: 7, users: 12, files: 40, days: 1, end: new Date('2026-11-03T10:00:00Z'), attacks: ['public-link'] });
    const truth = scenario.truth.find((x) => x.kind === 'public-link')!;
    fake = await startFakeGoogle({ serviceAccounts: [key], activities: scenario.google.activities, files: scenario.google.files });
    const admin = scenario.org.users.find((u) => u.isAdmin)?.email ?? scenario.org.users[0]!.email;
    const connector = createGoogleWorkspaceActions(googleWorkspaceConfigSchema.parse({ credentials: JSON.stringify(key.json), subject: admin, base_url: fake.url, token_url: fake.tokenUrl }));
    const [suspend, , , publicLink] = connector.actions;
    const t: ActionTarget = { kind: 'file', id: truth.targets[0]!, owner: truth.actor };
    const before = await publicLink!.read(t, signal);
    expect(before).toMatchObject({ public_link: true, as: truth.actor });
    await publicLink!.apply(t, before, signal);
    expect(publicLink!.done!(await publicLink!.read(t, signal))).toBe(true);
    expect(fake.file(t.id)!.permissions!.some((p) => p.type === 'anyone')).toBe(false);
    const user: ActionTarget = { kind: 'user', id: truth.actor };
    await suspend!.apply(user, await suspend!.read(user, signal), signal);
    expect(fake.user(truth.actor)).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
  });
});

describe('google-workspace action harness', () => {
  it('starts a fake whose targets each have something to do, and whose inspect sees the change', async () => {
    const fx = await actionHarness.start();
    try {
      const connector = createGoogleWorkspaceActions(googleWorkspaceConfigSchema.parse(fx.config));
      for (const a of connector.actions) {
        const t = fx.targets[a.name]!;
        const seen = JSON.stringify(fx.inspect(t));
        const before = await a.read(t, signal);
        if (a.done) expect(a.done(before)).toBe(false);
        await a.apply(t, before, signal);
        expect(JSON.stringify(fx.inspect(t))).not.toBe(seen);
        if (a.done) expect(a.done(await a.read(t, signal))).toBe(true);
      }
      expect(fx.writes()).toBe(5);
      fx.rateLimitNext(1, 3);
      await expect(connector.actions[0]!.read(fx.targets['suspend-user']!, signal)).rejects.toMatchObject({ retryAfterMs: 3000 });
      fx.denyScopes();
      await expect(connector.actions[3]!.read(fx.targets['remove-public-link']!, signal)).rejects.toThrow(DRIVE_WRITE_SCOPE);
      expect(fx.inspect(fx.unknown.user)).toBeNull();
    } finally {
      await fx.close();
    }
  });
});
