/** Maps one log record onto the SecurityEvent schema through the configured or recognised field mapping, or says exactly why it cannot. */
import { isIP } from 'node:net';
import type { ErrorCode, EventOutcome, SecurityEvent } from '../../core/index.js';
import { eventId } from '../../core/index.js';
import { classifyAction } from './action-words.js';
import { AUTO_FIELDS, AUTO_TARGETS, AutoFieldFinder, type AutoTarget } from './auto-fields.js';
import { FIELD_TARGETS, type FieldTarget, type JsonLogsConfig } from './config.js';
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
      /** Which input fed each field and how the outcome was decided; only with `trace: true`. */
      trace?: FieldTrace;
    }
  | { ok: false; code: ErrorCode; reason: string };

/** Where one record's fields came from, for `saaswatch ingest --explain`. */
export interface FieldTrace {
  /** Input path that fed each normalized field, for the fields that were found. */
  paths: Partial<Record<FieldTarget, string>>;
  /**
   * How event.outcome was decided: `field` (the outcome field's value), `action:<word>` (inferred
   * from the action, as in labels.outcome_inferred_from), or undefined when it stayed unknown.
   */
  outcome: string | undefined;
}

/**
 * `withId: false` leaves event.id empty for the caller to fill (eventIdFor): duplicate compression
 * only needs the id of a group's first record, and hashing is the dearest step.
 */
export type Normalizer = (data: Record<string, unknown>, ingested: string, withId?: boolean) => NormalizeResult;

/** event.id of a record of source instance `name`: core eventId('json-logs:' + name, raw). */
export function eventIdFor(name: string, raw: unknown): string {
  return eventId(`${PROVIDER}:${name}`, raw);
}

export type NormalizeConfig = Pick<JsonLogsConfig, 'fields' | 'outcome_values' | 'timezone' | 'timestamp_format' | 'category'> &
  Partial<Pick<JsonLogsConfig, 'infer_outcome'>>;

