/** Seeded generators of realistic Graph records (Entra sign-ins, Defender alerts, user-reported messages) for the fake and tests. */
import type { DirectoryAudit, Message, RiskDetection, RiskyUser, SecurityNamespace, SignIn } from '@microsoft/microsoft-graph-types';

/**
 * A sign-in as beta serves it: v1.0's properties plus the kind of sign-in (signInEventTypes), the
 * workload that signed in as itself, and the session and token it used.
 */
export type GraphSignIn = SignIn & {
  signInEventTypes?: Array<'interactiveUser' | 'nonInteractiveUser' | 'servicePrincipal' | 'managedIdentity'>;
  servicePrincipalId?: string | null;
  servicePrincipalName?: string | null;
  managedServiceIdentity?: { msiType?: string; associatedResourceId?: string | null } | null;
  authenticationProtocol?: string;
  originalTransferMethod?: string;
  incomingTokenType?: string;
  clientCredentialType?: string;
  sessionId?: string | null;
  uniqueTokenIdentifier?: string | null;
  userType?: string;
};
export type GraphDirectoryAudit = DirectoryAudit;
export type GraphRiskDetection = RiskDetection;
export type GraphRiskyUser = RiskyUser;
export type GraphAlert = SecurityNamespace.Alert;
/** A message of the reporting mailbox; `attachments` is served by the attachments endpoint, never in listings. */
export type GraphMessage = Message;

