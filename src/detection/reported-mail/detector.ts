/**
 * Reported mail: every message users report (`email_reported`) is one finding, keyed by the
 * message itself (Message-ID, else a hash of sender, subject and received time), re-raised with the
 * grown list of reporters as more people report it, and marked as a campaign when its sender's
 * distinct reported messages reach a threshold.
 */
import type { Logger } from 'pino';
import { eventTime, sha256Hex, type Detector, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent, type Severity } from '../../core/index.js';
import { EventClock, EventQueue, watermarkOf } from '../event-order.js';
import type { ReportedMailConfig } from './config.js';

export const REPORTED_MAIL_RULE = 'reported-mail';
const STATE_KEY = 'reported-mail';
const STATE_VERSION = 1;
/** A campaign lists at most this many of its messages. */
const CAMPAIGN_LIST = 10;
const SUBJECT_CHARS = 200;

/** One report as queued: what the message is, and who reported it. */
interface Report {
  key: string;
  messageId: string | undefined;
  from: string | undefined;
  replyTo: string[];
  subject: string | undefined;
  /** When the message reached the mailbox (or, lacking that, was sent or reported): the finding's window start. */
  at: number;
  attachments: string[];
  reporter: string;
}

/** What is remembered of one reported message. */
interface MessageState {
  messageId?: string;
  from?: string;
  replyTo: string[];
  subject?: string;
  at: number;
  attachments: string[];
  /** Sorted, at most max_reporters. */
  reporters: string[];
  /** Reporters counted, listed or not. */
  count: number;
  /** Report event ids, in the order applied. */
  evidence: string[];
  /** Event time of the latest report: what retention counts from. */
  last: number;
}

interface Saved {
  v: number;
  k: ReturnType<EventClock['toJSON']>;
  o?: number;
  m: Array<[string, MessageState]>;
}

/**
 * The message's identity: its Message-ID, or where it has none, a hash of what every report of
 * it carries alike, so the first report does not decide it.
 */
export function messageKeyOf(r: Pick<Report, 'messageId' | 'from' | 'subject' | 'at'>): string {
  if (r.messageId) return r.messageId.trim().replace(/^<|>$/g, '').toLowerCase();
  return `sha256:${sha256Hex(`${r.from ?? ''}\n${r.subject ?? ''}\n${r.at}`).slice(0, 32)}`;
}

function readReport(e: SecurityEvent): Report | undefined {
  if (e.event.action !== 'email_reported') return undefined;
  // "Not junk": the user vouches for the message; nothing to raise.
  if (e.labels?.report_type === 'not_junk') return undefined;
  const reporter = e.user?.email?.trim().toLowerCase();
  if (!reporter) return undefined;
  const m = e.email ?? {};
  const t = eventTime(e);
  const when = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
  const delivered = when(m.delivery_timestamp);
  const sent = when(m.origination_timestamp);
  const at = delivered !== undefined && Number.isFinite(delivered) ? delivered : sent !== undefined && Number.isFinite(sent) ? sent : t;
  const from = m.from?.address?.[0]?.toLowerCase();
  const subject = m.subject?.slice(0, SUBJECT_CHARS);
  const messageId = m.message_id?.trim() || undefined;
  const attachments = [...new Set((m.attachments ?? []).map((a) => a.file.name).filter((n): n is string => typeof n === 'string' && n !== ''))].sort();
  const r = { messageId, from, replyTo: [...new Set(m.reply_to?.address ?? [])].sort(), subject, at, attachments, reporter };
  return { ...r, key: messageKeyOf(r) };
}

export interface ReportedMailDeps {
  state?: PluginDeps['state'];
  logger?: Logger;
}

export class ReportedMailDetector implements Detector {
  readonly id = REPORTED_MAIL_RULE;
  readonly #c: ReportedMailConfig;
  readonly #state: PluginDeps['state'];
  readonly #logger: Logger | undefined;
  readonly #time = new EventClock();
  readonly #queue = new EventQueue<string, Report>();
  /** Map order is recency of the last report: the first entry goes first at max_messages. */
  readonly #messages = new Map<string, MessageState>();
  readonly #dirty = new Set<string>();
  #changed = false;
  #resumeFrom: number | undefined;

  constructor(config: ReportedMailConfig, deps: ReportedMailDeps = {}) {
    this.#c = config;
    this.#state = deps.state;
    this.#logger = deps.logger;
  }

