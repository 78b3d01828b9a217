/**
 * A local fake of the Slack Web API on 127.0.0.1, speaking its wire format: form or JSON bodies,
 * bearer tokens, `{ok:false,error}` answers with HTTP 200, cursor paging, 429 with Retry-After per
 * method tier (and about one message a second per channel), message metadata, threads, and the
 * external file upload flow. It records every message and file so tests and the demo can show them.
 * For the slack source it also serves team.accessLogs (aggregates a test can advance between polls,
 * page/count paging capped at page 100, `before`), users.info, and the Enterprise Audit Logs API
 * (`GET /audit/v1/logs`, cursor paging, real HTTP status codes), each refusing a token without its
 * scope or plan the way Slack does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SlackAccessLog, SlackAuditEntry, SlackUser } from '../../sources/slack/wire.js';
import { readBody } from '../http.js';

export interface FakeSlackChannel {
  id: string;
  name: string;
  is_private?: boolean;
  /** Whether the bot was invited; posting or reading elsewhere answers `not_in_channel`. */
  is_member?: boolean;
  is_archived?: boolean;
}

export interface FakeSlackFile {
  id: string;
  filename: string;
  title?: string;
  /** Length announced to files.getUploadURLExternal. */
  length: number;
  alt_text?: string;
  /** The bytes POSTed to the upload URL (undefined until then). */
  bytes?: Buffer;
  /** Where files.completeUploadExternal shared it. */
  channel?: string;
  thread_ts?: string;
  completed: boolean;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Files shared with this message (files.completeUploadExternal). */
  files?: Array<{ id: string; name: string; title: string; mimetype: string }>;
  /** How many times chat.update changed it. */
  updates: number;
}

export interface FakeSlackRequest {
  method: string;
  status: number;
  ok: boolean;
  error?: string;
  /** How the arguments came: form, json, multipart, or raw bytes (upload). */
  encoding: string;
  /** Whether a token came in the Authorization header (never the token itself). */
  bearer: boolean;
}

/** One injected failure: `status` 429 (with `retryAfter`) or 5xx answers by status; otherwise HTTP 200 `{ok:false,error}`. */
export interface FakeSlackFault {
  /** The Web API method it hits (`chat.postMessage`); any method when absent. */
  method?: string;
  error?: string;
  status?: number;
  /** Retry-After seconds (429). */
  retryAfter?: number;
  /** Quote the request's headers back in the error body, as a debugging proxy might: for redaction tests. */
  echo?: boolean;
  /**
   * Never answer (the connection stays open until the client gives up or the fake closes): for
   * timeouts. `after`: the call is carried out first, so only the acknowledgement is lost (crash tests).
   */
  hang?: boolean | 'after';
  /**
   * Answer normally, but hand back the request's own cursor as `next_cursor` (a server stuck on one
   * page): for the audit log's paging guard. A request without a cursor it hits is answered as usual.
   */
  repeatCursor?: boolean;
  /** How many requests it hits; 1 by default. */
  times?: number;
  /** Matching requests let through before it starts hitting (a failure in the middle of a run); 0 by default. */
  after?: number;
}

export interface FakeSlackRateLimits {
  /** Least time between two chat.postMessage calls in one channel, ms (Slack: about one a second); 0 turns it off. */
  postIntervalMs: number;
  /** Calls a minute per method for Slack's tiers 1–4; a tier left out is not limited. */
  perMinute: Partial<Record<1 | 2 | 3 | 4, number>>;
}