/** Small deterministic PRNG so generated data (and a failing test) reproduces. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** A GUID from the seeded stream, with the version nibble of a v4 so it reads like Entra's. */
export function guid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${(8 + Math.floor(r() * 4)).toString(16)}${hex(r, 3)}-${hex(r, 12)}`;
}

/** Graph's timestamp format: UTC, whole seconds (sign-ins) or with a fraction (alerts, messages). */
export function graphTime(ms: number, fraction = false): string {
  const s = new Date(ms).toISOString();
  return fraction ? s.replace(/\.(\d{3})Z$/, '.$10000Z') : s.replace(/\.\d{3}Z$/, 'Z');
}

export interface TenantUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  ip: string;
  city: string;
  state: string;
  countryOrRegion: string;
  latitude: number;
  longitude: number;
  userAgent: string;
  os: string;
  browser: string;
}

const FIRST = ['Adele', 'Alex', 'Diego', 'Grady', 'Henrietta', 'Isaiah', 'Johanna', 'Joni', 'Lee', 'Lidia', 'Lynne', 'Megan', 'Miriam', 'Nestor', 'Patti', 'Pradeep'];
const LAST = ['Vance', 'Wilber', 'Siciliani', 'Archie', 'Mueller', 'Langer', 'Lauer', 'Sherman', 'Gu', 'Holloway', 'Robbins', 'Bowen', 'Graham', 'Wilke', 'Fernandez', 'Gupta'];
const PLACES: Array<[string, string, string, number, number]> = [
  ['Redmond', 'Washington', 'US', 47.674, -122.1215],
  ['London', 'England', 'GB', 51.5074, -0.1278],
  ['Paris', 'Paris', 'FR', 48.8566, 2.3522],
  ['Berlin', 'Berlin', 'DE', 52.52, 13.405],
  ['Toronto', 'Ontario', 'CA', 43.6532, -79.3832],
];
const AGENTS: Array<[string, string, string]> = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0', 'Windows10', 'Edge 124.0.0'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15', 'MacOs', 'Safari 17.4.1'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'Windows10', 'Chrome 124.0.0'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Outlook-iOS/2.0', 'Ios 17.4', 'Mobile Safari'],
];
/** A first-party app as Entra logs it: app id, app name, resource id, resource name. */
export type SignInApp = readonly [appId: string, appName: string, resourceId: string, resourceName: string];

/** Well-known first-party app ids, as Entra logs them. */
export const FIRST_PARTY_APPS: readonly SignInApp[] = [
  ['00000002-0000-0ff1-ce00-000000000000', 'Office 365 Exchange Online', '00000002-0000-0ff1-ce00-000000000000', 'Office 365 Exchange Online'],
  ['4765445b-32c6-49b0-83e6-1d93765276ca', 'OfficeHome', '00000003-0000-0000-c000-000000000000', 'Microsoft Graph'],
  ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', 'Microsoft Teams', 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe', 'Microsoft Teams Services'],
  ['c44b4083-3bb0-49c1-b47d-974e53cbdf3c', 'Azure Portal', '797f4846-ba00-4fd7-ba43-dac1f8f63013', 'Windows Azure Service Management API'],
  ['00000003-0000-0ff1-ce00-000000000000', 'Office 365 SharePoint Online', '00000003-0000-0ff1-ce00-000000000000', 'Office 365 SharePoint Online'],
];
/** Entra sign-in error codes with the failureReason Entra writes for them. */
export const SIGN_IN_FAILURES: Array<[number, string]> = [
  [50126, 'Error validating credentials due to invalid username or password.'],
  [50053, 'Account is locked because user tried to sign in too many times with an incorrect user ID or password.'],
  [50074, 'Strong Authentication is required.'],
  [53003, 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.'],
  [50055, 'The password is expired.'],
  [500121, 'Authentication failed during strong authentication request.'],
];

/** `n` users of a tenant on `domain`, each with a usual place, network and browser. */
export function generateUsers(opts: { count?: number; domain?: string; seed?: number } = {}): TenantUser[] {
  const r = seededRandom(opts.seed ?? 1);
  const domain = opts.domain ?? 'contoso.com';
  return Array.from({ length: opts.count ?? 20 }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const [city, state, country, lat, lon] = pick(r, PLACES);
    const [ua, os, browser] = pick(r, AGENTS);
    return {
      id: guid(r),
      displayName: `${first} ${last}`,
      userPrincipalName: `${first.toLowerCase()}.${last.toLowerCase()}${i >= FIRST.length * LAST.length ? i : ''}@${domain}`,
      ip: `198.51.100.${(i % 250) + 1}`,
      city,
      state,
      countryOrRegion: country,
      latitude: lat,
      longitude: lon,
      userAgent: ua,
      os,
      browser,
    };
  });
}

/**
 * `count` sign-ins spread over `spanMs` from `start`, oldest first, each in its own second so no
 * two serialize identically. About `failureRate` of them fail with a realistic Entra error code.
 */
export function generateSignIns(opts: { count: number; start: number; spanMs?: number; seed?: number; users?: TenantUser[]; failureRate?: number }): GraphSignIn[] {
  const r = seededRandom(opts.seed ?? 1);
  const users = opts.users ?? generateUsers({ seed: (opts.seed ?? 1) + 1000 });
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  const failureRate = opts.failureRate ?? 0.15;
  return Array.from({ length: opts.count }, (_, i): GraphSignIn => {
    const u = pick(r, users);
    const app = pick(r, FIRST_PARTY_APPS);
    const failed = r() < failureRate;
    return signInRecord(r, { user: u, createdMs: opts.start + i * step, app, ...(failed ? { failure: pick(r, SIGN_IN_FAILURES) } : {}) });
  });
}

/** One sign-in: who, from where and with which browser (the user's `ip`, place and agent), to which app, and whether it failed. */
export interface SignInSpec {
  user: TenantUser;
  createdMs: number;
  app: SignInApp;
  /** Entra error code and the failureReason Entra writes for it; none for a success. */
  failure?: readonly [number, string];
  /** Entra's client category; by default a browser, or now and then a mail client for Exchange. */
  clientAppUsed?: string;
}

/** A sign-in record shaped like Graph's, its ids drawn from `r`. */
export function signInRecord(r: () => number, s: SignInSpec): GraphSignIn {
  const u = s.user;
  const [appId, appName, resourceId, resourceName] = s.app;
  const failed = s.failure !== undefined;
  const [errorCode, failureReason] = s.failure ?? [0, 'Other.'];
  return {
    id: guid(r),
    createdDateTime: graphTime(s.createdMs),
    userDisplayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    userId: u.id,
    appId,
    appDisplayName: appName,
    ipAddress: u.ip,
    clientAppUsed: s.clientAppUsed ?? (appName === 'Office 365 Exchange Online' && r() < 0.3 ? 'Mobile Apps and Desktop clients' : 'Browser'),
    correlationId: guid(r),
    conditionalAccessStatus: errorCode === 53003 ? 'failure' : failed ? 'notApplied' : pick(r, ['success', 'notApplied'] as const),
    isInteractive: true,
    riskDetail: 'none',
    riskLevelAggregated: 'none',
    riskLevelDuringSignIn: 'none',
    riskState: 'none',
    riskEventTypes: [],
    riskEventTypes_v2: [],
    resourceDisplayName: resourceName,
    resourceId,
    status: { errorCode, failureReason, additionalDetails: failed ? 'The user didn\'t enter the right credentials.' : null },
    deviceDetail: { deviceId: '', displayName: '', operatingSystem: u.os, browser: u.browser, isCompliant: false, isManaged: false, trustType: '' },
    location: {
      city: u.city,
      state: u.state,
      countryOrRegion: u.countryOrRegion,
      geoCoordinates: { altitude: null, latitude: u.latitude, longitude: u.longitude },
    },
    appliedConditionalAccessPolicies: [],
    // Not in the v1.0 schema, but the beta records of many tenants carry it.
    ...({ userAgent: u.userAgent } as Record<string, unknown>),
  };
}

const ALERT_KINDS: Array<{ title: string; category: string; serviceSource: GraphAlert['serviceSource']; detectionSource: GraphAlert['detectionSource']; productName: string; severity: GraphAlert['severity']; mitre: string[] }> = [
  { title: 'Email messages containing malicious URL removed after delivery', category: 'InitialAccess', serviceSource: 'microsoftDefenderForOffice365', detectionSource: 'microsoftDefenderForOffice365', productName: 'Microsoft Defender for Office 365', severity: 'informational', mitre: ['T1566.002'] },
  { title: 'Suspicious inbox manipulation rule', category: 'DefenseEvasion', serviceSource: 'microsoftDefenderForCloudApps', detectionSource: 'cloudAppSecurity', productName: 'Microsoft Defender for Cloud Apps', severity: 'medium', mitre: ['T1564.008'] },
  { title: 'Unfamiliar sign-in properties', category: 'InitialAccess', serviceSource: 'azureAdIdentityProtection', detectionSource: 'azureAdIdentityProtection', productName: 'Azure Active Directory Identity Protection', severity: 'medium', mitre: ['T1078.004'] },
  { title: 'Password spray attack', category: 'CredentialAccess', serviceSource: 'microsoftDefenderForIdentity', detectionSource: 'microsoftDefenderForIdentity', productName: 'Microsoft Defender for Identity', severity: 'high', mitre: ['T1110.003'] },
];

/** `count` alerts_v2 records, oldest first, each naming a user and an address as evidence. */
export function generateAlerts(opts: { count: number; start: number; spanMs?: number; seed?: number; users?: TenantUser[]; tenantId?: string }): GraphAlert[] {
  const r = seededRandom(opts.seed ?? 1);
  const users = opts.users ?? generateUsers({ seed: (opts.seed ?? 1) + 1000 });
  const tenantId = opts.tenantId ?? guid(seededRandom(7));
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  return Array.from({ length: opts.count }, (_, i): GraphAlert => {
    const k = pick(r, ALERT_KINDS);
    const u = pick(r, users);
    const created = opts.start + i * step;
    const id = `da${(637_500_000_000_000_000 + Math.floor(r() * 1e14)).toString()}_${Math.floor(r() * 1e9)}`;
    const incidentId = String(10_000 + Math.floor(r() * 90_000));
    const attacker = `203.0.113.${1 + Math.floor(r() * 250)}`;
    return {
      id,
      providerAlertId: id.slice(2),
      incidentId,
      status: 'new',
      severity: k.severity,
      classification: null,
      determination: null,
      serviceSource: k.serviceSource,
      detectionSource: k.detectionSource,
      productName: k.productName,
      detectorId: guid(r),
      tenantId,
      title: k.title,
      description: `${k.title} was detected for ${u.userPrincipalName}.`,
      recommendedActions: 'Review the activity, reset the account password if it was compromised, and revoke its sessions.',
      category: k.category,
      assignedTo: null,
      alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=${tenantId}`,
      incidentWebUrl: `https://security.microsoft.com/incidents/${incidentId}?tid=${tenantId}`,
      actorDisplayName: null,
      threatDisplayName: null,
      threatFamilyName: null,
      mitreTechniques: k.mitre,
      createdDateTime: graphTime(created, true),
      lastUpdateDateTime: graphTime(created + 60_000, true),
      resolvedDateTime: null,
      firstActivityDateTime: graphTime(created - 300_000, true),
      lastActivityDateTime: graphTime(created - 60_000, true),
      comments: [],
      evidence: [
        {
          '@odata.type': '#microsoft.graph.security.userEvidence',
          createdDateTime: graphTime(created, true),
          verdict: 'suspicious',
          remediationStatus: 'none',
          remediationStatusDetails: null,
          roles: [],
          detailedRoles: [],
          tags: [],
          userAccount: {
            accountName: u.userPrincipalName.split('@')[0]!,
            domainName: u.userPrincipalName.split('@')[1]!,
            userSid: `S-1-5-21-${Math.floor(r() * 1e9)}-${Math.floor(r() * 1e9)}-${1000 + i}`,
            azureAdUserId: u.id,
            userPrincipalName: u.userPrincipalName,
            displayName: u.displayName,
          },
        } as SecurityNamespace.UserEvidence,
        {
          '@odata.type': '#microsoft.graph.security.ipEvidence',
          createdDateTime: graphTime(created, true),
          verdict: 'suspicious',
          remediationStatus: 'none',
          remediationStatusDetails: null,
          roles: [],
          detailedRoles: [],
          tags: [],
          ipAddress: attacker,
          countryLetterCode: 'NG',
        } as SecurityNamespace.IpEvidence,
      ],
      systemTags: [],
    };
  });
}

