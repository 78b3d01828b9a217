/**
 * The Archer incident an alert becomes: the content's FieldContents (text, numeric, date, values
 * list, cross-reference) and the description's HTML, in which every value is escaped, because
 * Archer renders it and mail subjects, senders and file names are the attacker's words.
 */
import type { Alert, AlertDetail, DeliveryContext, SecurityEvent, Severity } from '../../core/index.js';
import { alertUrl, escapeHtml } from '../text.js';
import type { ArcherContent, FieldContent } from './client.js';
import type { ArcherConfig, ArcherMapping } from './config.js';

export const ARCHER_TYPE = { text: 1, numeric: 2, date: 3, values_list: 4, cross_reference: 9 } as const;

/** Longest text put in a title field; Archer's default text field takes more, but a title is read at a glance. */
const TITLE_CHARS = 250;
const EVIDENCE_LINES = 5;


export function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** The key an incident is stored and looked up under: the alert's dedup key, or its group's first alert's. */
export function incidentKey(alert: Alert, ctx: Pick<DeliveryContext, 'group'>): string {
  return ctx.group?.alerts[0]?.dedupKey ?? alert.dedupKey;
}

/** The key as stored in (and looked up from) its text field: escaped like every other text, since it carries a Message-ID. */
export function storedKey(key: string): string {
  return escapeHtml(key);
}

/**
 * The line every delivery leaves at the end of what it wrote: which alert, which delivery. A repeat
 * of a delivery finds its line and changes nothing, also after a restart (sink contract S2).
 */
export function trailLine(alert: Alert, ctx: Pick<DeliveryContext, 'deliveryId'>): string {
  return `<p>saaswatch alert ${escapeHtml(alert.id)}, delivery ${escapeHtml(ctx.deliveryId)}</p>`;
}

/** The (alert id, delivery id) pairs of a description's trail lines. */
export function readTrail(html: string): Array<{ alertId: string; deliveryId: string }> {
  const out: Array<{ alertId: string; deliveryId: string }> = [];
  // ASCII only and lenient on the paragraph tag, which a rich-text field may rewrite; it can only
  // be our own markup, since every text we write is escaped.
  for (const m of html.matchAll(/<p(?:\s[^>]*)?>\s*saaswatch alert ([^\s<,]+), delivery ([^\s<]+?)\s*<\/p>/gi)) out.push({ alertId: unescapeHtml(m[1]!), deliveryId: unescapeHtml(m[2]!) });
  return out;
}

function severityListId(config: ArcherConfig, severity: Severity): number {
  const v = config.fields.severity.values;
  return v[severity] ?? (severity === 'critical' ? v.high! : v.high!);
}

/** Alert properties a mapping may read beside its details. */
function property(alert: Alert, from: string): AlertDetail | undefined {
  switch (from) {
    case 'alert.id':
      return alert.id;
    case 'alert.rule':
      return alert.rule;
    case 'alert.title':
      return alert.title;
    case 'alert.severity':
      return alert.severity;
    case 'alert.entity':
      return `${alert.entity.type}:${alert.entity.value}`;
    case 'alert.window_start':
      return new Date(alert.windowStart).toISOString();
    case 'alert.window_end':
      return new Date(alert.windowEnd).toISOString();
    case 'alert.created_at':
      return alert.createdAt;
    case 'alert.score':
      return alert.score;
    case 'alert.dedup_key':
      return alert.dedupKey;
    default:
      return alert.details?.[from];
  }
}

const list = (v: AlertDetail): string[] => (Array.isArray(v) ? v : [String(v)]);