export interface FakeSlackOptions {
  /** Bot tokens it accepts; default ['xoxb-fake-saaswatch']. */
  tokens?: string[];
  channels?: FakeSlackChannel[];
  /** false turns every limit off (benchmarks); the defaults follow Slack's published tiers. */
  rateLimits?: Partial<FakeSlackRateLimits> | false;
  /** The clock for ts values and rate windows (epoch ms). */
  now?: () => number;
  /** team.accessLogs aggregates (any order; served newest date_last first). The fake keeps and updates this array. */
  accessLogs?: SlackAccessLog[];
  /** Audit Logs API entries (any order; served newest date_create first). */
  auditLogs?: SlackAuditEntry[];
  /** What users.info knows. */
  users?: SlackUser[];
  /** User tokens with the `admin` scope: team.accessLogs answers them; default ['xoxp-fake-admin']. */
  adminTokens?: string[];
  /** Organization owner tokens with `auditlogs:read`: /audit/v1/logs answers them; default ['xoxp-fake-audit']. */
  auditTokens?: string[];
  /**
   * The workspace's plan: `free` answers team.accessLogs `paid_only`; anything but `enterprise`
   * answers the Audit Logs API 403 `feature_not_enabled`. Default `enterprise`.
   */
  plan?: 'free' | 'pro' | 'business_plus' | 'enterprise';
}

export interface FakeSlack {
  /** The Web API root, `http://127.0.0.1:<port>/api/`: the sink's `base_url`. */
  url: string;
  channels: FakeSlackChannel[];
  messages: FakeSlackMessage[];
  files: FakeSlackFile[];
  requests: FakeSlackRequest[];
  /** Messages of a channel that start a thread or stand alone, oldest first. */
  topLevel(channel: string): FakeSlackMessage[];
  /** Replies in a thread, oldest first (the parent excluded). */
  replies(channel: string, threadTs: string): FakeSlackMessage[];
  failNext(fault: FakeSlackFault): void;
  /** Writes every uploaded file into `dir` (the demo's chart PNGs), returning the paths written. */
  saveUploads(dir: string): Promise<string[]>;
  setRateLimits(limits: Partial<FakeSlackRateLimits> | false): void;
  /** The access-log aggregates as the fake holds them (tests may edit them between polls). */
  accessLogs: SlackAccessLog[];
  auditLogs: SlackAuditEntry[];
  users: SlackUser[];
  /**
   * One more access by a user from an IP and agent at `at` (epoch s): the aggregate's count and
   * date_last advance, or a new aggregate starts. Returns it.
   */
  recordAccess(a: { user_id: string; username?: string; ip: string; user_agent: string; at: number; country?: string; region?: string; isp?: string }): SlackAccessLog;
  /** The audit API root for the source's `audit_url`: `http://127.0.0.1:<port>`. */
  auditUrl: string;
  close(): Promise<void>;
}

export const FAKE_SLACK_TOKEN = 'xoxb-fake-saaswatch';
export const FAKE_SLACK_ADMIN_TOKEN = 'xoxp-fake-admin';
export const FAKE_SLACK_AUDIT_TOKEN = 'xoxp-fake-audit';
/** Scopes the fake says a token has (`provided` of missing_scope). */
const BOT_SCOPES = 'chat:write,files:write,channels:history,groups:history,channels:read,groups:read';
const ADMIN_SCOPES = 'admin,users:read,users:read.email';
const AUDIT_SCOPES = 'auditlogs:read';
export const FAKE_SLACK_CHANNEL: FakeSlackChannel = { id: 'C0SAASWATCH', name: 'security-alerts', is_member: true };
const TEAM = { id: 'T0SAASWTCH', name: 'saaswatch-fake' };
const BOT = { user_id: 'U0SAASBOT', bot_id: 'B0SAASBOT' };

/** Slack's documented tiers per method (docs.slack.dev, "Rate limits"). */
const METHOD_TIER: Record<string, 1 | 2 | 3 | 4> = {
  'auth.test': 4,
  'chat.update': 3,
  'conversations.list': 2,
  'conversations.history': 3,
  'conversations.replies': 3,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
  'team.accessLogs': 2,
  'users.info': 4,
  // The Audit Logs API is Tier 3 across the organization.
  'audit/v1/logs': 3,
};
const DEFAULT_LIMITS: FakeSlackRateLimits = { postIntervalMs: 1000, perMinute: { 1: 1, 2: 20, 3: 50, 4: 100 } };

type Args = Record<string, unknown>;
/** Who is calling: the token's scopes decide what it may read. */
interface Caller {
  token: string;
}