const LURES = [
  'Action required: your mailbox storage is full',
  'Invoice INV-20931 overdue',
  'Document shared with you: Q3 salary review.xlsx',
  'Your Microsoft 365 password expires today',
  'DocuSign: please review and sign',
  'Voicemail received (0:42)',
];
/** Senders of phishing: a few campaigns, so several people report the same one. */
export const PHISH_SENDERS = ['billing@invoices-contoso.example', 'no-reply@m365-security.example', 'docusign@secure-sign.example', 'it-helpdesk@contoso-support.example'];

/** How a report reaches the reporting mailbox: the original attached (Outlook's report button), that plus the documented submission subject, or a plain forward. */
export type ReportKind = 'attached' | 'submission' | 'forward';

function addr(address: string, name?: string) {
  return { emailAddress: { name: name ?? address, address } };
}

const internetId = (r: () => number, host: string) => `<${hex(r, 32).toUpperCase()}@${host}>`;
const exchangeId = (r: () => number) => `AAMkAGI2TG93AAA${Buffer.from(hex(r, 48), 'hex').toString('base64').replace(/\//g, '_').replace(/\+/g, '-')}`;

/**
 * `count` reports received by `mailbox` over `spanMs` from `start`, oldest first: reporters are
 * users of the tenant, senders come from a few campaigns (`senders`), kinds rotate through `kinds`.
 */
