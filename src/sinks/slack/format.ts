/**
 * The Slack messages of an alert, in Block Kit: severity, rule, who, what, where, window, observed
 * against expected, the top evidence lines and a dashboard link; a group listed in one message.
 * Every text from an alert or an event is attacker-influenced: escaped for mrkdwn and cut to
 * Slack's block limits.
 */
import type { Alert, AlertGroup, SecurityEvent, Severity } from '../../core/index.js';
import { alertUrl } from '../text.js';

/** Slack's limits (docs.slack.dev, Block Kit reference). */
export const LIMITS = { header: 150, sectionText: 3000, field: 2000, context: 2000, blocks: 50, fallbackText: 3000, buttonUrl: 3000 } as const;

export const METADATA_EVENT_TYPE = 'saaswatch_alert';

const SEVERITY_MARK: Record<Severity, string> = { critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:' };
const EVIDENCE_LINES = 5;
const GROUP_LINES = 15;

export type SlackBlock = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export interface AlertMetadata {
  event_type: typeof METADATA_EVENT_TYPE;
  event_payload: {
    delivery_id: string;
    alert_id: string;
    group_id: string;
    dedup_key: string;
    rule: string;
    severity: string;
    kind: 'alert' | 'update';
    /** `root`: the message a group's thread hangs from; `reply`: a message in it. */
    role: 'root' | 'reply';
  };
}

/** Escapes the three characters Slack's mrkdwn gives meaning to (links, mentions, entities). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut to `max` characters (after escaping, so an entity is never split in two). */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** Escaped and capped: the only way alert text enters a mrkdwn field. */
const md = (text: string, max: number) => cap(escapeMrkdwn(text.replace(/\s+/g, ' ').trim()), max);
const plain = (text: string, max: number) => cap(text.replace(/\s+/g, ' ').trim(), max);

function utc(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC') : 'unknown';
}

function windowText(a: Alert): string {
  const start = utc(a.windowStart);
  const end = utc(a.windowEnd);
  return start.slice(0, 10) === end.slice(0, 10) ? `${start.slice(0, 16)}–${end.slice(11, 16)} UTC` : `${start} – ${end}`;
}

function numbers(r: Record<string, number> | undefined): string {
  return Object.entries(r ?? {})
    .slice(0, 6)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(', ');
}

function placeOf(e: SecurityEvent): string {
  const geo = e.source?.geo;
  const as = e.source?.as;
  const where = [geo?.city_name, geo?.country_iso_code ?? geo?.country_name].filter(Boolean).join(', ');
  const net = as ? [as.number !== undefined ? `AS${as.number}` : '', as.organization?.name ?? ''].filter(Boolean).join(' ') : '';
  return [where, net].filter(Boolean).join(' · ');
}

function distinct(values: Array<string | undefined>, max: number): string[] {
  return [...new Set(values.filter((v): v is string => Boolean(v)))].slice(0, max);
}

function evidenceLine(e: SecurityEvent): string {
  const t = e['@timestamp'].replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  const who = e.user?.email ?? e.user?.name ?? e.user?.id ?? '';
  const from = [e.source?.ip, placeOf(e)].filter(Boolean).join(' ');
  const object = e.file?.name ?? e.email?.subject ?? e.target?.user?.email ?? '';
  return [t, e.event.action, e.event.outcome !== 'unknown' ? e.event.outcome : '', who, object ? `“${object}”` : '', from ? `from ${from}` : ''].filter(Boolean).join(' ');
}

export function dashboardLink(base: string | undefined, alertId: string): string | undefined {
  if (!base) return undefined;
  return alertUrl(base, alertId);
}

export function metadataOf(alert: Alert, deliveryId: string, groupId: string, kind: 'alert' | 'update', role: 'root' | 'reply'): AlertMetadata {
  return {
    event_type: METADATA_EVENT_TYPE,
    event_payload: { delivery_id: deliveryId, alert_id: alert.id, group_id: groupId, dedup_key: alert.dedupKey, rule: alert.rule, severity: alert.severity, kind, role },
  };
}

export interface FormatInput {
  alert: Alert;
  evidence?: SecurityEvent[] | undefined;
  dashboardUrl?: string | undefined;
}

/** The blocks that tell one alert: what a lone alert's message and a thread reply both carry. */
function alertBlocks({ alert, evidence = [], dashboardUrl }: FormatInput, heading: string): SlackBlock[] {
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: plain(heading, LIMITS.header), emoji: true } }];
  const users = distinct(evidence.map((e) => e.user?.email ?? e.user?.name), 3);
  const places = distinct(evidence.map(placeOf), 3);
  const who = [`${alert.entity.type} ${alert.entity.value}`, ...users.filter((u) => u !== alert.entity.value)].join(', ');
  const fields = [
    `*Severity*\n${alert.severity.toUpperCase()}`,
    `*Rule*\n${md(alert.rule, 200)}`,
    `*Who*\n${md(who, 500)}`,
    `*Where*\n${places.length ? md(places.join('; '), 500) : '_not known_'}`,
    `*Window*\n${windowText(alert)}`,
    `*Observed vs expected*\n${md(`${numbers(alert.observed) || 'n/a'} (expected ${numbers(alert.expected) || 'n/a'})`, 500)}`,
  ];
  blocks.push({ type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text: cap(text, LIMITS.field) })) });
  if (alert.description) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*What*\n${md(alert.description, LIMITS.sectionText - 20)}` } });
  if (evidence.length) {
    const lines = evidence.slice(0, EVIDENCE_LINES).map((e) => `• ${md(evidenceLine(e), 400)}`);
    const more = alert.evidence.length > lines.length ? `\n_${alert.evidence.length - lines.length} more evidence event(s) in saaswatch_` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cap(`*Evidence*\n${lines.join('\n')}${more}`, LIMITS.sectionText) } });
  }
  const link = dashboardLink(dashboardUrl, alert.id);
  if (link && link.length <= LIMITS.buttonUrl) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in saaswatch' }, url: link, action_id: 'saaswatch_open_alert' }] });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: md(`saaswatch alert ${alert.id} · created ${alert.createdAt}`, LIMITS.context) }] });
  return blocks;
}

function fallback(alert: Alert, prefix = ''): string {
  return plainText(`${prefix}[${alert.severity.toUpperCase()}] ${alert.title} (${alert.entity.type} ${alert.entity.value})`);
}

/** Notification text (push, screen readers): escaped too, since Slack renders it as mrkdwn. */
function plainText(text: string): string {
  return md(text, LIMITS.fallbackText);
}

/** The first message of an alert, or of a group (more than one alert: all listed, the newest told in full). */
export function formatRoot(input: FormatInput & { group?: AlertGroup | undefined }): SlackMessage {
  const { alert, group } = input;
  if (!group || group.alerts.length < 2) {
    return { text: fallback(alert), blocks: alertBlocks(input, `${SEVERITY_MARK[alert.severity]} ${alert.severity.toUpperCase()} · ${alert.title}`) };
  }
  const list = groupList(group);
  const top = highest(group.alerts);
  const heading = `${SEVERITY_MARK[top]} ${group.alerts.length} alerts on ${alert.entity.type} ${alert.entity.value}`;
  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: plain(heading, LIMITS.header), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: list } },
    { type: 'divider' },
    ...alertBlocks(input, `Latest: ${alert.title}`),
  ];
  return { text: plainText(`[${top.toUpperCase()}] ${group.alerts.length} alerts on ${alert.entity.type} ${alert.entity.value}: ${alert.title}`), blocks: blocks.slice(0, LIMITS.blocks) };
}

/** A reply in the group's thread: a later alert of the group, or new counts of one already told. */
export function formatReply(input: FormatInput & { kind: 'alert' | 'update' }): SlackMessage {
  const { alert, kind } = input;
  const heading = kind === 'update' ? `Update: ${alert.title}` : `${SEVERITY_MARK[alert.severity]} ${alert.severity.toUpperCase()} · ${alert.title}`;
  return { text: fallback(alert, kind === 'update' ? 'Update: ' : ''), blocks: alertBlocks(input, heading) };
}

/** The root message rewritten to list the whole group (chat.update), keeping the first alert told in full. */
export function formatGroupRoot(group: AlertGroup, first: FormatInput): SlackMessage {
  if (group.alerts.length < 2) return formatRoot(first);
  const top = highest(group.alerts);
  const a = group.alerts[0]!;
  const heading = `${SEVERITY_MARK[top]} ${group.alerts.length} alerts on ${a.entity.type} ${a.entity.value}`;
  return {
    text: plainText(`[${top.toUpperCase()}] ${group.alerts.length} alerts on ${a.entity.type} ${a.entity.value}`),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: plain(heading, LIMITS.header), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: groupList(group) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: md(`Details of each alert are in this thread · saaswatch group ${group.id}`, LIMITS.context) }] },
    ],
  };
}

function groupList(group: AlertGroup): string {
  const lines = group.alerts.slice(0, GROUP_LINES).map((a) => {
    const seen = numbers(a.observed);
    return `• *${a.severity.toUpperCase()}* ${md(a.title, 200)} · \`${md(a.rule, 80)}\` · ${windowText(a)}${seen ? ` · ${md(seen, 120)}` : ''}`;
  });
  if (group.alerts.length > GROUP_LINES) lines.push(`_…and ${group.alerts.length - GROUP_LINES} more_`);
  return cap(lines.join('\n'), LIMITS.sectionText);
}

function highest(alerts: Alert[]): Severity {
  const order: Severity[] = ['low', 'medium', 'high', 'critical'];
  return alerts.reduce<Severity>((top, a) => (order.indexOf(a.severity) > order.indexOf(top) ? a.severity : top), 'low');
}
