/**
 * The email an alert becomes: subject, plain-text and HTML bodies (every alert-borne text escaped:
 * detectors copy attacker-chosen strings into titles and details), threading headers, and the
 * optional inline chart.
 *
 * Headers: `Message-ID: <delivery-id@saaswatch>` (the receiver's dedup key: a retried delivery
 * carries the same one), `References: <group.<group-id>@saaswatch>` on every mail of a group, and
 * for an update `In-Reply-To` the group's first mail, so mail clients thread them.
 */
import { createHash } from 'node:crypto';
import type { Alert, AlertDetail, DeliveryContext, SecurityEvent } from '../../core/index.js';
import { alertUrl, escapeHtml } from '../text.js';

export const MESSAGE_ID_DOMAIN = 'saaswatch';
/** The Content-ID of the inline chart (`<img src="cid:...">`). */
export const CHART_CID = 'chart@saaswatch';
/** Evidence lines shown; the rest is counted. */
const MAX_EVIDENCE = 10;
/** Grouped alerts listed; the rest is counted. */
const MAX_GROUP = 20;
const MAX_SUBJECT = 200;

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo?: string;
  references: string[];
  /** Our own X- headers: what a mail rule or a receiver script reads. */
  headers: Record<string, string>;
  attachments: Array<{ filename: string; content: Buffer; contentType: string; cid: string }>;
}

export interface FormatOptions {
  subjectPrefix: string;
  dashboardUrl?: string | undefined;
  /** PNG of the alert's chart, shown inline. */
  chart?: Buffer | undefined;
  /** Message-ID of the group's first mail, when known (saved by an earlier delivery). */
  threadRoot?: string | undefined;
}

