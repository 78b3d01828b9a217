import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventId, type SecurityEvent } from '../../core/index.js';
import {
  normalizeAlert,
  normalizeDirectoryAudit,
  normalizeExample,
  normalizeRecord,
  normalizeReportedMessage,
  normalizeRiskDetection,
  normalizeRiskyUser,
  normalizeSignIn,
  reportRecord,
  type NormalizeResult,
} from './normalize.js';
import { bruteForceConfigSchema } from '../../detection/brute-force/config.js';
import { BruteForceDetector } from '../../detection/brute-force/detector.js';

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

  it("maps Graph's own location onto source.geo (kept by the GeoIP enricher where its database does not know the address)", () => {
    expect(success!.source).toMatchObject({ ip: '198.51.100.23', geo: { city_name: 'Redmond', country_iso_code: 'US' } });
    expect(success!.labels).toMatchObject({ location_city: 'Redmond', location_country: 'US', identity_kind: 'user' });
    expect(success!.user?.kind).toBe('user');
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

describe('normalizeSignIn on beta sign-ins of every kind', () => {
  const beta = load('beta-sign-ins.json');
  const [nonInteractive, servicePrincipal, managedIdentity, deviceCode] = beta.map((s) => ok(normalizeSignIn(s, INGESTED)));

  it('keeps a non-interactive sign-in with its session and token, protocol and place', () => {
    expect(nonInteractive).toMatchObject({
      '@timestamp': '2024-05-06T09:20:03.127Z',
      event: { dataset: 'microsoft-graph.sign_ins', action: 'login', outcome: 'success' },
      user: { kind: 'user', email: 'AdeleV@contoso.com' },
      source: { ip: '203.0.113.54', geo: { country_iso_code: 'NG', city_name: 'Lagos', location: { lat: 6.4531, lon: 3.3958 } } },
    });
    expect(nonInteractive!.labels).toMatchObject({
      sign_in_type: 'nonInteractiveUser', interactive: 'false', incoming_token_type: 'refreshToken', authentication_protocol: 'none',
      session_id: '0f6d2c14-3a9e-4b7d-8c51-6e2f9a0b7d43', unique_token_id: 'ZkVjT0xXb0RFa1NRZmVvWXBmY0FBQQ', location_state: 'Lagos', user_type: 'member',
    });
  });

  it('represents a service principal as the user that signed in, with its kind, instead of rejecting it', () => {
    expect(servicePrincipal).toMatchObject({
      event: { outcome: 'failure' },
      user: { kind: 'service_principal', id: '3e9b2f61-7c4d-4a8e-b015-6d2c9f8e7a43', name: 'Contoso Payroll Sync' },
      source: { ip: '198.51.100.77', geo: { country_iso_code: 'NL' } },
      related: { ip: ['198.51.100.77'], user: ['Contoso Payroll Sync'] },
    });
    expect(servicePrincipal!.user?.email).toBeUndefined();
    expect(servicePrincipal!.labels).toMatchObject({ identity_kind: 'service_principal', client_credential_type: 'clientSecret', error_code: '7000215', service_principal_id: '3e9b2f61-7c4d-4a8e-b015-6d2c9f8e7a43' });
  });

  it('represents a managed identity the same way, and takes 0,0 for no coordinates', () => {
    expect(managedIdentity).toMatchObject({ user: { kind: 'managed_identity', id: '9f2c1e7d-4b8a-4c3f-8e5d-0a6b7c1d2e93', name: 'func-invoice-export' }, labels: { msi_type: 'systemAssigned' } });
    expect(managedIdentity!.source).toBeUndefined();
  });

  it('labels the device-code flow', () => {
    expect(deviceCode!.labels).toMatchObject({ authentication_protocol: 'deviceCode', original_transfer_method: 'deviceCodeFlow', sign_in_type: 'interactiveUser' });
  });

  it('tells a workload without type apart from a record with nobody in it', () => {
    const { signInEventTypes: _t, ...untyped } = beta[1];
    expect(ok(normalizeSignIn(untyped, INGESTED)).user).toMatchObject({ kind: 'service_principal', id: '3e9b2f61-7c4d-4a8e-b015-6d2c9f8e7a43' });
    expect(normalizeSignIn({ ...untyped, servicePrincipalId: null, servicePrincipalName: null }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
    expect(normalizeSignIn({ ...beta[1], servicePrincipalId: '', servicePrincipalName: '', appId: '', appDisplayName: '' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING', reason: expect.stringMatching(/servicePrincipalId/) });
  });

  it('reads every sign-in stream with the one normalizer, into the one dataset', () => {
    for (const stream of ['non_interactive_sign_ins', 'service_principal_sign_ins', 'managed_identity_sign_ins'] as const) {
      expect(ok(normalizeRecord(stream, beta[1], INGESTED)).event.dataset).toBe('microsoft-graph.sign_ins');
    }
  });
});

describe('normalizeDirectoryAudit', () => {
  const audits = load('directory-audits.json');
  const [roleAdd, spCreds, caDelete] = audits.map((a) => ok(normalizeDirectoryAudit(a, INGESTED)));

  it('maps a role assignment: the activity as action, the admin as user with the address, the member as target', () => {
    expect(roleAdd).toMatchObject({
      '@timestamp': '2024-05-06T10:02:17.704Z',
      event: { kind: 'event', category: ['iam'], action: 'Add member to role', outcome: 'success', dataset: 'microsoft-graph.directory_audits' },
      user: { kind: 'user', email: 'admin-jw@contoso.com', id: 'f2e1d0c9-b8a7-4c6d-9e5f-4a3b2c1d0e9f' },
      source: { ip: '203.0.113.9' },
      target: { user: { email: 'MeganB@contoso.com' } },
      related: { ip: ['203.0.113.9'], user: ['admin-jw@contoso.com', 'MeganB@contoso.com'] },
    });
    expect(roleAdd!.labels).toMatchObject({ category: 'RoleManagement', operation_type: 'Assign', logged_by_service: 'Core Directory', target_type: 'User', modified_properties: 'Role.DisplayName,Role.TemplateId', role_name: 'Global Administrator' });
  });

  it('names an app that acted as a service principal, and lists changed properties without their values', () => {
    expect(spCreds).toMatchObject({ user: { kind: 'service_principal', id: '7b6a5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', name: 'Contoso Automation' }, labels: { target_name: 'Contoso Payroll Sync', target_type: 'ServicePrincipal', modified_properties: 'KeyDescription,Included Updated Properties' } });
    expect(spCreds!.source).toBeUndefined();
    expect(JSON.stringify(spCreds!.labels)).not.toMatch(/KeyIdentifier/);
  });

  // The response of "Get directoryAudit" (https://learn.microsoft.com/graph/api/directoryaudit-get?view=graph-rest-1.0):
  // its target user has no `type`, only `@odata.type`.
  it('finds the target user of a record whose target says it is a user only by @odata.type', () => {
    const e = ok(normalizeDirectoryAudit({
      id: 'Directory_ESJ8U_29309125', category: 'Core Directory', correlationId: 'da159bfb-54fa-4092-8a38-6e1fa7870e30', result: 'success', resultReason: '',
      activityDisplayName: 'Delete user', activityDateTime: '2024-05-06T21:20:02.7215374Z', loggedByService: 'Core Directory', operationType: 'Delete',
      initiatedBy: { app: null, user: { id: '728309ae-6a37-4a88-9e0a-9e8e1fd5b5c2', displayName: null, userPrincipalName: 'abc@contoso.com', ipAddress: '203.0.113.40', userType: null, homeTenantId: null, homeTenantName: null } },
      targetResources: [{ '@odata.type': '#microsoft.graph.targetResourceUser', id: 'ef7e527d-6c92-4234-8c6d-cf6fdfb57f95', displayName: null, modifiedProperties: [], userPrincipalName: 'def@contoso.com' }],
      additionalDetails: [],
    }, INGESTED));
    expect(e).toMatchObject({ '@timestamp': '2024-05-06T21:20:02.721Z', event: { action: 'Delete user', outcome: 'success' }, user: { email: 'abc@contoso.com' }, target: { user: { email: 'def@contoso.com' } } });
    expect(e.related?.user).toEqual(['abc@contoso.com', 'def@contoso.com']);
    // A group or an application has no UPN: no target user.
    const group = ok(normalizeDirectoryAudit({ id: 'Directory_2', activityDisplayName: 'Add group', activityDateTime: '2024-05-06T21:20:02Z', result: 'success', initiatedBy: { user: { userPrincipalName: 'abc@contoso.com' } }, targetResources: [{ '@odata.type': '#microsoft.graph.targetResourceGroup', id: 'g1', displayName: 'Finance', userPrincipalName: null }] }, INGESTED));
    expect(group.target).toBeUndefined();
  });

  it('files a policy change under configuration, with its failed result', () => {
    expect(caDelete).toMatchObject({ event: { category: ['configuration'], action: 'Delete conditional access policy', outcome: 'failure' }, labels: { result_reason: 'Microsoft.Online.Workflows.ValidationException' } });
  });

  it('rejects records it cannot use, saying why', () => {
    expect(normalizeDirectoryAudit({ ...audits[0], activityDateTime: null }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeDirectoryAudit({ ...audits[0], id: '' }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING', reason: expect.stringMatching(/id/) });
    expect(normalizeDirectoryAudit({ ...audits[0], activityDisplayName: null }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING', reason: expect.stringMatching(/activityDisplayName/) });
  });
});

describe('Identity Protection', () => {
  const risk = JSON.parse(readFileSync(new URL('./fixtures/risk.json', import.meta.url), 'utf8'));

  it('maps a risk detection as an alert on the user, at the time it was detected', () => {
    const [realtime, offline] = risk.riskDetections.map((d: unknown) => ok(normalizeRiskDetection(d, INGESTED)));
    expect(realtime).toMatchObject({
      event: { kind: 'alert', category: ['intrusion_detection'], action: 'risk_detection', dataset: 'microsoft-graph.risk_detections' },
      user: { email: 'AdeleV@contoso.com', id: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3' },
      source: { ip: '203.0.113.54', geo: { country_iso_code: 'NG' } },
      labels: { risk_event_type: 'unfamiliarFeatures', risk_level: 'medium', risk_state: 'atRisk', detection_timing: 'realtime', request_id: '6dfa2ac3-a2e1-4a5c-9b5e-4c1b2a3f0d00' },
    });
    // Offline: the activity happened a day before Identity Protection saw it; the event is the detection.
    expect(offline).toMatchObject({ '@timestamp': '2024-05-06T11:40:00.000Z', labels: { risk_event_type: 'leakedCredentials', risk_level: 'high', activity_time: '2024-05-05T00:00:00Z' } });
    expect(offline.source).toBeUndefined();
  });

  it('maps each version of a risky user as an alert on that user', () => {
    const [atRisk, remediated] = risk.riskyUsers.map((u: unknown) => ok(normalizeRiskyUser(u, INGESTED)));
    expect(atRisk).toMatchObject({ '@timestamp': '2024-05-06T09:22:41.095Z', event: { kind: 'alert', action: 'risky_user', dataset: 'microsoft-graph.risky_users' }, user: { id: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3', email: 'AdeleV@contoso.com' }, labels: { risk_level: 'medium', risk_state: 'atRisk' } });
    expect(remediated!.labels).toMatchObject({ risk_state: 'remediated', risk_detail: 'userPerformedSecuredPasswordReset' });
  });

  it('rejects records it cannot use, saying why', () => {
    expect(normalizeRiskDetection({ ...risk.riskDetections[0], detectedDateTime: null, activityDateTime: null }, INGESTED)).toMatchObject({ ok: false, code: 'TIMESTAMP_INVALID' });
    expect(normalizeRiskDetection({ ...risk.riskDetections[0], userId: null, userPrincipalName: null }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
    expect(normalizeRiskyUser({ ...risk.riskyUsers[0], id: null }, INGESTED)).toMatchObject({ ok: false, code: 'FIELD_MISSING' });
  });

  it('takes rule examples of the new streams, with the time the runner gives', () => {
    const [e] = normalizeExample({ risky_users: risk.riskyUsers[0] }, '2024-06-01T00:00:00.000Z');
    expect(e).toMatchObject({ '@timestamp': '2024-06-01T00:00:00.000Z', event: { dataset: 'microsoft-graph.risky_users' } });
    expect(() => normalizeExample({ risky_user: risk.riskyUsers[0] }, '2024-06-01T00:00:00.000Z')).toThrow(/risky_users/);
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

  // analyzedMessageEvidence (https://learn.microsoft.com/graph/api/resources/security-analyzedmessageevidence):
  // a Defender for Office 365 alert may carry only the message, naming its recipient and sender.
  it('takes the user of a mail alert with only message evidence from its recipient, the sender as email.from', () => {
    const e = ok(normalizeAlert({
      id: 'fa6f2b2f8e-2c1f-4f0e-9e47-3c4b7b1d1e61', providerAlertId: 'f6f2b2f8', incidentId: '4127', status: 'new', severity: 'high', classification: null, determination: null,
      serviceSource: 'microsoftDefenderForOffice365', detectionSource: 'microsoftDefenderForOffice365', title: 'Email messages containing malicious URL removed after delivery', category: 'InitialAccess',
      createdDateTime: '2024-05-06T09:41:02.117Z', lastUpdateDateTime: '2024-05-06T09:52:40.5533333Z', mitreTechniques: ['T1566.002'],
      evidence: [{ '@odata.type': '#microsoft.graph.security.analyzedMessageEvidence', createdDateTime: '2024-05-06T09:41:02.117Z', verdict: 'malicious', networkMessageId: '5e3b1ce3-8d4a-4f1e-6c1a-08dc6db7c7a1', internetMessageId: '<AM0PR@evil.example>', senderIp: '203.0.113.66', recipientEmailAddress: 'megan@contoso.com', subject: 'Invoice overdue', p1Sender: { emailAddress: 'bounce@evil.example' }, p2Sender: { emailAddress: 'billing@evil.example', displayName: 'Billing' }, urls: ['https://evil.example/pay'] }],
    }, INGESTED));
    expect(e).toMatchObject({ event: { kind: 'alert', action: 'security_alert' }, user: { email: 'megan@contoso.com' }, email: { from: { address: ['billing@evil.example'] }, to: { address: ['megan@contoso.com'] } } });
    // The sender's address is the attacker's mail server: related, never source.
    expect(e.source).toBeUndefined();
    expect(e.related).toEqual({ ip: ['203.0.113.66'], user: ['megan@contoso.com'] });
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

describe('failed sign-ins that are no password guess', () => {
  const T = Date.parse('2026-11-03T02:00:00.000Z');
  const at = (i: number) => new Date(T + i * 30_000).toISOString();
  const spSecretExpired = (i: number) => ({
    id: `a3c1e5f0-7b2d-4e8a-9c61-${String(i).padStart(12, '0')}`, createdDateTime: at(i), signInEventTypes: ['servicePrincipal'], isInteractive: false,
    appId: '4f6a1c9e-2b7d-4c3e-8a15-9d0e6b2f7c41', appDisplayName: 'Contoso Payroll Sync', servicePrincipalId: '0b8e2f4a-6c1d-4e9b-a3f7-5d2c8e1b6a90', servicePrincipalName: 'Contoso Payroll Sync',
    ipAddress: '20.190.128.44', clientCredentialType: 'clientSecret', status: { errorCode: 7000222, failureReason: 'The provided client secret keys for app are expired.' },
  });
  const refreshExpired = (i: number) => ({
    id: `b7d2f6a1-8c3e-4f9b-8d72-${String(i).padStart(12, '0')}`, createdDateTime: at(i), signInEventTypes: ['nonInteractiveUser'], isInteractive: false,
    userPrincipalName: 'AdeleV@contoso.com', userId: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3', appId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', appDisplayName: 'Microsoft Office',
    ipAddress: '198.51.100.23', clientAppUsed: 'Mobile Apps and Desktop clients', incomingTokenType: 'refreshToken', status: { errorCode: 70043 },
  });
  const passwordWrong = (i: number) => ({
    id: `c9e3a7b2-9d4f-4a0c-9e83-${String(i).padStart(12, '0')}`, createdDateTime: at(i), isInteractive: true,
    userPrincipalName: 'AdeleV@contoso.com', userId: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3', appDisplayName: 'OfficeHome', ipAddress: '203.0.113.9', clientAppUsed: 'Browser', status: { errorCode: 50126 },
  });
  function findings(records: unknown[]): number {
    const d = new BruteForceDetector(bruteForceConfigSchema.parse({ threshold: 10 }));
    for (const r of records) d.observe(ok(normalizeSignIn(r, INGESTED)));
    return d.flush({ final: true, watermark: T + 3_600_000 }).length;
  }
  const twenty = Array.from({ length: 20 }, (_, i) => i);

  it('names them for what they are, and keeps them as failed authentications', () => {
    expect(ok(normalizeSignIn(spSecretExpired(0), INGESTED)).event).toMatchObject({ category: ['authentication'], action: 'service_principal_sign_in', outcome: 'failure' });
    expect(ok(normalizeSignIn(refreshExpired(0), INGESTED)).event).toMatchObject({ action: 'token_refresh', outcome: 'failure' });
    expect(ok(normalizeSignIn({ ...refreshExpired(0), clientAppUsed: 'IMAP4' }, INGESTED)).event.action).toBe('login');
    expect(ok(normalizeSignIn({ ...refreshExpired(0), status: { errorCode: 0 } }, INGESTED)).event.action).toBe('login');
  });

  it('twenty of them 30 s apart raise no brute force, while twenty password failures do', () => {
    expect(findings([...twenty.map(spSecretExpired), ...twenty.map(refreshExpired)])).toBe(0);
    expect(findings(twenty.map(passwordWrong))).toBeGreaterThan(0);
  });
});
