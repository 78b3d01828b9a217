/**
 * A local RSA Archer speaking the Platform REST API's wire format (login/logout, content create,
 * update and read, the `{Links, RequestedObject, IsSuccessful, ValidationMessages}` envelope, 401 on
 * an expired session) and the Content API's OData lookup, recording what it received.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, readBody } from '../http.js';

/** Archer's field type numbers (Platform REST API, "Field Types and Input Formats"). */
export const ARCHER_FIELD_TYPES = { text: 1, numeric: 2, date: 3, values_list: 4, cross_reference: 9 } as const;

export interface ArcherFakeField {
  type: number;
  /** The field's alias in the Content API (what `$filter` names). */
  alias: string;
  required?: boolean;
  /** Values-list fields: the value ids it accepts. */
  valuesListIds?: number[];
}

export interface ArcherFakeLevel {
  /** The level's alias in the Content API (`/contentapi/<alias>`). */
  alias: string;
  fields: Record<number, ArcherFakeField>;
}

export interface ArcherFakeOptions {
  port?: number;
  instance?: string;
  username?: string;
  password?: string;
  userDomain?: string;
  /** A session token stops working this long after login (Archer's session timeout); default 20 minutes. */
  sessionTtlMs?: number;
  /** Clock for session expiry, epoch ms. */
  now?: () => number;
  levels?: Record<number, ArcherFakeLevel>;
}

export interface ArcherFieldContent {
  Type: number;
  Value: unknown;
  FieldId: number;
  Tag?: string;
}

export interface ArcherFakeRecord {
  Id: number;
  LevelId: number;
  FieldContents: Record<string, ArcherFieldContent>;
  /** How many times PUT changed it. */
  updates: number;
}

export interface ArcherFakeRequest {
  method: string;
  /** X-Http-Method-Override applied. */
  effectiveMethod: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  status: number;
}

/** How the fake refuses the next request (of the kind `on` names). */
export interface ArcherFailure {
  /** HTTP status; with `validation`, the status of the validation envelope (Archer answers 200 or 400). */
  status?: number;
  retryAfterSec?: number;
  /** Answer `IsSuccessful:false` with this validation message instead of an HTTP error. */
  validation?: string;
  /** Quote the request (headers and body) back in the error, as a badly behaved proxy or a debug build does. */
  echo?: boolean;
  /** Carry the request out (a create makes its record), then never answer: the answer lost in a crash or a cut connection. */
  hang?: boolean;
  /** Which requests the failure hits; default any. `create`: POST /platformapi/core/content only. */
  on?: 'any' | 'login' | 'content' | 'create';
}

export interface ArcherFake {
  url: string;
  instance: string;
  username: string;
  password: string;
  records: Map<number, ArcherFakeRecord>;
  requests: ArcherFakeRequest[];
  /** Live session tokens and when they were issued. */
  sessions: Map<string, number>;
  failNext(n: number, failure: ArcherFailure): void;
  /** Ends every session now, as an Archer session timeout or an IIS recycle does. */
  expireSessions(): void;
  /** Refuse every request with 503 (Retry-After) until called with false: Archer down for maintenance. */
  setDown(down: boolean, retryAfterSec?: number): void;
  /** A record's text value of `fieldId`. */
  text(record: ArcherFakeRecord, fieldId: number): string | undefined;
  close(): Promise<void>;
}

/** The incident level the demo and the tests use when none is given. */
export const DEFAULT_ARCHER_LEVEL: Record<number, ArcherFakeLevel> = {
  123: {
    alias: 'Security_Incidents',
    fields: {
      1001: { type: 1, alias: 'Incident_Summary', required: true },
      1002: { type: 1, alias: 'Description' },
      1003: { type: 4, alias: 'Severity', valuesListIds: [5000, 5001, 5002, 5003] },
      1004: { type: 1, alias: 'Saaswatch_Key' },
      1010: { type: 1, alias: 'Reported_By' },
      1011: { type: 1, alias: 'Sender' },
      1012: { type: 1, alias: 'Reply_To' },
      1013: { type: 1, alias: 'Email_Subject' },
      1014: { type: 3, alias: 'Received' },
      1015: { type: 1, alias: 'Message_ID' },
      1016: { type: 1, alias: 'URLs' },
      1017: { type: 1, alias: 'Attachments' },
      1018: { type: 2, alias: 'Reporter_Count' },
      1019: { type: 9, alias: 'Related_Assets' },
      1020: { type: 4, alias: 'Category', valuesListIds: [6001, 6002] },
    },
  },
};

