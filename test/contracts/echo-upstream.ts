/**
 * A loopback proxy in front of a source's fake that answers chosen requests with an error whose
 * body echoes the request (headers, body, query) raw, base64, base64url and URL-encoded, in every
 * vendor's error envelope at once; the rest it forwards. It learns the credentials that pass
 * through it (headers, token-request fields, tokens in answers), so a leak check knows what the
 * client obtained while running, not only what was configured.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoUpstream {
  /** The source's config with every loopback URL pointing at the proxy. */
  config: Record<string, unknown>;
  /** The `n`-th request from now (0: the next one) is answered `status` with the echo; the others are forwarded. */
  echoAt(n: number, status: number): void;
  /** How many echoes were served since the last `echoAt`. */
  echoed(): number;
  /** Credential values seen on their way through. */
  learned: Set<string>;
  close(): Promise<void>;
}

export const ECHO_MARK = 'echoed-request';

const CREDENTIAL_HEADER = /auth|key|token|secret|signature|cookie/i;
const CREDENTIAL_FIELD = /^(client_secret|assertion|client_assertion|password|refresh_token|access_token|code|token|key|api_key)$/i;
const TOKEN_FIELD = /^(access_token|id_token|refresh_token)$/;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function loopbackOrigins(v: unknown, out: Set<string>): void {
  if (typeof v === 'string') {
    const m = /^http:\/\/127\.0\.0\.1:\d+/.exec(v);
    if (m) out.add(m[0]);
  } else if (v && typeof v === 'object') for (const x of Object.values(v)) loopbackOrigins(x, out);
}

function rewrite(v: unknown, map: Map<string, string>): unknown {
  if (typeof v === 'string') {
    for (const [from, to] of map) if (v.startsWith(from)) return to + v.slice(from.length);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => rewrite(x, map));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x, map)]));
  return v;
}

export async function startEchoUpstream(config: Record<string, unknown>): Promise<EchoUpstream> {
  const origins = new Set<string>();
  loopbackOrigins(config, origins);
  const learned = new Set<string>();
  let countdown = -1;
  let status = 500;
  let served = 0;
  const servers: Server[] = [];
  const map = new Map<string, string>();
  const learn = (v: string | undefined | null) => {
    if (v && v.length >= 4) learned.add(v);
  };

  for (const origin of origins) {
    const server = createServer((req, res) => {
      void (async () => {
        const raw = await body(req);
        const url = new URL(req.url ?? '/', origin);
        for (const [k, v] of Object.entries(req.headers)) if (CREDENTIAL_HEADER.test(k)) for (const x of [v].flat()) learn(x);
        for (const [k, v] of url.searchParams) if (CREDENTIAL_FIELD.test(k)) learn(v);
        const text = raw.toString('utf8');
        if (/x-www-form-urlencoded/.test(String(req.headers['content-type']))) {
          for (const [k, v] of new URLSearchParams(text)) if (CREDENTIAL_FIELD.test(k)) learn(v);
        }
        if (countdown === 0) {
          countdown = -1;
          served++;
          const echo = JSON.stringify({ mark: ECHO_MARK, method: req.method, url: req.url, headers: req.headers, body: text });
          const all = `${echo} b64:${Buffer.from(echo).toString('base64')} b64url:${Buffer.from(echo).toString('base64url')} url:${encodeURIComponent(echo)}`;
          res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 || status === 503 ? { 'retry-after': '0' } : {}) });
          res.end(JSON.stringify({ error: { code: 'EchoedRequest', message: all, '.tag': 'other' }, error_summary: all, error_description: all }));
          return;
        }
        if (countdown > 0) countdown--;
        const headers = { ...req.headers };
        // Uncompressed, so the fake's own links can be pointed back at the proxy.
        delete headers['accept-encoding'];
        const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
          const out = httpRequest(`${origin}${req.url ?? '/'}`, { method: req.method, headers }, resolve);
          out.on('error', reject);
          out.end(raw);
        });
        let answer = (await body(upstream)).toString('utf8').split(origin).join(map.get(origin)!);
        try {
          const json = JSON.parse(answer) as Record<string, unknown>;
          for (const [k, v] of Object.entries(json)) if (TOKEN_FIELD.test(k) && typeof v === 'string') learn(v);
        } catch {
          // Not JSON: nothing to learn.
        }
        const h = { ...upstream.headers };
        delete h['content-length'];
        delete h['transfer-encoding'];
        if (typeof h.location === 'string') h.location = h.location.split(origin).join(map.get(origin)!);
        res.writeHead(upstream.statusCode ?? 502, h);
        res.end(answer);
        answer = '';
      })().catch((err: unknown) => {
        res.writeHead(502).end(String(err));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    map.set(origin, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  return {
    config: rewrite(config, map) as Record<string, unknown>,
    echoAt(n, s) {
      countdown = n;
      status = s;
      served = 0;
    },
    echoed: () => served,
    learned,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
