import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@microsoft/microsoft-graph-client';
import { afterEach, describe, expect, it } from 'vitest';
import { SaaswatchError, Secret } from '../../core/index.js';
import { generateSignIns, startFakeGraph, type FakeGraph } from '../../fakes/microsoft-graph/server.js';
import { createGraphClient, isDeltaGone, toSaaswatchError } from './client.js';
import { ClientCredentialsProvider, graphScope } from './token.js';

const TENANT = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const SECRET = 'Xy8Q~fake-client-secret';
/** When the test data happened: the fake's sign-ins lie in the hour before it, the read range spans two. */
const T0 = Date.parse('2026-03-02T09:00:00.000Z');

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function fake(): Promise<FakeGraph> {
  const f = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, signIns: generateSignIns({ count: 5, start: T0 - 3_600_000, seed: 1 }) });
  closers.push(() => f.close());
  return f;
}

const provider = (f: FakeGraph, extra: Partial<ConstructorParameters<typeof ClientCredentialsProvider>[0]> = {}) =>
  new ClientCredentialsProvider({ loginUrl: f.loginUrl, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET), scope: graphScope(f.url), ...extra });

const range = () => ({ from: new Date(T0 - 7_200_000).toISOString(), to: new Date(T0).toISOString(), top: 10 });

describe('the SDK auth handler and our chain', () => {
  it('the SDK\'s own AuthenticationHandler sends no token to an http custom host (why the chain has its own)', async () => {
    const f = await fake();
    // What one would try first: the default chain, the fake as base URL and as custom host.
    const sdk = Client.initWithMiddleware({ baseUrl: f.url, customHosts: new Set([new URL(f.url).hostname]), authProvider: provider(f) });
    const err = await sdk.api('/auditLogs/signIns').get().catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' });
    expect(f.requests.at(-1)).toMatchObject({ path: '/v1.0/auditLogs/signIns', authorized: false });

    const ours = createGraphClient({ graphUrl: f.url, loginUrl: f.loginUrl, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET) });
    const page = await ours.signIns(range());
    expect(page.value).toHaveLength(5);
    expect(f.requests.at(-1)).toMatchObject({ path: '/beta/auditLogs/signIns', authorized: true, status: 200 });
  });

  it('never follows or authenticates a link to another origin', async () => {
    const f = await fake();
    const seen: Array<string | undefined> = [];
    const other = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"value":[]}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => other.close(() => r())));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const ours = createGraphClient({ graphUrl: f.url, loginUrl: f.loginUrl, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET) });
    expect(ours.owns(`${f.url}/v1.0/auditLogs/signIns?$skiptoken=x`)).toBe(true);
    expect(ours.owns(`${otherUrl}/v1.0/auditLogs/signIns`)).toBe(false);
    const err = await ours.follow(`${otherUrl}/v1.0/auditLogs/signIns?$skiptoken=x`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INPUT_MALFORMED', retryable: false, message: expect.stringMatching(/outside base_url/) });
    expect(seen).toEqual([]);
  });

  it('does not follow redirects, which would carry the token along', async () => {
    const target = createServer((req, res) => {
      if (req.url?.startsWith('/oauth') || req.url?.includes('/token')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token_type":"Bearer","expires_in":3599,"access_token":"tok"}');
        return;
      }
      res.writeHead(302, { Location: 'http://198.51.100.1/steal' }).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => target.close(() => r())));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    const ours = createGraphClient({ graphUrl: url, loginUrl: url, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET) });
    const err = await ours.signIns(range()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_REJECTED', message: expect.stringMatching(/302 \(redirects are not followed\)/) });
  });

  it('turns a network failure into a retryable error, and a timeout into TIMEOUT', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const ours = createGraphClient({ graphUrl: dead, loginUrl: dead, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET) });
    const err = await ours.signIns(range()).catch((e: unknown) => e);
    // The token comes first, so that is what cannot be reached.
    expect(err).toMatchObject({ code: 'NETWORK', retryable: true, message: expect.stringMatching(/^could not reach Microsoft Entra token endpoint: ECONNREFUSED/) });

    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => { hang.closeAllConnections(); hang.close(() => r()); }));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    const slow = createGraphClient({ graphUrl: url, loginUrl: url, tenantId: TENANT, clientId: CLIENT, clientSecret: new Secret(SECRET), timeoutMs: 150 });
    expect(await slow.signIns(range()).catch((e: unknown) => e)).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });
});

describe('ClientCredentialsProvider', () => {
  it('caches the token until shortly before expires_in, and shares one request between concurrent callers', async () => {
    const f = await startFakeGraph({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, tokenLifetimeSeconds: 3600 });
    closers.push(() => f.close());
    let now = Date.parse('2024-05-06T09:00:00Z');
    const p = provider(f, { now: () => now });
    const [a, b] = await Promise.all([p.getAccessToken(), p.getAccessToken()]);
    expect(a).toBe(b);
    expect(f.tokensIssued).toBe(1);
    now += 54 * 60_000;
    expect(await p.getAccessToken()).toBe(a);
    expect(p.cached).toBe(true);
    // Five minutes before expiry it is renewed.
    now += 60_000 + 1;
    expect(p.cached).toBe(false);
    expect(await p.getAccessToken()).not.toBe(a);
    expect(f.tokensIssued).toBe(2);
    const form = f.requests.filter((q) => q.path.endsWith('/token'));
    expect(form).toHaveLength(2);
  });

  it('asks for the .default scope of the Graph cloud it talks to', () => {
    expect(graphScope('https://graph.microsoft.com')).toBe('https://graph.microsoft.com/.default');
    expect(graphScope('https://graph.microsoft.us/')).toBe('https://graph.microsoft.us/.default');
    expect(graphScope('http://127.0.0.1:4000')).toBe('https://graph.microsoft.com/.default');
    expect(new ClientCredentialsProvider({ loginUrl: 'https://login.microsoftonline.com/', tenantId: 'contoso.onmicrosoft.com', clientId: CLIENT, clientSecret: new Secret('s'), scope: 'x' }).tokenUrl).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );
  });
});

describe('error classification', () => {
  it('recognises an expired delta by status or by code', () => {
    expect(isDeltaGone(new SaaswatchError('HTTP_REJECTED', 'x', { details: { status: 410, graph_error: 'SyncStateNotFound' } }))).toBe(true);
    expect(isDeltaGone(new SaaswatchError('HTTP_REJECTED', 'x', { details: { status: 400, graph_error: 'syncStateNotFound' } }))).toBe(true);
    expect(isDeltaGone(new SaaswatchError('HTTP_REJECTED', 'x', { details: { status: 400, graph_error: 'resyncRequired' } }))).toBe(true);
    expect(isDeltaGone(new SaaswatchError('HTTP_REJECTED', 'x', { details: { status: 400, graph_error: 'BadRequest' } }))).toBe(false);
    expect(isDeltaGone(new Error('410'))).toBe(false);
  });

  it('passes SaaswatchErrors through and classifies anything else as a network failure', () => {
    const e = new SaaswatchError('TIMEOUT', 't', { retryable: true });
    expect(toSaaswatchError(e)).toBe(e);
    expect(toSaaswatchError(new TypeError('fetch failed'))).toMatchObject({ code: 'NETWORK', retryable: true });
  });
});
