import { describe, expect, it } from 'vitest';
import { reportMessage, suspiciousMessage } from '../../fakes/imap/reports.js';
import { normalizeReport, parseReport, reportRecord, urlsOf } from './normalize.js';

const AT = Date.parse('2026-11-03T09:00:00Z');
const INGESTED = '2026-11-03T10:00:00.000Z';

async function normalized(raw: Buffer | string) {
  const parsed = await parseReport(Buffer.from(raw));
  const r = normalizeReport(reportRecord('INBOX', parsed), parsed, AT, INGESTED);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

const original = () =>
  suspiciousMessage({ from: 'ceo@evil.example', to: ['alice@example.com'], subject: 'Wire', messageId: '<wire-1@evil.example>', date: new Date(AT - 3_600_000), text: 'Go to https://evil.example/a.' });

describe('imap report normalization', () => {
  it('reads the Defender submission subject when no original is attached', async () => {
    const raw = `From: Alice <Alice@Example.com>\r\nTo: reports@example.com\r\nSubject: 3|7d1c-aa|198.51.100.23|Billing@Evil.example|(Your invoice)\r\nMessage-ID: <sub-1@example.com>\r\nDate: Tue, 03 Nov 2026 09:00:00 +0000\r\n\r\nreported\r\n`;
    const e = await normalized(raw);
    expect(e.user).toEqual({ email: 'alice@example.com', name: 'Alice' });
    expect(e.email).toEqual({ from: { address: ['billing@evil.example'] }, subject: 'Your invoice' });
    expect(e.labels).toMatchObject({ original_source: 'subject', report_type: 'phish', network_message_id: '7d1c-aa', sender_ip: '198.51.100.23' });
    expect(e.related).toEqual({ ip: ['198.51.100.23'], user: ['alice@example.com', 'billing@evil.example'] });
  });

  it('lets a plain forward stand for the message, without the Fwd: prefix', async () => {
    const raw = `From: bob@example.com\r\nTo: reports@example.com\r\nSubject: Fwd: FW: Your parcel\r\nMessage-ID: <fwd-1@example.com>\r\nDate: Tue, 03 Nov 2026 09:00:00 +0000\r\n\r\nsee below\r\n`;
    const e = await normalized(raw);
    expect(e.email).toEqual({ from: { address: ['bob@example.com'] }, subject: 'Your parcel' });
    expect(e.labels?.original_source).toBe('report');
  });

  it('gives one report the same event id however its MIME is cut, and two reporters of one message two ids', async () => {
    const o = await original();
    const report = (reporter: string) => reportMessage({ reporter, to: 'reports@example.com', messageId: `<r-${reporter}>`, date: new Date(AT), original: o });
    // Each build draws new MIME boundaries: the bytes differ, the report does not.
    const [a1, a2, b] = await Promise.all([report('alice@example.com'), report('alice@example.com'), report('bob@example.com')]);
    expect(a1.equals(a2)).toBe(false);
    const [e1, e2, e3] = [await normalized(a1), await normalized(a2), await normalized(b)];
    expect(e1.event.id).toBe(e2.event.id);
    expect(e3.event.id).not.toBe(e1.event.id);
    expect(e3.email?.message_id).toBe(e1.email?.message_id);
  });

  it('refuses a report without a sender and one without any time', async () => {
    const noFrom = await parseReport(Buffer.from('To: reports@example.com\r\nSubject: x\r\n\r\nbody\r\n'));
    expect(normalizeReport(reportRecord('INBOX', noFrom), noFrom, AT, INGESTED)).toEqual({ ok: false, code: 'FIELD_MISSING', reason: 'report has no From address (who reported it)' });
    expect(normalizeReport(reportRecord('INBOX', noFrom), noFrom, undefined, INGESTED)).toEqual({ ok: false, code: 'TIMESTAMP_INVALID', reason: 'report has no arrival time and no valid Date header' });
  });

  it('collects body URLs once each, without trailing punctuation, HTML entities decoded', () => {
    expect(urlsOf({ text: 'See https://a.example/x?y=1, and https://a.example/x?y=1.', html: '<a href="https://b.example/p?a=1&amp;b=2">x</a>' })).toEqual([
      'https://a.example/x?y=1',
      'https://b.example/p?a=1&b=2',
    ]);
  });
});
