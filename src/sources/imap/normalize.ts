/**
 * Turns one report from the reporting mailbox into the `email_reported` event the Graph mailbox
 * produces (see sources/microsoft-graph/normalize.ts): the reporter is the report's From; the
 * reported message is the attached `message/rfc822` part when there is one, else the Defender
 * subject format, else the report itself. Message content stays in the mailbox: the event keeps
 * who sent what to whom, the URLs the body links to, and attachment names and SHA-256 hashes.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AddressObject, Attachment, ParsedMail } from 'mailparser';
import type { ErrorCode, SecurityEvent } from '../../core/index.js';
import { eventId } from '../../core/index.js';

export const PROVIDER = 'imap';
export const DATASET = `${PROVIDER}.reported_mail`;

/** URLs kept per message: enough to block a campaign's links, bounded against a page of them. */
const MAX_URLS = 50;
const MAX_ATTACHMENTS = 50;

export type NormalizeResult = { ok: true; event: SecurityEvent; ms: number } | { ok: false; code: ErrorCode; reason: string };

/** The Defender subject format for reports sent to a custom mailbox (see the Graph normalizer). */
const SUBMISSION_SUBJECT = /^\s*([123])\|([^|]*)\|([^|]*)\|([^|]*)\|\((.*)\)\s*$/s;
const REPORT_TYPE: Record<string, string> = { '1': 'junk', '2': 'not_junk', '3': 'phish' };

const fail = (code: ErrorCode, reason: string): NormalizeResult => ({ ok: false, code, reason });

function addressList(v: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = [];
  for (const group of Array.isArray(v) ? v : v ? [v] : []) {
    for (const a of group.value) {
      if (a.address) out.push(a.address.trim().toLowerCase());
      // A group (`Team: a@x, b@x;`) nests its members.
      for (const m of a.group ?? []) if (m.address) out.push(m.address.trim().toLowerCase());
    }
  }
  return [...new Set(out.filter((a) => a.includes('@')))];
}

function firstName(v: AddressObject | undefined): string | undefined {
  const n = v?.value[0]?.name?.trim();
  return n ? n : undefined;
}

