/** The jira.js client the sink uses, on the sink's SSRF-guarded agents, and the translation of its failures into SaaswatchErrors. */
import { Version3Client } from 'jira.js';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { classifyHttpStatus } from '../../pipeline/retry.js';
import { netGuardOf } from '../http-config.js';
import { guardedAgents } from '../ssrf.js';
import type { JiraConfig } from './config.js';

/** How much of Jira's error body we quote: enough to read the field errors, not a whole page. */
const ERROR_SNIPPET_CHARS = 300;
/** Search results and comments carry issue text; an answer past this is refused rather than buffered whole. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The client, and its agents so close() can end their kept-alive sockets. */
export function jiraClient(name: string, config: JiraConfig): { client: Version3Client; close(): void } {
  const agents = guardedAgents(netGuardOf(name, config));
  const host = config.base_url.replace(/\/+$/, '');
  const baseRequestConfig = {
    httpAgent: agents.http,
    httpsAgent: agents.https,
    // A redirect would carry the Authorization header to wherever the server points.
    maxRedirects: 0,
    timeout: config.timeout,
    // axios honours HTTP(S)_PROXY on its own, which would connect around the guarded agents.
    proxy: false as const,
    maxContentLength: MAX_RESPONSE_BYTES,
    maxBodyLength: MAX_RESPONSE_BYTES,
  };
  // jira.js sends an oauth2 access token without refresh details as `Authorization: Bearer`, which is what a PAT is.
  const client = config.pat
    ? new Version3Client({ host, authentication: { oauth2: { accessToken: config.pat.reveal() } }, baseRequestConfig })
    : new Version3Client({ host, authentication: { basic: { email: config.email!, apiToken: config.api_token!.reveal() } }, baseRequestConfig });
  return {
    client,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** The redactor for everything the client sends: the token in each form Jira or a proxy may echo it. */
export function jiraRedactor(config: JiraConfig): Redactor {
  const r = new Redactor([config.api_token, config.pat]);
  if (config.email !== undefined && config.api_token !== undefined) r.add(`Basic ${Buffer.from(`${config.email}:${config.api_token.reveal()}`).toString('base64')}`);
  return r;
}

interface AxiosLike {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  cause?: unknown;
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
}

/** Jira's `{errorMessages: [...], errors: {field: message}}` as one line; other bodies as text. */
export function jiraReason(data: unknown): string {
  if (data === null || data === undefined) return '';
  if (typeof data === 'string') return data;
  if (typeof data !== 'object') return String(data);
  const d = data as { errorMessages?: unknown; errors?: unknown; message?: unknown };
  const parts: string[] = [];
  if (Array.isArray(d.errorMessages)) parts.push(...d.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (d.errors && typeof d.errors === 'object') for (const [k, v] of Object.entries(d.errors)) parts.push(`${k}: ${String(v)}`);
  if (parts.length === 0 && typeof d.message === 'string') parts.push(d.message);
  return parts.length > 0 ? parts.join('; ') : JSON.stringify(data);
}

function truncate(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

/**
 * A jira.js failure as a SaaswatchError: an HTTP answer by its status (Jira's reason quoted, redacted
 * and cut), no answer as NETWORK or TIMEOUT, the SSRF guard's refusal as itself. jira.js errors carry
 * the axios request config (headers included), so only their code and message survive, redacted.
 */
export function jiraError(err: unknown, opts: { target: string; what: string; redactor: Redactor; now: number; timeoutMs: number }): SaaswatchError {
  const e = err as AxiosLike;
  // jira.js wraps an HTTP answer in its HttpException whose cause is the AxiosError; a network failure is the AxiosError itself.
  const axios: AxiosLike | undefined = e?.isAxiosError ? e : (e?.cause as AxiosLike | undefined)?.isAxiosError ? (e.cause as AxiosLike) : undefined;
  const status = axios?.response?.status ?? (err as { status?: unknown })?.status;
  let out: SaaswatchError;
  if (err instanceof SaaswatchError) out = err;
  else if (axios?.cause instanceof SaaswatchError) out = axios.cause;
  else if (axios?.response && typeof status === 'number') {
    const retryAfter = axios.response.headers?.['retry-after'];
    const reason = truncate(opts.redactor.text(jiraReason(axios.response.data)), ERROR_SNIPPET_CHARS);
    out = classifyHttpStatus(status, typeof retryAfter === 'string' ? retryAfter : undefined, {
      now: opts.now,
      target: `${opts.target} (${opts.what})`,
      ...(reason ? { detail: reason } : {}),
    });
  } else if (axios && (axios.code === 'ECONNABORTED' || axios.code === 'ETIMEDOUT') && /timeout/i.test(axios.message ?? '')) {
    out = errors.timeout({ target: opts.target, afterMs: opts.timeoutMs, cause: reduced(err) });
  } else {
    const problem = axios?.code ?? (err instanceof Error ? err.message : String(err));
    out = errors.network({ target: opts.target, problem: opts.redactor.text(problem), cause: reduced(err) });
  }
  return opts.redactor.error(out);
}

/** Name, code and message only: the axios error's config (with the Authorization header) and request stay behind. */
function reduced(err: unknown): Error {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  const out = new Error(typeof e?.message === 'string' ? e.message : String(err));
  out.name = typeof e?.name === 'string' ? e.name : 'Error';
  if (typeof e?.code === 'string') (out as Error & { code?: string }).code = e.code;
  return out;
}
