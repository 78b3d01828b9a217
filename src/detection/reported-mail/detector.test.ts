import { describe, expect, it } from 'vitest';
import { dedupKey, type Finding, type SecurityEvent } from '../../core/index.js';
import { reportedMessage, seededRandom, type GraphMessage } from '../../fakes/microsoft-graph/records.js';
import { normalizeReportedMessage, reportRecord } from '../../sources/microsoft-graph/normalize.js';
import { reportedMailConfigSchema } from './config.js';
import { messageKeyOf, ReportedMailDetector } from './detector.js';

const T = Date.parse('2026-11-03T09:00:00.000Z');
const MIN = 60_000;
const MAILBOX = 'phish-reports@contoso.com';

/** A report as the Graph source stores it: the fake's message through the source's own normalizer. */
function graphReport(opts: { reporter: string; at: number; messageId?: string; kind?: 'attached' | 'submission' | 'forward'; sender?: string; lure?: string; seed?: number }): SecurityEvent {
  const r = seededRandom(opts.seed ?? opts.at);
  const m = reportedMessage(r, {
    mailbox: MAILBOX,
    folderId: 'AQMkAinbox',
    reporter: { address: opts.reporter, name: opts.reporter },
    sender: { address: opts.sender ?? 'billing@evil.example', name: 'Billing' },
    lure: opts.lure ?? 'Overdue invoice',
    kind: opts.kind ?? 'attached',
    received: opts.at,
    originalReceived: T,
    senderIp: '192.0.2.9',
    payload: { name: 'INV-1.html', contentType: 'text/html', size: 10 },
  }) as GraphMessage & { attachments?: Array<{ item: { internetMessageId: string } }> };
  if (opts.messageId && m.attachments) m.attachments[0]!.item.internetMessageId = opts.messageId;
  const { attachments, ...rest } = m as GraphMessage & { attachments?: unknown[] };
  const res = normalizeReportedMessage(reportRecord(rest as Record<string, unknown>, attachments), new Date(opts.at).toISOString());
  if (!res.ok) throw new Error(res.reason);
  return res.event;
}

function detector(config: Record<string, unknown> = {}) {
  return new ReportedMailDetector(reportedMailConfigSchema.parse(config));
}

function feedAll(d: ReportedMailDetector, events: SecurityEvent[], watermark = Number.POSITIVE_INFINITY): Finding[] {
  for (const e of events) d.observe(e);
  return d.flush({ final: false, watermark });
}

const reports = (mid = '<m1@evil.example>') =>
  ['carol@corp.example', 'alice@corp.example', 'bob@corp.example'].map((reporter, i) => graphReport({ reporter, at: T + (i + 1) * 10 * MIN, messageId: mid }));

