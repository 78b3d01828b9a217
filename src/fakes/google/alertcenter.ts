/**
 * The fake's Alert Center: `GET /v1beta1/alerts` (createTime filters, create_time ordering, opaque
 * page tokens, deleted alerts left out) and `GET /v1beta1/alerts/{alertId}/feedback` (one alert, or
 * the "-" wildcard with an alertId/feedbackId filter; no paging, as Google's).
 */
import { errors } from '../../core/index.js';
import type { AlertCenterAlert, AlertCenterFeedback, ListAlertFeedbackResponse, ListAlertsResponse } from './types.js';

/** What the server answers a bad request with; thrown through its own error type. */
export type Fail = (status: number, message: string, reason: string) => never;

/** Scope alerts.list accepts (read-write is the only one Google defines). */
export const ALERTS_SCOPE = 'https://www.googleapis.com/auth/apps.alerts';

/** Google's server default when pageSize is absent is unspecified; the fake uses a small one so paging shows. */
const DEFAULT_PAGE = 20;
const MAX_PAGE = 1000;

interface Clause {
  op: '>=' | '>' | '<=' | '<' | '=';
  ms: number;
}

/**
 * Parses the subset of Alert Center's query filter saaswatch sends: `createTime <op> "<RFC 3339>"`
 * clauses joined with AND. Anything else is refused as Google refuses a filter it cannot parse.
 */
export function parseCreateTimeFilter(filter: string, fail: Fail): Clause[] {
  // Whitespace-separated tokens (one greedy split, linear): `createTime`, an operator, a quoted time, then AND.
  const tokens = filter.split(/\s+/).filter((t) => t !== '');
  const out: Clause[] = [];
  for (let i = 0; i < tokens.length; i += 4) {
    const [field, op, value, and] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]];
    const quoted = value !== undefined && value.length > 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : undefined;
    const ms = quoted !== undefined && !quoted.includes('"') ? Date.parse(quoted) : NaN;
    if (field !== 'createTime' || !OPS.has(op ?? '') || !Number.isFinite(ms) || (and !== undefined && and !== 'AND') || (and !== undefined && i + 4 >= tokens.length)) {
      fail(400, `Invalid filter: ${tokens.slice(i, i + 4).join(' ').slice(0, 200)}`, 'invalidArgument');
    }
    out.push({ op: op as Clause['op'], ms });
  }
  return out;
}

const OPS = new Set(['>=', '>', '<=', '<', '=']);

function holds(c: Clause, ms: number): boolean {
  switch (c.op) {
    case '>=':
      return ms >= c.ms;
    case '>':
      return ms > c.ms;
    case '<=':
      return ms <= c.ms;
    case '<':
      return ms < c.ms;
    default:
      return ms === c.ms;
  }
}

const encode = (offset: number, query: string): string => Buffer.from(JSON.stringify({ o: offset, q: query })).toString('base64url');

function decode(token: string, query: string, fail: Fail): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; q?: unknown };
    if (typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0 && t.q === query) return t.o;
  } catch {
    // the same answer as for a token of another query
  }
  return fail(400, 'Request contains an invalid argument.', 'invalidArgument');
}

/**
 * Parses the feedback filter Google documents: `alertId = <id>` and `feedbackId = <id>` clauses
 * (values bare or double-quoted) joined with OR or AND, AND binding tighter. Returns the OR of AND
 * groups; anything else is refused with 400.
 */
export function parseFeedbackFilter(filter: string, fail: Fail): Array<Array<{ field: 'alertId' | 'feedbackId'; value: string }>> {
  const tokens = filter.split(/\s+/).filter((t) => t !== '');
  const groups: Array<Array<{ field: 'alertId' | 'feedbackId'; value: string }>> = [[]];
  for (let i = 0; i < tokens.length; i += 4) {
    const [field, op, raw, join] = [tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]];
    const quoted = raw !== undefined && raw.length > 2 && raw.startsWith('"') && raw.endsWith('"');
    const value = quoted ? raw.slice(1, -1) : raw;
    const okValue = value !== undefined && value !== '' && !value.includes('"');
    if ((field !== 'alertId' && field !== 'feedbackId') || op !== '=' || !okValue || (join !== undefined && join !== 'AND' && join !== 'OR') || (join !== undefined && i + 4 >= tokens.length)) {
      fail(400, `Invalid filter: ${tokens.slice(i, i + 4).join(' ').slice(0, 200)}`, 'invalidArgument');
    }
    groups.at(-1)!.push({ field: field as 'alertId' | 'feedbackId', value: value! });
    if (join === 'OR') groups.push([]);
  }
  return groups;
}

