import { createHash, createSign } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { admin } from '@googleapis/admin';
import { drive } from '@googleapis/drive';
import { JWT } from 'google-auth-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { createServiceAccountKey, GOOGLE_TOKEN_AUDIENCE, type ServiceAccountKey } from './service-account.js';
import { startFakeGoogle, type FakeGoogle } from './server.js';
import { generateActivities } from './scenario.js';
import type { Activity, DriveFile } from './types.js';

let key: ServiceAccountKey;
let fake: FakeGoogle | undefined;
/** The fake's time in every test that builds data or claims from a time (a Monday morning). */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const T0_SEC = T0 / 1000;
beforeAll(() => {
  key = createServiceAccountKey();
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function assertion(claims: Record<string, unknown>, pem = key.json.private_key, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(pem, 'base64url')}`;
}
/** Assertion claims issued at T0: the tests that send them run the fake's clock at T0. */
const claims = (over: Record<string, unknown> = {}) => {
  const iat = T0_SEC;
  return { iss: key.clientEmail, scope: 'https://www.googleapis.com/auth/admin.reports.audit.readonly', aud: GOOGLE_TOKEN_AUDIENCE, iat, exp: iat + 3600, sub: 'admin@example.com', ...over };
};
async function token(assertionText: string, grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
  const r = await fetch(fake!.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: grant, assertion: assertionText }) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/**
 * The SDKs wired to the fake the way the source does it: JWT with a redirected token call, rootUrl.
 * The SDK signs its assertion with the process clock, so a fake whose data runs at T0 judges
 * tokens by the system clock (`authNow`).
 */
function sdk() {
  const auth = new JWT({
    email: key.clientEmail,
    key: key.json.private_key,
    subject: 'admin@example.com',
    scopes: ['https://www.googleapis.com/auth/admin.reports.audit.readonly', 'https://www.googleapis.com/auth/drive.readonly'],
  });
  auth.transporter.interceptors.request.add({
    resolved: async (o) => {
      if (String(o.url) === GOOGLE_TOKEN_AUDIENCE) o.url = new URL(fake!.tokenUrl);
      return o;
    },
  });
  return { reports: admin({ version: 'reports_v1', auth, rootUrl: fake!.url, retry: false }), drive: drive({ version: 'v3', auth, rootUrl: fake!.url, retry: false }) };
}

describe('token endpoint', () => {
  it('issues a bearer token for a valid service-account assertion', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], now: () => T0 });
    const r = await token(assertion(claims()));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(r.body.access_token).toMatch(/^ya29\./);
  });

  it('rejects bad signatures, unknown issuers, pinned-away algorithms, wrong audience, expiry and grant type', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], now: () => T0 });
    const other = createServiceAccountKey({ clientEmail: key.clientEmail });
    expect(await token(assertion(claims(), other.json.private_key))).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    expect((await token(assertion(claims({ iss: 'x@y.iam.gserviceaccount.com' })))).status).toBe(401);
    const none = `${b64({ alg: 'none' })}.${b64(claims())}.`;
    expect((await token(none)).body.error_description).toMatch(/only RS256/);
    expect((await token(assertion(claims({ aud: 'https://evil.example/token' })))).body.error_description).toMatch(/audience/);
    const past = T0_SEC - 7200;
    expect((await token(assertion(claims({ iat: past, exp: past + 3600 })))).status).toBe(400);
    expect((await token(assertion(claims({ exp: T0_SEC + 86_400 })))).status).toBe(400);
    const { exp: _exp, ...noExp } = claims();
    expect((await token(assertion(noExp))).body.error_description).toMatch(/exp and iat/);
    expect((await token(assertion(claims()), 'client_credentials')).body.error).toBe('unsupported_grant_type');
  });

  it('refuses API calls without a token or with the wrong scope', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], now: () => T0 });
    const anon = await fetch(`${fake.url}admin/reports/v1/activity/users/all/applications/login`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    const { access_token } = (await token(assertion(claims({ scope: 'https://www.googleapis.com/auth/drive.readonly' })))).body;
    const r = await fetch(`${fake.url}admin/reports/v1/activity/users/all/applications/login`, { headers: { authorization: `Bearer ${String(access_token)}` } });
    expect(r.status).toBe(403);
  });
});

describe('Reports activities.list through the official SDK', () => {
  const acts = (): Activity[] => generateActivities({ count: 30, from: T0 - 3_600_000, to: T0 - 1000, seed: 3, applications: ['login', 'drive'] });

  it('pages newest first within [startTime, endTime] with the real response shape', async () => {
    const activities = acts();
    // No endTime below: the fake's clock (T0) ends the range, as Google's present does.
    fake = await startFakeGoogle({ serviceAccounts: [key], activities, now: () => T0, authNow: systemClock });
    const { reports } = sdk();
    const logins = activities.filter((a) => a.id.applicationName === 'login');
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const res = await reports.activities.list({ userKey: 'all', applicationName: 'login', maxResults: 4, startTime: new Date(T0 - 7_200_000).toISOString(), ...(pageToken ? { pageToken } : {}) });
      expect(res.data.kind).toBe('admin#reports#activities');
      for (const a of res.data.items ?? []) {
        expect(a.kind).toBe('admin#reports#activity');
        seen.push(a.id!.time!);
      }
      pageToken = res.data.nextPageToken ?? undefined;
      pages++;
    } while (pageToken);
    expect(pages).toBe(Math.ceil(logins.length / 4));
    expect(seen).toEqual(logins.map((a) => a.id.time).sort().reverse());
    // A window that holds nothing answers without `items`, like Google.
    const empty = await reports.activities.list({ userKey: 'all', applicationName: 'login', startTime: new Date(T0 + 1000).toISOString(), endTime: new Date(T0 + 2000).toISOString() });
    expect(empty.data.items).toBeUndefined();
  });

  it('hides late events until they are visible, repeats items across pages when asked, and injects 429/5xx', async () => {
    // A settable clock: a real timer could be outrun by a slow machine between the two reads.
    let clock = T0;
    fake = await startFakeGoogle({ serviceAccounts: [key], now: () => clock });
    const [late] = acts();
    fake.addActivities([late!], { visibleAfterMs: 100 });
    const url = `${fake.url}admin/reports/v1/activity/users/all/applications/${late!.id.applicationName}`;
    const { access_token } = (await token(assertion(claims()))).body;
    const get = (u: string) => fetch(u, { headers: { authorization: `Bearer ${String(access_token)}` } });
    expect(((await (await get(url)).json()) as { items?: unknown[] }).items).toBeUndefined();
    clock += 120;
    expect(((await (await get(url)).json()) as { items?: unknown[] }).items).toHaveLength(1);

    fake.faults.rateLimitNext(1, 30);
    const limited = await get(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(await limited.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded' }] } });
    fake.faults.failNext(1, 502);
    expect((await get(url)).status).toBe(502);
    expect((await get(url)).status).toBe(200);

    fake.addActivities(generateActivities({ count: 10, from: T0 - 60_000, to: T0 - 1000, seed: 5, applications: ['login'] }));
    fake.faults.duplicatesAcrossPages(true);
    const first = (await (await get(`${fake.url}admin/reports/v1/activity/users/all/applications/login?maxResults=3`)).json()) as { items: Activity[]; nextPageToken: string };
    const second = (await (await get(`${fake.url}admin/reports/v1/activity/users/all/applications/login?maxResults=3&pageToken=${first.nextPageToken}`)).json()) as { items: Activity[] };
    expect(second.items[0]!.id).toEqual(first.items[2]!.id);
    // A page token belongs to its query.
    expect((await get(`${fake.url}admin/reports/v1/activity/users/all/applications/login?maxResults=5&pageToken=${first.nextPageToken}`)).status).toBe(400);
  });
});

describe('Drive through the official SDK', () => {
  const files: DriveFile[] = Array.from({ length: 7 }, (_, i) => ({
    id: `f${i}`,
    name: `File ${i}`,
    mimeType: 'application/pdf',
    owners: [{ emailAddress: 'bob@example.com' }],
    permissions: [
      { id: 'p0', type: 'user', role: 'owner', emailAddress: 'bob@example.com' },
      ...(i % 2 ? [{ id: 'anyoneWithLink', type: 'anyone' as const, role: 'reader' as const, allowFileDiscovery: false }] : []),
    ],
  }));

  it('lists files across pages with fields projection, and permissions', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files });
    const { drive: d } = sdk();
    const plain = await d.files.list({ pageSize: 5 });
    expect(plain.data.files![0]).toEqual({ kind: 'drive#file', id: 'f0', name: 'File 0', mimeType: 'application/pdf' });
    const got: string[] = [];
    let pageToken: string | undefined;
    do {
      const res = await d.files.list({ pageSize: 3, fields: 'nextPageToken,files(id,permissions(type,role))', ...(pageToken ? { pageToken } : {}) });
      for (const f of res.data.files ?? []) {
        expect(Object.keys(f).sort()).toEqual(['id', 'permissions']);
        got.push(`${f.id}:${f.permissions!.map((p) => p.type).join('+')}`);
      }
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(got).toEqual(['f0:user', 'f1:user+anyone', 'f2:user', 'f3:user+anyone', 'f4:user', 'f5:user+anyone', 'f6:user']);
    const perms = await d.permissions.list({ fileId: 'f1' });
    expect(perms.data).toMatchObject({ kind: 'drive#permissionList', permissions: [{ id: 'p0', role: 'owner' }, { id: 'anyoneWithLink', type: 'anyone' }] });
    await expect(d.permissions.list({ fileId: 'nope' })).rejects.toMatchObject({ status: 404 });
  });

  it('lists shared-drive items only when asked for all drives, without their permissions, which permissions.list gives', async () => {
    const shared: DriveFile = {
      id: 's0',
      name: 'Team plan',
      mimeType: 'application/pdf',
      driveId: '0AdriveX',
      permissions: [{ id: 'p9', type: 'user', role: 'organizer', emailAddress: 'carol@example.com' }],
    };
    fake = await startFakeGoogle({ serviceAccounts: [key], files: [...files, shared] });
    const { drive: d } = sdk();
    const fields = 'nextPageToken,files(id,permissions(id))';
    const mine = await d.files.list({ pageSize: 100, fields });
    expect(mine.data.files!.map((f) => f.id)).not.toContain('s0');
    const all = await d.files.list({ pageSize: 100, fields, includeItemsFromAllDrives: true, supportsAllDrives: true, corpora: 'allDrives' });
    const s0 = all.data.files!.find((f) => f.id === 's0');
    expect(s0).toEqual({ id: 's0' });
    expect(all.data.files!.find((f) => f.id === 'f0')!.permissions).toEqual([{ id: 'p0' }]);
    await expect(d.permissions.list({ fileId: 's0' })).rejects.toMatchObject({ status: 404 });
    expect((await d.permissions.list({ fileId: 's0', supportsAllDrives: true })).data.permissions).toMatchObject([{ id: 'p9', role: 'organizer' }]);
  });

  it('drops a file from listings without a change, and aims faults at one API', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files });
    const { reports, drive: d } = sdk();
    fake.removeFile('f3');
    expect((await d.files.list({ pageSize: 100 })).data.files!.map((f) => f.id)).toEqual(['f0', 'f1', 'f2', 'f4', 'f5', 'f6']);
    expect((await d.changes.getStartPageToken({})).data.startPageToken).toBe('1');
    fake.faults.failNext(1, 500, { path: '/drive/v3/files' });
    fake.faults.rateLimitNext(1, 3, { path: '/drive/v3/files' });
    // The Reports call passes untouched while both faults wait for a Drive files call.
    expect((await reports.activities.list({ userKey: 'all', applicationName: 'login' })).status).toBe(200);
    await expect(d.files.list({})).rejects.toMatchObject({ status: 429 });
    await expect(d.files.list({})).rejects.toMatchObject({ status: 500 });
    expect((await d.files.list({})).status).toBe(200);
  });

  it('serves changes from a start page token, and channels that deliver notifications until stopped', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files, maxChannelTtlMs: 60_000, now: () => T0, authNow: systemClock });
    const { drive: d } = sdk();
    const start = (await d.changes.getStartPageToken({})).data.startPageToken!;
    const received: Array<Record<string, string | undefined>> = [];
    const { createServer } = await import('node:http');
    const srv = createServer((req, res) => {
      received.push({ id: req.headers['x-goog-channel-id'] as string, state: req.headers['x-goog-resource-state'] as string, token: req.headers['x-goog-channel-token'] as string, n: req.headers['x-goog-message-number'] as string });
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const address = `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`;
      const ch = await d.changes.watch({ pageToken: start, requestBody: { id: 'chan-1', type: 'web_hook', address, token: 'tok', expiration: String(T0 + 3_600_000) } });
      expect(ch.data).toMatchObject({ kind: 'api#channel', id: 'chan-1', token: 'tok' });
      // Capped at the fake's maximum lifetime.
      expect(Number(ch.data.expiration)).toBe(T0 + 60_000);
      await fake.addChange({ fileId: 'f2', file: { ...files[2]!, name: 'Renamed' } });
      await fake.addChange({ fileId: 'f3', removed: true });
      expect(received).toEqual([
        { id: 'chan-1', state: 'sync', token: 'tok', n: '1' },
        { id: 'chan-1', state: 'change', token: 'tok', n: '2' },
        { id: 'chan-1', state: 'change', token: 'tok', n: '3' },
      ]);
      const p1 = await d.changes.list({ pageToken: start, pageSize: 1 });
      expect(p1.data.changes).toMatchObject([{ kind: 'drive#change', fileId: 'f2', removed: false, time: new Date(T0).toISOString(), file: { name: 'Renamed' } }]);
      expect(p1.data.newStartPageToken).toBeUndefined();
      const p2 = await d.changes.list({ pageToken: p1.data.nextPageToken!, pageSize: 1 });
      expect(p2.data.changes).toMatchObject([{ fileId: 'f3', removed: true }]);
      expect(p2.data.newStartPageToken).toBe(String(Number(start) + 2));
      await d.channels.stop({ requestBody: { id: 'chan-1', resourceId: ch.data.resourceId! } });
      await fake.addChange({ fileId: 'f4', file: files[4]! });
      expect(received).toHaveLength(3);
      await expect(d.channels.stop({ requestBody: { id: 'chan-1', resourceId: ch.data.resourceId! } })).rejects.toMatchObject({ status: 404 });
      await expect(d.changes.list({ pageToken: '999' })).rejects.toMatchObject({ status: 400 });
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});

describe('Directory users and Drive permission removal', () => {
  const USER = 'https://www.googleapis.com/auth/admin.directory.user';
  const SECURITY = 'https://www.googleapis.com/auth/admin.directory.user.security';
  const DRIVE = 'https://www.googleapis.com/auth/drive';
  const file: DriveFile = {
    id: 'f1',
    name: 'Payroll.xlsx',
    mimeType: 'application/vnd.ms-excel',
    owners: [{ emailAddress: 'ann@example.com', displayName: 'Ann' }],
    permissions: [
      { id: 'p-owner', type: 'user', role: 'owner', emailAddress: 'ann@example.com' },
      { id: 'anyoneWithLink', type: 'anyone', role: 'reader', allowFileDiscovery: false },
    ],
    shared: true,
  };
  async function call(method: string, path: string, scope: string, body?: unknown) {
    const t = await token(assertion(claims({ scope })));
    const r = await fetch(`${fake!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${String(t.body.access_token)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: r.status === 204 ? undefined : ((await r.json()) as Record<string, any>) };
  }

  it('knows the activities\' actors and the file owners as users, suspends them, and signs them out with the security scope only', async () => {
    const activities = generateActivities({ count: 5, from: T0 - 3_600_000, to: T0, seed: 3, users: 1, applications: ['login'] });
    fake = await startFakeGoogle({ serviceAccounts: [key], activities, files: [file], now: () => T0 });
    const got = await call('GET', 'admin/directory/v1/users/USER0%40example.com', USER);
    expect(got).toEqual({ status: 200, body: { kind: 'admin#directory#user', id: activities[0]!.actor.profileId, primaryEmail: 'user0@example.com', isAdmin: false, suspended: false } });
    expect((await call('GET', 'admin/directory/v1/users/ann@example.com?fields=primaryEmail,name(fullName)', USER)).body).toEqual({ primaryEmail: 'ann@example.com', name: { fullName: 'Ann' } });

    const patched = await call('PATCH', `admin/directory/v1/users/${activities[0]!.actor.profileId!}`, USER, { suspended: true });
    expect(patched.body).toMatchObject({ primaryEmail: 'user0@example.com', suspended: true, suspensionReason: 'ADMIN' });
    expect((await call('PUT', 'admin/directory/v1/users/user0@example.com', USER, { suspended: false })).body).toMatchObject({ suspended: false });
    expect(fake.user('user0@example.com')!.suspensionReason).toBeUndefined();
    // Reading needs a user scope; a write refuses the read-only one.
    expect((await call('PUT', 'admin/directory/v1/users/user0@example.com', 'https://www.googleapis.com/auth/admin.directory.user.readonly', { suspended: true })).status).toBe(403);

    expect(await call('POST', 'admin/directory/v1/users/user0@example.com/signOut', USER)).toMatchObject({ status: 403, body: { error: { errors: [{ reason: 'insufficientPermissions' }] } } });
    expect(await call('POST', 'admin/directory/v1/users/user0@example.com/signOut', SECURITY)).toEqual({ status: 204, body: undefined });
    expect(fake.signOuts.get(activities[0]!.actor.profileId!)).toBe(1);
    expect(fake.writes.map((w) => `${w.method} ${w.path} ${w.subject}`)).toEqual([
      `PATCH /admin/directory/v1/users/${activities[0]!.actor.profileId!} admin@example.com`,
      'PUT /admin/directory/v1/users/user0@example.com admin@example.com',
      'POST /admin/directory/v1/users/user0@example.com/signOut admin@example.com',
    ]);

    // Google will not impersonate a suspended user.
    await call('PATCH', 'admin/directory/v1/users/ann@example.com', USER, { suspended: true });
    expect(await token(assertion(claims({ scope: DRIVE, sub: 'Ann@example.com' })))).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid email or User ID' } });

    expect(await call('GET', 'admin/directory/v1/users/nobody@example.com', USER)).toEqual({
      status: 404,
      body: { error: { code: 404, message: 'Resource Not Found: userKey', errors: [{ message: 'Resource Not Found: userKey', domain: 'global', reason: 'notFound' }], status: 'NOT_FOUND' } },
    });
    fake.faults.denyScopes([USER]);
    expect((await call('GET', 'admin/directory/v1/users/user0@example.com', USER)).body).toMatchObject({ error: { code: 403, message: 'Request had insufficient authentication scopes.' } });
  });

  it('deletes a permission with a write scope, refuses the owner, and the listings and changes show it gone', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files: [file], now: () => T0 });
    const start = (await call('GET', 'drive/v3/changes/startPageToken', DRIVE)).body!.startPageToken as string;
    expect((await call('DELETE', 'drive/v3/files/f1/permissions/anyoneWithLink', 'https://www.googleapis.com/auth/drive.metadata.readonly')).status).toBe(403);
    expect(await call('DELETE', 'drive/v3/files/f1/permissions/anyoneWithLink', DRIVE)).toEqual({ status: 204, body: undefined });
    expect(await call('DELETE', 'drive/v3/files/f1/permissions/anyoneWithLink', DRIVE)).toMatchObject({ status: 404, body: { error: { message: 'Permission not found: anyoneWithLink.', errors: [{ reason: 'notFound' }] } } });
    expect(await call('DELETE', 'drive/v3/files/f1/permissions/p-owner', DRIVE)).toMatchObject({ status: 403, body: { error: { errors: [{ reason: 'cannotRemoveOwner' }] } } });
    expect(await call('DELETE', 'drive/v3/files/nope/permissions/p-owner', DRIVE)).toMatchObject({ status: 404, body: { error: { message: 'File not found: nope.' } } });
    expect((await call('GET', 'drive/v3/files/f1/permissions?fields=permissions(id)', DRIVE)).body).toEqual({ permissions: [{ id: 'p-owner' }] });
    expect((await call('GET', 'drive/v3/files/f1?fields=id,shared', DRIVE)).body).toEqual({ id: 'f1', shared: false });
    expect((await call('GET', 'drive/v3/files/f1', DRIVE)).body).toEqual({ kind: 'drive#file', id: 'f1', name: 'Payroll.xlsx', mimeType: 'application/vnd.ms-excel' });
    const changes = await call('GET', `drive/v3/changes?pageToken=${start}&fields=changes(fileId,file(permissions(id)))`, DRIVE);
    expect(changes.body).toEqual({ changes: [{ fileId: 'f1', file: { permissions: [{ id: 'p-owner' }] } }] });
    expect(fake.writes).toHaveLength(1);
  });

  it('refuses a token for a scope outside the domain-wide delegation, as Google does', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [{ ...key, delegatedScopes: [USER] }], now: () => T0 });
    expect((await token(assertion(claims({ scope: USER })))).status).toBe(200);
    expect(await token(assertion(claims({ scope: `${USER} ${SECURITY}` })))).toEqual({
      status: 401,
      body: { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' },
    });
  });
});