class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly status = 200,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

export async function startSlackFake(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botTokens = new Set(opts.tokens ?? [FAKE_SLACK_TOKEN]);
  const adminTokens = new Set(opts.adminTokens ?? [FAKE_SLACK_ADMIN_TOKEN]);
  const auditTokens = new Set(opts.auditTokens ?? [FAKE_SLACK_AUDIT_TOKEN]);
  const tokens = new Set([...botTokens, ...adminTokens, ...auditTokens]);
  const plan = opts.plan ?? 'enterprise';
  const accessLogs = opts.accessLogs ?? [];
  const auditLogs = opts.auditLogs ?? [];
  const users = opts.users ?? [];
  const scopesOf = (token: string) => [adminTokens.has(token) ? ADMIN_SCOPES : '', auditTokens.has(token) ? AUDIT_SCOPES : '', botTokens.has(token) ? BOT_SCOPES : ''].filter(Boolean).join(',');
  /** Slack's missing_scope: the scope the method needs and the ones the token has. */
  const needScope = (caller: Caller, allowed: Set<string>, needed: string) => {
    if (!allowed.has(caller.token)) throw new SlackApiError('missing_scope', 200, {}, { needed, provided: scopesOf(caller.token) });
  };
  const channels = (opts.channels ?? [FAKE_SLACK_CHANNEL]).map((c) => ({ is_private: false, is_member: true, is_archived: false, ...c }));
  const now = opts.now ?? Date.now;
  let limits: FakeSlackRateLimits | undefined = opts.rateLimits === false ? undefined : { ...DEFAULT_LIMITS, ...opts.rateLimits };
  const messages: FakeSlackMessage[] = [];
  const files: FakeSlackFile[] = [];
  const requests: FakeSlackRequest[] = [];
  const faults: FakeSlackFault[] = [];
  const lastPost = new Map<string, number>();
  const calls = new Map<string, number[]>();
  let lastMicros = 0;
  let fileSeq = 0;
  let base = '';

  /** Slack's ts: seconds.microseconds, unique and increasing within the workspace. */
  const nextTs = () => {
    lastMicros = Math.max(now() * 1000, lastMicros + 1);
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
  };

  const channelOf = (id: unknown, forWrite: boolean) => {
    const key = String(id ?? '');
    if (!key) throw new SlackApiError('channel_not_found');
    const c = channels.find((x) => x.id === key || `#${x.name}` === key || x.name === key);
    if (!c) throw new SlackApiError('channel_not_found');
    if (c.is_archived && forWrite) throw new SlackApiError('is_archived');
    if (!c.is_member) throw new SlackApiError('not_in_channel');
    return c;
  };

  const json = (v: unknown): unknown => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      throw new SlackApiError('invalid_arguments');
    }
  };

  const bool = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;

  const view = (m: FakeSlackMessage, withMetadata: boolean) => {
    const replies = m.thread_ts === undefined ? [] : messages.filter((r) => r.channel === m.channel && r.thread_ts === m.ts && r.ts !== m.ts);
    return {
      type: 'message',
      user: BOT.user_id,
      bot_id: BOT.bot_id,
      app_id: 'A0SAASAPP',
      text: m.text,
      ts: m.ts,
      team: TEAM.id,
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
      ...(m.thread_ts === m.ts ? { reply_count: replies.length, latest_reply: replies.at(-1)?.ts ?? m.ts } : {}),
      ...(m.files ? { files: m.files, upload: true } : {}),
      ...(m.updates ? { edited: { user: BOT.user_id, ts: m.ts } } : {}),
      ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
    };
  };

  /** Cursor paging as Slack does it: an opaque `next_cursor`, empty on the last page. */
  const page = <T>(items: T[], args: Args, defaultLimit: number, maxLimit: number) => {
    const limit = Math.min(Math.max(Number(args.limit ?? defaultLimit) || defaultLimit, 1), maxLimit);
    let offset = 0;
    if (args.cursor) {
      const decoded = /^offset:(\d+)$/.exec(Buffer.from(String(args.cursor), 'base64').toString('utf8'));
      if (!decoded) throw new SlackApiError('invalid_cursor');
      offset = Number(decoded[1]);
    }
    const slice = items.slice(offset, offset + limit);
    const more = offset + limit < items.length;
    return { slice, more, next_cursor: more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '' };
  };

  const inRange = (ts: string, args: Args) => {
    const t = Number(ts);
    const inclusive = bool(args.inclusive);
    if (args.oldest !== undefined && args.oldest !== '' && (inclusive ? t < Number(args.oldest) : t <= Number(args.oldest))) return false;
    if (args.latest !== undefined && args.latest !== '' && (inclusive ? t > Number(args.latest) : t >= Number(args.latest))) return false;
    return true;
  };

  const methods: Record<string, (args: Args, caller: Caller) => Record<string, unknown>> = {
    'auth.test': () => ({ url: `${base}/`, team: TEAM.name, user: 'saaswatch', team_id: TEAM.id, user_id: BOT.user_id, bot_id: BOT.bot_id, is_enterprise_install: false }),

    'chat.postMessage': (args) => {
      const c = channelOf(args.channel, true);
      const text = typeof args.text === 'string' ? args.text : '';
      const blocks = args.blocks === undefined ? undefined : json(args.blocks);
      if (!text && !(Array.isArray(blocks) && blocks.length)) throw new SlackApiError('no_text');
      if (blocks !== undefined && (!Array.isArray(blocks) || blocks.length > 50)) throw new SlackApiError('invalid_blocks');
      if (text.length > 40_000) throw new SlackApiError('msg_too_long');
      if (limits && limits.postIntervalMs > 0) {
        const last = lastPost.get(c.id);
        if (last !== undefined && now() - last < limits.postIntervalMs) {
          throw new SlackApiError('ratelimited', 429, { 'Retry-After': String(Math.max(1, Math.ceil((limits.postIntervalMs - (now() - last)) / 1000))) });
        }
        lastPost.set(c.id, now());
      }
      const metadata = args.metadata === undefined ? undefined : (json(args.metadata) as FakeSlackMessage['metadata']);
      if (metadata !== undefined && (typeof metadata?.event_type !== 'string' || typeof metadata.event_payload !== 'object')) throw new SlackApiError('invalid_metadata_format');
      const threadTs = args.thread_ts === undefined || args.thread_ts === '' ? undefined : String(args.thread_ts);
      if (threadTs !== undefined) {
        const parent = messages.find((m) => m.channel === c.id && m.ts === threadTs);
        if (!parent) throw new SlackApiError('thread_not_found');
        parent.thread_ts ??= parent.ts;
      }
      const m: FakeSlackMessage = { channel: c.id, ts: nextTs(), text, updates: 0, ...(threadTs ? { thread_ts: threadTs } : {}), ...(blocks ? { blocks: blocks as unknown[] } : {}), ...(metadata ? { metadata } : {}) };
      messages.push(m);
      return { channel: c.id, ts: m.ts, message: view(m, true) };
    },

    'chat.update': (args) => {
      const c = channelOf(args.channel, true);
      const m = messages.find((x) => x.channel === c.id && x.ts === String(args.ts ?? ''));
      if (!m) throw new SlackApiError('message_not_found');
      if (typeof args.text === 'string') m.text = args.text;
      if (args.blocks !== undefined) m.blocks = json(args.blocks) as unknown[];
      if (args.metadata !== undefined) m.metadata = json(args.metadata) as FakeSlackMessage['metadata'];
      m.updates++;
      return { channel: c.id, ts: m.ts, text: m.text, message: view(m, true) };
    },

    'conversations.list': (args) => {
      const types = String(args.types ?? 'public_channel').split(',');
      const listed = channels.filter((c) => (c.is_private ? types.includes('private_channel') : types.includes('public_channel')) && !(bool(args.exclude_archived) && c.is_archived));
      const p = page(listed, args, 100, 1000);
      return { channels: p.slice.map((c) => ({ id: c.id, name: c.name, is_channel: true, is_private: c.is_private, is_member: c.is_member, is_archived: c.is_archived })), response_metadata: { next_cursor: p.next_cursor } };
    },

    'conversations.history': (args) => {
      const c = channelOf(args.channel, false);
      // Newest first; thread replies stay in their thread.
      const top = messages.filter((m) => m.channel === c.id && (m.thread_ts === undefined || m.thread_ts === m.ts) && inRange(m.ts, args)).reverse();
      const p = page(top, args, 100, 999);
      const withMeta = bool(args.include_all_metadata);
      return { messages: p.slice.map((m) => view(m, withMeta)), has_more: p.more, pin_count: 0, response_metadata: { next_cursor: p.next_cursor } };
    },

    'conversations.replies': (args) => {
      const c = channelOf(args.channel, false);
      const ts = String(args.ts ?? '');
      const parent = messages.find((m) => m.channel === c.id && m.ts === ts);
      if (!parent) throw new SlackApiError('thread_not_found');
      const root = parent.thread_ts ?? parent.ts;
      const thread = messages.filter((m) => m.channel === c.id && (m.ts === root || m.thread_ts === root)).filter((m) => m.ts === root || inRange(m.ts, args));
      const p = page(thread, args, 100, 1000);
      const withMeta = bool(args.include_all_metadata);
      return { messages: p.slice.map((m) => view(m, withMeta)), has_more: p.more, response_metadata: { next_cursor: p.next_cursor } };
    },

    // docs.slack.dev team.accessLogs: count ≤ 1000 and page ≤ 100 (else over_pagination_limit);
    // `before` (epoch s, inclusive) ends the range; rows are aggregates, newest activity first.
    'team.accessLogs': (args, caller) => {
      needScope(caller, adminTokens, 'admin');
      if (plan === 'free') throw new SlackApiError('paid_only');
      const count = args.count === undefined || args.count === '' ? 100 : Number(args.count);
      const pageNo = args.page === undefined || args.page === '' ? 1 : Number(args.page);
      if (!Number.isInteger(count) || !Number.isInteger(pageNo) || count < 1 || pageNo < 1) throw new SlackApiError('invalid_arguments');
      if (count > 1000 || pageNo > 100) throw new SlackApiError('over_pagination_limit');
      const before = args.before === undefined || args.before === '' ? undefined : Number(args.before);
      const rows = accessLogs
        .filter((r) => before === undefined || r.date_last <= before)
        .sort((a, b) => b.date_last - a.date_last || b.date_first - a.date_first || a.user_id.localeCompare(b.user_id) || a.ip.localeCompare(b.ip) || a.user_agent.localeCompare(b.user_agent));
      const slice = rows.slice((pageNo - 1) * count, pageNo * count);
      return { logins: slice.map((r) => ({ ...r })), paging: { count, total: rows.length, page: pageNo, pages: Math.max(1, Math.ceil(rows.length / count)) } };
    },

    'users.info': (args, caller) => {
      if (!adminTokens.has(caller.token) && !botTokens.has(caller.token)) throw new SlackApiError('missing_scope', 200, {}, { needed: 'users:read', provided: scopesOf(caller.token) });
      const u = users.find((x) => x.id === String(args.user ?? ''));
      if (!u) throw new SlackApiError('user_not_found');
      const view = { ...u, profile: { ...u.profile } };
      // Without users:read.email (bot tokens here) Slack leaves the email out.
      if (!adminTokens.has(caller.token)) delete view.profile.email;
      return { user: view };
    },

    'files.getUploadURLExternal': (args) => {
      const length = Number(args.length);
      const filename = typeof args.filename === 'string' ? args.filename : '';
      if (!filename || !Number.isInteger(length) || length <= 0) throw new SlackApiError('invalid_arguments');
      const id = `F0FAKE${String(++fileSeq).padStart(5, '0')}`;
      const altText = args.alt_txt ?? args.alt_text;
      files.push({ id, filename, length, completed: false, ...(typeof altText === 'string' ? { alt_text: altText } : {}) });
      return { upload_url: `${base}/upload/v1/${id}`, file_id: id };
    },

    'files.completeUploadExternal': (args) => {
      const list = json(args.files);
      if (!Array.isArray(list) || list.length === 0) throw new SlackApiError('invalid_arguments');
      const done = list.map((f: { id?: unknown; title?: unknown }) => {
        const file = files.find((x) => x.id === f.id);
        if (!file || file.bytes === undefined) throw new SlackApiError('file_not_found');
        if (file.completed) throw new SlackApiError('file_not_found');
        return { file, title: typeof f.title === 'string' ? f.title : file.filename };
      });
      let channel: string | undefined;
      const threadTs = args.thread_ts === undefined || args.thread_ts === '' ? undefined : String(args.thread_ts);
      if (args.channel_id !== undefined && args.channel_id !== '') {
        channel = channelOf(args.channel_id, true).id;
        if (threadTs !== undefined) {
          const parent = messages.find((m) => m.channel === channel && m.ts === threadTs);
          if (!parent) throw new SlackApiError('thread_not_found');
          parent.thread_ts ??= parent.ts;
        }
      }
      for (const d of done) Object.assign(d.file, { completed: true, title: d.title, ...(channel ? { channel } : {}), ...(threadTs ? { thread_ts: threadTs } : {}) });
      if (channel) {
        messages.push({
          channel,
          ts: nextTs(),
          text: typeof args.initial_comment === 'string' ? args.initial_comment : '',
          updates: 0,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          files: done.map((d) => ({ id: d.file.id, name: d.file.filename, title: d.title, mimetype: mimeOf(d.file.filename) })),
        });
      }
      return { files: done.map((d) => ({ id: d.file.id, title: d.title, name: d.file.filename })) };
    },
  };

  const overLimit = (method: string): string | undefined => {
    const tier = METHOD_TIER[method];
    const perMinute = tier && limits?.perMinute[tier];
    if (!perMinute) return undefined;
    const t = now();
    const recent = (calls.get(method) ?? []).filter((x) => t - x < 60_000);
    if (recent.length >= perMinute) {
      calls.set(method, recent);
      return String(Math.max(1, Math.ceil((recent[0]! + 60_000 - t) / 1000)));
    }
    recent.push(t);
    calls.set(method, recent);
    return undefined;
  };

  const takeFault = (method: string): FakeSlackFault | undefined => {
    const i = faults.findIndex((f) => f.method === undefined || f.method === method);
    if (i < 0) return undefined;
    const f = faults[i]!;
    if (f.after) {
      f.after--;
      return undefined;
    }
    if ((f.times ?? 1) <= 1) faults.splice(i, 1);
    else f.times = (f.times ?? 1) - 1;
    return f;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  /**
   * The Audit Logs API (docs.slack.dev, "Audit Logs API methods & actions"): GET only, a Bearer
   * user token of the organization owner with auditlogs:read, real HTTP status codes with an
   * `{ok:false,error}` body, `oldest`/`latest` inclusive epoch seconds, `limit` up to 9999, and an
   * opaque cursor bound to its query; entries newest first; Tier 3 across the organization.
   */
  function auditRoute(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const method = 'audit/v1/logs';
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    const fail = (status: number, error: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => {
      requests.push({ method, status, ok: false, error, encoding: 'query', bearer: Boolean(bearer) });
      send(res, status, { ok: false, error, ...extra }, headers);
    };
    if (req.method !== 'GET') return fail(405, 'method_not_allowed');
    const taken = takeFault(method);
    const repeat = taken?.repeatCursor === true && Boolean(url.searchParams.get('cursor'));
    const fault = taken?.repeatCursor ? undefined : taken;
    if (fault?.hang) {
      requests.push({ method, status: 0, ok: false, error: 'hang', encoding: 'query', bearer: Boolean(bearer) });
      return;
    }
    if (fault) {
      const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : 500);
      return fail(status, fault.error ?? (status === 429 ? 'rate_limited' : 'internal_error'), fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}, fault.echo ? { request: { headers: req.headers, query: url.search } } : {});
    }
    const token = bearer?.[1];
    // The Audit Logs API's own error names (its reference's Errors table), not the Web API's `not_authed` / `ratelimited`.
    if (!token) return fail(401, 'missing_authentication');
    if (!tokens.has(token)) return fail(401, 'invalid_authentication');
    if (!auditTokens.has(token)) return fail(403, 'missing_scope', {}, { needed: 'auditlogs:read', provided: scopesOf(token) });
    if (plan !== 'enterprise') return fail(403, 'feature_not_enabled');
    const retryAfter = overLimit(method);
    if (retryAfter !== undefined) return fail(429, 'rate_limited', { 'Retry-After': retryAfter });
    const q = url.searchParams;
    const num = (k: string) => (q.get(k) === null || q.get(k) === '' ? undefined : Number(q.get(k)));
    const oldest = num('oldest');
    const latest = num('latest');
    const limit = num('limit') ?? 100;
    if ([oldest, latest].some((v) => v !== undefined && !Number.isFinite(v))) return fail(400, 'invalid_range');
    if (!Number.isInteger(limit) || limit < 1 || limit > 9999) return fail(400, 'invalid_arguments');
    const key = `${oldest ?? ''}:${latest ?? ''}:${q.get('action') ?? ''}`;
    let offset = 0;
    const cursor = q.get('cursor');
    if (cursor) {
      const m = /^audit:(\d+):(.*)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
      if (!m || m[2] !== key) return fail(400, 'invalid_cursor');
      offset = Number(m[1]);
    }
    const actions = q.get('action')?.split(',');
    const matching = auditLogs
      .filter((e) => (oldest === undefined || e.date_create >= oldest) && (latest === undefined || e.date_create <= latest) && (!actions || actions.includes(e.action)))
      .sort((a, b) => b.date_create - a.date_create || a.id.localeCompare(b.id));
    const slice = matching.slice(offset, offset + limit);
    const more = offset + limit < matching.length;
    requests.push({ method, status: 200, ok: true, encoding: 'query', bearer: true });
    const next = repeat ? cursor! : more ? Buffer.from(`audit:${offset + limit}:${key}`).toString('base64') : '';
    send(res, 200, { entries: slice, response_metadata: { next_cursor: next } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const contentType = String(req.headers['content-type'] ?? '');
    const upload = /^\/upload\/v1\/([\w-]+)$/.exec(url.pathname);
    if (upload && req.method === 'POST') {
      // The upload URL is its own credential (no token needed), as on files.slack.com.
      const file = files.find((f) => f.id === upload[1]);
      const bytes = contentType.startsWith('multipart/form-data') ? await multipartFile(body, contentType) : body;
      requests.push({ method: 'upload', status: file ? 200 : 404, ok: Boolean(file), encoding: contentType.startsWith('multipart/') ? 'multipart' : 'raw', bearer: Boolean(req.headers.authorization) });
      if (!file || bytes === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      file.bytes = bytes;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
      return;
    }
    if (url.pathname === '/audit/v1/logs') {
      auditRoute(req, res, url);
      return;
    }
    const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
    const method = api?.[1] ?? '';
    const handler = methods[method];
    let args: Args = Object.fromEntries(url.searchParams);
    let encoding = 'query';
    const record = (status: number, ok: boolean, error?: string) =>
      requests.push({ method: method || url.pathname, status, ok, encoding, bearer: /^Bearer /i.test(String(req.headers.authorization ?? '')), ...(error ? { error } : {}) });
    try {
      if (body.length) {
        if (contentType.startsWith('application/json')) {
          encoding = 'json';
          args = { ...args, ...(JSON.parse(body.toString('utf8')) as Args) };
        } else if (contentType.startsWith('multipart/form-data')) {
          encoding = 'multipart';
          const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
          for (const [k, v] of form) if (typeof v === 'string') args[k] = v;
        } else {
          encoding = 'form';
          args = { ...args, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
        }
      }
    } catch {
      record(200, false, 'invalid_form_data');
      send(res, 200, { ok: false, error: 'invalid_form_data' });
      return;
    }
    if (!handler) {
      record(404, false, 'unknown_method');
      send(res, 404, { ok: false, error: 'unknown_method', req_method: method });
      return;
    }
    const auth = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    const token = auth?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
    try {
      const fault = takeFault(method);
      if (fault?.hang) {
        if (fault.hang === 'after' && token !== undefined && tokens.has(token)) {
          handler(args, { token });
          record(200, true);
        } else {
          record(0, false, 'hang');
        }
        return;
      }
      if (fault) {
        const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : 200);
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
        const extra = fault.echo ? { request: { method, headers: req.headers, args } } : {};
        throw new SlackApiError(fault.error ?? (status === 429 ? 'ratelimited' : status >= 500 ? 'service_unavailable' : 'fatal_error'), status, headers, extra);
      }
      if (!token) throw new SlackApiError('not_authed');
      if (!tokens.has(token)) throw new SlackApiError('invalid_auth');
      const retryAfter = overLimit(method);
      if (retryAfter !== undefined) throw new SlackApiError('ratelimited', 429, { 'Retry-After': retryAfter });
      const out = handler(args, { token });
      record(200, true);
      send(res, 200, { ok: true, ...out });
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      record(err.status, false, err.error);
      send(res, err.status, { ok: false, error: err.error, ...err.extra }, err.headers);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error', detail: String(err) });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: `${base}/api/`,
    channels,
    messages,
    files,
    requests,
    topLevel: (channel) => messages.filter((m) => m.channel === channel && (m.thread_ts === undefined || m.thread_ts === m.ts)),
    replies: (channel, threadTs) => messages.filter((m) => m.channel === channel && m.thread_ts === threadTs && m.ts !== threadTs),
    failNext: (fault) => {
      faults.push({ ...fault });
    },
    saveUploads: async (dir) => {
      // The charts name users and addresses: private, like the rest of the data folder.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const written: string[] = [];
      for (const f of files) {
        if (!f.bytes) continue;
        // The file id keeps names unique; the name an uploader chose is reduced to safe characters.
        const path = join(dir, `${f.id}-${f.filename.replace(/[^\w.-]/g, '_')}`);
        await writeFile(path, f.bytes, { mode: 0o600 });
        written.push(path);
      }
      return written;
    },
    setRateLimits: (l) => {
      limits = l === false ? undefined : { ...DEFAULT_LIMITS, ...l };
    },
    accessLogs,
    auditLogs,
    users,
    recordAccess: (a) => {
      const row = accessLogs.find((r) => r.user_id === a.user_id && r.ip === a.ip && r.user_agent === a.user_agent);
      if (row) {
        row.count++;
        row.date_last = Math.max(row.date_last, a.at);
        return row;
      }
      const username = a.username ?? users.find((u) => u.id === a.user_id)?.name ?? a.user_id.toLowerCase();
      const created: SlackAccessLog = {
        user_id: a.user_id,
        username,
        date_first: a.at,
        date_last: a.at,
        count: 1,
        ip: a.ip,
        user_agent: a.user_agent,
        isp: a.isp ?? 'Fake ISP',
        country: a.country ?? 'US',
        region: a.region ?? 'CA',
      };
      accessLogs.push(created);
      return created;
    },
    auditUrl: base,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The first file part of a multipart body (what the SDK's upload sends). */
async function multipartFile(body: Buffer, contentType: string): Promise<Buffer | undefined> {
  const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  for (const [, v] of form) if (typeof v !== 'string') return Buffer.from(await v.arrayBuffer());
  return undefined;
}

function mimeOf(name: string): string {
  if (/\.png$/i.test(name)) return 'image/png';
  if (/\.jpe?g$/i.test(name)) return 'image/jpeg';
  if (/\.txt$/i.test(name)) return 'text/plain';
  return 'application/octet-stream';
}
