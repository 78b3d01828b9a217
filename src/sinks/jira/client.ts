/** The jira.js client the sink uses (Cloud REST v3 or Data Center REST v2), on the sink's SSRF-guarded agents, and the translation of its failures into SaaswatchErrors. */
import type { Version2Client, Version3Client } from 'jira.js';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { classifyHttpStatus } from '../../pipeline/retry.js';
import { netGuardOf } from '../http-config.js';
import { guardedAgents } from '../ssrf.js';
import { truncate } from '../text.js';
import type { JiraConfig } from './config.js';
import { adfToWiki, type AdfDoc } from './format.js';

/** How much of Jira's error body we quote: enough to read the field errors, not a whole page. */
const ERROR_SNIPPET_CHARS = 300;
/** Search results and comments carry issue text; an answer past this is refused rather than buffered whole. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** An issue as the sink reads it back: key, status category, labels, and its `saaswatch` property when the answer carries it. */
export interface IssueBean {
  id?: string;
  key?: string;
  fields?: { status?: { statusCategory?: { key?: string } }; labels?: string[] };
  properties?: Record<string, unknown>;
}

export interface CommentBean {
  /** ADF on Cloud, wiki markup on Data Center. */
  body?: unknown;
  properties?: Array<{ key?: string; value?: unknown }>;
}

/**
 * The calls the sink and the summary make, the same on both deployments: Jira Cloud's REST v3
 * (ADF, `/search/jql` with a page token) or Jira Data Center's REST v2 (wiki-markup strings,
 * `/search` with startAt). Rich text goes in as ADF and is rendered to wiki markup for v2.
 */
export interface JiraApi {
  readonly deployment: 'cloud' | 'data-center';
  /** One page of issues matching `jql` with `fields`; `next` continues it. */
  search(jql: string, opts: { fields: string[]; properties?: string[]; maxResults: number; next?: string }): Promise<{ issues: IssueBean[]; next?: string }>;
  getIssue(key: string, fields: string[], properties: string[]): Promise<IssueBean>;
  /** An issue property's value; undefined when the issue has none of that key. */
  getProperty(key: string, property: string): Promise<unknown>;
  setProperty(key: string, property: string, value: unknown): Promise<void>;
  createIssue(fields: Record<string, unknown>, properties: Array<{ key: string; value: unknown }>): Promise<{ id: string; key: string }>;
  /** Newest first. */
  comments(key: string, maxResults: number): Promise<CommentBean[]>;
  addComment(key: string, body: AdfDoc, properties: Array<{ key: string; value: unknown }>): Promise<void>;
  transitions(key: string): Promise<Array<{ id?: string; name?: string }>>;
  doTransition(key: string, id: string): Promise<void>;
  close(): void;
}

/** The deployment's client on the sink's guarded agents; close() ends their kept-alive sockets. */
export function jiraApi(name: string, config: JiraConfig): JiraApi {
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
  const close = () => {
    agents.http.destroy();
    agents.https.destroy();
  };
  const pat = config.pat;
  let loading: Promise<JiraApi> | undefined;
  // jira.js (with axios) is loaded on the first call: importing it costs every command that loads the registry a fifth of a second.
  const load = () =>
    (loading ??= import('jira.js').then(({ Version2Client, Version3Client }) =>
      pat
        ? // jira.js sends an oauth2 access token without refresh details as `Authorization: Bearer`, which is what a PAT is.
          dataCenterApi(new Version2Client({ host, authentication: { oauth2: { accessToken: pat.reveal() } }, baseRequestConfig }), close)
        : cloudApi(new Version3Client({ host, authentication: { basic: { email: config.email!, apiToken: config.api_token!.reveal() } }, baseRequestConfig }), close),
    ));
  const calls = Object.fromEntries(
    API_CALLS.map((name) => [name, async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => Promise<unknown>)(...args)]),
  );
  return { ...(calls as Pick<JiraApi, (typeof API_CALLS)[number]>), deployment: pat ? 'data-center' : 'cloud', close };
}

/** Every JiraApi call that reaches Jira (all but deployment and close). */
const API_CALLS = ['search', 'getIssue', 'getProperty', 'setProperty', 'createIssue', 'comments', 'addComment', 'transitions', 'doTransition'] as const satisfies ReadonlyArray<keyof JiraApi>;

