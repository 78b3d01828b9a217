/**
 * A local fake OpenID Connect issuer on 127.0.0.1: discovery, JWKS, an /authorize that logs in
 * whoever the test says (no page) and redirects back with a code, and a /token that checks the
 * client, the redirect URI and PKCE, and answers an RS256 ID token with the nonce it was given.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { readBody } from '../http.js';

export interface FakeOidcOptions {
  clientId: string;
  clientSecret: string;
}

export interface FakeOidc {
  /** The issuer URL (http://127.0.0.1:<port>). */
  issuer: string;
  /** Who the next /authorize logs in: the ID token's claims beside iss, aud, sub, nonce and times. */
  nextLogin: Record<string, unknown> & { email?: string };
  /** Token requests refused and why, newest last. */
  refusals: string[];
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  claims: Record<string, unknown>;
}

export async function startOidcFake(opts: FakeOidcOptions): Promise<FakeOidc> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'fake-1', alg: 'RS256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const fake: FakeOidc = { issuer: '', nextLogin: { email: 'ana@example.com', email_verified: true }, refusals: [], close: async () => undefined };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, error: string, why: string) => {
    fake.refusals.push(why);
    json(res, 400, { error, error_description: why });
  };

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [id, secret] = basic
      ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent)
      : [form.get('client_id') ?? '', form.get('client_secret') ?? ''];
    if (id !== opts.clientId || secret !== opts.clientSecret) return refuse(res, 'invalid_client', 'wrong client credentials');
    const grant = grants.get(form.get('code') ?? '');
    grants.delete(form.get('code') ?? '');
    if (!grant || form.get('grant_type') !== 'authorization_code') return refuse(res, 'invalid_grant', 'unknown or used code');
    if (form.get('redirect_uri') !== grant.redirectUri) return refuse(res, 'invalid_grant', 'redirect_uri differs');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse(res, 'invalid_grant', 'PKCE verifier does not match');
    // openid-client checks iat and exp against the wall clock, so the fake signs with it too.
    const idToken = await new SignJWT({ ...grant.claims, ...(grant.nonce ? { nonce: grant.nonce } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid! })
      .setIssuer(fake.issuer)
      .setAudience(grant.clientId)
      .setSubject(String(grant.claims.sub ?? grant.claims.email ?? 'someone'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    json(res, 200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== opts.clientId || !redirectUri || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      return refuse(res, 'invalid_request', 'authorize needs client_id, redirect_uri, response_type=code and an S256 code_challenge');
    }
    const code = randomBytes(16).toString('base64url');
    grants.set(code, { clientId: opts.clientId, redirectUri, challenge: q.get('code_challenge')!, nonce: q.get('nonce') ?? undefined, claims: { ...fake.nextLogin } });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    if (q.get('state')) back.searchParams.set('state', q.get('state')!);
    back.searchParams.set('iss', fake.issuer);
    res.writeHead(302, { location: back.href });
    res.end();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', fake.issuer);
    const done = (p: Promise<void> | void) => Promise.resolve(p).catch((err: unknown) => json(res, 500, { error: 'server_error', error_description: String(err) }));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: fake.issuer,
        authorization_endpoint: `${fake.issuer}/authorize`,
        token_endpoint: `${fake.issuer}/token`,
        jwks_uri: `${fake.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (url.pathname === '/authorize' && req.method === 'GET') return authorize(url, res);
    if (url.pathname === '/token' && req.method === 'POST') return void done(token(req, res));
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