describe('Drive file content through the official SDK', () => {
  // Stripe's and Visa's published test card numbers: realistic, never real accounts.
  const CSV = 'name,card,expiry\nAda Lovelace,4242 4242 4242 4242,12/29\nAlan Turing,5555 5555 5555 4444,01/30\n';
  const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const contentFiles: DriveFile[] = [
    { id: 'sheet1', name: 'Card export', mimeType: 'application/vnd.google-apps.spreadsheet', owners: [{ emailAddress: 'bob@example.com' }], content: CSV },
    { id: 'doc1', name: 'Onboarding notes', mimeType: 'application/vnd.google-apps.document', content: 'Employee SSN: 078-05-1120\n' },
    { id: 'slides1', name: 'Q3 review', mimeType: 'application/vnd.google-apps.presentation', content: 'Revenue up 12%\n' },
    { id: 'pdf1', name: 'contract.pdf', mimeType: 'application/pdf', content: PDF },
    { id: 'big1', name: 'Huge doc', mimeType: 'application/vnd.google-apps.document', content: 'x'.repeat(10 * 1024 * 1024 + 1) },
  ];
  const bytes = (data: unknown) => Buffer.from(data as ArrayBuffer);

  it('downloads binary files with alt=media and reports Drive\'s checksums and head revision for them alone', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files: contentFiles });
    const { drive: d } = sdk();
    const got = await d.files.get({ fileId: 'pdf1', alt: 'media' }, { responseType: 'arraybuffer' });
    expect(bytes(got.data).equals(PDF)).toBe(true);
    const meta = await d.files.get({ fileId: 'pdf1', fields: 'id,size,md5Checksum,sha256Checksum,headRevisionId' });
    expect(meta.data).toEqual({
      id: 'pdf1',
      size: String(PDF.length),
      md5Checksum: createHash('md5').update(PDF).digest('hex'),
      sha256Checksum: createHash('sha256').update(PDF).digest('hex'),
      headRevisionId: expect.stringMatching(/^0B[\w-]+$/),
    });
    // A Google-native file has no checksum, and its content never appears in metadata.
    const sheet = await d.files.get({ fileId: 'sheet1', fields: '*' });
    expect(sheet.data.md5Checksum).toBeUndefined();
    expect(JSON.stringify(sheet.data)).not.toContain('4242');
    const listed = await d.files.list({ fields: 'files(id,md5Checksum,sha256Checksum)' });
    expect(listed.data.files!.find((f) => f.id === 'pdf1')!.sha256Checksum).toBe(meta.data.sha256Checksum);
    expect(JSON.stringify(listed.data)).not.toMatch(/4242|078-05/);
    await expect(d.files.get({ fileId: 'sheet1', alt: 'media' }, { responseType: 'arraybuffer' })).rejects.toMatchObject({ status: 403 });
    const refused = fake.requests.filter((r) => r.query.alt === 'media').at(-1)!;
    expect(refused.status).toBe(403);
    const err = await d.files.get({ fileId: 'sheet1', alt: 'media' }).then(() => undefined, (e: unknown) => e as { response: { data: unknown } });
    expect(JSON.stringify(err!.response.data)).toContain('fileNotDownloadable');
    await expect(d.files.get({ fileId: 'nope', alt: 'media' }, { responseType: 'arraybuffer' })).rejects.toMatchObject({ status: 404 });
  });

  it('exports Docs, Sheets and Slides, refusing unsupported conversions, binary files and exports over 10 MB', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files: contentFiles });
    const { drive: d } = sdk();
    const csv = await d.files.export({ fileId: 'sheet1', mimeType: 'text/csv' }, { responseType: 'arraybuffer' });
    expect(bytes(csv.data).toString('utf8')).toBe(CSV);
    const doc = await d.files.export({ fileId: 'doc1', mimeType: 'text/plain' }, { responseType: 'arraybuffer' });
    expect(bytes(doc.data).toString('utf8')).toContain('078-05-1120');
    const slides = await d.files.export({ fileId: 'slides1', mimeType: 'text/plain' }, { responseType: 'arraybuffer' });
    expect(bytes(slides.data).toString('utf8')).toBe('Revenue up 12%\n');
    const xlsx = bytes((await d.files.export({ fileId: 'sheet1', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, { responseType: 'arraybuffer' })).data);
    const parts = unzipSync(xlsx);
    expect(Object.keys(parts)).toContain('xl/worksheets/sheet1.xml');
    expect(strFromU8(parts['xl/sharedStrings.xml']!)).toContain('4242 4242 4242 4242');
    const reasons: Array<[string, string, number, string]> = [
      ['doc1', 'text/csv', 400, 'badRequest'],
      ['pdf1', 'text/plain', 403, 'fileNotExportable'],
      ['big1', 'text/plain', 403, 'exportSizeLimitExceeded'],
      ['nope', 'text/plain', 404, 'notFound'],
    ];
    for (const [fileId, mimeType, status, reason] of reasons) {
      const err = await d.files.export({ fileId, mimeType }).then(() => undefined, (e: unknown) => e as { status: number; response: { data: unknown } });
      expect(err?.status, `${fileId} as ${mimeType}`).toBe(status);
      const data = err!.response.data;
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      expect(text).toContain(reason);
    }
  });

  it('refuses content to the metadata-only scope, and rate-limits content calls like the others', async () => {
    fake = await startFakeGoogle({ serviceAccounts: [key], files: contentFiles });
    const auth = new JWT({ email: key.clientEmail, key: key.json.private_key, subject: 'admin@example.com', scopes: ['https://www.googleapis.com/auth/drive.metadata.readonly'] });
    auth.transporter.interceptors.request.add({
      resolved: async (o) => {
        if (String(o.url) === GOOGLE_TOKEN_AUDIENCE) o.url = new URL(fake!.tokenUrl);
        return o;
      },
    });
    const meta = drive({ version: 'v3', auth, rootUrl: fake.url, retry: false });
    expect((await meta.files.get({ fileId: 'pdf1' })).status).toBe(200);
    await expect(meta.files.get({ fileId: 'pdf1', alt: 'media' }, { responseType: 'arraybuffer' })).rejects.toMatchObject({ status: 403 });
    await expect(meta.files.export({ fileId: 'doc1', mimeType: 'text/plain' })).rejects.toMatchObject({ status: 403 });
    const { drive: d } = sdk();
    fake.faults.rateLimitNext(1, 2, { path: '/drive/v3/files/doc1/export' });
    await expect(d.files.export({ fileId: 'doc1', mimeType: 'text/plain' })).rejects.toMatchObject({ status: 429 });
    expect((await d.files.export({ fileId: 'doc1', mimeType: 'text/plain' })).status).toBe(200);
  });
});
