/**
 * A local fake of Cisco XDR's token issuer on 127.0.0.1: serves its signing keys at /.well-known/jwks
 * (as visibility.amp.cisco.com does), rotates them, counts the requests it gets, and mints relay tokens
 * shaped like Cisco's (RS256 with a kid; aud, exp, jwks_host and the module's configured fields).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface MintOptions {
  /** The relay's audience (its registered URL). */
  aud: string;
  /** Seconds since the epoch the token ends; default now + 5 minutes (now from `clock`). Null: no exp at all. */
  exp?: number | null;
  /** Default: this issuer's own host:port. */
  jwksHost?: string | null;
  /** Default: the current key's. */
  kid?: string;
  sub?: string;
  /** The module's configured fields Cisco sends in the payload (tenant_id, application_id, client_secret, CTR_ENTITIES_LIMIT, ...). */
  claims?: object;
  /** Sign with a key this issuer no longer (or never) serves. */
  key?: SigningKey;
}

export interface FakeJwksIssuer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** host:port, what its tokens name as jwks_host. */
  host: string;
  /** Requests for /.well-known/jwks so far. */
  jwksRequests(): number;
  /** Requests of any path so far. */
  requests(): number;
  /** The next n JWKS requests are answered with this HTTP status (an outage). */
  failNext(n: number, status: number): void;
  /** The kid new tokens are signed with. */
  currentKid(): string;
  /**
   * A new signing key: with keepOld, served beside the old ones (a rollover); without, replacing
   * them (a rotation that retires the old key at once). Returns the old current key.
   */
  rotate(opts?: { keepOld?: boolean }): Promise<SigningKey>;
  /** A key that is never served (to sign a token whose kid the JWKS does not have). */
  strayKey(): Promise<SigningKey>;
  /** The served keys' public JWKs. */
  publicJwks(): JWK[];
  mint(o: MintOptions): Promise<string>;
  close(): Promise<void>;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID().replace(/-/g, '').toUpperCase().slice(0, 40);
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig', kty: 'RSA' } };
}

/** `clock`: epoch ms the default exp counts from (tests pin it). */
export async function startJwksIssuer(opts: { clock: () => number }): Promise<FakeJwksIssuer> {
  let keys: SigningKey[] = [await newKey()];
  let jwksCount = 0;
  let total = 0;
  let failures = { n: 0, status: 503 };
  const server = createServer((req, res) => {
    total++;
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/.well-known/jwks') {
      jwksCount++;
      if (failures.n > 0) {
        failures.n--;
        res.writeHead(failures.status, { 'content-type': 'text/html' });
        res.end('<html><body>Service Unavailable</body></html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}`,
    host,
    jwksRequests: () => jwksCount,
    requests: () => total,
    failNext: (n, status) => void (failures = { n, status }),
    currentKid: () => keys[keys.length - 1]!.kid,
    async rotate(o = {}) {
      const old = keys[keys.length - 1]!;
      const next = await newKey();
      keys = o.keepOld ? [...keys, next] : [next];
      return old;
    },
    strayKey: newKey,
    publicJwks: () => keys.map((k) => k.jwk),
    async mint(o) {
      const key = o.key ?? keys[keys.length - 1]!;
      const payload: Record<string, unknown> = { ...o.claims };
      const jwksHost = o.jwksHost === undefined ? host : o.jwksHost;
      if (jwksHost !== null) payload.jwks_host = jwksHost;
      const now = Math.floor(opts.clock() / 1000);
      const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: o.kid ?? key.kid, typ: 'JWT' }).setAudience(o.aud).setIssuedAt(now).setJti(randomUUID());
      if (o.sub !== undefined) jwt.setSubject(o.sub);
      const exp = o.exp === undefined ? now + 300 : o.exp;
      if (exp !== null) jwt.setExpirationTime(exp);
      return jwt.sign(key.privateKey);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