export interface FakeAlertCenter {
  add(alerts: AlertCenterAlert[], opts?: { visibleAt?: number }): void;
  list(q: URLSearchParams, fail: Fail): ListAlertsResponse;
  /** Records an admin's feedback (its alert must exist, as `alerts.feedback.create` requires). */
  addFeedback(feedback: AlertCenterFeedback[]): void;
  listFeedback(alertId: string, q: URLSearchParams, fail: Fail): ListAlertFeedbackResponse;
}

/** An in-memory alert store; `now` decides which alerts Google has published yet. */
export function createFakeAlertCenter(now: () => number): FakeAlertCenter {
  const alerts: Array<{ alert: AlertCenterAlert; ms: number; visibleAt: number }> = [];
  const feedback: AlertCenterFeedback[] = [];
  const visibleAlert = (id: string): AlertCenterAlert | undefined => alerts.find((s) => s.alert.alertId === id && s.visibleAt <= now())?.alert;
  return {
    addFeedback(xs) {
      for (const f of xs) {
        const a = alerts.find((s) => s.alert.alertId === f.alertId)?.alert;
        if (!a || a.deleted) throw errors.internal({ problem: `fake Alert Center: feedback ${f.feedbackId} on an alert it does not hold (${f.alertId})` });
        feedback.push(structuredClone(f));
      }
    },
    listFeedback(alertId, q, fail) {
      const customerId = q.get('customerId');
      const filter = q.get('filter');
      const groups = filter === null || filter.trim() === '' ? undefined : parseFeedbackFilter(filter, fail);
      if (alertId !== '-') {
        const a = visibleAlert(alertId);
        if (!a || (customerId !== null && a.customerId !== customerId)) fail(404, `Alert ${alertId} not found.`, 'notFound');
      }
      const matches = (f: AlertCenterFeedback): boolean =>
        (alertId === '-' || f.alertId === alertId) &&
        (customerId === null || f.customerId === customerId) &&
        visibleAlert(f.alertId) !== undefined &&
        (groups === undefined || groups.some((g) => g.every((c) => f[c.field] === c.value)));
      // Per alert, newest first, as Google documents.
      const out = feedback
        .filter(matches)
        .sort((a, b) => a.alertId.localeCompare(b.alertId) || Date.parse(b.createTime) - Date.parse(a.createTime))
        .map((f) => structuredClone(f));
      return out.length ? { feedback: out } : {};
    },
    add(xs, opts = {}) {
      for (const a of xs) alerts.push({ alert: structuredClone(a), ms: Date.parse(a.createTime), visibleAt: opts.visibleAt ?? Number.NEGATIVE_INFINITY });
    },
    list(q, fail) {
      const clauses = parseCreateTimeFilter(q.get('filter') ?? '', fail);
      const orderBy = q.get('orderBy') ?? '';
      if (orderBy !== '' && !['create_time asc', 'create_time desc', 'create_time', 'update_time desc'].includes(orderBy.trim())) {
        fail(400, `Invalid order_by: ${orderBy}`, 'invalidArgument');
      }
      const pageSizeText = q.get('pageSize');
      const pageSize = pageSizeText === null ? DEFAULT_PAGE : Number(pageSizeText);
      if (!Number.isInteger(pageSize) || pageSize < 0) fail(400, `Invalid value for pageSize: ${pageSizeText}`, 'invalidArgument');
      const size = Math.min(pageSize || DEFAULT_PAGE, MAX_PAGE);
      const customerId = q.get('customerId');
      const query = [q.get('filter'), orderBy, size, customerId].join('|');
      const t = now();
      const desc = orderBy.trim() === 'create_time desc';
      const matching = alerts
        .filter((s) => s.visibleAt <= t && !s.alert.deleted && (customerId === null || s.alert.customerId === customerId) && clauses.every((c) => holds(c, s.ms)))
        .sort((a, b) => (desc ? b.ms - a.ms : a.ms - b.ms) || a.alert.alertId.localeCompare(b.alert.alertId));
      const offset = q.get('pageToken') ? decode(q.get('pageToken')!, query, fail) : 0;
      const page: ListAlertsResponse = {};
      const items = matching.slice(offset, offset + size).map((s) => structuredClone(s.alert));
      if (items.length) page.alerts = items;
      if (offset + size < matching.length) page.nextPageToken = encode(offset + size, query);
      return page;
    },
  };
}