export function generateReportedMessages(opts: {
  count: number;
  start: number;
  mailbox: string;
  spanMs?: number;
  seed?: number;
  users?: TenantUser[];
  senders?: string[];
  kinds?: ReportKind[];
}): GraphMessage[] {
  const r = seededRandom(opts.seed ?? 1);
  const users = opts.users ?? generateUsers({ seed: (opts.seed ?? 1) + 1000 });
  const senders = opts.senders ?? PHISH_SENDERS;
  const kinds = opts.kinds ?? ['attached', 'submission', 'forward'];
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  const folderId = `AQMkAGI2TAAuAAAD${hex(r, 20)}AQ`;
  return Array.from({ length: opts.count }, (_, i): GraphMessage => {
    const reporter = pick(r, users);
    const sender = pick(r, senders);
    const lure = pick(r, LURES);
    const received = opts.start + i * step;
    const originalReceived = received - Math.floor(r() * 3_600_000) - 60_000;
    const senderIp = `192.0.2.${1 + Math.floor(r() * 250)}`;
    return reportedMessage(r, {
      mailbox: opts.mailbox,
      folderId,
      reporter: { address: reporter.userPrincipalName, name: reporter.displayName },
      sender: { address: sender, name: 'Microsoft 365' },
      lure,
      kind: kinds[i % kinds.length]!,
      received,
      originalReceived,
      senderIp,
      ...(lure.startsWith('Invoice') ? { payload: { name: 'INV-20931.html', contentType: 'text/html', size: 4211 } } : {}),
    });
  });
}

