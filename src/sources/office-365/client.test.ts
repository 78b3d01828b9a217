import { afterEach, describe, expect, it } from 'vitest';
import { Redactor, SaaswatchError } from '../../core/index.js';
import { startFakeOffice365, type FakeOffice365 } from '../../fakes/office-365/server.js';
import { afCode, apiTime, createOffice365Client } from './client.js';
import { office365ConfigSchema } from './config.js';
import { failureOf as failure } from '../../core/testing.js';

const NOW = Date.parse('2026-11-03T10:00:00Z');
const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Qk8~client-test-secret-2291';

const open: FakeOffice365[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function setup(secret = SECRET, fetchFn?: typeof fetch) {
  const fake = await startFakeOffice365({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, subscriptions: ['Audit.SharePoint'], now: () => NOW });
  open.push(fake);
  const config = office365ConfigSchema.parse({ tenant_id: TENANT, client_id: CLIENT, client_secret: secret, api_url: fake.url, login_url: fake.loginUrl });
  const client = createOffice365Client({ config, signal: new AbortController().signal, redactor: new Redactor([config.client_secret]), ...(fetchFn ? { fetch: fetchFn } : {}) });
  return { fake, client };
}

describe('office-365 client', () => {
  it('lists with startTime and endTime in the API form, and the tenant as PublisherIdentifier', async () => {
    const { fake, client } = await setup();
    await client.listContent('Audit.SharePoint', NOW - 3_600_000, NOW);
    const q = fake.requests.find((r) => r.path.endsWith('/subscriptions/content'))!.query;
    expect(q).toMatchObject({ contentType: 'Audit.SharePoint', startTime: '2026-11-03T09:00:00', endTime: '2026-11-03T10:00:00', PublisherIdentifier: TENANT });
    expect(apiTime(NOW + 999)).toBe('2026-11-03T10:00:00');
  });

  it('keeps the AF code of a refusal and says what to fix (AF20022)', async () => {
    const { client } = await setup();
    const err = await failure(client.listContent('Audit.Exchange', NOW - 3_600_000, NOW));
    expect(afCode(err)).toBe('AF20022');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/AF20022: No subscription found for the specified content type/);
    expect(err.message).toMatch(/start_subscriptions: true/);
  });

  it('names the permission on 403 (AF10001)', async () => {
    const deny: typeof fetch = async (input, init) =>
      String(input).includes('/activity/feed/')
        ? new Response(JSON.stringify({ error: { code: 'AF10001', message: 'The permission set () sent in the request does not include the expected permission.' } }), { status: 403 })
        : fetch(input, init);
    const { client } = await setup(SECRET, deny);
    const err = await failure(client.listSubscriptions());
    expect(err.code).toBe('HTTP_REJECTED');
    expect(err.message).toMatch(/ActivityFeed\.Read/);
  });

  it('a refused client secret is a non-retryable error naming the key, without the secret', async () => {
    const wrong = 'Qk8~client-test-wrong-0000';
    const { client } = await setup(wrong);
    const err = await failure(client.listSubscriptions());
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/client_secret/);
    expect(JSON.stringify({ m: err.message, s: err.stack, d: err.details })).not.toContain(wrong);
  });

  it('never sends the token to a NextPageUri or contentUri outside the API root', async () => {
    const { fake, client } = await setup();
    const before = fake.requests.length;
    const err = await failure(client.listContent('Audit.SharePoint', NOW - 3_600_000, NOW, 'https://attacker.example/api/v1.0/x/activity/feed/subscriptions/content?nextPage=1'));
    expect(err.code).toBe('INPUT_MALFORMED');
    await expect(client.fetchContent(`${fake.url}/elsewhere/audit/1`)).rejects.toThrow(/outside/);
    expect(fake.requests.length).toBe(before);
  });
});
