/** Maps one log record onto the SecurityEvent schema through the configured field mapping, or says exactly why it cannot. */
import { isIP } from 'node:net';
import type { ErrorCode, EventOutcome, SecurityEvent } from '../../core/index.js';
import { eventId } from '../../core/index.js';
import { DEFAULT_FIELDS, type FieldTarget, type JsonLogsConfig } from './config.js';
import { TimestampParser } from './timestamp.js';

export const PROVIDER = 'json-logs';

export type NormalizeResult =
  | {
      ok: true;
      event: SecurityEvent;
      /** Event time, epoch ms. */
      ms: number;
      /** Input field the timestamp came from, which duplicate compression leaves out of the comparison. */
      timestampField: string;
    }
  | { ok: false; code: ErrorCode; reason: string };

/**
 * `withId: false` leaves event.id empty for the caller to fill (eventIdFor): duplicate compression
 * only needs the id of a group's first record, and hashing is the dearest step.
 */
export type Normalizer = (data: Record<string, unknown>, ingested: string, withId?: boolean) => NormalizeResult;

/** event.id of a record of source instance `name`: core eventId('json-logs:' + name, raw). */
export function eventIdFor(name: string, raw: unknown): string {
  return eventId(`${PROVIDER}:${name}`, raw);
}

export type NormalizeConfig = Pick<JsonLogsConfig, 'fields' | 'outcome_values' | 'timezone' | 'timestamp_format' | 'category'>;

/** The ECS field each mapping target fills, for messages that tell the user what broke. */
const TARGET_FIELD: Record<FieldTarget, string> = {
  timestamp: '@timestamp',
  user: 'user',
  ip: 'source.ip',
  action: 'event.action',
  outcome: 'event.outcome',
  user_agent: 'user_agent.original',
  file_id: 'file.id',
  file_name: 'file.name',
  target_user: 'target.user',
};

interface Field {
  path: string;
  get: (o: Record<string, unknown>) => unknown;
}