/** `s` as one header line: control characters (CR/LF included) become spaces, so no header can be injected. */
export function headerText(s: string, max = 500): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A Message-ID local part from an id: kept when it is a plain dot-atom, else its hash. */
function localPart(id: string): string {
  if (/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/.test(id) && id.length <= 200) return id;
  return `h${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/** `<delivery-id@saaswatch>`: the same for every attempt of one delivery. */
export function messageIdOf(deliveryId: string): string {
  return `<${localPart(deliveryId)}@${MESSAGE_ID_DOMAIN}>`;
}

/** The id every mail of one group references, whether or not its first mail's id was kept. */
export function groupAnchorOf(groupId: string): string {
  return `<group.${localPart(groupId)}@${MESSAGE_ID_DOMAIN}>`;
}

/** The group a delivery belongs to: the context's, the alert's, or the alert alone. */
export function groupIdOf(alert: Alert, ctx: Pick<DeliveryContext, 'group'>): string {
  return ctx.group?.id ?? alert.groupId ?? alert.id;
}


const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function counts(c: Record<string, number> | undefined): string {
  if (!c || Object.keys(c).length === 0) return '';
  return Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function detailText(v: AlertDetail): string {
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** Where the activity came from: the alert's details, else its first evidence event's geo and network. */
function whereOf(alert: Alert, evidence: SecurityEvent[] | undefined): string {
  const d = alert.details ?? {};
  const pick = (k: string) => (d[k] === undefined ? undefined : detailText(d[k]!));
  const src = evidence?.find((e) => e.source?.ip)?.source;
  const parts = [
    pick('source.ip') ?? src?.ip,
    pick('source.geo.city_name') ?? src?.geo?.city_name,
    pick('source.geo.country_iso_code') ?? src?.geo?.country_iso_code,
    pick('source.as.organization.name') ?? src?.as?.organization?.name,
  ].filter((x): x is string => typeof x === 'string' && x !== '');
  const asn = pick('source.as.number') ?? (src?.as?.number === undefined ? undefined : String(src.as.number));
  if (asn) parts.push(`AS${asn.replace(/^AS/i, '')}`);
  return [...new Set(parts)].join(', ');
}

function evidenceLine(e: SecurityEvent): string {
  const who = e.user?.email ?? e.user?.name ?? e.user?.id;
  const geo = [e.source?.geo?.city_name, e.source?.geo?.country_iso_code].filter(Boolean).join(', ');
  return [
    e['@timestamp'],
    e.event.action,
    e.event.outcome,
    who ? `user ${who}` : undefined,
    e.source?.ip ? `from ${e.source.ip}${geo ? ` (${geo})` : ''}` : undefined,
    e.file?.name ? `file ${e.file.name}` : undefined,
    e.email?.subject ? `subject "${e.email.subject}"` : undefined,
  ]
    .filter((x): x is string => x !== undefined && x !== '')
    .map((x) => headerText(x, 300))
    .join(' · ');
}


/** The facts of an alert as label/value rows, in the order a person reads them. */
function facts(alert: Alert, ctx: Pick<DeliveryContext, 'evidence'>): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Severity', alert.severity],
    ['Rule', alert.rule],
    ['Who / what', `${alert.entity.type} ${alert.entity.value}`],
  ];
  const where = whereOf(alert, ctx.evidence);
  if (where) rows.push(['Where', where]);
  rows.push(['Window', `${iso(alert.windowStart)} to ${iso(alert.windowEnd)} (UTC)`]);
  const observed = counts(alert.observed);
  const expected = counts(alert.expected);
  if (observed) rows.push(['Observed', observed]);
  if (expected) rows.push(['Expected', expected]);
  if (alert.score !== undefined) rows.push(['Score', alert.score.toFixed(3)]);
  if (alert.source) rows.push(['Source', alert.source]);
  if (alert.tags?.length) rows.push(['Tags', alert.tags.join(', ')]);
  for (const [k, v] of Object.entries(alert.details ?? {})) rows.push([k, detailText(v)]);
  return rows.map(([k, v]) => [k, headerText(v, 1000)]);
}

export function formatEmail(alert: Alert, ctx: Pick<DeliveryContext, 'deliveryId' | 'kind' | 'group' | 'evidence'>, opts: FormatOptions): EmailContent {
  const kind = ctx.kind ?? 'alert';
  const groupId = groupIdOf(alert, ctx);
  const groupAlerts = ctx.group?.alerts ?? [];
  const first = groupAlerts[0] ?? alert;
  const others = groupAlerts.filter((a) => a.id !== alert.id);
  const prefix = headerText(opts.subjectPrefix, 100);
  const subjectOf = (a: Alert) => `${prefix ? `${prefix} ` : ''}[${a.severity.toUpperCase()}] ${a.title}`;
  let subject: string;
  if (kind === 'update') subject = `Re: ${subjectOf(first)}`;
  else subject = `${subjectOf(alert)}${others.length ? ` (+${others.length} related)` : ''}`;
  subject = headerText(subject, MAX_SUBJECT);

  const anchor = groupAnchorOf(groupId);
  const messageId = messageIdOf(ctx.deliveryId);
  const root = opts.threadRoot && opts.threadRoot !== messageId ? opts.threadRoot : undefined;
  const references = root ? [anchor, root] : [anchor];
  const inReplyTo = kind === 'update' ? (root ?? anchor) : undefined;

  const link = opts.dashboardUrl ? alertUrl(opts.dashboardUrl, alert.id) : undefined;
  const rows = facts(alert, ctx);
  const evidence = (ctx.evidence ?? []).slice(0, MAX_EVIDENCE).map(evidenceLine);
  const moreEvidence = Math.max(0, (ctx.evidence?.length ?? alert.evidence.length) - evidence.length);
  const listed = others.slice(0, MAX_GROUP);
  const heading = headerText(kind === 'update' ? `Update: ${alert.title}` : alert.title, 300);
  const description = alert.description;

  const text: string[] = [heading, '', description, ''];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) text.push(`${`${k}:`.padEnd(width + 2)}${v}`);
  if (evidence.length || moreEvidence) {
    text.push('', `Evidence (${ctx.evidence?.length ?? alert.evidence.length} events):`);
    for (const e of evidence) text.push(`  - ${e}`);
    if (moreEvidence) text.push(`  … ${moreEvidence} more${ctx.evidence ? '' : ` (ids: ${alert.evidence.slice(0, MAX_EVIDENCE).join(', ')})`}`);
  }
  if (listed.length) {
    text.push('', `Related alerts in this group (${others.length}):`);
    for (const a of listed) text.push(`  - [${a.severity.toUpperCase()}] ${headerText(a.title, 300)} (${a.rule}, ${iso(a.windowStart)})`);
    if (others.length > listed.length) text.push(`  … ${others.length - listed.length} more`);
  }
  if (link) text.push('', `Open in saaswatch: ${link}`);
  text.push('', `Alert ${alert.id} · delivery ${ctx.deliveryId}`);

  const e = escapeHtml;
  const html: string[] = [
    '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328">',
    `<h2 style="margin:0 0 8px">${e(heading)}</h2>`,
    `<p style="margin:0 0 12px">${e(description)}</p>`,
    '<table cellpadding="4" cellspacing="0" style="border-collapse:collapse">',
    ...rows.map(([k, v]) => `<tr><th align="left" style="padding-right:12px;vertical-align:top">${e(k)}</th><td>${e(v)}</td></tr>`),
    '</table>',
  ];
  if (opts.chart) html.push(`<p><img src="cid:${CHART_CID}" alt="${e(`Activity of ${alert.entity.type} ${alert.entity.value}`)}" style="max-width:100%"></p>`);
  if (evidence.length || moreEvidence) {
    html.push(`<h3 style="margin:16px 0 4px">Evidence (${ctx.evidence?.length ?? alert.evidence.length} events)</h3><ul>`);
    for (const line of evidence) html.push(`<li>${e(line)}</li>`);
    if (moreEvidence) html.push(`<li>… ${moreEvidence} more</li>`);
    html.push('</ul>');
  }
  if (listed.length) {
    html.push(`<h3 style="margin:16px 0 4px">Related alerts in this group (${others.length})</h3><ul>`);
    for (const a of listed) html.push(`<li>[${e(a.severity.toUpperCase())}] ${e(headerText(a.title, 300))} (${e(a.rule)}, ${e(iso(a.windowStart))})</li>`);
    if (others.length > listed.length) html.push(`<li>… ${others.length - listed.length} more</li>`);
    html.push('</ul>');
  }
  if (link) html.push(`<p><a href="${e(link)}">Open in saaswatch</a></p>`);
  html.push(`<p style="color:#656d76;font-size:12px">Alert ${e(alert.id)} · delivery ${e(ctx.deliveryId)}</p></body></html>`);

  return {
    subject,
    text: `${text.join('\n')}\n`,
    html: html.join('\n'),
    messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    references,
    headers: {
      'X-Saaswatch-Delivery': headerText(ctx.deliveryId),
      'X-Saaswatch-Alert-Id': headerText(alert.id),
      'X-Saaswatch-Dedup-Key': headerText(alert.dedupKey),
      'X-Saaswatch-Rule': headerText(alert.rule),
      'X-Saaswatch-Severity': alert.severity,
      'X-Saaswatch-Group': headerText(groupId),
    },
    attachments: opts.chart ? [{ filename: 'chart.png', content: opts.chart, contentType: 'image/png', cid: CHART_CID }] : [],
  };
}
