import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, type ActionConnector, type ActionTarget, type ConnectorAction } from '../../core/index.js';
import { generateTeamEvents, startFakeDropbox, type FakeDropbox } from '../../fakes/dropbox/server.js';
import { silentLogger } from '../../log.js';
import { createDropboxActions, type DropboxActionsOptions } from './actions.js';
import { dropboxConfigSchema } from './config.js';
import { EXTERNAL, PEOPLE, PUBLIC_FILE, SHARED_FILE, TOKEN, startActionsFake } from './fixtures/actions.js';

const open: FakeDropbox[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

const signal = () => new AbortController().signal;

async function rig(opts: DropboxActionsOptions = {}, fake?: FakeDropbox) {
  const f = fake ?? (await startActionsFake());
  open.push(f);
  const config = dropboxConfigSchema.parse({ access_token: TOKEN, app_secret: 'x', base_url: f.url });
  const connector = createDropboxActions(config, opts);
  const action = (name: string): ConnectorAction => connector.actions.find((a) => a.name === name)!;
  return { fake: f, connector, action };
}

async function rejection(p: Promise<unknown>): Promise<SaaswatchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SaaswatchError)) throw new TypeError(`expected a SaaswatchError, got ${String(err)}`);
  return err;
}

const user = (email: string): ActionTarget => ({ kind: 'user', id: email });
const publicFile: ActionTarget = { kind: 'file', id: PUBLIC_FILE, owner: PEOPLE.carol.email };
const sharedFile = (member: string): ActionTarget => ({ kind: 'file', id: SHARED_FILE, owner: PEOPLE.carol.email, member });

