import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventId, type SecurityEvent } from '../../core/index.js';
import { normalizeAlert, normalizeRecord, normalizeReportedMessage, normalizeSignIn, reportRecord, type NormalizeResult } from './normalize.js';

const INGESTED = '2024-05-07T00:00:00.000Z';
const load = (name: string): any[] => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const signIns = load('sign-ins.json');
const alerts = load('alerts.json');
const reports = load('reported-messages.json').map((r: { message: Record<string, unknown>; attachments?: unknown[] }) => reportRecord(r.message, r.attachments));

function ok(r: NormalizeResult): SecurityEvent {
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('normalizeSignIn', () => {
  const [success, failure, interrupted] = signIns.map((s) => ok(normalizeSignIn(s, INGESTED)));

  it('maps a successful sign-in: login, user from the UPN, address, user agent, and keeps the raw record', () => {
    expect(success).toMatchObject({
      '@timestamp': '2024-05-06T09:12:44.000Z',
      event: { kind: 'event', category: ['authentication'], action: 'login', outcome: 'success', provider: 'microsoft-graph', dataset: 'microsoft-graph.sign_ins', ingested: INGESTED },
      user: { email: 'AdeleV@contoso.com', id: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3', name: 'Adele Vance' },
      source: { ip: '198.51.100.23' },
      user_agent: { original: expect.stringMatching(/Edg\/124/) },
      related: { ip: ['198.51.100.23'], user: ['AdeleV@contoso.com'] },
    });
    expect(success!.event.id).toBe(eventId('microsoft-graph', signIns[0]));
    expect(success!.raw).toBe(signIns[0]);
    expect(success!.labels).toMatchObject({ error_code: '0', app: 'Azure Portal', conditional_access: 'success', client_app: 'Browser', device_os: 'Windows10' });
    expect(success!.labels?.failure_reason).toBeUndefined();
  });

  it('leaves geo to enrichment: Graph location stays in raw only', () => {
    expect(success!.source).toEqual({ ip: '198.51.100.23' });
    expect((success!.raw as { location: { city: string } }).location.city).toBe('Redmond');
  });

  it('marks a non-zero errorCode a failure with the code and reason in labels', () => {
    expect(failure!.event.outcome).toBe('failure');
    expect(failure!.labels).toMatchObject({ error_code: '50126', failure_reason: 'Error validating credentials due to invalid username or password.', risk_level: 'medium', client_app: 'Authenticated SMTP' });
    expect(failure!.user_agent).toBeUndefined();
  });

  it('keeps sub-millisecond times to the millisecond and labels interrupts', () => {
    expect(interrupted!['@timestamp']).toBe('2024-05-06T09:15:21.442Z');
    expect(interrupted!.event.outcome).toBe('failure');
    expect(interrupted!.labels).toMatchObject({ error_code: '50074', interrupted: 'true' });
  });

  it('rejects records it cannot use, saying why', () => {
    expect(normalizeSignIn('x', INGESTED)).toMatchObject({ ok: false, code: 'INPUT_MALFORMED' });
    expect(normalizeSignIn({ ...signIns[0], createdDateTime: 'yesterday' }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID', reason: expect.stringMatching(/createdDateTime/) });
    expect(normalizeSignIn({ ...signIns[0], userPrincipalName: null, userId: '' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING', reason: expect.stringMatching(/userPrincipalName/) });
    expect(normalizeSignIn({ ...signIns[0], status: { errorCode: '0' } }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING', reason: expect.stringMatching(/status.errorCode/) });
  });
});

describe('normalizeAlert', () => {
  const e = ok(normalizeAlert(alerts[0], INGESTED));

  it('maps an alerts_v2 record: kind alert, time of this version, user from the evidence', () => {
    expect(e).toMatchObject({
      '@timestamp': '2024-05-06T09:31:44.583Z',
      event: { kind: 'alert', action: 'security_alert', category: ['intrusion_detection'], outcome: 'unknown', dataset: 'microsoft-graph.security_alerts' },
      user: { email: 'MeganB@contoso.com', id: '48d31887-5fad-4d73-a9f5-3c356e68a038', name: 'Megan Bowen' },
      related: { ip: ['203.0.113.77'], user: ['MeganB@contoso.com'] },
    });
    expect(e.labels).toMatchObject({
      title: 'Suspicious inbox manipulation rule', severity: 'medium', status: 'new', category: 'DefenseEvasion',
      service_source: 'microsoftDefenderForCloudApps', incident_id: '28282', mitre_techniques: 'T1564.008,T1114.003',
    });
    // Evidence IPs are not where the record came from.
    expect(e.source).toBeUndefined();
  });

  it('makes each update of an alert its own event', () => {
    const updated = ok(normalizeAlert({ ...alerts[0], status: 'inProgress', lastUpdateDateTime: '2024-05-06T11:00:00Z' }, INGESTED));
    expect(updated.event.id).not.toBe(e.event.id);
    expect(updated.labels?.status).toBe('inProgress');
  });

  it('rejects an alert without id or time', () => {
    expect(normalizeAlert({ ...alerts[0], id: undefined }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
    expect(normalizeAlert({ ...alerts[0], lastUpdateDateTime: null, createdDateTime: null }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
  });
});

describe('normalizeReportedMessage', () => {
  const [attached, submission, forward, notJunk] = reports.map((r: unknown) => ok(normalizeReportedMessage(r, INGESTED)));

  it('takes the suspicious sender, recipients and subject from the attached original; the reporter is the user', () => {
    expect(attached).toMatchObject({
      '@timestamp': '2024-05-06T10:02:11.000Z',
      event: { kind: 'event', category: ['email'], action: 'email_reported', dataset: 'microsoft-graph.reported_mail' },
      user: { email: 'meganb@contoso.com', name: 'Megan Bowen' },
      email: {
        from: { address: ['no-reply@m365-security.example'] },
        to: { address: ['meganb@contoso.com', 'sales@contoso.com'] },
        reply_to: { address: ['support@m365-help.example'] },
        subject: 'Action required: your mailbox storage is full',
        message_id: '<9F8E7D6C5B4A39281706F5E4D3C2B1A0@m365-security.example>',
        origination_timestamp: '2024-05-06T09:48:23.000Z',
        delivery_timestamp: '2024-05-06T09:48:27.000Z',
      },
      related: { user: ['meganb@contoso.com', 'no-reply@m365-security.example'] },
    });
    expect(attached!.labels).toMatchObject({ original_source: 'attachment', report_subject: 'Phishing: Action required: your mailbox storage is full', original_has_attachments: 'false' });
    expect(attached!.labels?.report_type).toBeUndefined();
  });

  it('reads the documented submission subject: verdict, network message id, sender IP, and the original attachment names', () => {
    expect(submission!.labels).toMatchObject({ report_type: 'phish', network_message_id: '49871234-6dc6-43e8-abcd-08d797f20abe', sender_ip: '192.0.2.44', original_source: 'attachment' });
    expect(submission!.email).toMatchObject({ from: { address: ['billing@invoices-contoso.example'] }, subject: 'Invoice INV-20931 overdue' });
    expect(submission!.email?.attachments).toEqual([{ file: { name: 'INV-20931.html', mime_type: 'text/html', size: 4211 } }]);
    // The attacker's mail server is related, never the reporter's source address.
    expect(submission!.source).toBeUndefined();
    expect(submission!.related?.ip).toEqual(['192.0.2.44']);
  });

  it('falls back to the subject format, then to the report itself', () => {
    expect(notJunk!.labels).toMatchObject({ report_type: 'not_junk', original_source: 'subject' });
    expect(notJunk!.email).toEqual({ from: { address: ['newsletter@partner.example'] }, subject: 'Partner newsletter May' });
    expect(forward!.labels?.original_source).toBe('report');
    expect(forward!.email).toEqual({ from: { address: ['diegos@contoso.com'] }, subject: 'DocuSign: please review and sign' });
  });

  it('keeps content and volatile properties out of the record, so a re-read message keeps its id', () => {
    const raw = JSON.stringify(attached!.raw);
    expect(raw).not.toMatch(/"body"|Sign in|@odata\.etag|contentBytes|item@odata\.context/);
    const fixture = load('reported-messages.json')[0];
    const reread = reportRecord({ ...fixture.message, isRead: true, '@odata.etag': 'W/"other"', changeKey: 'other', lastModifiedDateTime: '2024-05-06T11:00:00Z' }, fixture.attachments);
    expect(ok(normalizeReportedMessage(reread, INGESTED)).event.id).toBe(attached!.event.id);
    expect(attached!.event.id).toBe(eventId('microsoft-graph', attached!.raw));
  });

  it('rejects a message without a reporter, a time or an id', () => {
    expect(normalizeReportedMessage({ ...reports[0], from: undefined, sender: null }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING', reason: expect.stringMatching(/reported/) });
    expect(normalizeReportedMessage({ ...reports[0], receivedDateTime: undefined }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeReportedMessage({ ...reports[0], id: '' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
    expect(normalizeReportedMessage([], INGESTED)).toMatchObject({ ok: false, code: 'INPUT_MALFORMED' });
  });

  it('ignores a sender IP in the subject that is not an address', () => {
    const r = ok(normalizeReportedMessage({ ...reports[3], subject: '3|id|not-an-ip|x@evil.example|(hi)' }, INGESTED));
    expect(r.labels?.sender_ip).toBeUndefined();
    expect(r.email?.from?.address).toEqual(['x@evil.example']);
  });
});

describe('normalizeRecord', () => {
  it('dispatches by stream', () => {
    expect(normalizeRecord('sign_ins', signIns[0], INGESTED)).toMatchObject({ ok: true, event: { event: { action: 'login' } } });
    expect(normalizeRecord('security_alerts', alerts[0], INGESTED)).toMatchObject({ ok: true, event: { event: { action: 'security_alert' } } });
    expect(normalizeRecord('reported_mail', reports[0], INGESTED)).toMatchObject({ ok: true, event: { event: { action: 'email_reported' } } });
  });
});
