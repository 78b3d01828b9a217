/** A `fetch` that trusts one private CA (a fake's test certificate) and nothing else: what a client under test is handed to talk HTTPS to a fake. */
import http from 'node:http';
import https from 'node:https';
import { nodeRequestParts, toFetchResponse } from '../pipeline/http-body.js';

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
        (res) => resolve(toFetchResponse(res, init.method)),
      );
      // Shaped as global fetch fails, so callers classify it the same way (the cause carries the code).
      req.on('error', (err) => reject(err.name === 'AbortError' ? err : new TypeError('fetch failed', { cause: err })));
      req.end(body);
    });
  };
}
