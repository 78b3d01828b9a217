import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/index.js';
import { generateTeamEvents, startFakeDropbox, type FakeDropbox, type TeamEvent } from './server.js';

const TOKEN = 'sl.fake-token';
const START = Date.parse('2024-05-06T00:00:00Z');
const fakes: FakeDropbox[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(events: TeamEvent[] = []): Promise<FakeDropbox> {
  const f = await startFakeDropbox({ events, accessToken: TOKEN, appSecret: 'app-secret' });
  fakes.push(f);
  return f;
}

async function rpc(f: FakeDropbox, path: string, body: unknown, token = TOKEN) {
  const res = await fetch(`${f.url}/2/team_log/${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

describe('generateTeamEvents', () => {
  it('makes distinct whole-second events, roughly in time order with bounded lateness', () => {
    const events = generateTeamEvents({ count: 500, start: START, spanMs: 6 * 3_600_000, seed: 4, maxLateMs: 300_000 });
    expect(new Set(events.map(canonicalJson)).size).toBe(500);
    let newest = 0;
    for (const e of events) {
      expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const t = Date.parse(e.timestamp);
      expect(t).toBeGreaterThanOrEqual(START);
      expect(t).toBeLessThan(START + 6 * 3_600_000);
      expect(newest - t).toBeLessThanOrEqual(300_000);
      newest = Math.max(newest, t);
    }
    const types = new Set(events.map((e) => e.event_type['.tag']));
    for (const t of ['file_download', 'file_preview', 'shared_content_add_member', 'shared_link_create', 'login_fail', 'file_permanently_delete']) {
      expect(types).toContain(t);
    }
    expect(events.some((e) => e.involve_non_team_member === true)).toBe(true);
  });
});

describe('fake Dropbox team_log', () => {
  it('refuses a missing or wrong token with Dropbox error JSON', async () => {
    const f = await fake();
    const wrong = await rpc(f, 'get_events', {}, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error_summary: expect.stringMatching(/^invalid_access_token\//), error: { '.tag': 'invalid_access_token' } });
    const res = await fetch(`${f.url}/2/team_log/get_events`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { '.tag': string } }).error['.tag']).toBe('missing_access_token');
  });

  it('pages through a time range with cursors that change every page, and finds events added later', async () => {
    const events = generateTeamEvents({ count: 60, start: START, seed: 5 });
    const f = await fake(events);
    const from = '2024-05-06T00:20:00Z';
    const inRange = events.filter((e) => e.timestamp >= from);
    let page = await rpc(f, 'get_events', { limit: 10, time: { start_time: from } });
    const seen: TeamEvent[] = [...page.json.events];
    const cursors = [page.json.cursor];
    while (page.json.has_more) {
      page = await rpc(f, 'get_events/continue', { cursor: page.json.cursor });
      expect(page.status).toBe(200);
      seen.push(...page.json.events);
      cursors.push(page.json.cursor);
    }
    expect(seen).toEqual(inRange);
    expect(new Set(cursors).size).toBe(cursors.length);
    const late = generateTeamEvents({ count: 3, start: START + 7_200_000, seed: 6 });
    f.addEvents(late);
    const more = await rpc(f, 'get_events/continue', { cursor: page.json.cursor });
    expect(more.json).toMatchObject({ events: late, has_more: false });
  });

  it('filters by category and validates arguments like Dropbox', async () => {
    const events = generateTeamEvents({ count: 80, start: START, seed: 7 });
    const f = await fake(events);
    const logins = await rpc(f, 'get_events', { category: { '.tag': 'logins' } });
    expect(logins.json.events).toEqual(events.filter((e) => e.event_category['.tag'] === 'logins'));
    expect((await rpc(f, 'get_events', { limit: 0 })).status).toBe(400);
    expect((await rpc(f, 'get_events', { limit: 1001 })).status).toBe(400);
    expect((await rpc(f, 'get_events', { time: { start_time: '2024-05-06T00:00:00.123Z' } })).status).toBe(400);
    expect((await rpc(f, 'get_events', { category: { '.tag': 'nope' } })).status).toBe(400);
    const range = await rpc(f, 'get_events', { time: { start_time: '2024-05-06T02:00:00Z', end_time: '2024-05-06T01:00:00Z' } });
    expect(range).toMatchObject({ status: 409, json: { error: { '.tag': 'invalid_time_range' } } });
    expect((await rpc(f, 'get_events/continue', { cursor: 'made-up' })).json.error['.tag']).toBe('bad_cursor');
  });

  it('injects 429 with Retry-After, 5xx, empty pages, duplicates and cursor resets', async () => {
    const events = generateTeamEvents({ count: 30, start: START, seed: 8 });
    const f = await fake(events);
    f.faults.rateLimited = 1;
    f.faults.retryAfterSeconds = 7;
    const limited = await rpc(f, 'get_events', { limit: 10 });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json.error['.tag']).toBe('too_many_requests');
    f.faults.serverErrors = 1;
    f.faults.serverErrorStatus = 503;
    expect((await rpc(f, 'get_events', { limit: 10 })).status).toBe(503);

    f.faults.emptyPages = 1;
    const empty = await rpc(f, 'get_events', { limit: 10 });
    expect(empty.json).toMatchObject({ events: [], has_more: true });
    const first = await rpc(f, 'get_events/continue', { cursor: empty.json.cursor });
    expect(first.json.events).toEqual(events.slice(0, 10));

    f.faults.duplicates = true;
    const second = await rpc(f, 'get_events/continue', { cursor: first.json.cursor });
    expect(second.json.events).toEqual([events[9], ...events.slice(10, 20)]);

    f.faults.resets = 1;
    const reset = await rpc(f, 'get_events/continue', { cursor: second.json.cursor });
    expect(reset).toMatchObject({ status: 409, json: { error_summary: expect.stringMatching(/^reset\//), error: { '.tag': 'reset', reset: events[19]!.timestamp } } });
    // The reset cursor is gone for good.
    expect((await rpc(f, 'get_events/continue', { cursor: second.json.cursor })).json.error['.tag']).toBe('bad_cursor');
    expect(f.requests.map((q) => q.status)).toEqual([429, 503, 200, 200, 200, 409, 409]);
  });

  it('sends webhooks signed with the app secret', async () => {
    const f = await fake();
    const got: Array<{ sig: string | undefined; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ sig: req.headers['x-dropbox-signature'] as string | undefined, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/dropbox`;
      expect(await f.sendWebhook(url)).toEqual({ status: 200, body: 'ok' });
      await f.sendWebhook(url, { signature: null });
      expect(JSON.parse(got[0]!.body)).toEqual({ list_folder: { accounts: [] }, delta: { users: [] } });
      expect(got[0]!.sig).toBe(createHmac('sha256', 'app-secret').update(got[0]!.body).digest('hex'));
      expect(got[1]!.sig).toBeUndefined();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('team members and sharing routes', () => {
  async function call(f: FakeDropbox, route: string, body: unknown, selectUser?: string) {
    const res = await fetch(`${f.url}/2/${route}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...(selectUser ? { 'Dropbox-API-Select-User': selectUser } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text.startsWith('{') || text === 'null' ? (JSON.parse(text) as any) : text };
  }

  it('derives the team from the log: members the events name, files they shared, their public links and members', async () => {
    const events = generateTeamEvents({ count: 400, start: START, seed: 3 });
    const f = await fake(events);
    const create = events.find((e) => e.event_type['.tag'] === 'shared_link_create')!;
    const actor = (create.actor as unknown as { user: { email: string; team_member_id: string } }).user;
    const file = f.team.file(create.assets![0]!.file_id!)!;
    expect(file.links.length).toBeGreaterThan(0);
    const info = await call(f, 'team/members/get_info_v2', { members: [{ '.tag': 'email', email: actor.email }, { '.tag': 'email', email: 'nobody@example.com' }] });
    expect(info.status).toBe(200);
    expect(info.json.members_info[0]).toMatchObject({ '.tag': 'member_info', profile: { email: actor.email, team_member_id: actor.team_member_id, status: { '.tag': 'active' } }, roles: [] });
    expect(info.json.members_info[1]).toEqual({ '.tag': 'id_not_found', id_not_found: 'nobody@example.com' });
    const added = events.find((e) => e.event_type['.tag'] === 'shared_content_add_member')!;
    const guest = (added.participants![0] as unknown as { user: { email: string } }).user.email;
    expect(f.team.file(added.assets![0]!.file_id!)!.members.map((m) => m.email)).toContain(guest);
  });

  it("answers in Dropbox's shapes: 409 unions with error_summary, 401 missing_scope, 400 without select-user", async () => {
    const f = await fake();
    f.team.addMember({ email: 'ann@example.com', team_member_id: 'dbmid:ANN', account_id: 'dbid:ANN', display_name: 'Ann Lee' });
    f.team.addMember({ email: 'bea@example.com', team_member_id: 'dbmid:BEA', account_id: 'dbid:BEA', display_name: 'Bea Ko' });
    f.team.addFile({ id: 'id:F1', name: 'a.txt', owner: 'ann@example.com', links: [{ url: 'https://www.dropbox.com/scl/fi/abc/a.txt?rlkey=x&dl=0', visibility: 'public' }] });
    expect(await call(f, 'team/members/suspend', { user: { '.tag': 'email', email: 'bea@example.com' }, wipe_data: false })).toEqual({ status: 200, json: null });
    const again = await call(f, 'team/members/suspend', { user: { '.tag': 'email', email: 'bea@example.com' }, wipe_data: false });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error_summary: expect.stringMatching(/^suspend_inactive_user\/\.\./), error: { '.tag': 'suspend_inactive_user' } });
    const gone = await call(f, 'sharing/list_shared_links', { path: 'id:NOPE', direct_only: true }, 'dbmid:ANN');
    expect(gone).toMatchObject({ status: 409, json: { error_summary: expect.stringMatching(/^path\/not_found\/\.\./), error: { '.tag': 'path', path: { '.tag': 'not_found' } } } });
    expect(await call(f, 'sharing/list_shared_links', { path: 'id:F1' }, 'dbmid:BEA')).toMatchObject({ status: 401, json: { error: { '.tag': 'user_suspended' } } });
    const bare = await call(f, 'sharing/list_shared_links', { path: 'id:F1' });
    expect(bare.status).toBe(400);
    expect(bare.json).toContain('Dropbox-API-Select-User');
    f.scopes.delete('sharing.read');
    const denied = await call(f, 'sharing/list_shared_links', { path: 'id:F1' }, 'dbmid:ANN');
    expect(denied).toMatchObject({ status: 401, json: { error: { '.tag': 'missing_scope', required_scope: 'sharing.read' } } });
    expect(f.team.writes).toBe(1);
  });
});
