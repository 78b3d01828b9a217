import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type ActionConnector, type ConnectorAction } from '../../core/index.js';
import { directoryUser, generateSignIns, generateUsers, startFakeGraph, type FakeGraph, type FakeGraphOptions } from '../../fakes/microsoft-graph/server.js';
import { microsoftGraphConfigSchema } from './config.js';
import { microsoftGraphPlugin } from './source.js';
import { failureOf } from '../../core/testing.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~actions-test-secret-0042';
const T0 = Date.parse('2026-11-03T10:00:00Z');
const [ALICE, BOB, CAROL] = generateUsers({ count: 3, seed: 21 }) as [ReturnType<typeof generateUsers>[0], ReturnType<typeof generateUsers>[0], ReturnType<typeof generateUsers>[0]];

const fakes: FakeGraph[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function rig(opts: Partial<FakeGraphOptions> = {}): Promise<{ fake: FakeGraph; connector: ActionConnector; action: (name: string) => ConnectorAction; writes: () => FakeGraph['requests'] }> {
  const fake = await startFakeGraph({
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: SECRET,
    users: [directoryUser(ALICE), directoryUser(BOB, false), directoryUser(CAROL)],
    ...opts,
  });
  fakes.push(fake);
  const config = microsoftGraphConfigSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, base_url: fake.url, login_url: fake.loginUrl });
  const connector = microsoftGraphPlugin.actions!('m365', config, { logger: undefined as never, dataDir: '.' });
  const action = (name: string) => {
    const a = connector.actions.find((x) => x.name === name);
    if (!a) throw new SaaswatchError('INTERNAL', `no action ${name}`);
    return a;
  };
  const writes = () => fake.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/v1.0/'));
  return { fake, connector, action, writes };
}

const user = (id: string) => ({ kind: 'user' as const, id });
const signal = () => new AbortController().signal;

const failure = failureOf;

