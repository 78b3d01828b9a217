/** One GET of the configured endpoint: the credential header, a timeout, no redirects, a size limit, and failures classified by retry.ts. */
import { errors, Redactor, SaaswatchError, type Secret } from '../../core/index.js';
import { readCappedText } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';

export interface HttpJsonClientOptions {
  /** How errors name the endpoint: the source, never the URL (a query string may hold a key). */
  target: string;
  auth?: { header: string; value: Secret } | undefined;
  timeoutMs: number;
  maxBodyBytes: number;
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** Where the credential is registered (the source shares it with the runtime). */
  redactor?: Redactor;
}

export interface HttpPage {
  body: string;
  contentType: string;
  /** The `Link` header's rel="next" target, resolved against the request URL. */
  linkNext: string | undefined;
}

/** `<https://x/p?page=2>; rel="next", <...>; rel="last"` → the next URL. */
export function linkHeaderNext(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]!)) return new URL(m[1]!, base).href;
  }
  return undefined;
}

export function createHttpJsonClient(opts: HttpJsonClientOptions): { get(url: string): Promise<HttpPage> } {
  const doFetch = opts.fetch ?? fetch;
  const redactor = (opts.redactor ?? new Redactor()).add(opts.auth?.value);
  const get = async (url: string): Promise<HttpPage> => {
    let timedOut = false;
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    timeout.addEventListener('abort', () => (timedOut = true), { once: true });
    const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson;q=0.9, */*;q=0.1' };
    if (opts.auth) headers[opts.auth.header.toLowerCase()] = opts.auth.value.reveal();
    let res: Response;
    try {
      // Redirects are not followed: one would carry the credential header to wherever it points.
      res = await doFetch(url, { headers, signal: AbortSignal.any([opts.signal, timeout]), redirect: 'manual' });
    } catch (err) {
      throw classifyRequestError(err, { timedOut, timeoutMs: opts.timeoutMs, target: opts.target });
    }
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel();
      const why = res.status === 401 || res.status === 403 ? 'check auth.header and auth.value' : undefined;
      throw classifyHttpStatus(res.status, res.headers.get('retry-after'), { target: opts.target, ...(why ? { detail: why } : {}) });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > opts.maxBodyBytes) {
      await res.body?.cancel();
      throw errors.inputTooLarge({ where: `${opts.target} answer`, size: `${declared} bytes`, limit: `max_body_bytes (${opts.maxBodyBytes})` });
    }
    let body: string;
    try {
      // Read up to the limit and no further: a body without Content-Length may never end.
      const read = await readCappedText(res, opts.maxBodyBytes, { rethrow: true });
      if (read.truncated) {
        throw errors.inputTooLarge({ where: `${opts.target} answer`, size: `more than ${opts.maxBodyBytes} bytes`, limit: `max_body_bytes (${opts.maxBodyBytes})` });
      }
      body = read.text;
    } catch (err) {
      throw classifyRequestError(err, { timedOut, timeoutMs: opts.timeoutMs, target: opts.target });
    }
    return { body, contentType: res.headers.get('content-type') ?? '', linkNext: linkHeaderNext(res.headers.get('link'), url) };
  };
  return {
    async get(url) {
      try {
        return await get(url);
      } catch (err) {
        throw err instanceof SaaswatchError ? redactor.error(err) : err;
      }
    },
  };
}