describe('reported-mail', () => {
  it('one finding per message, every reporter listed, its window the message’s delivery (not the first report)', () => {
    const all = feedAll(detector(), reports());
    expect(all).toHaveLength(1);
    const f = all[0]!;
    expect(f).toMatchObject({ rule: 'reported-mail', severity: 'medium', entity: { type: 'email_message', value: 'm1@evil.example' }, windowStart: T, windowEnd: T + 30 * MIN });
    expect(f.details).toMatchObject({
      'email.message_id': '<m1@evil.example>',
      'email.from.address': 'billing@evil.example',
      'email.subject': 'Overdue invoice',
      'email.delivery_timestamp': new Date(T).toISOString(),
      'email.reporters': ['alice@corp.example', 'bob@corp.example', 'carol@corp.example'],
      'email.reporters.count': 3,
      'email.attachments.file.name': ['INV-1.html'],
    });
    expect(f.evidence).toHaveLength(3);
    // Whichever report comes first, the alert is the same one.
    const reversed = feedAll(detector(), reports().reverse());
    expect(reversed.map(dedupKey)).toEqual(all.map(dedupKey));
    expect(reversed[0]!.details).toEqual(f.details);
  });

  it('a later reporter re-raises the same alert with the grown list; a repeat of a known reporter raises nothing', () => {
    const d = detector();
    const [a, b, c] = reports();
    const first = feedAll(d, [a!], T + 15 * MIN);
    expect(first[0]!.details!['email.reporters']).toEqual(['carol@corp.example']);
    const second = feedAll(d, [b!, c!]);
    expect(second.map(dedupKey)).toEqual(first.map(dedupKey));
    expect(second[0]!.details!['email.reporters']).toEqual(['alice@corp.example', 'bob@corp.example', 'carol@corp.example']);
    expect(feedAll(d, [graphReport({ reporter: 'alice@corp.example', at: T + 50 * MIN, messageId: '<m1@evil.example>' })])).toEqual([]);
  });

  it('waits for the watermark, so arrival order cannot change who was first', () => {
    const d = detector();
    expect(feedAll(d, reports(), T + 5 * MIN)).toEqual([]);
    expect(d.flush({ final: false, watermark: T + 25 * MIN })[0]!.details!['email.reporters']).toEqual(['alice@corp.example', 'carol@corp.example']);
  });

  it('without a Message-ID, keys by sender, subject and received time alike for every report', () => {
    const evs = ['x@corp.example', 'y@corp.example'].map((reporter, i) => graphReport({ reporter, at: T + (i + 1) * MIN, kind: 'submission', seed: 5 + i }));
    for (const e of evs) delete e.email!.message_id;
    const fs = feedAll(detector(), evs);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.entity.value).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(fs[0]!.details!['email.reporters']).toEqual(['x@corp.example', 'y@corp.example']);
    expect(messageKeyOf({ messageId: undefined, from: 'a', subject: 's', at: 1 })).not.toBe(messageKeyOf({ messageId: undefined, from: 'a', subject: 's', at: 2 }));
  });

  it('several messages from one sender: a campaign, re-raising each of them at the campaign severity', () => {
    const d = detector();
    const first = feedAll(d, [graphReport({ reporter: 'a@corp.example', at: T + MIN, messageId: '<m1@evil.example>' })]);
    expect(first[0]!.details!.campaign).toBeUndefined();
    const second = feedAll(d, [graphReport({ reporter: 'b@corp.example', at: T + 2 * MIN, messageId: '<m2@evil.example>', lure: 'Password expiry' })]);
    expect(second.map((f) => f.entity.value)).toEqual(['m1@evil.example', 'm2@evil.example']);
    for (const f of second) {
      expect(f.severity).toBe('high');
      expect(f.details).toMatchObject({ campaign: '2 distinct reported messages from billing@evil.example', 'campaign.messages': 2, 'campaign.subjects': ['Overdue invoice', 'Password expiry'] });
      expect(f.tags).toContain('campaign');
    }
  });

  it('ignores "not junk" reports and other events', () => {
    const e = graphReport({ reporter: 'a@corp.example', at: T + MIN });
    const notJunk = { ...e, labels: { ...e.labels, report_type: 'not_junk' } };
    const login = { ...e, event: { ...e.event, action: 'login' } };
    expect(feedAll(detector(), [notJunk, login])).toEqual([]);
  });

  it('forgets a message after retention, and caps the reporters it lists', () => {
    const d = detector({ retention: '1h', max_reporters: 2 });
    const fs = feedAll(d, reports());
    expect(fs[0]!.details!['email.reporters']).toEqual(['alice@corp.example', 'carol@corp.example']);
    expect(fs[0]!.details!['email.reporters.count']).toBe(3);
    // Two hours on, a new report of it starts over (the alert is upserted by the same dedup key).
    const later = feedAll(d, [graphReport({ reporter: 'dan@corp.example', at: T + 3 * 60 * MIN, messageId: '<m1@evil.example>' })]);
    expect(later[0]!.details!['email.reporters']).toEqual(['dan@corp.example']);
    expect(dedupKey(later[0]!)).toBe(dedupKey(fs[0]!));
  });
});