describe('microsoft-graph actions', () => {
  it('offers suspend (disruptive, undone by unsuspend), unsuspend and a one-shot, disruptive sign-out, all on users', async () => {
    const { connector } = await rig();
    expect(connector.service).toBe('microsoft-graph');
    expect(connector.actions.map((a) => [a.name, a.target, a.disruptive, a.undo, typeof a.done])).toEqual([
      ['suspend-user', 'user', true, 'unsuspend-user', 'function'],
      ['unsuspend-user', 'user', false, undefined, 'function'],
      ['sign-out-user', 'user', true, undefined, 'undefined'],
    ]);
  });

  it('suspend reads accountEnabled, plans without writing, disables by object id with PATCH, and reads back done', async () => {
    const { fake, action, writes } = await rig();
    const suspend = action('suspend-user');
    const t = user(ALICE.userPrincipalName.toUpperCase());
    const before = await suspend.read(t, signal());
    expect(before).toEqual({ user_id: ALICE.id, user_principal_name: ALICE.userPrincipalName, account_enabled: true });
    expect(suspend.done!(before)).toBe(false);
    expect(suspend.plan(t, before)).toBe(`would disable the Microsoft Entra ID account of ${t.id} (enabled now), blocking new sign-ins`);
    const get = fake.requests.find((r) => r.method === 'GET' && r.path.startsWith('/v1.0/users/'))!;
    expect([get.path, get.query.$select]).toEqual([`/v1.0/users/${encodeURIComponent(ALICE.userPrincipalName.toUpperCase())}`, 'id,userPrincipalName,accountEnabled']);
    expect(writes()).toEqual([]);
    expect(fake.user(ALICE.id)!.accountEnabled).toBe(true);

    expect(await suspend.apply(t, before, signal())).toBeUndefined();
    expect(writes().map((r) => [r.method, r.path, r.status])).toEqual([['PATCH', `/v1.0/users/${ALICE.id}`, 204]]);
    expect(fake.user(ALICE.id)!.accountEnabled).toBe(false);
    const after = await suspend.read(t, signal());
    expect(after.account_enabled).toBe(false);
    expect(suspend.done!(after)).toBe(true);
  });

  it('a repeat finds the job done and says so; applying again anyway is still a success', async () => {
    const { fake, action, writes } = await rig();
    const suspend = action('suspend-user');
    const t = user(ALICE.userPrincipalName);
    await suspend.apply(t, await suspend.read(t, signal()), signal());
    const again = await suspend.read(t, signal());
    expect(suspend.done!(again)).toBe(true);
    expect(suspend.plan(t, again)).toBe(`${t.id} is already disabled in Microsoft Entra ID: nothing to do`);
    await suspend.apply(t, again, signal());
    expect(writes().map((r) => r.status)).toEqual([204, 204]);
    expect(fake.user(t.id)!.accountEnabled).toBe(false);
  });

  it('unsuspend enables a disabled account again, and is done on an enabled one', async () => {
    const { fake, action } = await rig();
    const unsuspend = action('unsuspend-user');
    const t = user(BOB.id);
    const before = await unsuspend.read(t, signal());
    expect([before.account_enabled, unsuspend.done!(before)]).toEqual([false, false]);
    expect(unsuspend.plan(t, before)).toBe(`would enable the Microsoft Entra ID account of ${BOB.id} again (disabled now)`);
    await unsuspend.apply(t, before, signal());
    expect(fake.user(BOB.userPrincipalName)!.accountEnabled).toBe(true);
    expect(unsuspend.done!(await unsuspend.read(t, signal()))).toBe(true);
    expect(unsuspend.done!(await unsuspend.read(user(CAROL.userPrincipalName), signal()))).toBe(true);
  });

  it('sign-out reads when sessions became valid, revokes them with POST and records the Boolean answer', async () => {
    const { fake, action, writes } = await rig();
    const signOut = action('sign-out-user');
    const t = user(CAROL.userPrincipalName);
    const before = await signOut.read(t, signal());
    expect(before).toEqual({ user_id: CAROL.id, user_principal_name: CAROL.userPrincipalName, account_enabled: true, sessions_valid_from: null });
    expect(signOut.plan(t, before)).toMatch(new RegExp(`^would revoke every Microsoft Entra ID sign-in session of ${t.id.replace(/\./g, '\\.')} `));
    expect(writes()).toEqual([]);
    expect(await signOut.apply(t, before, signal())).toEqual({ revoked: true });
    expect(writes().map((r) => [r.method, r.path, r.status])).toEqual([['POST', `/v1.0/users/${CAROL.id}/revokeSignInSessions`, 200]]);
    const state = fake.user(t.id)!;
    expect(state.sessionRevocations).toBe(1);
    const after = await signOut.read(t, signal());
    expect(after.sessions_valid_from).toBe(state.signInSessionsValidFromDateTime);
    expect(after.sessions_valid_from).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // One-shot: a second sign-out revokes again.
    expect(await signOut.apply(t, after, signal())).toEqual({ revoked: true });
    expect(fake.user(t.id)!.sessionRevocations).toBe(2);
  });

  it('acts on the people the sign-ins name, with no users listed (the demo tenant)', async () => {
    const signIns = generateSignIns({ count: 5, start: T0, seed: 3 });
    const { fake, action } = await rig({ users: [], signIns });
    const who = signIns[0]!.userPrincipalName!;
    const suspend = action('suspend-user');
    const before = await suspend.read(user(who), signal());
    expect(before).toMatchObject({ user_id: signIns[0]!.userId, account_enabled: true });
    await suspend.apply(user(who), before, signal());
    expect(fake.user(who)!.accountEnabled).toBe(false);
  });

  it("finds a user by primary email when it is not their userPrincipalName, and acts on the object id", async () => {
    const dana = { id: '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f', userPrincipalName: 'dlee@contoso.onmicrosoft.com', mail: "dana.o'lee@contoso.com", displayName: "Dana O'Lee" };
    const { fake, action } = await rig({ users: [dana] });
    const suspend = action('suspend-user');
    const t = user("Dana.O'Lee@contoso.com");
    const before = await suspend.read(t, signal());
    expect(before).toEqual({ user_id: dana.id, user_principal_name: dana.userPrincipalName, account_enabled: true });
    const lookup = fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1.0/users'));
    expect(lookup.map((r) => [r.path, r.status, r.query.$filter])).toEqual([
      [`/v1.0/users/${encodeURIComponent(t.id)}`, 404, undefined],
      ['/v1.0/users', 200, "mail eq 'Dana.O''Lee@contoso.com'"],
    ]);
    await suspend.apply(t, before, signal());
    expect(fake.user(dana.id)!.accountEnabled).toBe(false);
  });

  it('a primary email with + or & reaches Graph whole (the filter is percent-encoded)', async () => {
    const sam = { id: '6a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6', userPrincipalName: 'sam@contoso.onmicrosoft.com', mail: 'sam+sec&ops@contoso.com' };
    const { fake, action } = await rig({ users: [sam] });
    const before = await action('suspend-user').read(user(sam.mail), signal());
    expect(before).toMatchObject({ user_id: sam.id });
    expect(fake.requests.filter((r) => r.path === '/v1.0/users').map((r) => r.query.$filter)).toEqual(["mail eq 'sam+sec&ops@contoso.com'"]);
  });

  it('an unknown user is HTTP_REJECTED naming the user, for every action', async () => {
    const { action } = await rig();
    for (const name of ['suspend-user', 'unsuspend-user', 'sign-out-user']) {
      const e = await failure(action(name).read(user('nobody@contoso.com'), signal()));
      expect([e.code, e.retryable, e.message]).toEqual(['HTTP_REJECTED', false, 'Microsoft Entra ID has no user nobody@contoso.com (Microsoft Graph answered 404 Request_ResourceNotFound; source m365)']);
      expect(e.details).toMatchObject({ status: 404, graph_error: 'Request_ResourceNotFound', user: 'nobody@contoso.com' });
    }
    // Deleted between read and apply: the same answer from apply.
    const e = await failure(action('suspend-user').apply(user('gone@contoso.com'), { user_id: '00000000-0000-4000-8000-000000000000' }, signal()));
    expect(e.message).toMatch(/^Microsoft Entra ID has no user gone@contoso\.com /);
  });

  it('a missing permission is HTTP_REJECTED naming the application permission to grant, with admin consent', async () => {
    const { fake, action } = await rig();
    const t = user(ALICE.userPrincipalName);
    const before = await action('suspend-user').read(t, signal());
    fake.denyPermissions('User.EnableDisableAccount.All');
    let e = await failure(action('suspend-user').apply(t, before, signal()));
    expect(e.code).toBe('HTTP_REJECTED');
    expect(e.message).toContain('403: Authorization_RequestDenied: Insufficient privileges to complete the operation.');
    expect(e.message).toContain('grant the app the User.EnableDisableAccount.All application permission');
    expect(e.message).toContain('admin consent');
    expect(fake.user(t.id)!.accountEnabled).toBe(true);

    fake.denyPermissions('User.RevokeSessions.All');
    e = await failure(action('sign-out-user').apply(t, before, signal()));
    expect(e.message).toBe(
      `Microsoft Graph user ${t.id} rejected the request with 403: Authorization_RequestDenied: Insufficient privileges to complete the operation. ` +
        '(grant the app the User.RevokeSessions.All application permission with admin consent (Microsoft Entra admin center > App registrations > the app > API permissions); User.ReadWrite.All also allows it)',
    );

    fake.denyPermissions('User.Read.All');
    e = await failure(action('unsuspend-user').read(t, signal()));
    expect(e.message).toContain('grant the app the User.Read.All application permission');
    expect(e.details).toMatchObject({ status: 403, graph_error: 'Authorization_RequestDenied' });
  });

  it('429 is retryable with the Retry-After in ms, and the connector does not retry it itself', async () => {
    const { fake, action, writes } = await rig();
    const suspend = action('suspend-user');
    const t = user(ALICE.userPrincipalName);
    fake.faults.rateLimited = 1;
    fake.faults.retryAfterSeconds = 7;
    let e = await failure(suspend.read(t, signal()));
    expect([e.code, e.retryable, e.retryAfterMs]).toEqual(['HTTP_RETRYABLE', true, 7000]);
    const before = await suspend.read(t, signal());
    fake.faults.rateLimited = 1;
    fake.faults.retryAfterSeconds = 30;
    e = await failure(suspend.apply(t, before, signal()));
    expect([e.code, e.retryable, e.retryAfterMs]).toEqual(['HTTP_RETRYABLE', true, 30_000]);
    expect(writes().map((r) => r.status)).toEqual([429]);
    expect(fake.user(t.id)!.accountEnabled).toBe(true);
  });

  it('an aborted call sends nothing', async () => {
    const { fake, action, writes } = await rig();
    const t = user(ALICE.userPrincipalName);
    const suspend = action('suspend-user');
    const before = await suspend.read(t, signal());
    const e = await failure(suspend.apply(t, before, AbortSignal.abort()));
    expect(e.code).toBe('NETWORK');
    expect(writes()).toEqual([]);
    expect(fake.user(t.id)!.accountEnabled).toBe(true);
  });

  it('errors carry neither the client secret nor the access token', async () => {
    const { fake, action } = await rig();
    fake.denyPermissions('User.Read.All');
    const e = await failure(action('suspend-user').read(user(ALICE.userPrincipalName), signal()));
    const text = `${e.message} ${JSON.stringify(e.details)} ${String(e.stack)}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/Bearer|eyJ/);
  });
});
