/**
 * What a Jira issue and comment say about an alert, in Atlassian Document Format. Every piece of
 * alert text is an ADF text node, which Jira shows as typed (no wiki markup, no HTML), so text an
 * attacker controls (a mail subject, a file name) stays text; lengths are capped to Jira's limits.
 */
import { createHash } from 'node:crypto';
import type { Alert, AlertDetail, DeliveryContext, SecurityEvent } from '../../core/index.js';
import { alertUrl } from '../text.js';
import type { JiraConfig } from './config.js';

/** Jira's summary limit. */
export const SUMMARY_MAX = 255;
/** Jira's limit for a rich-text field (description, comment), counted on the ADF JSON; kept under it with room. */
export const ADF_MAX_CHARS = 30_000;
/** One line of alert text in a description: a long value is cut, the issue stays readable. */
const LINE_MAX = 1_000;
const DETAILS_MAX = 20;
const GROUP_LINES_MAX = 20;

/** The property the sink stores on its issues and comments: which alert and delivery made them. */
export const PROPERTY_KEY = 'saaswatch';
export interface SaaswatchProperty {
  alertId: string;
  dedupKey: string;
  deliveryId: string;
  groupId?: string;
}

export type AdfMark = { type: 'strong' } | { type: 'code' } | { type: 'link'; attrs: { href: string } };
export type AdfNode =
  | { type: 'text'; text: string; marks?: AdfMark[] }
  | { type: 'paragraph'; content: AdfNode[] }
  | { type: 'heading'; attrs: { level: number }; content: AdfNode[] }
  | { type: 'bulletList'; content: AdfNode[] }
  | { type: 'listItem'; content: AdfNode[] };
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/** Control characters and line breaks become spaces: ADF text is one run, and Jira refuses some of them. */
export function plain(s: string, max = LINE_MAX): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

const text = (s: string, marks?: AdfMark[]): AdfNode => ({ type: 'text', text: s, ...(marks ? { marks } : {}) });
/** A paragraph of the non-empty pieces (ADF forbids empty text nodes). */
function para(...pieces: Array<string | AdfNode>): AdfNode {
  const content = pieces.flatMap((p) => (typeof p === 'string' ? (p === '' ? [] : [text(p)]) : [p]));
  return { type: 'paragraph', content };
}
const heading = (s: string): AdfNode => ({ type: 'heading', attrs: { level: 3 }, content: [text(s)] });
function bullets(lines: Array<string | AdfNode[]>): AdfNode {
  return {
    type: 'bulletList',
    content: lines.map((l) => ({ type: 'listItem', content: [typeof l === 'string' ? para(l) : para(...l)] })),
  };
}

/** The issue's dedup anchor: the group when the alert has one, else the alert's dedup key. */
export function anchorOf(alert: Alert, ctx: Pick<DeliveryContext, 'group'>): { label: string; refKey: string; groupId?: string } {
  const groupId = ctx.group?.id ?? alert.groupId;
  const basis = groupId !== undefined ? `group:${groupId}` : alert.dedupKey;
  return {
    label: `saaswatch-${createHash('sha256').update(basis, 'utf8').digest('hex').slice(0, 16)}`,
    refKey: groupId !== undefined ? `group:${groupId}` : `alert:${alert.id}`,
    ...(groupId !== undefined ? { groupId } : {}),
  };
}

export function summaryOf(alert: Alert, ctx: Pick<DeliveryContext, 'group'>): string {
  const n = ctx.group && ctx.group.alerts.length > 1 ? ` (+${ctx.group.alerts.length - 1} related)` : '';
  return plain(`[${alert.severity.toUpperCase()}] ${alert.title}${n}`, SUMMARY_MAX);
}

