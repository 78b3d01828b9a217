import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES as M } from './errors.js';
import { jwksUrl } from './auth.js';
import { ATTACKER_IP, AUDIENCE, GRAPH_CREDENTIALS, NOW, relayWorld, type RelayWorld } from './testing.js';

const OBS = [{ type: 'ip', value: ATTACKER_IP }];
const refused = (message: string) => ({ errors: [{ type: 'fatal', code: 'authorization error', message: `Authorization failed: ${message}` }] });
const sec = (ms: number) => Math.floor(ms / 1000);

describe('relay token checks', () => {
  let w: RelayWorld;
  beforeEach(async () => {
    w = await relayWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it('answers a request without a token on every authenticated route with HTTP 200 and Cisco\'s error, the trigger with its failure status', async () => {
    for (const path of ['/health', '/observe/observables', '/refer/observables', '/respond/observables']) {
      const r = await w.post(path, OBS);
      expect(r.status, path).toBe(200);
      expect(r.json, path).toEqual(refused(M.noHeader));
    }
    const t = await w.post('/respond/trigger', { 'action-id': 'saaswatch-block-user', observable_type: 'email', observable_value: 'x@example.com' });
    expect(t.json).toEqual({ data: { status: 'failure' }, ...refused(M.noHeader) });
    expect(w.issuer.requests()).toBe(0);
  });

  it('names a wrong scheme and a token that is not a JWT', async () => {
    const good = await w.token();
    expect((await w.post('/observe/observables', OBS, undefined, { authorization: `Basic ${good}` })).json).toEqual(refused(M.wrongType));
    expect((await w.post('/observe/observables', OBS, undefined, { authorization: 'Bearer' })).json).toEqual(refused(M.wrongType));
    expect((await w.post('/observe/observables', OBS, 'not-a.jwt')).json).toEqual(refused(M.wrongStructure));
    expect((await w.post('/observe/observables', OBS, 'a.b.c')).json).toEqual(refused(M.wrongStructure));
    expect(w.issuer.jwksRequests()).toBe(0);
  });

  it('accepts a good token, reading the keys once and then from its cache', async () => {
    const r = await w.post('/observe/observables', OBS, await w.token());
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.sightings.count).toBeGreaterThan(0);
    await w.post('/observe/observables', OBS, await w.token());
    expect(w.issuer.jwksRequests()).toBe(1);
  });

  it('refuses a token signed by an attacker\'s own JWKS host without ever contacting that host', async () => {
    const forged = await w.attacker.mint({ aud: AUDIENCE, jwksHost: w.attacker.host, claims: GRAPH_CREDENTIALS });
    const r = await w.post('/observe/observables', OBS, forged);
    expect(r.json.errors).toHaveLength(1);
    expect(r.json.errors![0]!.message).toBe(`Authorization failed: ${M.wrongJwksHost} (${JSON.stringify(w.attacker.host)} is not one of relay.jwks_hosts)`);
    expect(r.json.data).toBeUndefined();
    expect(w.attacker.requests()).toBe(0);
    expect(w.issuer.requests()).toBe(0);
    // Nor does naming an allowed host help a token the attacker signed: the allowed host's keys do not verify it.
    const lying = await w.attacker.mint({ aud: AUDIENCE, jwksHost: w.issuer.host, kid: w.issuer.currentKid() });
    expect((await w.post('/observe/observables', OBS, lying)).json).toEqual(refused(M.wrongKey));
    expect(w.attacker.requests()).toBe(0);
    expect(w.graph.calls).toEqual([]);
  });

  it('refuses a token whose allowed JWKS host cannot be reached, naming the host', async () => {
    const down = await relayWorld({ relay: { jwks_hosts: ['127.0.0.1:1'] } });
    try {
      const r = await down.post('/health', {}, await down.token({ jwksHost: '127.0.0.1:1' }));
      expect(r.json).toEqual(refused(`${M.wrongJwksHost} (the keys of 127.0.0.1:1 could not be read)`));
    } finally {
      await down.close();
    }
  });

  it('names the JWKS host\'s outage, answers it again without asking during the cooldown, and reads the keys after it', async () => {
    w.issuer.failNext(1, 503);
    const outage = refused(`${M.wrongJwksHost} (${w.issuer.host} answered HTTP 503 for its keys)`);
    expect((await w.post('/health', {}, await w.token())).json).toEqual(outage);
    w.setNow(NOW + 20_000);
    expect((await w.post('/health', {}, await w.token())).json).toEqual(outage);
    expect(w.issuer.jwksRequests()).toBe(1);
    w.setNow(NOW + 31_000);
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    expect(w.issuer.jwksRequests()).toBe(2);
  });

  it('keeps verifying with the last keys while the host is down, for up to six hours', async () => {
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    w.issuer.failNext(1_000, 503);
    // Past the cache's ten minutes: the read fails, the keys read at NOW still verify.
    w.setNow(NOW + 11 * 60_000);
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    expect(w.issuer.jwksRequests()).toBe(2);
    w.setNow(NOW + 5 * 3_600_000);
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    expect(w.issuer.jwksRequests()).toBe(3);
    w.setNow(NOW + 6 * 3_600_000 + 1);
    expect((await w.post('/health', {}, await w.token())).json).toEqual(refused(`${M.wrongJwksHost} (${w.issuer.host} answered HTTP 503 for its keys)`));
  });

  it('refuses keys over 256 KiB without reading them whole, however the host sends them', async () => {
    for (const chunked of [false, true]) {
      const big = createServer((_req, res) => {
        const chunk = `{"keys":[${'{"kid":"x","kty":"RSA"},'.repeat(2_000)}`;
        if (!chunked) res.setHeader('content-length', String(400 * 1024));
        res.writeHead(200, { 'content-type': 'application/json' });
        // Endless unless the reader stops: the cap must hold without reading to the end.
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.destroy());
        pump();
      });
      await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
      const host = `127.0.0.1:${(big.address() as AddressInfo).port}`;
      const v = await relayWorld({ relay: { jwks_hosts: [host] } });
      try {
        expect((await v.post('/health', {}, await v.token({ jwksHost: host }))).json).toEqual(refused(`${M.wrongJwksHost} (the keys of ${host} are over ${256 * 1024} bytes)`));
      } finally {
        await v.close();
        big.closeAllConnections();
        await new Promise((resolve) => big.close(resolve));
      }
    }
  });

  it('refuses a token without jwks_host', async () => {
    expect((await w.post('/observe/observables', OBS, await w.token({ jwksHost: null }))).json).toEqual(refused(M.jwksHostMissing));
  });

  it('reads the keys again for an unknown kid once the cooldown has passed, and not before', async () => {
    await w.post('/health', {}, await w.token());
    expect(w.issuer.jwksRequests()).toBe(1);
    await w.issuer.rotate({ keepOld: true });
    w.setNow(NOW + 5_000);
    // A kid seen a moment after the keys were read: no second read (random kids cannot make us hammer the host).
    expect((await w.post('/health', {}, await w.token())).json).toEqual(refused(M.kidNotFound));
    expect(w.issuer.jwksRequests()).toBe(1);
    w.setNow(NOW + 31_000);
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    expect(w.issuer.jwksRequests()).toBe(2);
  });

  it('after a rotation that retires the old key, refuses tokens signed with it and accepts the new key\'s', async () => {
    const old = await w.token();
    expect((await w.post('/health', {}, old)).json).toEqual({ data: { status: 'ok' } });
    const retired = await w.issuer.rotate();
    w.setNow(NOW + 11 * 60_000);
    // The cache ages out: the keys are read again and the old kid is gone.
    expect((await w.post('/health', {}, await w.token({ key: retired }))).json).toEqual(refused(M.kidNotFound));
    expect((await w.post('/health', {}, await w.token())).json).toEqual({ data: { status: 'ok' } });
    expect(w.issuer.jwksRequests()).toBe(2);
  });

  it('refuses a token whose kid the issuer serves but that another key signed', async () => {
    const stray = await w.issuer.strayKey();
    expect((await w.post('/health', {}, await w.token({ key: stray, kid: w.issuer.currentKid() }))).json).toEqual(refused(M.wrongKey));
    expect((await w.post('/health', {}, await w.token({ key: stray }))).json).toEqual(refused(M.kidNotFound));
  });

  it('refuses an expired token, allows a minute of clock skew, and requires exp', async () => {
    expect((await w.post('/health', {}, await w.token({ exp: sec(NOW) - 120 }))).json).toEqual(refused(M.expired));
    expect((await w.post('/health', {}, await w.token({ exp: sec(NOW) - 30 }))).json).toEqual({ data: { status: 'ok' } });
    expect((await w.post('/health', {}, await w.token({ exp: null }))).json).toEqual(refused(`${M.wrongPayload}: the exp claim is missing`));
  });

  it('refuses a token for another audience', async () => {
    expect((await w.post('/health', {}, await w.token({ aud: 'https://other.example.com' }))).json).toEqual(refused(M.wrongAudience));
  });

  it('refuses alg none and HS256 signed with the public key, before fetching any key', async () => {
    const payload = { aud: AUDIENCE, jwks_host: w.issuer.host, exp: sec(NOW) + 300 };
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const none = `${enc({ alg: 'none', kid: w.issuer.currentKid() })}.${enc(payload)}.`;
    expect((await w.post('/health', {}, none)).json).toEqual(refused(`${M.wrongStructure}: algorithm "none" is not allowed (RS256 only)`));
    // The classic confusion: the public key (which anyone can read) used as an HMAC secret.
    const publicKey = new TextEncoder().encode(JSON.stringify(w.issuer.publicJwks()[0]));
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: w.issuer.currentKid() }).sign(publicKey);
    expect((await w.post('/health', {}, hs)).json).toEqual(refused(`${M.wrongStructure}: algorithm "HS256" is not allowed (RS256 only)`));
    expect(w.issuer.jwksRequests()).toBe(0);
  });

  it('takes Graph credentials from the payload (all three or none) and the entity limit, which may lower the configured one only', async () => {
    w.graph.calls = [];
    await w.post('/observe/observables', [{ type: 'domain', value: 'evil.example' }], await w.token({ claims: { ...GRAPH_CREDENTIALS, CTR_ENTITIES_LIMIT: 7 } }));
    expect(w.graph.calls).toEqual([{ observable: { type: 'domain', value: 'evil.example' }, credentials: GRAPH_CREDENTIALS, limit: 7 }]);
    w.graph.calls = [];
    await w.post('/observe/observables', [{ type: 'domain', value: 'evil.example' }], await w.token({ claims: { ...GRAPH_CREDENTIALS, CTR_ENTITIES_LIMIT: 5000 } }));
    expect(w.graph.calls[0]!.limit).toBe(100);
    const partial = await w.post('/observe/observables', OBS, await w.token({ claims: { tenant_id: 't', client_secret: 's' } }));
    expect(partial.json).toEqual(refused(`${M.wrongPayload}: application_id missing beside tenant_id, client_secret`));
  });
});

describe('jwksUrl', () => {
  it('reads loopback hosts over http (test issuers) and every other host over https', () => {
    expect(jwksUrl('visibility.amp.cisco.com')).toBe('https://visibility.amp.cisco.com/.well-known/jwks');
    expect(jwksUrl('127.0.0.1:4000')).toBe('http://127.0.0.1:4000/.well-known/jwks');
    expect(jwksUrl('localhost:4000')).toBe('http://localhost:4000/.well-known/jwks');
    expect(jwksUrl('[::1]:4000')).toBe('http://[::1]:4000/.well-known/jwks');
    expect(jwksUrl('127.0.0.1.evil.example')).toBe('https://127.0.0.1.evil.example/.well-known/jwks');
  });
});
