import { afterEach, describe, expect, it } from 'vitest';
import { fileOp } from './records.js';
import { startFakeOffice365, type FakeOffice365 } from './server.js';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Qk8~fake-test-secret';

const open: FakeOffice365[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function withToken(opts: Partial<Parameters<typeof startFakeOffice365>[0]> = {}) {
  const fake = await startFakeOffice365({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, now: () => NOW, ...opts });
  open.push(fake);
  const res = await fetch(`${fake.loginUrl}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET, scope: 'https://manage.office.com/.default' }) });
  const { access_token } = (await res.json()) as { access_token: string };
  const feed = `${fake.url}/api/v1.0/${TENANT}/activity/feed`;
  const get = (path: string, init: RequestInit = {}) => fetch(path.startsWith('http') ? path : `${feed}/${path}`, { ...init, headers: { Authorization: `Bearer ${access_token}` } });
  return { fake, get };
}

describe('fake Office 365 Management Activity API', () => {
  it('starts a subscription once: a second start answers AF20024', async () => {
    const { fake, get } = await withToken();
    expect((await get('subscriptions/start?contentType=Audit.General', { method: 'POST' })).status).toBe(200);
    const again = await get('subscriptions/start?contentType=Audit.General', { method: 'POST' });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: { code: 'AF20024', message: 'The subscription is already enabled. No property change.' } });
    expect(await (await get('subscriptions/list')).json()).toEqual([{ contentType: 'Audit.General', status: 'enabled', webhook: null }]);
    expect(fake.subscriptions).toEqual(['Audit.General']);
  });

  it('refuses listings without a subscription (AF20022), over 24 hours (AF20055) or older than 7 days (AF20056)', async () => {
    const { get } = await withToken({ subscriptions: ['Audit.SharePoint'] });
    const code = async (q: string) => ((await (await get(`subscriptions/content?${q}`)).json()) as { error: { code: string } }).error.code;
    expect(await code('contentType=Audit.Exchange')).toBe('AF20022');
    expect(await code('contentType=Audit.SharePoint&startTime=2026-11-02T09:00:00&endTime=2026-11-03T09:30:00')).toBe('AF20055');
    expect(await code('contentType=Audit.SharePoint&startTime=2026-10-27T09:00:00&endTime=2026-10-27T10:00:00')).toBe('AF20056');
    expect(await code('contentType=Audit.SharePoint&startTime=2026-11-03T09:00:00')).toBe('AF20055');
  });

  it('pages with NextPageUri, lists late blobs only once available, and answers an expired blob with AF20051', async () => {
    const blobs = Array.from({ length: 5 }, (_, i) => ({ contentType: 'Audit.SharePoint', contentCreated: new Date(NOW - (5 - i) * 600_000).toISOString(), records: [fileOp({ operation: 'FileDownloaded', at: NOW - (5 - i) * 600_000, seed: i })] }));
    const { get } = await withToken({ subscriptions: ['Audit.SharePoint'], pageSize: 2, blobs: [...blobs, { ...blobs[0]!, contentId: 'late', availableAt: new Date(NOW + 60_000).toISOString() }, { ...blobs[1]!, contentId: 'gone', expired: true }] });
    const seen: string[] = [];
    let res = await get('subscriptions/content?contentType=Audit.SharePoint&startTime=2026-11-03T09:00:00&endTime=2026-11-03T10:00:00');
    for (;;) {
      const page = (await res.json()) as Array<{ contentId: string; contentUri: string; contentExpiration: string }>;
      seen.push(...page.map((b) => b.contentId));
      const next = res.headers.get('NextPageUri');
      if (!next) break;
      expect(next).toMatch(/subscriptions\/content\?.*nextPage=/);
      res = await get(next);
    }
    expect(seen).toHaveLength(6);
    expect(seen).not.toContain('late');
    const gone = await get('audit/gone');
    expect(gone.status).toBe(400);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('AF20051');
  });

  it('answers 429 AF429 with Retry-After, and 401 to a request without a token', async () => {
    const { fake, get } = await withToken({ subscriptions: ['Audit.SharePoint'], faults: { rateLimited: 1, retryAfterSeconds: 30 } });
    const limited = await get('subscriptions/list');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('AF429');
    expect((await fetch(`${fake.url}/api/v1.0/${TENANT}/activity/feed/subscriptions/list`)).status).toBe(401);
  });
});
