import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { dropboxContentHash, startFakeDropbox, type FakeDropbox } from '../../fakes/dropbox/server.js';
import { createDropboxContentClient } from './content.js';

const TOKEN = 'sl.fake-team-token';
const ALICE = { email: 'alice@example.com', team_member_id: 'dbmid:AAAlice000000000000000000000000000', account_id: 'dbid:AAAlice', display_name: 'Alice Ng' };
const BOB = { email: 'bob@example.com', team_member_id: 'dbmid:AABob00000000000000000000000000000', account_id: 'dbid:AABob', display_name: 'Bob Ruiz' };
// Published test numbers (Stripe's docs), as a finance export would hold real ones.
const CSV = 'customer,card\nAcme Corp,4242424242424242\nGlobex,5555555555554444\n';
let fake: FakeDropbox | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(): Promise<FakeDropbox> {
  fake = await startFakeDropbox({
    accessToken: TOKEN,
    appSecret: 's',
    members: [ALICE, BOB],
    files: [{ id: 'id:a4ayc_80_OEAAAAAAAAAXw', name: 'cards – Q3.csv', path: '/Finance/cards – Q3.csv', owner: ALICE.email, content: CSV, server_modified: '2026-02-10T08:30:00Z' }],
  });
  return fake;
}

describe('Dropbox content hash', () => {
  it('is the SHA-256 of the 4 MiB blocks\' SHA-256 digests, as Dropbox documents', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
    const data = Buffer.alloc(4 * 1024 * 1024 + 10, 7);
    const expected = createHash('sha256').update(Buffer.concat([sha(data.subarray(0, 4 * 1024 * 1024)), sha(data.subarray(4 * 1024 * 1024))])).digest('hex');
    expect(dropboxContentHash(data)).toBe(expected);
    expect(dropboxContentHash(new Uint8Array(0))).toBe(createHash('sha256').digest('hex'));
  });
});

describe('Dropbox content client (the official SDK against the fake)', () => {
  it('downloads by id as the owning member, with the metadata and content_hash Dropbox sends in Dropbox-API-Result', async () => {
    const f = await start();
    const c = createDropboxContentClient({ accessToken: new Secret(TOKEN), apiUrl: f.url });
    const { meta, data } = await c.download('id:a4ayc_80_OEAAAAAAAAAXw', ALICE.team_member_id);
    expect(Buffer.from(data).toString('utf8')).toBe(CSV);
    expect(meta).toMatchObject({ id: 'id:a4ayc_80_OEAAAAAAAAAXw', name: 'cards – Q3.csv', size: Buffer.byteLength(CSV), contentHash: dropboxContentHash(Buffer.from(CSV)), serverModified: '2026-02-10T08:30:00Z' });
    const viaMeta = await c.metadata('/finance/cards – Q3.csv', ALICE.team_member_id);
    expect(viaMeta?.contentHash).toBe(meta.contentHash);
    const dl = f.requests.find((r) => r.path === '/2/files/download')!;
    expect(dl).toMatchObject({ status: 200, selectUser: ALICE.team_member_id, body: { path: 'id:a4ayc_80_OEAAAAAAAAAXw' } });
  });

  it('downloads the revision get_metadata named, and stops reading past maxBytes (by Content-Length or mid-stream)', async () => {
    const f = await start();
    const c = createDropboxContentClient({ accessToken: new Secret(TOKEN), apiUrl: f.url });
    const meta = (await c.metadata('id:a4ayc_80_OEAAAAAAAAAXw', ALICE.team_member_id))!;
    const { data } = await c.download(`rev:${meta.rev}`, ALICE.team_member_id, undefined, 1024);
    expect(Buffer.from(data).toString('utf8')).toBe(CSV);
    await expect(c.download('id:a4ayc_80_OEAAAAAAAAAXw', ALICE.team_member_id, undefined, 16)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    // A body with no Content-Length (chunked) is cut off while reading: never buffered whole.
    let pulled = 0;
    const chunked: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const header = res.headers.get('dropbox-api-result')!;
      const body = new ReadableStream<Uint8Array>({
        pull(ctl) {
          pulled++;
          ctl.enqueue(new Uint8Array(64 * 1024).fill(0x41));
        },
      });
      return new Response(body, { status: 200, headers: { 'dropbox-api-result': header, 'content-type': 'application/octet-stream' } });
    };
    const capped = createDropboxContentClient({ accessToken: new Secret(TOKEN), apiUrl: f.url, fetch: chunked });
    await expect(capped.download('id:a4ayc_80_OEAAAAAAAAAXw', ALICE.team_member_id, undefined, 1024 * 1024)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(pulled).toBeLessThan(40);
  });

  it('answers path/not_found to a member who cannot see the file, and missing_scope without files.content.read', async () => {
    const f = await start();
    const c = createDropboxContentClient({ accessToken: new Secret(TOKEN), apiUrl: f.url });
    expect(await c.metadata('id:a4ayc_80_OEAAAAAAAAAXw', BOB.team_member_id)).toBeUndefined();
    await expect(c.download('id:a4ayc_80_OEAAAAAAAAAXw', BOB.team_member_id)).rejects.toMatchObject({ details: { status: 409, dropbox_error: 'path', dropbox_error_path: 'path/not_found' } });
    f.scopes.delete('files.content.read');
    const err = await c.download('id:a4ayc_80_OEAAAAAAAAAXw', ALICE.team_member_id).then(() => new Error('downloaded'), (e: unknown) => e as Error);
    expect(err).toMatchObject({ details: { status: 401, required_scope: 'files.content.read' } });
    expect(err.message).not.toContain(TOKEN);
  });

  it('needs a member: a team token without Dropbox-API-Select-User is refused as Dropbox does', async () => {
    const f = await start();
    const res = await fetch(`${f.url}/2/files/download`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Dropbox-API-Arg': JSON.stringify({ path: 'id:a4ayc_80_OEAAAAAAAAAXw' }) } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Dropbox-API-Select-User/);
    const ok = await fetch(`${f.url}/2/files/download`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Dropbox-API-Select-User': ALICE.team_member_id, 'Dropbox-API-Arg': JSON.stringify({ path: 'id:a4ayc_80_OEAAAAAAAAAXw' }) },
    });
    // Non-ASCII names travel escaped in the header, as Dropbox sends them.
    const header = ok.headers.get('dropbox-api-result')!;
    expect(header).toContain('\\u2013');
    expect(JSON.parse(header).name).toBe('cards – Q3.csv');
  });
});