/** http(s) URLs in the text and HTML bodies, in order of appearance, without duplicates. */
export function urlsOf(mail: Pick<ParsedMail, 'text' | 'html'>): string[] {
  const found = new Set<string>();
  const scan = (s: string) => {
    for (const m of s.matchAll(/https?:\/\/[^\s<>"'`()[\]{}]+/gi)) {
      const url = m[0].replace(/&amp;/g, '&').replace(/[.,;:!?]+$/, '');
      if (found.size < MAX_URLS) found.add(url);
    }
  };
  if (mail.text) scan(mail.text);
  if (typeof mail.html === 'string') scan(mail.html);
  return [...found];
}

function fileOf(a: Attachment): { name?: string; mime_type?: string; size?: number; sha256: string } {
  return {
    ...(a.filename ? { name: a.filename } : {}),
    ...(a.contentType ? { mime_type: a.contentType } : {}),
    size: a.size ?? a.content.length,
    sha256: createHash('sha256').update(a.content).digest('hex'),
  };
}

const iso = (d: Date | undefined) => (d && Number.isFinite(d.getTime()) ? d.toISOString() : undefined);

/** When the message reached its recipient: the date of its newest Received header. */
function deliveredAt(mail: ParsedMail): string | undefined {
  const received = mail.headers.get('received');
  const first = Array.isArray(received) ? received[0] : received;
  if (typeof first !== 'string') return undefined;
  const at = first.lastIndexOf(';');
  if (at < 0) return undefined;
  const ms = Date.parse(first.slice(at + 1).trim());
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** What the event keeps of the reported message (no body, no attachment content). */
interface Original {
  message_id?: string;
  from: string[];
  sender?: string;
  to: string[];
  cc: string[];
  reply_to: string[];
  subject?: string;
  date?: string;
  delivered?: string;
  urls: string[];
  attachments: Array<ReturnType<typeof fileOf>>;
}

function originalOf(mail: ParsedMail, skip?: Attachment): Original {
  const sender = mail.headers.get('sender');
  const senderAddress = sender && typeof sender === 'object' && 'value' in sender ? addressList(sender as AddressObject)[0] : undefined;
  const date = iso(mail.date);
  const delivered = deliveredAt(mail);
  return {
    ...(mail.messageId ? { message_id: mail.messageId } : {}),
    from: addressList(mail.from),
    ...(senderAddress ? { sender: senderAddress } : {}),
    to: addressList(mail.to),
    cc: addressList(mail.cc),
    reply_to: addressList(mail.replyTo),
    ...(mail.subject ? { subject: mail.subject } : {}),
    ...(date ? { date } : {}),
    ...(delivered ? { delivered } : {}),
    urls: urlsOf(mail),
    attachments: mail.attachments.filter((a) => a !== skip).slice(0, MAX_ATTACHMENTS).map(fileOf),
  };
}

/** The stored record of one report: who reported what, and the reported message's facts. The event id is its hash. */
export interface ReportRecord {
  mailbox: string;
  report: { message_id?: string; from: string[]; subject?: string; date?: string };
  /** The reported message, from the attachment when there is one. */
  original?: Original;
  /** Files attached to the report itself (a forward without the original attached). */
  attachments: Array<ReturnType<typeof fileOf>>;
}

/**
 * Parses a report's raw bytes, and its attached original (`message/rfc822`) if it has one. Throws
 * only when mailparser does; what cannot be used becomes a failed NormalizeResult later.
 */
export async function parseReport(raw: Buffer): Promise<{ report: ParsedMail; original?: ParsedMail; originalPart?: Attachment }> {
  // Loaded on first use, as imapflow is: both weigh on the start-up of every command that loads the registry.
  const { simpleParser } = await import('mailparser');
  const report = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  const originalPart = report.attachments.find((a) => a.contentType === 'message/rfc822');
  if (!originalPart) return { report };
  const original = await simpleParser(originalPart.content, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  return { report, original, originalPart };
}

export function reportRecord(mailbox: string, parsed: { report: ParsedMail; original?: ParsedMail; originalPart?: Attachment }): ReportRecord {
  const { report, original, originalPart } = parsed;
  const date = iso(report.date);
  return {
    mailbox,
    report: {
      ...(report.messageId ? { message_id: report.messageId } : {}),
      from: addressList(report.from),
      ...(report.subject ? { subject: report.subject } : {}),
      ...(date ? { date } : {}),
    },
    ...(original ? { original: originalOf(original) } : {}),
    attachments: report.attachments.filter((a) => a !== originalPart).slice(0, MAX_ATTACHMENTS).map(fileOf),
  };
}

/**
 * The event of one report. `receivedMs`: when it reached the reporting mailbox (IMAP INTERNALDATE),
 * the event's time, as Graph's receivedDateTime is; not part of the record, so the same report
 * read again (a new UIDVALIDITY, a restored mailbox) has the same event id.
 */
export function normalizeReport(record: ReportRecord, parsed: { report: ParsedMail }, receivedMs: number | undefined, ingested: string): NormalizeResult {
  const ms = receivedMs ?? (record.report.date ? Date.parse(record.report.date) : undefined);
  if (ms === undefined || !Number.isFinite(ms)) return fail('TIMESTAMP_INVALID', 'report has no arrival time and no valid Date header');
  const reporter = record.report.from[0];
  if (!reporter) return fail('FIELD_MISSING', 'report has no From address (who reported it)');

  const event: SecurityEvent = {
    '@timestamp': new Date(ms).toISOString(),
    event: { id: eventId(PROVIDER, record), kind: 'event', category: ['email'], action: 'email_reported', outcome: 'unknown', provider: PROVIDER, dataset: DATASET, ingested },
    user: { email: reporter, ...(firstName(parsed.report.from) ? { name: firstName(parsed.report.from)! } : {}) },
    raw: record,
  };
  const labels: Record<string, string> = {};
  if (record.report.subject) labels.report_subject = record.report.subject;
  if (record.report.message_id) labels.report_message_id = record.report.message_id;
  const submission = record.report.subject ? SUBMISSION_SUBJECT.exec(record.report.subject) : null;

  const email: NonNullable<SecurityEvent['email']> = {};
  const o = record.original;
  let source: string;
  let files: Original['attachments'] = [];
  let urls: string[] = [];
  if (o) {
    source = 'attachment';
    const from = o.from[0] ?? o.sender;
    if (from) email.from = { address: [from] };
    const to = [...new Set([...o.to, ...o.cc])];
    if (to.length) email.to = { address: to };
    if (o.reply_to.length) email.reply_to = { address: o.reply_to };
    if (o.subject) email.subject = o.subject;
    if (o.message_id) email.message_id = o.message_id;
    if (o.date) email.origination_timestamp = o.date;
    if (o.delivered) email.delivery_timestamp = o.delivered;
    files = o.attachments;
    urls = o.urls;
    labels.original_has_attachments = String(o.attachments.length > 0);
  } else if (submission) {
    source = 'subject';
  } else {
    // A plain forward: all that is known is the report, so the report stands for the message.
    source = 'report';
    email.from = { address: [reporter] };
    if (record.report.subject) email.subject = record.report.subject.replace(/^\s*(?:(?:fw|fwd|tr|wg|rv)\s*:\s*)+/i, '');
    files = record.attachments;
  }
  if (submission) {
    const [, action, networkId, senderIp, fromAddress, subject] = submission;
    labels.report_type = REPORT_TYPE[action!]!;
    if (networkId?.trim()) labels.network_message_id = networkId.trim();
    if (senderIp && isIP(senderIp.trim())) labels.sender_ip = senderIp.trim();
    const from = fromAddress?.trim().toLowerCase();
    if (!email.from && from) email.from = { address: [from] };
    if (!email.subject && subject) email.subject = subject;
  }
  if (files.length) {
    email.attachments = files.map((f) => ({ file: { ...(f.name ? { name: f.name } : {}), ...(f.mime_type ? { mime_type: f.mime_type } : {}), ...(f.size !== undefined ? { size: f.size } : {}) } }));
  }
  // The schema has no URL list: one per line in a label, as the Graph source has none to give.
  if (urls.length) labels.urls = urls.join('\n');
  labels.original_source = source;
  if (Object.keys(email).length) event.email = email;
  event.labels = labels;
  const ips = labels.sender_ip ? [labels.sender_ip] : [];
  const users = [...new Set([reporter, ...(email.from?.address ?? [])])];
  const hashes = [...new Set(files.map((f) => f.sha256))];
  // The sender's IP is the attacker's mail server, not where the reporter was: related, never source.ip.
  event.related = { ...(ips.length ? { ip: ips } : {}), user: users, ...(hashes.length ? { hash: hashes } : {}) };
  return { ok: true, event, ms };
}