/** The ECS field each mapping target fills, for messages that tell the user what broke. */
export const TARGET_FIELD: Record<FieldTarget, string> = {
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

export interface NormalizerOptions {
  /** Clock (epoch ms) for the future-timestamp check; tests pin it. */
  now?: () => number;
  /** Attach a FieldTrace to each result (`ingest --explain`); off on the ingest path, where it would only cost. */
  trace?: boolean;
}

export function createNormalizer(name: string, config: NormalizeConfig, opts: NormalizerOptions = {}): Normalizer {
  const explicit = (t: FieldTarget): Field[] | undefined => config.fields[t]?.map(compileField);
  const F = {
    timestamp: explicit('timestamp'),
    user: explicit('user'),
    ip: explicit('ip'),
    action: explicit('action'),
    outcome: explicit('outcome'),
    user_agent: explicit('user_agent'),
    file_id: explicit('file_id'),
    file_name: explicit('file_name'),
    target_user: explicit('target_user'),
  } satisfies Record<FieldTarget, Field[] | undefined>;
  // An explicit mapping always wins: only the targets the config leaves out are recognised by name.
  const autoTargets = AUTO_TARGETS.filter((t) => F[t] === undefined);
  const finder = autoTargets.length > 0 ? new AutoFieldFinder(autoTargets) : undefined;
  const hits = finder?.newHits();
  const autoIndex = Object.fromEntries(FIELD_TARGETS.map((t) => [t, autoTargets.indexOf(t as AutoTarget)])) as Record<FieldTarget, number>;
  const timestampCandidates = F.timestamp
    ? F.timestamp.map((f) => f.path).join(', ')
    : `${AUTO_FIELDS.timestamp.join(', ')} (in any letter case)`;
  const parser = new TimestampParser({ timezone: config.timezone, format: config.timestamp_format, now: opts.now });
  const success = new Set(config.outcome_values.success.map((v) => v.toLowerCase()));
  const failure = new Set(config.outcome_values.failure.map((v) => v.toLowerCase()));
  const inferOutcome = config.infer_outcome ?? true;
  const idProvider = `${PROVIDER}:${name}`;
  // Actions repeat endlessly; their words are read once per distinct action.
  const actionCache = new Map<string, { category: string[]; outcome: EventOutcome | undefined; rule: string | undefined }>();

  let hitPath = '';
  let hitExplicit = true;
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

  /** The value feeding `target`, from the configured paths or the recognised keys; sets hitPath. */
  const pick = (target: FieldTarget, data: Record<string, unknown>): unknown => {
    const fields = F[target];
    if (fields !== undefined) {
      hitExplicit = true;
      return first(fields, data);
    }
    const i = autoIndex[target];
    if (i < 0) return undefined;
    hitExplicit = false;
    const v = hits!.value[i];
    if (v !== undefined) hitPath = hits!.path[i]!;
    return v;
  };

  const wrongType = (target: FieldTarget, expected: string, v: unknown): NormalizeResult => ({
    ok: false,
    code: 'FIELD_TYPE',
    reason: hitExplicit
      ? `field "${hitPath}" (mapped to ${TARGET_FIELD[target]}) must be ${expected}, got ${typeName(v)}; fix the record or change fields.${target} in the source config`
      : `field "${hitPath}" (recognised by name as ${TARGET_FIELD[target]}) must be ${expected}, got ${typeName(v)}; fix the record, or set fields.${target} in the source config to the field that holds it`,
  });

  const actionInfo = (action: string) => {
    let c = actionCache.get(action);
    if (c === undefined) {
      const words = classifyAction(action);
      c = { category: words.auth ? ['authentication'] : config.category, outcome: words.outcome, rule: words.rule };
      if (actionCache.size >= 10_000) actionCache.clear();
      actionCache.set(action, c);
    }
    return c;
  };

  return (data, ingested, withId = true) => {
    if (finder !== undefined) finder.find(data, hits!);
    const trace: FieldTrace | undefined = opts.trace ? { paths: {}, outcome: undefined } : undefined;
    const tsValue = pick('timestamp', data);
    if (tsValue === undefined) {
      const skipped = F.timestamp === undefined ? hits!.skipped[autoIndex.timestamp] : undefined;
      return {
        ok: false,
        code: 'FIELD_MISSING',
        reason:
          skipped !== undefined
            ? `no timestamp: field "${skipped}" holds an object or list, not a time, and none of the other fields ${timestampCandidates} is present; set fields.timestamp in the source config to the path of the event time, e.g. "${skipped}.<key>"`
            : `no timestamp: none of the fields ${timestampCandidates} is present; set fields.timestamp in the source config to the field holding the event time`,
      };
    }
    if (typeof tsValue !== 'string' && typeof tsValue !== 'number') return wrongType('timestamp', 'a string or number timestamp', tsValue);
    const timestampField = hitPath;
    const ts = parser.parse(tsValue);
    if (!ts.ok) {
      return {
        ok: false,
        code: 'TIMESTAMP_INVALID',
        reason: `field "${timestampField}" (${hitExplicit ? 'mapped to' : 'recognised by name as'} @timestamp) value ${JSON.stringify(tsValue)} ${ts.error}; use ISO-8601, epoch seconds/milliseconds, or set timestamp_format / fields.timestamp in the source config`,
      };
    }
    if (trace) trace.paths.timestamp = timestampField;

    let action = 'unknown';
    const actionValue = pick('action', data);
    if (actionValue !== undefined) {
      if (typeof actionValue === 'string') action = actionValue;
      else if (typeof actionValue === 'number') action = String(actionValue);
      else return wrongType('action', 'a string', actionValue);
      if (trace) trace.paths.action = hitPath;
    }
    const info = actionInfo(action);

    let outcome: EventOutcome = 'unknown';
    let inferredFrom: string | undefined;
    const outcomeValue = pick('outcome', data);
    if (outcomeValue !== undefined) {
      const t = typeof outcomeValue;
      if (t !== 'string' && t !== 'number' && t !== 'boolean') return wrongType('outcome', 'a string, number or boolean', outcomeValue);
      const key = t === 'string' ? (outcomeValue as string).trim().toLowerCase() : String(outcomeValue);
      outcome = success.has(key) ? 'success' : failure.has(key) ? 'failure' : 'unknown';
      if (trace) {
        trace.paths.outcome = hitPath;
        if (outcome !== 'unknown') trace.outcome = 'field';
      }
    }
    // An outcome field with a value of its own always wins; the action's words only fill a gap.
    if (outcome === 'unknown' && inferOutcome && info.outcome !== undefined) {
      outcome = info.outcome;
      inferredFrom = info.rule;
      if (trace) trace.outcome = inferredFrom;
    }

    const event: SecurityEvent = {
      '@timestamp': ts.iso,
      event: {
        // Filled last: hashing the record is the dearest step, wasted on records that fail below.
        id: '',
        kind: 'event',
        // Each event gets its own array: enrichers may push to it.
        category: info.category.slice(),
        action,
        outcome,
        provider: PROVIDER,
        dataset: name,
        ingested,
      },
      raw: data,
    };
    if (inferredFrom !== undefined) event.labels = { outcome_inferred_from: inferredFrom };
    const relatedUsers: string[] = [];

    const userValue = pick('user', data);
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
      if (trace) trace.paths.user = hitPath;
    }

    const ipValue = pick('ip', data);
    if (ipValue !== undefined) {
      if (typeof ipValue !== 'string') return wrongType('ip', 'a string IP address', ipValue);
      const ip = normalizeIp(ipValue);
      if (ip === undefined) {
        return {
          ok: false,
          code: 'FIELD_TYPE',
          reason: hitExplicit
            ? `field "${hitPath}" (mapped to source.ip) is not a valid IP address: ${JSON.stringify(ipValue.slice(0, 100))}; fix the record or change fields.ip in the source config`
            : `field "${hitPath}" (recognised by name as source.ip) is not a valid IP address: ${JSON.stringify(ipValue.slice(0, 100))}; fix the record, or set fields.ip in the source config to the field that holds the client address`,
        };
      }
      event.source = { ip };
      event.related = { ip: [ip] };
      if (trace) trace.paths.ip = hitPath;
    }

    const uaValue = pick('user_agent', data);
    if (uaValue !== undefined) {
      if (typeof uaValue !== 'string') return wrongType('user_agent', 'a string', uaValue);
      event.user_agent = { original: uaValue };
      if (trace) trace.paths.user_agent = hitPath;
    }

    if (F.file_id !== undefined || F.file_name !== undefined) {
      const idValue = pick('file_id', data);
      if (idValue !== undefined && typeof idValue !== 'string' && typeof idValue !== 'number') {
        return wrongType('file_id', 'a string or number', idValue);
      }
      if (idValue !== undefined && trace) trace.paths.file_id = hitPath;
      const nameValue = pick('file_name', data);
      if (nameValue !== undefined && typeof nameValue !== 'string') return wrongType('file_name', 'a string', nameValue);
      if (nameValue !== undefined && trace) trace.paths.file_name = hitPath;
      if (idValue !== undefined || nameValue !== undefined) {
        event.file = {};
        if (idValue !== undefined) event.file.id = String(idValue);
        if (nameValue !== undefined) event.file.name = nameValue as string;
      }
    }

    if (F.target_user !== undefined) {
      const targetValue = pick('target_user', data);
      if (targetValue !== undefined) {
        if (typeof targetValue !== 'string') return wrongType('target_user', 'a string (user name or email)', targetValue);
        const t = targetValue.trim();
        // target.user only has an email slot; a bare name is kept as a label rather than posing as an email.
        if (t.includes('@')) event.target = { user: { email: t.toLowerCase() } };
        else (event.labels ??= {})['target.user.name'] = t;
        const related = t.includes('@') ? t.toLowerCase() : t;
        if (!relatedUsers.includes(related)) relatedUsers.push(related);
        if (trace) trace.paths.target_user = hitPath;
      }
    }

    if (relatedUsers.length > 0) {
      if (event.related) event.related.user = relatedUsers;
      else event.related = { user: relatedUsers };
    }
    if (withId) event.event.id = eventId(idProvider, data);
    return trace ? { ok: true, event, ms: ts.ms, timestampField, trace } : { ok: true, event, ms: ts.ms, timestampField };
  };
}