/** Archer dates: ISO 8601; a detail may hold one as text or as epoch ms. */
function toDate(v: AlertDetail): string | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  const ms = typeof first === 'number' ? first : typeof first === 'string' ? Date.parse(first) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** One mapping's field content, or undefined when the alert has nothing for it. */
export function mappedField(m: ArcherMapping, alert: Alert): FieldContent | undefined {
  const v = property(alert, m.from);
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return undefined;
  const content = (Type: number, Value: unknown): FieldContent => ({ Type, Value, FieldId: m.id });
  switch (m.type) {
    case 'text':
      return content(ARCHER_TYPE.text, escapeHtml(list(v).join(', ')));
    case 'numeric': {
      // A list counts its members: `email.reporters` into a numeric field is how many reported it.
      const n = Array.isArray(v) ? v.length : typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? content(ARCHER_TYPE.numeric, n) : undefined;
    }
    case 'date': {
      const d = toDate(v);
      return d === undefined ? undefined : content(ARCHER_TYPE.date, d);
    }
    case 'values_list': {
      const ids = [...new Set(list(v).map((x) => m.values?.[x]).filter((x): x is number => x !== undefined))];
      return ids.length ? content(ARCHER_TYPE.values_list, { ValuesListIds: ids }) : undefined;
    }
    case 'cross_reference': {
      const ids = list(v).map(Number).filter((n) => Number.isInteger(n) && n > 0);
      return ids.length ? content(ARCHER_TYPE.cross_reference, ids.map((ContentId) => ({ ContentId }))) : undefined;
    }
  }
}

function detailLines(alert: Alert): string {
  const details = Object.entries(alert.details ?? {});
  if (!details.length) return '';
  const items = details.map(([k, v]) => `<li><strong>${escapeHtml(k)}</strong>: ${escapeHtml(list(v).join(', '))}</li>`);
  return `<ul>${items.join('')}</ul>`;
}

function evidenceLines(events: SecurityEvent[] | undefined): string {
  if (!events?.length) return '';
  const lines = events.slice(0, EVIDENCE_LINES).map((e) => {
    const parts = [e['@timestamp'], e.event.action, e.event.outcome, e.user?.email, e.source?.ip, e.email?.subject].filter((p): p is string => typeof p === 'string' && p !== '');
    return `<li>${escapeHtml(parts.join(' · '))}</li>`;
  });
  return `<p><strong>Evidence</strong></p><ul>${lines.join('')}</ul>`;
}

function numbers(obs: Record<string, number> | undefined): string {
  return obs ? Object.entries(obs).map(([k, v]) => `${k} ${v}`).join(', ') : '';
}

function link(config: ArcherConfig, alert: Alert): string {
  if (!config.dashboard_url) return '';
  const href = alertUrl(config.dashboard_url, alert.id);
  return `<p><a href="${escapeHtml(href)}">Open the alert in saaswatch</a></p>`;
}

/** The description of a new incident. */
export function describeNew(config: ArcherConfig, alert: Alert, ctx: DeliveryContext): string {
  const parts = [
    `<p><strong>${escapeHtml(alert.title)}</strong></p>`,
    `<p>${escapeHtml(alert.description)}</p>`,
    `<ul><li><strong>Severity</strong>: ${escapeHtml(alert.severity)}</li><li><strong>Rule</strong>: ${escapeHtml(alert.rule)}</li><li><strong>Entity</strong>: ${escapeHtml(`${alert.entity.type} ${alert.entity.value}`)}</li><li><strong>Window</strong>: ${escapeHtml(`${new Date(alert.windowStart).toISOString()} – ${new Date(alert.windowEnd).toISOString()}`)}</li>${
      alert.observed ? `<li><strong>Observed</strong>: ${escapeHtml(numbers(alert.observed))}</li>` : ''
    }${alert.expected ? `<li><strong>Expected</strong>: ${escapeHtml(numbers(alert.expected))}</li>` : ''}</ul>`,
    detailLines(alert),
  ];
  const group = ctx.group?.alerts ?? [];
  if (group.length > 1) {
    parts.push(`<p><strong>Alerts in this incident</strong></p><ul>${group.map((a) => `<li>${escapeHtml(`${a.severity} · ${a.title} · ${a.createdAt}`)}</li>`).join('')}</ul>`);
  }
  parts.push(evidenceLines(ctx.evidence), link(config, alert), trailLine(alert, ctx));
  return parts.join('');
}