/** What an archer sink's config needs to write into DEFAULT_ARCHER_LEVEL: the level, its Content API alias and the core field ids. */
export const DEFAULT_ARCHER_SINK_LEVEL = {
  level_id: 123,
  content_api_alias: 'Security_Incidents',
  fields: { title: 1001, description: 1002, severity: { id: 1003, values: { low: 5000, medium: 5001, high: 5002, critical: 5003 } }, dedup_key: { id: 1004, alias: 'Saaswatch_Key' } },
} as const;

const envelope = (requested: unknown, ok = true, messages: unknown[] = []) => ({ Links: [], RequestedObject: requested, IsSuccessful: ok, ValidationMessages: messages });

function validationMessage(text: string, key = 'ValidationMessageTemplates:InvalidValue') {
  return { Reason: 'Validation', Severity: 3, MethodName: null, Location: -1, ErroredValue: null, Validations: [], MessageKey: key, Description: text, ResourcedMessage: text };
}

class Invalid extends Error {}

export async function startArcherFake(opts: ArcherFakeOptions = {}): Promise<ArcherFake> {
  const instance = opts.instance ?? 'Production';
  const username = opts.username ?? 'svc-saaswatch';
  const password = opts.password ?? 'archer-fake-password';
  const userDomain = opts.userDomain ?? '';
  const ttl = opts.sessionTtlMs ?? 20 * 60_000;
  const now = opts.now ?? Date.now;
  const levels = opts.levels ?? DEFAULT_ARCHER_LEVEL;
  const records = new Map<number, ArcherFakeRecord>();
  const requests: ArcherFakeRequest[] = [];
  const sessions = new Map<string, number>();
  const failures: ArcherFailure[] = [];
  let down: { retryAfterSec: number } | undefined;
  let nextId = 200_000;

  const authorised = (req: IncomingMessage): boolean => {
    // Archer's scheme: `Authorization: Archer session-id="<token>"` (the quotes are optional in practice).
    const m = /^Archer session-id="?([^"]+)"?$/i.exec(String(req.headers.authorization ?? '').trim());
    const issued = m ? sessions.get(m[1]!) : undefined;
    if (issued === undefined) return false;
    if (now() - issued >= ttl) {
      sessions.delete(m![1]!);
      return false;
    }
    return true;
  };

  const checkValue = (levelId: number, key: string, fc: unknown): ArcherFieldContent => {
    const level = levels[levelId]!;
    const c = fc as Partial<ArcherFieldContent> | null;
    const fieldId = Number(c?.FieldId ?? key);
    const field = level.fields[fieldId];
    if (!c || typeof c !== 'object' || String(fieldId) !== key) throw new Invalid(`The field content under key ${key} does not carry FieldId ${key}.`);
    if (!field) throw new Invalid(`Field ${fieldId} does not exist in level ${levelId}.`);
    if (c.Type !== field.type) throw new Invalid(`Field ${fieldId} (${field.alias}) is of type ${field.type}, not ${String(c.Type)}.`);
    const v = c.Value;
    if (v === null || v === undefined) return { Type: field.type, Value: null, FieldId: fieldId };
    switch (field.type) {
      case 1:
        if (typeof v !== 'string') throw new Invalid(`Field ${field.alias} expects text.`);
        break;
      case 2:
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(`Field ${field.alias} expects a number.`);
        break;
      case 3:
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new Invalid(`Field ${field.alias} expects a date.`);
        break;
      case 4: {
        const ids = (v as { ValuesListIds?: unknown }).ValuesListIds;
        if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'number')) throw new Invalid(`Field ${field.alias} expects {ValuesListIds:[...]}.`);
        const bad = ids.filter((i) => !(field.valuesListIds ?? []).includes(i as number));
        if (bad.length) throw new Invalid(`Values list value ${bad.join(', ')} is not valid for field ${field.alias}.`);
        break;
      }
      case 9:
        if (!Array.isArray(v) || !v.every((x) => typeof (x as { ContentId?: unknown })?.ContentId === 'number')) throw new Invalid(`Field ${field.alias} expects [{ContentId:...}].`);
        break;
    }
    return { Type: field.type, Value: v, FieldId: fieldId, ...(typeof c.Tag === 'string' ? { Tag: c.Tag } : {}) };
  };

  const readContent = (body: unknown, update: boolean): { id?: number; levelId: number; fields: Record<string, ArcherFieldContent> } => {
    const content = (body as { Content?: { Id?: unknown; LevelId?: unknown; FieldContents?: unknown } } | null)?.Content;
    if (!content || typeof content !== 'object') throw new Invalid('The request has no Content.');
    const levelId = Number(content.LevelId);
    if (!levels[levelId]) throw new Invalid(`Level ${String(content.LevelId)} does not exist.`);
    const fc = content.FieldContents;
    if (!fc || typeof fc !== 'object') throw new Invalid('The Content has no FieldContents.');
    const fields: Record<string, ArcherFieldContent> = {};
    for (const [k, v] of Object.entries(fc)) fields[k] = checkValue(levelId, k, v);
    if (!update) {
      for (const [fid, f] of Object.entries(levels[levelId]!.fields)) {
        if (f.required && (fields[fid]?.Value === undefined || fields[fid]?.Value === null || fields[fid]?.Value === '')) throw new Invalid(`The field ${f.alias} is required.`);
      }
    }
    const id = update ? Number(content.Id) : undefined;
    if (update && !records.has(id!)) throw new Invalid(`Content ${String(content.Id)} does not exist.`);
    return { ...(id === undefined ? {} : { id }), levelId, fields };
  };

  /** `<FieldAlias> eq '<value>'`, OData string literal ('' is an escaped quote): the only filter this fake needs. */
  const parseFilter = (filter: string): { alias: string; value: string } => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(filter);
    if (!m) throw new HttpError(400, { error: { code: '', message: `The query specified in the URI is not valid: ${filter}` } });
    return { alias: m[1]!, value: m[2]!.replace(/''/g, "'") };
  };

  const route = async (req: IncomingMessage, url: URL, method: string, body: unknown): Promise<{ status: number; payload: unknown }> => {
    const path = url.pathname.replace(/\/+$/, '');
    if (method === 'POST' && /\/platformapi\/core\/security\/login$/i.test(path)) {
      const b = body as Record<string, unknown> | null;
      if (b?.InstanceName !== instance || b?.Username !== username || b?.Password !== password || (b?.UserDomain ?? '') !== userDomain) {
        return { status: 200, payload: envelope(null, false, [validationMessage('Invalid credentials.', 'ValidationMessageTemplates:LoginInvalidCredentials')]) };
      }
      const token = randomBytes(16).toString('hex').toUpperCase();
      sessions.set(token, now());
      return { status: 200, payload: envelope({ SessionToken: token, InstanceName: instance, UserId: 204, ContextType: 0, UserConfig: { TimeZoneId: 'UTC', LocaleId: 'en-US' } }) };
    }
    if (!authorised(req)) throw new HttpError(401, { Message: 'Authorization has been denied for this request.' });
    if (method === 'POST' && /\/platformapi\/core\/security\/logout$/i.test(path)) {
      const token = (body as { Value?: unknown } | null)?.Value;
      if (typeof token === 'string') sessions.delete(token);
      return { status: 200, payload: envelope(null) };
    }
    if (/\/platformapi\/core\/content$/i.test(path) && (method === 'POST' || method === 'PUT')) {
      const update = method === 'PUT';
      let parsed;
      try {
        parsed = readContent(body, update);
      } catch (err) {
        if (err instanceof Invalid) return { status: 200, payload: envelope(null, false, [validationMessage(err.message)]) };
        throw err;
      }
      if (update) {
        const r = records.get(parsed.id!)!;
        Object.assign(r.FieldContents, parsed.fields);
        r.updates++;
        return { status: 200, payload: envelope({ Id: r.Id }) };
      }
      const id = nextId++;
      records.set(id, { Id: id, LevelId: parsed.levelId, FieldContents: parsed.fields, updates: 0 });
      return { status: 200, payload: envelope({ Id: id }) };
    }
    const byId = /\/platformapi\/core\/content\/(\d+)$/i.exec(path);
    if (byId && method === 'GET') {
      const r = records.get(Number(byId[1]));
      if (!r) throw new HttpError(404, envelope(null, false, [validationMessage(`Content ${byId[1]} was not found.`)]));
      return { status: 200, payload: envelope({ Id: r.Id, LevelId: r.LevelId, FieldContents: r.FieldContents }) };
    }
    const odata = /\/contentapi\/([A-Za-z_][A-Za-z0-9_]*)$/i.exec(path);
    if (odata && method === 'GET') {
      const entry = Object.entries(levels).find(([, l]) => l.alias === odata[1]);
      if (!entry) throw new HttpError(404, { error: { code: '', message: `No HTTP resource was found that matches the request URI '${url.pathname}'.` } });
      const [levelId, level] = entry;
      const filter = url.searchParams.get('$filter');
      const want = filter ? parseFilter(filter) : undefined;
      const fieldId = want ? Object.entries(level.fields).find(([, f]) => f.alias === want.alias)?.[0] : undefined;
      if (want && fieldId === undefined) throw new HttpError(400, { error: { code: '', message: `Could not find a property named '${want.alias}' on type '${level.alias}'.` } });
      const top = Number(url.searchParams.get('$top') ?? 1000);
      const value = [...records.values()]
        .filter((r) => r.LevelId === Number(levelId) && (!want || r.FieldContents[fieldId!]?.Value === want.value))
        .slice(0, top)
        .map((r) => ({ [`${level.alias}_Id`]: r.Id, ...(want ? { [want.alias]: want.value } : {}) }));
      return { status: 200, payload: { '@odata.context': `${url.origin}/contentapi/$metadata#${level.alias}`, value } };
    }
    throw new HttpError(404, { Message: `No HTTP resource was found that matches the request URI '${url.pathname}'.` });
  };

  const send = (res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(payload));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      const raw = (await readBody(req)).toString('utf8');
      let body: unknown = undefined;
      const override = String(req.headers['x-http-method-override'] ?? '').toUpperCase();
      const method = req.method === 'POST' && override ? override : (req.method ?? 'GET');
      const record = (status: number) => requests.push({ method: req.method ?? '', effectiveMethod: method, path: url.pathname + url.search, headers: req.headers, body, status });
      try {
        if (raw) {
          try {
            body = JSON.parse(raw);
          } catch {
            throw new HttpError(400, { Message: 'The request is invalid.' });
          }
        }
        if (down) throw new HttpError(503, { Message: 'Service Unavailable' }, { 'retry-after': String(down.retryAfterSec) });
        const isLogin = /\/security\/login$/i.test(url.pathname);
        const isCreate = method === 'POST' && /\/platformapi\/core\/content\/?$/i.test(url.pathname);
        const idx = failures.findIndex((f) => !f.on || f.on === 'any' || (f.on === 'create' ? isCreate : (f.on === 'login') === isLogin));
        if (idx >= 0) {
          const f = failures.splice(idx, 1)[0]!;
          if (f.hang) {
            const out = await route(req, url, method, body);
            record(out.status);
            return;
          }
          const echo = f.echo ? { Request: { Body: raw, Url: req.url, Headers: req.headers } } : {};
          if (f.validation !== undefined) {
            const status = f.status ?? 200;
            record(status);
            return send(res, status, { ...envelope(null, false, [validationMessage(f.echo ? `${f.validation} ${JSON.stringify(echo)}` : f.validation)]) });
          }
          const status = f.status ?? 503;
          record(status);
          return send(res, status, { Message: status === 429 ? 'Too many requests.' : 'The service is unavailable.', ...echo }, f.retryAfterSec === undefined ? {} : { 'retry-after': String(f.retryAfterSec) });
        }
        const out = await route(req, url, method, body);
        record(out.status);
        send(res, out.status, out.payload);
      } catch (err) {
        if (err instanceof HttpError) {
          record(err.status);
          return send(res, err.status, err.payload, err.headers);
        }
        record(500);
        send(res, 500, { Message: 'An error has occurred.' });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    instance,
    username,
    password,
    records,
    requests,
    sessions,
    failNext(n, failure) {
      for (let i = 0; i < n; i++) failures.push(failure);
    },
    expireSessions() {
      sessions.clear();
    },
    setDown(d, retryAfterSec = 30) {
      down = d ? { retryAfterSec } : undefined;
    },
    text(record, fieldId) {
      const v = record.FieldContents[String(fieldId)]?.Value;
      return typeof v === 'string' ? v : undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