/** One report reaching the reporting mailbox: who reported what, from whom, and how. */
export interface ReportSpec {
  /** The reporting mailbox the report is addressed to. */
  mailbox: string;
  /** Id of the folder the report lands in. */
  folderId: string;
  reporter: { address: string; name: string };
  /** The reported message's sender, as its From header gives it. */
  sender: { address: string; name: string };
  /** Subject of the reported message. */
  lure: string;
  kind: ReportKind;
  /** When the report reached the mailbox. */
  received: number;
  /** When the reported message reached the reporter. */
  originalReceived: number;
  /** Address of the server that delivered the reported message. */
  senderIp: string;
  /** Where the lure's link points; default a sign-in page look-alike. */
  phishUrl?: string;
  /** A file attached to the reported message. */
  payload?: { name: string; contentType: string; size: number };
}

/** A report message shaped like Exchange's, its ids drawn from `r`. */
export function reportedMessage(r: () => number, s: ReportSpec): GraphMessage {
  const { sender, reporter, lure, kind, received, originalReceived, senderIp } = s;
  const networkMessageId = guid(r);
  const original: GraphMessage = {
    '@odata.type': '#microsoft.graph.message',
    id: '',
    createdDateTime: graphTime(originalReceived),
    lastModifiedDateTime: graphTime(originalReceived),
    receivedDateTime: graphTime(originalReceived),
    sentDateTime: graphTime(originalReceived - 4_000),
    hasAttachments: s.payload !== undefined,
    internetMessageId: internetId(r, sender.address.split('@')[1]!),
    subject: lure,
    importance: 'high',
    isRead: true,
    isDraft: false,
    body: { contentType: 'html', content: `<html><body><p>${lure}</p><a href="${s.phishUrl ?? 'https://login-m365.example'}/${hex(r, 8)}">Sign in</a></body></html>` },
    sender: addr(sender.address, sender.name),
    from: addr(sender.address, sender.name),
    toRecipients: [addr(reporter.address, reporter.name)],
    ccRecipients: [],
    replyTo: [],
    ...(s.payload ? { attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', id: exchangeId(r), name: s.payload.name, contentType: s.payload.contentType, size: s.payload.size, isInline: false }] } : {}),
  } as GraphMessage;
  const subject = kind === 'submission' ? `3|${networkMessageId}|${senderIp}|${sender.address}|(${lure})` : kind === 'forward' ? `FW: ${lure}` : `Phishing: ${lure}`;
  const attach = kind !== 'forward';
  const etag = `W/"CQAAABYAAAA${hex(r, 24)}"`;
  return {
    '@odata.type': '#microsoft.graph.message',
    '@odata.etag': etag,
    id: exchangeId(r),
    createdDateTime: graphTime(received),
    lastModifiedDateTime: graphTime(received),
    changeKey: etag.slice(3, -1),
    categories: [],
    receivedDateTime: graphTime(received),
    sentDateTime: graphTime(received - 2_000),
    hasAttachments: attach,
    internetMessageId: internetId(r, 'PH0PR11MB4965.namprd11.prod.outlook.com'),
    subject,
    bodyPreview: kind === 'forward' ? `From: ${sender.name} <${sender.address}> Sent: ... Subject: ${lure}` : 'This message was reported by a user.',
    importance: 'normal',
    parentFolderId: s.folderId,
    conversationId: `AAQkAGI2TG93AAAQA${hex(r, 16)}=`,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: false,
    isDraft: false,
    webLink: `https://outlook.office365.com/owa/?ItemID=${hex(r, 16)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: 'focused',
    body: { contentType: 'html', content: '<html><body>This message was reported by a user.</body></html>' },
    sender: addr(reporter.address, reporter.name),
    from: addr(reporter.address, reporter.name),
    toRecipients: [addr(s.mailbox, 'Phishing reports')],
    ccRecipients: [],
    bccRecipients: [],
    replyTo: [],
    flag: { flagStatus: 'notFlagged' },
    ...(attach
      ? {
          attachments: [
            {
              '@odata.type': '#microsoft.graph.itemAttachment',
              id: exchangeId(r),
              lastModifiedDateTime: graphTime(received),
              name: lure,
              contentType: null,
              size: 18_000 + Math.floor(r() * 20_000),
              isInline: false,
              item: original,
            },
          ],
        }
      : {}),
  } as GraphMessage;
}

// ---- Entra audit and Identity Protection ----

/** Directory audit activities an ordinary tenant writes all day, as (category, activity, target type). */
const AUDIT_ACTIVITIES = [
  ['UserManagement', 'Update user', 'User'],
  ['GroupManagement', 'Add member to group', 'Group'],
  ['UserManagement', 'Reset user password', 'User'],
  ['ApplicationManagement', 'Update application', 'Application'],
  ['Device', 'Update device', 'Device'],
] as const;

/** Directory audits spread over [start, start + spanMs), newest last, from seeded admins and users. */
export function generateDirectoryAudits(opts: { count: number; start: number; spanMs?: number; seed?: number; users?: TenantUser[] }): GraphDirectoryAudit[] {
  const r = seededRandom(opts.seed ?? 1);
  const users = opts.users ?? generateUsers({ seed: (opts.seed ?? 1) + 1000 });
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  return Array.from({ length: opts.count }, (_, i): GraphDirectoryAudit => {
    const [category, activity, type] = pick(r, AUDIT_ACTIVITIES);
    const admin = pick(r, users);
    const target = pick(r, users);
    const correlationId = guid(r);
    return {
      id: `Directory_${correlationId}_${hex(r, 5).toUpperCase()}_${Math.floor(r() * 1e8)}`,
      category,
      correlationId,
      result: 'success',
      resultReason: '',
      activityDisplayName: activity,
      activityDateTime: graphTime(opts.start + i * step, true),
      loggedByService: 'Core Directory',
      operationType: 'Update',
      initiatedBy: { user: { id: admin.id, displayName: null, userPrincipalName: admin.userPrincipalName, ipAddress: admin.ip } },
      targetResources: [
        {
          id: type === 'User' ? target.id : guid(r),
          displayName: type === 'User' ? null : `${type} ${hex(r, 4)}`,
          type,
          userPrincipalName: type === 'User' ? target.userPrincipalName : null,
          modifiedProperties: [{ displayName: 'Included Updated Properties', oldValue: null, newValue: '""' }],
        },
      ],
      additionalDetails: [],
    } as GraphDirectoryAudit;
  });
}

const RISK_EVENT_TYPES = ['unfamiliarFeatures', 'anonymizedIPAddress', 'unlikelyTravel', 'maliciousIPAddress', 'passwordSpray'] as const;

/** Real-time sign-in risk detections over [start, start + spanMs), with the user's place. */
export function generateRiskDetections(opts: { count: number; start: number; spanMs?: number; seed?: number; users?: TenantUser[] }): GraphRiskDetection[] {
  const r = seededRandom(opts.seed ?? 1);
  const users = opts.users ?? generateUsers({ seed: (opts.seed ?? 1) + 1000 });
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  return Array.from({ length: opts.count }, (_, i): GraphRiskDetection => {
    const u = pick(r, users);
    const at = graphTime(opts.start + i * step, true);
    return {
      id: `${hex(r, 32)}${hex(r, 32)}`,
      requestId: guid(r),
      correlationId: guid(r),
      riskEventType: pick(r, RISK_EVENT_TYPES),
      riskState: 'atRisk',
      riskLevel: pick(r, ['low', 'medium', 'high'] as const),
      riskDetail: 'none',
      source: 'IdentityProtection',
      detectionTimingType: 'realtime',
      activity: 'signin',
      tokenIssuerType: 'AzureAD',
      ipAddress: u.ip,
      activityDateTime: at,
      detectedDateTime: at,
      lastUpdatedDateTime: at,
      userId: u.id,
      userDisplayName: u.displayName,
      userPrincipalName: u.userPrincipalName,
      additionalInfo: '[]',
      location: { city: u.city, state: u.state, countryOrRegion: u.countryOrRegion, geoCoordinates: { latitude: u.latitude, longitude: u.longitude } },
    } as GraphRiskDetection;
  });
}

/** Risky-user versions over [start, start + spanMs): each a user whose risk changed then. */
export function generateRiskyUsers(opts: { count: number; start: number; spanMs?: number; seed?: number; users?: TenantUser[] }): GraphRiskyUser[] {
  const r = seededRandom(opts.seed ?? 1);
  const users = opts.users ?? generateUsers({ seed: (opts.seed ?? 1) + 1000 });
  const span = Math.max(opts.spanMs ?? 3_600_000, opts.count * 1000);
  const step = Math.floor(span / opts.count / 1000) * 1000 || 1000;
  return Array.from({ length: opts.count }, (_, i): GraphRiskyUser => {
    const u = users[i % users.length]!;
    return {
      id: u.id,
      isDeleted: false,
      isProcessing: false,
      riskLastUpdatedDateTime: graphTime(opts.start + i * step, true),
      riskLevel: pick(r, ['low', 'medium', 'high'] as const),
      riskState: 'atRisk',
      riskDetail: 'none',
      userDisplayName: u.displayName,
      userPrincipalName: u.userPrincipalName,
    } as GraphRiskyUser;
  });
}

/** A sign-in of another kind: the same user signing in non-interactively, or a workload signing in as itself. */
export function asSignInKind(s: GraphSignIn, kind: 'nonInteractiveUser' | 'servicePrincipal' | 'managedIdentity', sp?: { id: string; name: string }): GraphSignIn {
  if (kind === 'nonInteractiveUser') return { ...s, isInteractive: false, signInEventTypes: [kind], incomingTokenType: 'refreshToken' };
  const id = sp?.id ?? s.appId ?? '';
  const name = sp?.name ?? s.appDisplayName ?? '';
  return {
    ...s,
    userPrincipalName: '',
    userId: '',
    userDisplayName: '',
    isInteractive: false,
    signInEventTypes: [kind],
    servicePrincipalId: id,
    servicePrincipalName: name,
    ...(kind === 'managedIdentity' ? { managedServiceIdentity: { msiType: 'systemAssigned', associatedResourceId: null } } : { clientCredentialType: 'clientSecret' }),
  };
}