function detailText(v: AlertDetail): string {
  return Array.isArray(v) ? v.join(', ') : String(v);
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function observedLines(alert: Alert): string[] {
  const keys = new Set([...Object.keys(alert.observed ?? {}), ...Object.keys(alert.expected ?? {})]);
  return [...keys].map((k) => {
    const o = alert.observed?.[k];
    const e = alert.expected?.[k];
    return plain(`${k}: observed ${o === undefined ? '—' : o}${e === undefined ? '' : `, expected ${e}`}`);
  });
}

/** Where the activity came from: the details the detector gave, else the evidence's first located event. */
function whereOf(alert: Alert, evidence: SecurityEvent[] | undefined): string | undefined {
  const d = alert.details ?? {};
  const fromDetails = [d['source.ip'], d['source.geo.country_iso_code'], d['source.geo.city_name'], d['source.as.organization.name']].filter((x) => x !== undefined).map((x) => detailText(x!));
  if (fromDetails.length > 0) return plain(fromDetails.join(' · '));
  const ev = evidence?.find((e) => e.source?.ip || e.source?.geo);
  if (!ev?.source) return undefined;
  const s = ev.source;
  const parts = [s.ip, [s.geo?.city_name, s.geo?.country_name ?? s.geo?.country_iso_code].filter(Boolean).join(', '), s.as?.number !== undefined ? `AS${s.as.number}${s.as.organization?.name ? ` ${s.as.organization.name}` : ''}` : undefined];
  const out = parts.filter((p) => p).join(' · ');
  return out ? plain(out) : undefined;
}

export function evidenceLine(e: SecurityEvent): string {
  const who = e.user?.email ?? e.user?.name ?? e.user?.id;
  const where = [e.source?.ip, e.source?.geo?.country_iso_code].filter(Boolean).join(' ');
  const what = e.file?.name ?? e.email?.subject;
  return plain([e['@timestamp'], e.event.action, e.event.outcome, who, where, what ? `"${what}"` : undefined].filter((x) => x).join(' · '), 300);
}

function dashboardLink(config: Pick<JiraConfig, 'dashboard_url'>, alertId: string): AdfNode | undefined {
  if (!config.dashboard_url) return undefined;
  const href = alertUrl(config.dashboard_url, alertId);
  return text('Open the alert in saaswatch', [{ type: 'link', attrs: { href } }]);
}

/** The last line of every issue and comment: how the sink (and an analyst) recognises what it already wrote. */
export function markerText(alert: Alert, deliveryId: string): string {
  return plain(`saaswatch alert ${alert.id} · delivery ${deliveryId}`, 400);
}

/** Part of a document; `drop` ranks what goes first (highest) when the whole would pass Jira's limit. */
interface Section {
  nodes: AdfNode[];
  drop?: number;
}

function alertSections(alert: Alert, ctx: Pick<DeliveryContext, 'evidence'>, config: Pick<JiraConfig, 'dashboard_url'>): Section[] {
  const facts: Array<string | AdfNode[]> = [
    [text('Rule: ', [{ type: 'strong' }]), text(plain(alert.rule), [{ type: 'code' }])],
    [text('Severity: ', [{ type: 'strong' }]), text(alert.severity)],
    [text('Who: ', [{ type: 'strong' }]), text(plain(`${alert.entity.type} ${alert.entity.value}`))],
  ];
  const where = whereOf(alert, ctx.evidence);
  if (where) facts.push([text('Where: ', [{ type: 'strong' }]), text(where)]);
  facts.push([text('Window: ', [{ type: 'strong' }]), text(`${iso(alert.windowStart)} – ${iso(alert.windowEnd)}`)]);
  if (alert.score !== undefined) facts.push([text('Score: ', [{ type: 'strong' }]), text(String(alert.score))]);
  if (alert.source) facts.push([text('Source: ', [{ type: 'strong' }]), text(plain(alert.source))]);
  if (alert.tags?.length) facts.push([text('Tags: ', [{ type: 'strong' }]), text(plain(alert.tags.join(', ')))]);
  const sections: Section[] = [{ nodes: [para(plain(alert.description) || plain(alert.title)), bullets(facts)] }];
  const link = dashboardLink(config, alert.id);
  if (link) sections.push({ nodes: [para(link)] });
  const observed = observedLines(alert);
  if (observed.length > 0) sections.push({ nodes: [heading('Observed vs expected'), bullets(observed)], drop: 1 });
  const details = Object.entries(alert.details ?? {}).slice(0, DETAILS_MAX);
  if (details.length > 0) {
    sections.push({ nodes: [heading('Details'), bullets(details.map(([k, v]) => [text(`${plain(k, 100)}: `, [{ type: 'strong' }]), ...(plain(detailText(v)) ? [text(plain(detailText(v)))] : [])]))], drop: 3 });
  }
  const evidence = (ctx.evidence ?? []).map(evidenceLine).filter((l) => l !== '');
  if (evidence.length > 0) sections.push({ nodes: [heading('Evidence'), bullets(evidence)], drop: 2 });
  else if (alert.evidence.length > 0) {
    sections.push({ nodes: [para(plain(`Evidence events: ${alert.evidence.slice(0, 10).join(', ')}${alert.evidence.length > 10 ? ` and ${alert.evidence.length - 10} more` : ''}`))], drop: 2 });
  }
  return sections;
}

/** The sections as one document, dropping the most expendable until it fits Jira's limit. */
function assemble(sections: Section[]): AdfDoc {
  const kept = [...sections];
  const doc = () => ({ type: 'doc' as const, version: 1 as const, content: kept.flatMap((x) => x.nodes) });
  let out = doc();
  while (JSON.stringify(out).length > ADF_MAX_CHARS) {
    let worst = -1;
    kept.forEach((x, i) => {
      if (x.drop !== undefined && (worst < 0 || x.drop > kept[worst]!.drop!)) worst = i;
    });
    if (worst < 0) break;
    kept.splice(worst, 1);
    out = doc();
  }
  return out;
}

const markerSection = (alert: Alert, deliveryId: string): Section => ({ nodes: [para(text(markerText(alert, deliveryId), [{ type: 'code' }]))] });

export function descriptionOf(alert: Alert, ctx: Pick<DeliveryContext, 'deliveryId' | 'group' | 'evidence'>, config: Pick<JiraConfig, 'dashboard_url'>, previousKey?: string): AdfDoc {
  const sections: Section[] = [];
  if (previousKey) sections.push({ nodes: [para(plain(`Follows ${previousKey}, which was closed when this alert came in again.`))] });
  sections.push(...alertSections(alert, ctx, config));
  const others = (ctx.group?.alerts ?? []).filter((a) => a.id !== alert.id);
  if (others.length > 0) {
    sections.push({ nodes: [heading('Related alerts in this group'), bullets(others.slice(0, GROUP_LINES_MAX).map((a) => plain(`[${a.severity}] ${a.title} (${a.rule}, ${iso(a.windowStart)})`)))], drop: 4 });
  }
  sections.push(markerSection(alert, ctx.deliveryId));
  return assemble(sections);
}

/** A later delivery on the same issue: the alert that joined the group, or the alert's grown counts. */
export function commentOf(alert: Alert, ctx: Pick<DeliveryContext, 'deliveryId' | 'kind' | 'evidence'>, config: Pick<JiraConfig, 'dashboard_url'>, reopened: boolean): AdfDoc {
  const lead = ctx.kind === 'update' ? 'Update' : 'Repeat';
  const sections: Section[] = [];
  if (reopened) sections.push({ nodes: [para(text('Reopened by saaswatch: the alert came in again.', [{ type: 'strong' }]))] });
  sections.push({ nodes: [para(text(`${lead}: `, [{ type: 'strong' }]), text(plain(`[${alert.severity.toUpperCase()}] ${alert.title}`)))] });
  sections.push(...alertSections(alert, ctx, config), markerSection(alert, ctx.deliveryId));
  return assemble(sections);
}

/** Concatenated text of an ADF document (what the marker search reads). */
export function adfText(node: unknown): string {
  if (node === null || typeof node !== 'object') return '';
  const n = node as { text?: unknown; content?: unknown };
  const own = typeof n.text === 'string' ? n.text : '';
  return own + (Array.isArray(n.content) ? n.content.map(adfText).join('\n') : '');
}

/** Values the custom-field templates can name. */
function templateValues(alert: Alert): Record<string, AlertDetail | undefined> {
  const out: Record<string, AlertDetail | undefined> = {
    rule: alert.rule,
    severity: alert.severity,
    title: alert.title,
    alert_id: alert.id,
    dedup_key: alert.dedupKey,
    'entity.type': alert.entity.type,
    'entity.value': alert.entity.value,
    description: alert.description,
    source: alert.source,
    tags: alert.tags,
  };
  for (const [k, v] of Object.entries(alert.details ?? {})) out[`details.${k}`] = v;
  return out;
}

const PLACEHOLDER = /\{\{\s*([\w.@-]+)\s*\}\}/g;

/** A custom field value with its templates filled from the alert; an unknown name fills as empty. */
export function renderCustomValue(value: unknown, alert: Alert): unknown {
  const values = templateValues(alert);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\{\{\s*([\w.@-]+)\s*\}\}$/.exec(v);
      if (whole) {
        const x = values[whole[1]!];
        if (Array.isArray(x)) return x.map((s) => plain(s, 255));
        if (typeof x === 'number' || typeof x === 'boolean') return x;
      }
      return plain(v.replace(PLACEHOLDER, (_m, name: string) => {
        const x = values[name];
        return x === undefined ? '' : detailText(x);
      }), 32_767);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/** The create-issue `fields`. */
export function issueFields(alert: Alert, ctx: Pick<DeliveryContext, 'deliveryId' | 'group' | 'evidence'>, config: JiraConfig, label: string, previousKey?: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    project: { key: config.project },
    issuetype: /^\d+$/.test(config.issue_type) ? { id: config.issue_type } : { name: config.issue_type },
    summary: summaryOf(alert, ctx),
    description: descriptionOf(alert, ctx, config, previousKey),
    labels: [...new Set([...config.labels, label])],
    priority: { name: config.priorities[alert.severity] },
  };
  if (config.components.length > 0) fields['components'] = config.components.map((name) => ({ name }));
  for (const [id, v] of Object.entries(config.custom_fields)) fields[id] = renderCustomValue(v, alert);
  return fields;
}

/** Characters Jira's wiki renderer reads as markup; a backslash makes each one literal. */
const WIKI_SPECIAL = /[\\*_?\-+^~{}[\]|!#]/g;

export function wikiEscape(s: string): string {
  return s.replace(WIKI_SPECIAL, (c) => `\\${c}`);
}

function wikiInline(nodes: AdfNode[]): string {
  return nodes
    .map((n) => {
      if (n.type !== 'text') return '';
      let out = wikiEscape(n.text);
      // Wiki emphasis must hug its text: `*Rule:* `, not `*Rule: *`.
      const hug = (open: string, close: string) => {
        const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(out)!;
        out = m[2] ? `${m[1]}${open}${m[2]}${close}${m[3]}` : out;
      };
      for (const m of n.marks ?? []) {
        if (m.type === 'strong') hug('*', '*');
        else if (m.type === 'code') hug('{{', '}}');
        // The href is ours (dashboard_url + an encoded id); `|` and `]` would end the link early.
        else if (m.type === 'link') out = `[${out}|${m.attrs.href.replace(/[|\]\s]/g, encodeURIComponent)}]`;
      }
      return out;
    })
    .join('');
}

/**
 * The same document as Jira Data Center's wiki markup (REST v2 has no ADF), every piece of alert
 * text escaped. A paragraph that would open with a line-start command (`h1.`, `bq.`) goes in a
 * `{noformat}` block, which the renderer shows as typed.
 */
export function adfToWiki(doc: AdfDoc): string {
  const block = (n: AdfNode): string => {
    if (n.type === 'paragraph') {
      const raw = n.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
      if (/^\s*(h[1-6]|bq)\./i.test(raw)) return `{noformat}${raw.replace(/\{noformat\}/gi, '')}{noformat}`;
      return wikiInline(n.content);
    }
    if (n.type === 'heading') return `h${n.attrs.level}. ${wikiInline(n.content)}`;
    if (n.type === 'bulletList') {
      return n.content.map((li) => `* ${li.type === 'listItem' ? li.content.map((p) => (p.type === 'paragraph' ? wikiInline(p.content) : '')).join(' ') : ''}`).join('\n');
    }
    return n.type === 'text' ? wikiInline([n]) : '';
  };
  return doc.content.map(block).join('\n\n');
}