/** Same lookup as core getField (a literal dotted key first, then the nested path), compiled once per path. */
function compileField(path: string): Field {
  if (!path.includes('.')) return { path, get: (o) => o[path] };
  const parts = path.split('.');
  return {
    path,
    get: (o) => {
      const direct = o[path];
      if (direct !== undefined) return direct;
      let cur: unknown = o;
      for (const p of parts) {
        if (cur === null || typeof cur !== 'object') return undefined;
        cur = (cur as Record<string, unknown>)[p];
      }
      return cur;
    },
  };
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** A matched auth word anywhere in the action: vendors write login, user.login, LOGIN_SUCCESS, SignIn, oauth_grant. */
const AUTH_ACTION =
  /log[\s_.-]?(?:in|on|out|off)|sign[\s_.-]?(?:in|on|out|off)|auth(?!or)|(?:^|[^a-z])(?:sso|mfa|2fa|saml)(?:$|[^a-z])/i;

/**
 * Normalizes an IP as logs write it: plain, as an X-Forwarded-For list (the first hop is the
 * client) or with a port (`1.2.3.4:5678`, `[::1]:443`). Undefined when it is not an address.
 */
export function normalizeIp(text: string): string | undefined {
  let v = text.trim();
  if (isIP(v) !== 0) return v;
  const comma = v.indexOf(',');
  if (comma !== -1) {
    v = v.slice(0, comma).trim();
    if (isIP(v) !== 0) return v;
  }
  if (v.charCodeAt(0) === 91) {
    const end = v.indexOf(']');
    const inner = end > 0 ? v.slice(1, end) : '';
    return isIP(inner) === 6 && /^(?::\d{1,5})?$/.test(v.slice(end + 1)) ? inner : undefined;
  }
  const colon = v.indexOf(':');
  if (colon > 0 && colon === v.lastIndexOf(':') && /^\d{1,5}$/.test(v.slice(colon + 1))) {
    const host = v.slice(0, colon);
    if (isIP(host) === 4) return host;
  }
  return undefined;
}

export function createNormalizer(name: string, config: NormalizeConfig, opts: { now?: () => number } = {}): Normalizer {
  const fieldsOf = (t: FieldTarget): Field[] => (config.fields[t] ?? DEFAULT_FIELDS[t]).map(compileField);
  const F = {
    timestamp: fieldsOf('timestamp'),
    user: fieldsOf('user'),
    ip: fieldsOf('ip'),
    action: fieldsOf('action'),
    outcome: fieldsOf('outcome'),
    user_agent: fieldsOf('user_agent'),
    file_id: fieldsOf('file_id'),
    file_name: fieldsOf('file_name'),
    target_user: fieldsOf('target_user'),
  };
  const timestampCandidates = F.timestamp.map((f) => f.path).join(', ');
  const parser = new TimestampParser({ timezone: config.timezone, format: config.timestamp_format, now: opts.now });
  const success = new Set(config.outcome_values.success.map((v) => v.toLowerCase()));
  const failure = new Set(config.outcome_values.failure.map((v) => v.toLowerCase()));
  const idProvider = `${PROVIDER}:${name}`;
  // Actions repeat endlessly; the regex runs once per distinct action.
  const categoryCache = new Map<string, string[]>();

  let hitPath = '';
  /** First present candidate's value; `hitPath` says which. Empty and `-` (nginx's "none") count as absent. */
  const first = (fields: Field[], data: Record<string, unknown>): unknown => {
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = f.get(data);
      if (v !== undefined && v !== null && v !== '' && v !== '-') {
        hitPath = f.path;
        return v;
      }
    }
    return undefined;
  };

  const wrongType = (target: FieldTarget, expected: string, v: unknown): NormalizeResult => ({
    ok: false,
    code: 'FIELD_TYPE',
    reason: `field "${hitPath}" (mapped to ${TARGET_FIELD[target]}) must be ${expected}, got ${typeName(v)}; fix the record or change fields.${target} in the source config`,
  });

  const categoryOf = (action: string): string[] => {
    let c = categoryCache.get(action);
    if (c === undefined) {
      c = AUTH_ACTION.test(action) ? ['authentication'] : config.category;
      if (categoryCache.size >= 10_000) categoryCache.clear();
      categoryCache.set(action, c);
    }
    // Each event gets its own array: enrichers may push to it.
    return c.slice();
  };

  return (data, ingested, withId = true) => {
    const tsValue = first(F.timestamp, data);
    if (tsValue === undefined) {
      return {
        ok: false,
        code: 'FIELD_MISSING',
        reason: `no timestamp: none of the fields ${timestampCandidates} is present; set fields.timestamp in the source config to the field holding the event time`,
      };
    }
    if (typeof tsValue !== 'string' && typeof tsValue !== 'number') return wrongType('timestamp', 'a string or number timestamp', tsValue);
    const timestampField = hitPath;
    const ts = parser.parse(tsValue);
    if (!ts.ok) {
      return {
        ok: false,
        code: 'TIMESTAMP_INVALID',
        reason: `field "${timestampField}" (mapped to @timestamp) value ${JSON.stringify(tsValue)} ${ts.error}; use ISO-8601, epoch seconds/milliseconds, or set timestamp_format / fields.timestamp in the source config`,
      };
    }

    let action = 'unknown';
    const actionValue = first(F.action, data);
    if (actionValue !== undefined) {
      if (typeof actionValue === 'string') action = actionValue;
      else if (typeof actionValue === 'number') action = String(actionValue);
      else return wrongType('action', 'a string', actionValue);
    }

    let outcome: EventOutcome = 'unknown';
    const outcomeValue = first(F.outcome, data);
    if (outcomeValue !== undefined) {
      const t = typeof outcomeValue;
      if (t !== 'string' && t !== 'number' && t !== 'boolean') return wrongType('outcome', 'a string, number or boolean', outcomeValue);
      const key = t === 'string' ? (outcomeValue as string).trim().toLowerCase() : String(outcomeValue);
      outcome = success.has(key) ? 'success' : failure.has(key) ? 'failure' : 'unknown';
    }

    const event: SecurityEvent = {
      '@timestamp': ts.iso,
      event: {
        // Filled last: hashing the record is the dearest step, wasted on records that fail below.
        id: '',
        kind: 'event',
        category: categoryOf(action),
        action,
        outcome,
        provider: PROVIDER,
        dataset: name,
        ingested,
      },
      raw: data,
    };
    const relatedUsers: string[] = [];

    const userValue = first(F.user, data);
    if (userValue !== undefined) {
      if (typeof userValue === 'string') {
        const u = userValue.trim();
        if (u.includes('@')) {
          const email = u.toLowerCase();
          event.user = { email };
          relatedUsers.push(email);
        } else {
          event.user = { name: u };
          relatedUsers.push(u);
        }
      } else if (typeof userValue === 'number' && Number.isFinite(userValue)) {
        // Numeric user ids are common in app logs; they identify, they do not name.
        event.user = { id: String(userValue) };
        relatedUsers.push(event.user.id!);
      } else {
        return wrongType('user', 'a string (user name or email)', userValue);
      }
    }

    const ipValue = first(F.ip, data);
    if (ipValue !== undefined) {
      if (typeof ipValue !== 'string') return wrongType('ip', 'a string IP address', ipValue);
      const ip = normalizeIp(ipValue);
      if (ip === undefined) {
        return {
          ok: false,
          code: 'FIELD_TYPE',
          reason: `field "${hitPath}" (mapped to source.ip) is not a valid IP address: ${JSON.stringify(ipValue.slice(0, 100))}; fix the record or change fields.ip in the source config`,
        };
      }
      event.source = { ip };
      event.related = { ip: [ip] };
    }

    const uaValue = first(F.user_agent, data);
    if (uaValue !== undefined) {
      if (typeof uaValue !== 'string') return wrongType('user_agent', 'a string', uaValue);
      event.user_agent = { original: uaValue };
    }

    if (F.file_id.length > 0 || F.file_name.length > 0) {
      const idValue = first(F.file_id, data);
      if (idValue !== undefined && typeof idValue !== 'string' && typeof idValue !== 'number') {
        return wrongType('file_id', 'a string or number', idValue);
      }
      const nameValue = first(F.file_name, data);
      if (nameValue !== undefined && typeof nameValue !== 'string') return wrongType('file_name', 'a string', nameValue);
      if (idValue !== undefined || nameValue !== undefined) {
        event.file = {};
        if (idValue !== undefined) event.file.id = String(idValue);
        if (nameValue !== undefined) event.file.name = nameValue as string;
      }
    }

    if (F.target_user.length > 0) {
      const targetValue = first(F.target_user, data);
      if (targetValue !== undefined) {
        if (typeof targetValue !== 'string') return wrongType('target_user', 'a string (user name or email)', targetValue);
        const t = targetValue.trim();
        // target.user only has an email slot; a bare name is kept as a label rather than posing as an email.
        if (t.includes('@')) event.target = { user: { email: t.toLowerCase() } };
        else event.labels = { 'target.user.name': t };
        const related = t.includes('@') ? t.toLowerCase() : t;
        if (!relatedUsers.includes(related)) relatedUsers.push(related);
      }
    }

    if (relatedUsers.length > 0) {
      if (event.related) event.related.user = relatedUsers;
      else event.related = { user: relatedUsers };
    }
    if (withId) event.event.id = eventId(idProvider, data);
    return { ok: true, event, ms: ts.ms, timestampField };
  };
}
