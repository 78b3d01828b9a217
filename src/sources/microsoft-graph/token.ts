/** OAuth2 client-credentials tokens from Microsoft Entra for the Graph SDK, cached until shortly before they expire. */
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';
import { Redactor, SaaswatchError, errors, type Secret } from '../../core/index.js';
import { readCappedText } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';

export interface ClientCredentialsOptions {
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: Secret;
  /** `https://graph.microsoft.com/.default`: every application permission granted to the app. */
  scope: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  timeoutMs?: number;
  now?: () => number;
  /** Where the client secret and every token obtained are registered, so no error can carry them. */
  redactor?: Redactor;
}

/** A token answer is a few KiB; more is not an answer we would read. */
const MAX_TOKEN_BODY_BYTES = 64 * 1024;

/** Refresh this long before expiry, so a token never expires between being handed out and being checked. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** Graph hosts of the national clouds, which want their own host as the token audience. */
const NATIONAL_GRAPH_HOSTS = new Set(['graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

/** The `.default` scope for a Graph root: the national cloud's own host, else the global Graph (also for the local fake, which has no audience of its own). */
export function graphScope(graphUrl: string): string {
  const host = new URL(graphUrl).hostname.toLowerCase();
  return `https://${NATIONAL_GRAPH_HOSTS.has(host) ? host : 'graph.microsoft.com'}/.default`;
}

/** AADSTS codes whose fix is one config key: the message says which. */
const AADSTS_FIELD: Record<string, string> = {
  '7000215': 'client_secret (use the secret value, not its ID)',
  '7000222': 'client_secret (it has expired; create a new one)',
  '7000218': 'client_secret',
  '700016': 'client_id (no such application in this tenant) or tenant_id',
  '90002': 'tenant_id (no such tenant)',
  '900023': 'tenant_id (neither a GUID nor a domain of a tenant)',
  '900971': 'tenant_id',
};

interface TokenError {
  error?: unknown;
  error_description?: unknown;
  error_codes?: unknown;
}

/** First line of an Entra error_description: the rest is trace and correlation ids. */
function describe(body: TokenError): { text: string; code: string | undefined } {
  const desc = typeof body.error_description === 'string' ? body.error_description.split(/\r?\n/)[0]!.trim() : '';
  const code = Array.isArray(body.error_codes) && body.error_codes.length > 0 ? String(body.error_codes[0]) : /AADSTS(\d+)/.exec(desc)?.[1];
  const err = typeof body.error === 'string' ? body.error : undefined;
  return { text: [err, desc].filter(Boolean).join(': ') || 'no error description', code };
}

/**
 * The SDK's AuthenticationProvider, for the client-credentials grant. Our own rather than MSAL or
 * @azure/identity: both refuse an http authority, so neither could talk to the local fake.
 * Concurrent callers share one request; a refused grant is a non-retryable error naming the key.
 */
export class ClientCredentialsProvider implements AuthenticationProvider {
  readonly #opts: ClientCredentialsOptions;
  readonly #now: () => number;
  readonly #redactor: Redactor;
  #token: { value: string; refreshAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(opts: ClientCredentialsOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#redactor = (opts.redactor ?? new Redactor()).add(opts.clientSecret);
  }

  get tokenUrl(): string {
    return `${this.#opts.loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(this.#opts.tenantId)}/oauth2/v2.0/token`;
  }

  /** Whether the next getAccessToken is served from cache (a 401 on a cached token is worth one refresh). */
  get cached(): boolean {
    return this.#token !== undefined && this.#now() < this.#token.refreshAt;
  }

  /** Drops the cached token: Graph refused it (revoked, or the tenant rotated keys). */
  invalidate(): void {
    this.#token = undefined;
  }

  async getAccessToken(): Promise<string> {
    if (this.#token && this.#now() < this.#token.refreshAt) return this.#token.value;
    this.#pending ??= this.#fetchToken()
      .catch((err: unknown) => {
        // Entra's error_description may quote the request (the client secret) back at us.
        throw err instanceof SaaswatchError ? this.#redactor.error(err) : err;
      })
      .finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #fetchToken(): Promise<string> {
    const o = this.#opts;
    const target = 'Microsoft Entra token endpoint';
    const timeout = AbortSignal.timeout(o.timeoutMs ?? 30_000);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    const body = new URLSearchParams({
      client_id: o.clientId,
      client_secret: o.clientSecret.reveal(),
      scope: o.scope,
      grant_type: 'client_credentials',
    });
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(this.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
        signal,
        redirect: 'manual',
      });
    } catch (err) {
      throw classifyRequestError(err, { timedOut: timeout.aborted, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), target });
    }
    const { text } = await readCappedText(res, MAX_TOKEN_BODY_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const { text: why, code } = describe((json ?? {}) as TokenError);
      const base = classifyHttpStatus(res.status, res.headers.get('retry-after'), { target, detail: why });
      if (base.retryable) throw base;
      const field = (code && AADSTS_FIELD[code]) ?? 'tenant_id, client_id and client_secret';
      throw new SaaswatchError('HTTP_REJECTED', `${base.message} (check ${field})`, {
        details: { status: res.status, ...(code ? { aadsts: code } : {}) },
      });
    }
    const t = json as { access_token?: unknown; expires_in?: unknown; token_type?: unknown } | undefined;
    const expiresIn = typeof t?.expires_in === 'number' ? t.expires_in : Number(t?.expires_in);
    if (typeof t?.access_token !== 'string' || t.access_token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw errors.inputMalformed({ where: target, problem: `answered ${res.status} without an access_token and expires_in`, retryable: true });
    }
    this.#redactor.add(t.access_token);
    const lifetimeMs = expiresIn * 1000;
    // Short-lived tokens (a proxy, the fake) would otherwise be refreshed on every call.
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    this.#token = { value: t.access_token, refreshAt: this.#now() + lifetimeMs - margin };
    return t.access_token;
  }
}