  async restore(): Promise<void> {
    const saved = (await this.#state?.getState(STATE_KEY)) as Saved | undefined;
    if (!saved || saved.v !== STATE_VERSION || !Array.isArray(saved.m) || !this.#time.load(saved.k)) {
      if (saved) this.#logger?.warn({ detector: this.id }, 'reported-mail state unreadable; starting afresh');
      return;
    }
    for (const [k, s] of saved.m) this.#messages.set(k, s);
    this.#resumeFrom = typeof saved.o === 'number' ? Math.max(saved.o, this.#time.frontier) : undefined;
  }

  resumeFrom(): number | undefined {
    return this.#resumeFrom;
  }

  /** Queues a stored report again after a restart, unless it was judged before the save. */
  replay(e: SecurityEvent): void {
    const t = eventTime(e);
    if (!this.#time.heldAtSave(t, this.#resumeFrom)) return;
    this.observe(e);
  }

  observe(e: SecurityEvent): Finding[] {
    const r = readReport(e);
    const t = eventTime(e);
    if (!r || !Number.isFinite(t)) return [];
    // Queued: which report is "first" must not depend on arrival order; not saved either, the store replays it.
    this.#queue.add(t, e.event.id, r.key, r);
    this.#changed = true;
    return [];
  }

  flush(opts: FlushOptions): Finding[] {
    const time = this.#time;
    time.advance(watermarkOf(opts));
    const campaignsTouched = new Set<string>();
    this.#queue.takeDue(time.frontier, (t, id, key, r) => {
      time.applied(t);
      this.#apply(t, id, key, r, campaignsTouched);
    });
    const clock = time.tick();
    // A sender that became (or grew as) a campaign: its other messages are re-raised with it.
    for (const from of campaignsTouched) {
      const ks = this.#bySender(from);
      if (ks.length >= this.#c.campaign_threshold) for (const k of ks) this.#dirty.add(k);
    }
    const out = [...this.#dirty].sort().map((k) => this.#finding(k, this.#messages.get(k)!));
    this.#dirty.clear();
    this.#prune(clock);
    return out;
  }

  async persist(): Promise<void> {
    if (!this.#state || !this.#changed) return;
    const saved: Saved = { v: STATE_VERSION, k: this.#time.toJSON(), m: [...this.#messages] };
    const oldest = this.#queue.oldest();
    if (oldest !== undefined) saved.o = oldest;
    await this.#state.putState(STATE_KEY, saved);
    this.#changed = false;
  }

  #apply(t: number, eventId: string, key: string, r: Report, campaigns: Set<string>): void {
    let s = this.#messages.get(key);
    // Past retention since its last report: a new report starts it over, whether or not a sweep has dropped it yet.
    if (s && s.last < t - this.#c.retention) {
      this.#messages.delete(key);
      s = undefined;
    }
    if (!s) {
      s = {
        ...(r.messageId ? { messageId: r.messageId } : {}),
        ...(r.from ? { from: r.from } : {}),
        replyTo: r.replyTo,
        ...(r.subject !== undefined ? { subject: r.subject } : {}),
        at: r.at,
        attachments: r.attachments,
        reporters: [],
        count: 0,
        evidence: [],
        last: t,
      };
      if (r.from) campaigns.add(r.from);
    } else {
      this.#messages.delete(key);
      // Reports of one message may carry more (one has the original attached, another only the subject): keep the union.
      s.replyTo = union(s.replyTo, r.replyTo);
      s.attachments = union(s.attachments, r.attachments);
      if (s.subject === undefined && r.subject !== undefined) s.subject = r.subject;
      if (s.from === undefined && r.from !== undefined) {
        s.from = r.from;
        campaigns.add(r.from);
      }
    }
    this.#messages.set(key, s);
    s.last = Math.max(s.last, t);
    this.#changed = true;
    if (s.reporters.includes(r.reporter)) return;
    s.count++;
    if (s.reporters.length < this.#c.max_reporters) s.reporters = [...s.reporters, r.reporter].sort();
    if (s.evidence.length < this.#c.max_evidence) s.evidence.push(eventId);
    this.#dirty.add(key);
    while (this.#messages.size > this.#c.max_messages) {
      const [oldest] = this.#messages.keys();
      this.#messages.delete(oldest!);
      this.#dirty.delete(oldest!);
    }
  }

  #bySender(from: string): string[] {
    const out: string[] = [];
    for (const [k, s] of this.#messages) if (s.from === from) out.push(k);
    return out.sort();
  }

  #prune(clock: number): void {
    if (!Number.isFinite(clock)) return;
    for (const [k, s] of this.#messages) {
      if (s.last < clock - this.#c.retention) {
        this.#messages.delete(k);
        this.#changed = true;
      }
    }
  }

  #finding(key: string, s: MessageState): Finding {
    const campaign = s.from ? this.#bySender(s.from) : [];
    const isCampaign = campaign.length >= this.#c.campaign_threshold;
    const severity: Severity = isCampaign ? this.#c.campaign_severity : this.#c.severity;
    const subject = s.subject ?? '(no subject)';
    const sender = s.from ?? 'an unknown sender';
    const received = new Date(s.at).toISOString();
    const details: NonNullable<Finding['details']> = {
      'email.subject': subject,
      'email.delivery_timestamp': received,
      'email.reporters': s.reporters,
      'email.reporters.count': s.count,
    };
    if (s.messageId) details['email.message_id'] = s.messageId;
    if (s.from) details['email.from.address'] = s.from;
    if (s.replyTo.length) details['email.reply_to.address'] = s.replyTo;
    if (s.attachments.length) details['email.attachments.file.name'] = s.attachments;
    if (isCampaign) {
      details.campaign = `${campaign.length} distinct reported messages from ${sender}`;
      details['campaign.messages'] = campaign.length;
      details['campaign.subjects'] = campaign.slice(0, CAMPAIGN_LIST).map((k) => this.#messages.get(k)?.subject ?? '(no subject)');
    }
    const who = s.count === 1 ? '1 person' : `${s.count} people`;
    return {
      rule: REPORTED_MAIL_RULE,
      title: `Reported mail: "${subject}" from ${sender}`,
      severity,
      entity: { type: 'email_message', value: key },
      windowStart: s.at,
      windowEnd: Math.max(s.at, s.last),
      evidence: [...s.evidence],
      description: `${who} reported the message "${subject}" from ${sender}, received ${received}${isCampaign ? `; it is one of ${campaign.length} reported messages from that sender` : ''}.`,
      observed: { reporters: s.count, ...(isCampaign ? { campaign_messages: campaign.length } : {}) },
      tags: ['email', 'phishing', 'user-reported', ...(isCampaign ? ['campaign'] : [])],
      details,
    };
  }
}

function union(a: string[], b: string[]): string[] {
  if (b.every((x) => a.includes(x))) return a;
  return [...new Set([...a, ...b])].sort();
}