function cloudApi(c: Version3Client, close: () => void): JiraApi {
  return {
    deployment: 'cloud',
    async search(jql, o) {
      const res = await c.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql, fields: o.fields, maxResults: o.maxResults, ...(o.properties ? { properties: o.properties } : {}), ...(o.next ? { nextPageToken: o.next } : {}) });
      return { issues: (res.issues ?? []) as IssueBean[], ...(res.nextPageToken ? { next: res.nextPageToken } : {}) };
    },
    getIssue: async (key, fields, properties) => (await c.issues.getIssue({ issueIdOrKey: key, fields, properties })) as IssueBean,
    getProperty: (key, property) => getProperty(() => c.issueProperties.getIssueProperty({ issueIdOrKey: key, propertyKey: property })),
    async setProperty(key, property, value) {
      await c.issueProperties.setIssueProperty({ issueIdOrKey: key, propertyKey: property, propertyValue: value });
    },
    async createIssue(fields, properties) {
      const r = await c.issues.createIssue({ fields: fields as never, properties });
      return { id: r.id, key: r.key };
    },
    comments: async (key, maxResults) => ((await c.issueComments.getComments({ issueIdOrKey: key, orderBy: '-created', maxResults, expand: 'properties' })).comments ?? []) as CommentBean[],
    async addComment(key, body, properties) {
      await c.issueComments.addComment({ issueIdOrKey: key, comment: body as never, properties });
    },
    transitions: async (key) => (await c.issues.getTransitions({ issueIdOrKey: key })).transitions ?? [],
    async doTransition(key, id) {
      await c.issues.doTransition({ issueIdOrKey: key, transition: { id } });
    },
    close,
  };
}

/** Data Center: REST v2, where description and comments are wiki-markup strings and search pages by startAt. */
function dataCenterApi(c: Version2Client, close: () => void): JiraApi {
  return {
    deployment: 'data-center',
    async search(jql, o) {
      const startAt = o.next ? Number(o.next) : 0;
      const res = await c.issueSearch.searchForIssuesUsingJql({ jql, fields: o.fields, maxResults: o.maxResults, startAt });
      const issues = (res.issues ?? []) as IssueBean[];
      const end = startAt + issues.length;
      return { issues, ...(issues.length > 0 && end < (res.total ?? 0) ? { next: String(end) } : {}) };
    },
    getIssue: async (key, fields) => (await c.issues.getIssue({ issueIdOrKey: key, fields })) as IssueBean,
    getProperty: (key, property) => getProperty(() => c.issueProperties.getIssueProperty({ issueIdOrKey: key, propertyKey: property })),
    async setProperty(key, property, value) {
      await c.issueProperties.setIssueProperty({ issueIdOrKey: key, propertyKey: property, propertyValue: value });
    },
    async createIssue(fields, properties) {
      const r = await c.issues.createIssue({ fields: { ...fields, description: adfToWiki(fields['description'] as AdfDoc) } as never, properties });
      return { id: r.id, key: r.key };
    },
    comments: async (key, maxResults) => ((await c.issueComments.getComments({ issueIdOrKey: key, orderBy: '-created', maxResults, expand: 'properties' })).comments ?? []) as CommentBean[],
    async addComment(key, body, properties) {
      await c.issueComments.addComment({ issueIdOrKey: key, comment: adfToWiki(body), properties } as never);
    },
    transitions: async (key) => (await c.issues.getTransitions({ issueIdOrKey: key })).transitions ?? [],
    async doTransition(key, id) {
      await c.issues.doTransition({ issueIdOrKey: key, transition: { id } });
    },
    close,
  };
}

/** A JQL string literal: quoted, with `"` and `\` escaped. */
export function jqlString(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A property's value, or undefined on Jira's 404 for a key the issue does not have. */
async function getProperty(read: () => Promise<{ value?: unknown }>): Promise<unknown> {
  try {
    return (await read()).value;
  } catch (err) {
    if ((err as { status?: unknown }).status === 404) return undefined;
    throw err;
  }
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
    out = errors.timeout({ target: opts.target, afterMs: opts.timeoutMs, cause: err });
  } else {
    const problem = axios?.code ?? (err instanceof Error ? err.message : String(err));
    out = errors.network({ target: opts.target, problem: opts.redactor.text(problem), cause: err });
  }
  return opts.redactor.error(out);
}