describe('dropbox actions', () => {
  it('offers the four actions under the dropbox service, suspend disruptive and undone by unsuspend', async () => {
    const { connector } = await rig();
    expect(connector.service).toBe('dropbox');
    expect(connector.actions.map((a) => [a.name, a.target, a.disruptive, a.undo ?? null, a.needsMember ?? false])).toEqual([
      ['suspend-user', 'user', true, 'unsuspend-user', false],
      ['unsuspend-user', 'user', false, null, false],
      ['remove-public-link', 'file', false, null, false],
      ['remove-file-member', 'file', false, null, true],
    ]);
  });

  describe('suspend-user / unsuspend-user', () => {
    it('reads the member, plans, suspends without wiping data, and reads back suspended', async () => {
      const { fake, action } = await rig();
      const a = action('suspend-user');
      const before = await a.read(user(PEOPLE.alice.email), signal());
      expect(before).toEqual({ status: 'active', suspended: false, team_member_id: PEOPLE.alice.team_member_id, roles: [] });
      expect(a.done!(before)).toBe(false);
      expect(a.plan(user(PEOPLE.alice.email), before)).toBe('would suspend alice@acme.example in Dropbox (active now; the data on their devices is kept: wipe_data false)');
      expect(fake.team.writes).toBe(0);

      expect(await a.apply(user(PEOPLE.alice.email), before, signal())).toEqual({ suspended: true });
      expect(fake.team.member(PEOPLE.alice.email)?.status).toBe('suspended');
      const sent = fake.requests.filter((r) => r.path === '/2/team/members/suspend');
      expect(sent.map((r) => r.body)).toEqual([{ user: { '.tag': 'email', email: PEOPLE.alice.email }, wipe_data: false }]);
      const after = await a.read(user(PEOPLE.alice.email), signal());
      expect(after).toMatchObject({ status: 'suspended', suspended: true });
      expect(a.done!(after)).toBe(true);
    });

    it('treats suspend_inactive_user on a repeat as success and changes nothing', async () => {
      const { fake, action } = await rig();
      const a = action('suspend-user');
      const t = user(PEOPLE.bob.email);
      const before = await a.read(t, signal());
      expect(a.done!(before)).toBe(true);
      expect(a.plan(t, before)).toBe('nothing to do: bob@acme.example is suspended in Dropbox');
      expect(await a.apply(t, before, signal())).toEqual({ already: 'suspend_inactive_user' });
      expect(fake.requests.at(-1)).toMatchObject({ path: '/2/team/members/suspend', status: 409 });
      expect(fake.team.writes).toBe(0);
    });

    it('unsuspends a suspended member, and a repeat answered unsuspend_non_suspended_member is success', async () => {
      const { fake, action } = await rig();
      const a = action('unsuspend-user');
      const t = user(PEOPLE.bob.email);
      const before = await a.read(t, signal());
      expect(a.plan(t, before)).toBe('would unsuspend bob@acme.example in Dropbox (suspended now)');
      expect(await a.apply(t, before, signal())).toEqual({ unsuspended: true });
      expect(fake.team.member(PEOPLE.bob.email)?.status).toBe('active');
      const after = await a.read(t, signal());
      expect(a.done!(after)).toBe(true);
      expect(await a.apply(t, after, signal())).toEqual({ already: 'unsuspend_non_suspended_member' });
      expect(fake.team.writes).toBe(1);
    });

    it('refuses to suspend an invited member or unsuspend a removed one, saying why', async () => {
      const { fake, action } = await rig();
      fake.team.addMember({ email: 'ivan@acme.example', team_member_id: 'dbmid:AAI1', account_id: 'dbid:AAI1', display_name: 'Ivan R', status: 'invited' });
      fake.team.addMember({ email: 'judy@acme.example', team_member_id: 'dbmid:AAJ1', account_id: 'dbid:AAJ1', display_name: 'Judy D', status: 'removed' });
      const s = action('suspend-user');
      const invited = await s.read(user('ivan@acme.example'), signal());
      expect(s.done!(invited)).toBe(false);
      const e1 = await rejection(s.apply(user('ivan@acme.example'), invited, signal()));
      expect(e1.code).toBe('HTTP_REJECTED');
      expect(e1.message).toMatch(/ivan@acme\.example is invited .* Dropbox suspends only active members/);
      const u = action('unsuspend-user');
      const removed = await u.read(user('judy@acme.example'), signal());
      const e2 = await rejection(u.apply(user('judy@acme.example'), removed, signal()));
      expect(e2.message).toContain('judy@acme.example is removed in Dropbox, not suspended');
      expect(fake.team.writes).toBe(0);
    });

    it('names an unknown member, from get_info_v2 (id_not_found) and from suspend (user_not_found)', async () => {
      const { action } = await rig();
      const a = action('suspend-user');
      const e1 = await rejection(a.read(user('nobody@acme.example'), signal()));
      expect(e1).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, message: 'Dropbox has no team member nobody@acme.example' });
      const e2 = await rejection(a.apply(user('nobody@acme.example'), { status: 'active' }, signal()));
      expect(e2.message).toBe('Dropbox has no team member nobody@acme.example');
    });
  });

  describe('remove-public-link', () => {
    it('reads link counts and visibilities without URLs, revokes only the public link as the owner, and reads back done', async () => {
      const { fake, action } = await rig();
      const a = action('remove-public-link');
      const before = await a.read(publicFile, signal());
      expect(before).toEqual({
        owner: PEOPLE.carol.email,
        public_links: 1,
        links: [
          { visibility: 'public', url_sha256: expect.stringMatching(/^[0-9a-f]{12}$/) },
          { visibility: 'team_only', url_sha256: expect.stringMatching(/^[0-9a-f]{12}$/) },
        ],
      });
      expect(JSON.stringify(before)).not.toContain('dropbox.com');
      expect(a.plan(publicFile, before)).toBe(
        `would revoke 1 public shared link(s) of Dropbox file ${PUBLIC_FILE} as its owner carol@acme.example; 1 other link(s) (team-only or password) stay`,
      );
      expect(fake.team.writes).toBe(0);

      expect(await a.apply(publicFile, before, signal())).toEqual({ revoked: 1 });
      expect(fake.team.file(PUBLIC_FILE)?.links.map((l) => l.visibility)).toEqual(['team_only']);
      const after = await a.read(publicFile, signal());
      expect(after).toMatchObject({ public_links: 0, links: [{ visibility: 'team_only' }] });
      expect(a.done!(after)).toBe(true);
      expect(await a.apply(publicFile, after, signal())).toEqual({ revoked: 0 });
      expect(fake.team.writes).toBe(1);
    });

    it('acts on the file as its owner: sharing calls carry Dropbox-API-Select-User, the member lookup does not', async () => {
      const { fake, action } = await rig();
      const a = action('remove-public-link');
      await a.apply(publicFile, await a.read(publicFile, signal()), signal());
      const byPath = (p: string) => fake.requests.filter((r) => r.path === p).map((r) => r.selectUser ?? null);
      expect(byPath('/2/sharing/list_shared_links')).toEqual([PEOPLE.carol.team_member_id, PEOPLE.carol.team_member_id]);
      expect(byPath('/2/sharing/revoke_shared_link')).toEqual([PEOPLE.carol.team_member_id]);
      // The owner's id is looked up once and kept.
      expect(byPath('/2/team/members/get_info_v2')).toEqual([null]);
      expect(fake.requests.find((r) => r.path === '/2/sharing/list_shared_links')?.body).toEqual({ path: PUBLIC_FILE, direct_only: true });
    });

    it('counts a link revoked meanwhile (shared_link_not_found) as gone, not as a failure', async () => {
      // Each revoke reaches Dropbox twice, as a retried request would: the second finds the link gone.
      const twice: typeof fetch = async (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (url.endsWith('/2/sharing/revoke_shared_link')) await fetch(url, init);
        return fetch(url, init);
      };
      const { fake, action } = await rig({ fetch: twice });
      const a = action('remove-public-link');
      expect(await a.apply(publicFile, await a.read(publicFile, signal()), signal())).toEqual({ revoked: 0, already_gone: 1 });
      expect(fake.requests.filter((r) => r.path === '/2/sharing/revoke_shared_link').map((r) => r.status)).toEqual([200, 409]);
      expect(a.done!(await a.read(publicFile, signal()))).toBe(true);
    });

    it("refuses a file without an owner, saying the owner is needed, before any call", async () => {
      const { fake, action } = await rig();
      const err = await rejection(action('remove-public-link').read({ kind: 'file', id: PUBLIC_FILE }, signal()));
      expect(err.code).toBe('INPUT_MALFORMED');
      expect(err.message).toContain(`dropbox remove-public-link ${PUBLIC_FILE}: the file's owner is needed`);
      expect(fake.requests).toEqual([]);
    });

    it('names an unknown file (path/not_found) and an unknown owner', async () => {
      const { action } = await rig();
      const a = action('remove-public-link');
      const e1 = await rejection(a.read({ kind: 'file', id: 'id:a4ayc_80_OEAAAAAAAANOPE9', owner: PEOPLE.carol.email }, signal()));
      expect(e1).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
      expect(e1.message).toBe('Dropbox has no file id:a4ayc_80_OEAAAAAAAANOPE9 that carol@acme.example can see (deleted, moved out of their Dropbox, or not theirs)');
      // A file Carol cannot see is the same answer: Dropbox shows each member only their own files.
      const e2 = await rejection(a.read({ ...publicFile, owner: PEOPLE.alice.email }, signal()));
      expect(e2.message).toContain(`no file ${PUBLIC_FILE} that alice@acme.example can see`);
      const e3 = await rejection(a.read({ ...publicFile, owner: 'ghost@acme.example' }, signal()));
      expect(e3.message).toBe('Dropbox has no team member ghost@acme.example');
    });
  });

  describe('remove-file-member', () => {
    it('reads the member, removes them as the owner, and reads back no access; a repeat is no_explicit_access', async () => {
      const { fake, action } = await rig();
      const a = action('remove-file-member');
      const t = sharedFile(EXTERNAL);
      const before = await a.read(t, signal());
      expect(before).toEqual({ owner: PEOPLE.carol.email, member: EXTERNAL, has_access: true, access_type: 'viewer' });
      expect(a.plan(t, before)).toBe(`would remove ${EXTERNAL} (viewer) from Dropbox file ${SHARED_FILE} as its owner carol@acme.example`);
      expect(await a.apply(t, before, signal())).toEqual({ removed: true });
      expect(fake.team.file(SHARED_FILE)?.members.map((m) => m.email)).toEqual([PEOPLE.dan.email]);
      const sent = fake.requests.find((r) => r.path === '/2/sharing/remove_file_member_2');
      expect(sent).toMatchObject({ selectUser: PEOPLE.carol.team_member_id, body: { file: SHARED_FILE, member: { '.tag': 'email', email: EXTERNAL } } });
      expect(fake.requests.find((r) => r.path === '/2/sharing/list_file_members')?.body).toEqual({ file: SHARED_FILE, include_inherited: true, limit: 300 });
      const after = await a.read(t, signal());
      expect(after).toEqual({ owner: PEOPLE.carol.email, member: EXTERNAL, has_access: false });
      expect(a.done!(after)).toBe(true);
      expect(await a.apply(t, after, signal())).toEqual({ already: 'no_explicit_access' });
      expect(fake.team.writes).toBe(1);
    });

    it('refuses to remove the owner, in the plan and in apply, sending nothing', async () => {
      const { fake, action } = await rig();
      const a = action('remove-file-member');
      const t = sharedFile(PEOPLE.carol.email);
      const before = await a.read(t, signal());
      expect(before).toMatchObject({ has_access: true, access_type: 'owner' });
      expect(a.plan(t, before)).toBe(`would refuse: carol@acme.example owns Dropbox file ${SHARED_FILE}, and an owner cannot be removed`);
      const err = await rejection(a.apply(t, before, signal()));
      expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, details: { refused: 'owner' } });
      expect(err.message).toContain(`carol@acme.example owns Dropbox file ${SHARED_FILE}: an owner cannot be removed`);
      expect(fake.requests.some((r) => r.path === '/2/sharing/remove_file_member_2')).toBe(false);
    });

    it('records access inherited from a parent folder, which removal from the file cannot take away', async () => {
      const { fake, action } = await rig();
      fake.team.addFile({
        id: 'id:a4ayc_80_OEAAAAAAAAINH03', name: 'budget.xlsx', owner: PEOPLE.carol.email,
        members: [{ email: PEOPLE.dan.email, access: 'editor', inherited: true }],
      });
      const a = action('remove-file-member');
      const t: ActionTarget = { kind: 'file', id: 'id:a4ayc_80_OEAAAAAAAAINH03', owner: PEOPLE.carol.email, member: PEOPLE.dan.email };
      const before = await a.read(t, signal());
      expect(before).toEqual({ owner: PEOPLE.carol.email, member: PEOPLE.dan.email, has_access: false, inherited_access: 'editor' });
      expect(a.done!(before)).toBe(true);
      expect(a.plan(t, before)).toBe(`nothing to do: dan@acme.example is not a member of Dropbox file id:a4ayc_80_OEAAAAAAAAINH03; they keep editor access inherited from a parent folder`);
      expect(await a.apply(t, before, signal())).toEqual({ already: 'no_explicit_access' });
    });

    it('names an unknown file (access_error/invalid_file)', async () => {
      const { action } = await rig();
      const err = await rejection(action('remove-file-member').read({ kind: 'file', id: 'id:a4ayc_80_OEAAAAAAAANOPE9', owner: PEOPLE.carol.email, member: EXTERNAL }, signal()));
      expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false });
      expect(err.message).toContain('Dropbox has no file id:a4ayc_80_OEAAAAAAAANOPE9');
    });
  });

  describe('errors', () => {
    it('a missing scope names it and says to enable it in the App Console and issue a new token', async () => {
      const { fake, action } = await rig();
      fake.scopes.delete('members.write');
      const err = await rejection(action('suspend-user').apply(user(PEOPLE.alice.email), { status: 'active' }, signal()));
      expect(err).toMatchObject({ code: 'HTTP_REJECTED', retryable: false, details: { status: 401, dropbox_error: 'missing_scope', required_scope: 'members.write' } });
      expect(err.message).toMatch(
        /^Dropbox team\/members\/suspend rejected the request with 401: missing_scope\/\.\.[0-9a-f]{2} \(the access token lacks the members\.write scope: enable members\.write on the app's Permissions tab in the Dropbox App Console, then issue a new token, since a token keeps the scopes it was issued with\)$/,
      );
      expect(err.message).not.toContain(TOKEN);
      expect(fake.team.member(PEOPLE.alice.email)?.status).toBe('active');
    });

    it('names sharing.write for a revoke, and team_data.member for acting as a member at all', async () => {
      const { fake, action } = await rig();
      const a = action('remove-public-link');
      const before = await a.read(publicFile, signal());
      fake.scopes.delete('sharing.write');
      expect((await rejection(a.apply(publicFile, before, signal()))).message).toContain('lacks the sharing.write scope');
      fake.scopes.delete('team_data.member');
      expect((await rejection(a.read(publicFile, signal()))).message).toContain('lacks the team_data.member scope');
      expect(fake.team.file(PUBLIC_FILE)?.links).toHaveLength(2);
    });

    it("says when the file's owner is suspended, since Dropbox acts only as an active member", async () => {
      const { fake, action } = await rig();
      await action('suspend-user').apply(user(PEOPLE.carol.email), { status: 'active' }, signal());
      const err = await rejection(action('remove-public-link').read(publicFile, signal()));
      expect(err).toMatchObject({ code: 'HTTP_REJECTED', details: { status: 401, dropbox_error: 'user_suspended' } });
      expect(err.message).toContain('the team member the call acts as is suspended');
      expect(fake.team.file(PUBLIC_FILE)?.links).toHaveLength(2);
    });

    it('a 429 is retryable with Retry-After as retryAfterMs, and the connector does not wait', async () => {
      const { fake, action } = await rig();
      fake.faults.rateLimited = 1;
      fake.faults.retryAfterSeconds = 30;
      const started = performance.now();
      const err = await rejection(action('suspend-user').apply(user(PEOPLE.alice.email), { status: 'active' }, signal()));
      expect(performance.now() - started).toBeLessThan(5000);
      expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true, retryAfterMs: 30_000 });
      expect(fake.team.member(PEOPLE.alice.email)?.status).toBe('active');
    });

    it('keeps the token out of an error whose body echoes the request', async () => {
      // A proxy in the way that answers 400 with the headers it got.
      const echo: typeof fetch = async (_input, init) =>
        new Response(`bad request; headers were ${JSON.stringify(init?.headers)}`, { status: 400, headers: { 'Content-Type': 'text/plain' } });
      const { action } = await rig({ fetch: echo });
      const err = await rejection(action('suspend-user').read(user(PEOPLE.alice.email), signal()));
      expect(err).toMatchObject({ code: 'HTTP_REJECTED', details: { status: 400 } });
      expect(err.message).toContain('bad request; headers were');
      expect(JSON.stringify({ m: err.message, d: err.details, c: String((err.cause as { error?: unknown })?.error) })).not.toContain(TOKEN);
    });

    it("takes the wait from the 429 body's retry_after when no Retry-After header came through", async () => {
      const noHeader: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        const headers = new Headers(res.headers);
        headers.delete('retry-after');
        return new Response(await res.text(), { status: res.status, headers });
      };
      const { fake, action } = await rig({ fetch: noHeader });
      fake.faults.rateLimited = 1;
      fake.faults.retryAfterSeconds = 4;
      const err = await rejection(action('remove-public-link').read(publicFile, signal()));
      expect(err).toMatchObject({ code: 'HTTP_RETRYABLE', retryable: true, retryAfterMs: 4000 });
    });
  });

  it("acts on the people and files of the team log: the demo's members exist and their shared links are there", async () => {
    const events = generateTeamEvents({ count: 300, start: Date.parse('2026-11-03T00:00:00Z'), seed: 11 });
    const fake = await startFakeDropbox({ events, accessToken: TOKEN, appSecret: 'x' });
    const { action } = await rig({}, fake);
    const create = events.find((e) => e.event_type['.tag'] === 'shared_link_create')!;
    const actor = (create.actor as unknown as { user: { email: string } }).user.email;
    const fileId = create.assets![0]!.file_id!;
    const owner = fake.team.file(fileId)!.owner;
    const link = action('remove-public-link');
    const before = await link.read({ kind: 'file', id: fileId, owner }, signal());
    expect(Number(before.public_links)).toBeGreaterThan(0);
    await link.apply({ kind: 'file', id: fileId, owner }, before, signal());
    expect(link.done!(await link.read({ kind: 'file', id: fileId, owner }, signal()))).toBe(true);
    const s = action('suspend-user');
    expect(await s.read(user(actor), signal())).toMatchObject({ status: 'active' });
  });
});

// The plugin hook builds the same connector from a parsed config.
describe('dropboxPlugin.actions', () => {
  it('returns the dropbox connector without polling', async () => {
    const { dropboxPlugin } = await import('./source.js');
    const fake = await startActionsFake();
    open.push(fake);
    const c: ActionConnector = dropboxPlugin.actions!('dropbox', dropboxConfigSchema.parse({ access_token: TOKEN, app_secret: 'x', base_url: fake.url }), { logger: silentLogger, dataDir: '.' });
    expect(c.service).toBe('dropbox');
    expect(await c.actions[0]!.read(user(PEOPLE.alice.email), signal())).toMatchObject({ status: 'active' });
    expect(fake.requests.map((r) => r.path)).toEqual(['/2/team/members/get_info_v2']);
  });
});
