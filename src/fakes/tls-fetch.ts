/** A `fetch` that trusts one private CA (a fake's test certificate) and nothing else: what a client under test is handed to talk HTTPS to a fake. */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { nodeRequestParts } from '../pipeline/http-body.js';

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Global fetch takes no CA without undici's Agent (not a dependency), so this one is on node:https
 * with `ca`: a certificate the CA did not sign, or a host it was not issued for, fails the request
 * as it would against the real service. Redirects are not followed.
 */
export function fetchTrusting(ca: string): typeof fetch {
  const agent = new https.Agent({ keepAlive: true, ca });
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const { headers, body } = await nodeRequestParts(init);
    const secure = url.protocol === 'https:';
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? https : http).request(
        url,
        { method: init.method ?? 'GET', headers, ...(secure ? { agent } : {}), ...(init.signal ? { signal: init.signal } : {}) },
        (res) => {
          const h = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const status = res.statusCode ?? 500;
          const stream = NULL_BODY.has(status) || init.method === 'HEAD' ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          if (!stream) res.resume();
          resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: h }));
        },
      );
      // Shaped as global fetch fails, so callers classify it the same way (the cause carries the code).
      req.on('error', (err) => reject(err.name === 'AbortError' ? err : new TypeError('fetch failed', { cause: err })));
      req.end(body);
    });
  };
}