/** What an update appends to the incident's description: the alert as it now stands, and its trail line. */
export function describeUpdate(config: ArcherConfig, alert: Alert, ctx: DeliveryContext, at: number): string {
  const joined = ctx.kind !== 'update' && ctx.group && ctx.group.alerts.length > 1;
  const what = joined ? `A related alert joined: ${alert.title}` : `Updated: ${alert.title}`;
  return [
    '<hr/>',
    `<p><strong>${escapeHtml(what)}</strong> (${escapeHtml(new Date(at).toISOString())})</p>`,
    `<p>${escapeHtml(alert.description)}</p>`,
    detailLines(alert),
    evidenceLines(ctx.evidence),
    link(config, alert),
    trailLine(alert, ctx),
  ].join('');
}

/** The fields every delivery sets: title, severity and the mappings. */
function commonFields(config: ArcherConfig, alert: Alert, severity: Severity): Record<string, FieldContent> {
  const f = config.fields;
  const out: Record<string, FieldContent> = {
    [f.title]: { Type: ARCHER_TYPE.text, Value: escapeHtml(alert.title.slice(0, TITLE_CHARS)), FieldId: f.title },
    [f.severity.id]: { Type: ARCHER_TYPE.values_list, Value: { ValuesListIds: [severityListId(config, severity)] }, FieldId: f.severity.id },
  };
  for (const m of config.mappings) {
    const c = mappedField(m, alert);
    if (c) out[m.id] = c;
  }
  return out;
}

/** A new incident's content. */
export function newIncident(config: ArcherConfig, alert: Alert, ctx: DeliveryContext): ArcherContent {
  const f = config.fields;
  const fields = commonFields(config, alert, alert.severity);
  fields[f.description] = { Type: ARCHER_TYPE.text, Value: describeNew(config, alert, ctx), FieldId: f.description };
  if (f.dedup_key) fields[f.dedup_key.id] = { Type: ARCHER_TYPE.text, Value: storedKey(incidentKey(alert, ctx)), FieldId: f.dedup_key.id };
  return { LevelId: config.level_id, FieldContents: fields };
}

/**
 * The changes to an existing incident: the description grows by an update section (an analyst's
 * edits above stay), mapped fields take the alert's current values (reporters so far), the severity
 * only rises, and the title stays the incident's.
 */
export function incidentUpdate(config: ArcherConfig, existing: ArcherContent & { Id: number }, alert: Alert, ctx: DeliveryContext, at: number): ArcherContent & { Id: number } {
  const f = config.fields;
  const before = existing.FieldContents[String(f.description)]?.Value;
  const description = `${typeof before === 'string' ? before : ''}${describeUpdate(config, alert, ctx, at)}`;
  const severity = highest([alert.severity, ...(ctx.group?.alerts.map((a) => a.severity) ?? []), severityOf(config, existing)]);
  const fields = commonFields(config, alert, severity);
  delete fields[f.title];
  fields[f.description] = { Type: ARCHER_TYPE.text, Value: description, FieldId: f.description };
  return { Id: existing.Id, LevelId: existing.LevelId, FieldContents: fields };
}

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

function highest(list: Array<Severity | undefined>): Severity {
  return list.filter((s): s is Severity => s !== undefined).reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'low');
}

/** The incident's current severity, read back through the values-list ids. */
function severityOf(config: ArcherConfig, content: ArcherContent): Severity | undefined {
  const ids = (content.FieldContents[String(config.fields.severity.id)]?.Value as { ValuesListIds?: unknown } | null)?.ValuesListIds;
  if (!Array.isArray(ids)) return undefined;
  const found = (Object.entries(config.fields.severity.values) as Array<[Severity, number]>).filter(([, id]) => ids.includes(id)).map(([s]) => s);
  return found.length ? highest(found) : undefined;
}
