/** Renders the organisation's Microsoft 365 records: Entra sign-ins that mirror each person's Google logins, Identity Protection's risk detections, and a phishing campaign's reports to the reporting mailbox. */
import { Rng } from '../../detection/random.js';
import {
  FIRST_PARTY_APPS, graphTime, guid, reportedMessage, signInRecord,
  type GraphMessage, type GraphRiskDetection, type GraphSignIn, type ReportKind, type SignInApp, type TenantUser,
} from '../microsoft-graph/records.js';
import { localParts } from './clock.js';
import { browserOf } from './org.js';
import type { IpInfo, ScenarioUser } from './types.js';

const MINUTE = 60_000;

/** Local part of the mailbox Defender's user reported settings deliver reports to. */
export const REPORT_MAILBOX = 'phish-reports';

/** The tenant id follows from the domain, so a seed alone still reproduces the scenario. */
export function tenantIdFor(domain: string): string {
  const rng = new Rng(`entra-tenant:${domain}`);
  return guid(() => rng.next());
}

const app = (name: string): SignInApp => FIRST_PARTY_APPS.find((a) => a[1] === name)!;
const OFFICE_HOME = app('OfficeHome');
const EXCHANGE = app('Office 365 Exchange Online');
const TEAMS = app('Microsoft Teams');
const SHAREPOINT = app('Office 365 SharePoint Online');
/** What people open in the browser, and how often it is the first thing of the day. */
const BROWSER_APPS: ReadonlyArray<readonly [SignInApp, number]> = [[OFFICE_HOME, 0.4], [EXCHANGE, 0.3], [TEAMS, 0.2], [SHAREPOINT, 0.1]];
const INVALID_PASSWORD: readonly [number, string] = [50126, 'Error validating credentials due to invalid username or password.'];


/** Entra's `deviceDetail` names for a user agent: `Windows10`, `MacOs`, `Ios 18.1`; `Chrome 131.0.0`, `Mobile Safari`. */
export function entraDevice(ua: string): { os: string; browser: string } {
  const v3 = (v: string) => v.split('.').slice(0, 3).join('.');
  const ios = /iPhone OS (\d+)_(\d+)/.exec(ua);
  const android = /Android (\d+)/.exec(ua);
  const os = ios ? `Ios ${ios[1]}.${ios[2]}` : android ? `Android ${android[1]}` : /Windows NT 10/.test(ua) ? 'Windows10' : /Mac OS X/.test(ua) ? 'MacOs' : /Linux/.test(ua) ? 'Linux' : 'Unknown';
  let m: RegExpExecArray | null;
  let browser = 'Unknown';
  if ((m = /Edg\/([\d.]+)/.exec(ua))) browser = `Edge ${v3(m[1]!)}`;
  else if ((m = /Firefox\/([\d.]+)/.exec(ua))) browser = `Firefox ${v3(m[1]!)}`;
  else if (android && (m = /Chrome\/([\d.]+)/.exec(ua))) browser = `Chrome Mobile ${v3(m[1]!)}`;
  else if ((m = /Chrome\/([\d.]+)/.exec(ua))) browser = `Chrome ${v3(m[1]!)}`;
  else if (ios) browser = 'Mobile Safari';
  else if ((m = /Version\/([\d.]+).*Safari/.exec(ua))) browser = `Safari ${v3(m[1]!)}`;
  return { os, browser };
}

export function tenantUser(u: ScenarioUser, ip: string, geo: IpInfo, ua: string): TenantUser {
  return {
    id: u.entraObjectId,
    displayName: u.name,
    userPrincipalName: u.email,
    ip,
    city: geo.city,
    state: geo.region,
    countryOrRegion: geo.country,
    latitude: geo.lat,
    longitude: geo.lon,
    userAgent: ua,
    ...entraDevice(ua),
  };
}

/** A Google login of the normal organisation: what a Microsoft sign-in mirrors. */
export interface GoogleLogin {
  t: number;
  user: ScenarioUser;
  ip: string;
  outcome: 'success' | 'failure';
  /** Only on the day's first successful login, when the browser opens for work: when that working day ends. */
  dayEnd?: number;
}

/**
 * Entra sign-ins for the same people doing what they do on Google: from the same address and
 * their own browser, seconds to minutes after each Google login, and again through the working day
 * as app sessions lapse, so a login detector fed both services sees the same places, networks and
 * hours it sees from one. Logins from before the window count too: their sign-ins may fall inside
 * it, as they would in a log cut at any instant; only sign-ins in `[start, end)` are kept.
 *
 * Phones are left out on purpose: they keep their session with refresh tokens, which Entra logs as
 * non-interactive sign-ins, and `auditLogs/signIns` lists interactive ones.
 */
export function mirrorSignIns(rng: Rng, logins: readonly GoogleLogin[], geo: (ip: string) => IpInfo, window: { start: number; end: number }): GraphSignIn[] {
  const r = () => rng.next();
  const out: Array<{ t: number; s: GraphSignIn }> = [];
  const add = (t: number, l: GoogleLogin, ua: string, app: SignInApp, failure?: readonly [number, string]) => {
    // Drawn even when it falls outside the window, so where the window lies reshuffles nothing inside it.
    const s = signInRecord(r, { user: tenantUser(l.user, l.ip, geo(l.ip), ua), createdMs: t, app, ...(failure ? { failure } : {}) });
    if (t >= window.start && t < window.end) out.push({ t, s });
  };
  for (const l of logins) {
    const browser = browserOf(l.user);
    if (l.outcome === 'failure') {
      // One password for both, so the typo is repeated on Microsoft 365 a moment later.
      add(l.t + rng.uniform(5_000, 60_000), l, browser, OFFICE_HOME, INVALID_PASSWORD);
      continue;
    }
    add(l.t + rng.uniform(20_000, 15 * MINUTE), l, browser, rng.weighted(BROWSER_APPS));
    // Teams, SharePoint and Outlook ask again through the day as their sessions lapse.
    if (l.dayEnd !== undefined) for (let k = rng.poisson(1.5); k > 0; k--) add(rng.uniform(l.t, l.dayEnd), l, browser, rng.weighted(BROWSER_APPS));
  }
  return out.sort((a, b) => a.t - b.t).map((x) => x.s);
}

/** Lures that ask for a password, with who they pretend to be. */
const CAMPAIGNS: ReadonlyArray<{ local: string; name: string; lure: string; path: string; payload?: { name: string; contentType: string; size: number } }> = [
  { local: 'it-helpdesk', name: 'IT Helpdesk', lure: 'Action required: your password expires today', path: 'password/reset' },
  { local: 'payroll', name: 'Payroll Team', lure: 'Your payslip is ready to view', path: 'payslip', payload: { name: 'Payslip.html', contentType: 'text/html', size: 5_118 } },
  { local: 'no-reply', name: 'Microsoft 365', lure: 'You have 4 messages held in quarantine', path: 'quarantine/release' },
  { local: 'sharepoint', name: 'SharePoint Online', lure: 'Salary review 2025.xlsx was shared with you', path: 'sites/hr/salary-review' },
];

/**
 * Domains one glance away from the organisation's: a digit for a letter, "rn" for "m", a plausible
 * suffix. Under the reserved `.example` top-level domain (RFC 2606), as the fake's other phishing
 * senders are, so generated data never accuses a real domain.
 */
export function lookAlikeDomains(domain: string): string[] {
  const label = domain.split('.')[0]!;
  const swaps: Array<[string, string]> = [['l', '1'], ['m', 'rn'], ['o', '0'], ['i', '1']];
  const homoglyphs = swaps.filter(([from]) => label.includes(from)).map(([from, to]) => label.replace(from, to));
  return [...new Set([...homoglyphs, `${label}-sso`, `${label}-portal`])].map((l) => `${l}.example`);
}

export interface PhishingCampaign {
  sender: { address: string; name: string };
  lure: string;
  recipients: ScenarioUser[];
  /** Reports that reached the mailbox before `end`, oldest first. */
  reports: Array<{ t: number; reporter: ScenarioUser; kind: ReportKind; message: GraphMessage }>;
}

/**
 * One external sender mails a few dozen people at `t0`; four to eight of them report it within
 * about an hour and a half, most with the Report button (the original attached, or Defender's
 * submission subject), one by forwarding it, which names only the forwarder.
 */
export function phishingCampaign(rng: Rng, args: { users: ScenarioUser[]; domain: string; mailbox: string; t0: number; senderIp: string; end: number }): PhishingCampaign {
  const c = rng.pick(CAMPAIGNS);
  const sender = { address: `${c.local}@${rng.pick(lookAlikeDomains(args.domain))}`, name: c.name };
  // Mail read at work: those in their working day are the ones who see it first and report it.
  const working = args.users.filter((u) => {
    const p = localParts(u.tz, args.t0);
    return p.weekday >= 1 && p.weekday <= 5 && p.hour >= 8 && p.hour < 18;
  });
  const pool = working.length >= 8 ? working : args.users;
  const recipients = rng.sample(pool, rng.intBetween(20, 40));
  const reporters = recipients.slice(0, Math.min(recipients.length, rng.intBetween(4, 8)));
  const r = () => rng.next();
  const folderId = `AQMkAGI2TAAuAAAD${guid(r).replace(/-/g, '').slice(0, 20)}AQ`;
  const phishUrl = `https://login.${sender.address.split('@')[1]!}/${c.path}`;
  const timed = reporters
    .map((reporter) => {
      const delivered = args.t0 + rng.uniform(30_000, 3 * MINUTE);
      return { reporter, delivered, t: delivered + rng.uniform(4 * MINUTE, 95 * MINUTE) };
    })
    .sort((a, b) => a.t - b.t);
  const reports: PhishingCampaign['reports'] = [];
  timed.forEach(({ reporter, delivered, t }, k) => {
    const kind: ReportKind = k === 4 ? 'forward' : k % 3 === 2 ? 'submission' : 'attached';
    const message = reportedMessage(r, {
      mailbox: args.mailbox,
      folderId,
      reporter: { address: reporter.email, name: reporter.name },
      sender,
      lure: c.lure,
      kind,
      received: t,
      originalReceived: delivered,
      senderIp: args.senderIp,
      phishUrl,
      ...(c.payload ? { payload: c.payload } : {}),
    });
    if (t < args.end) reports.push({ t, reporter, kind, message });
  });
  return { sender, lure: c.lure, recipients, reports };
}

/** A risk detection as Identity Protection records it for a sign-in (or, offline, for the session after it). */
function riskDetection(r: () => number, a: { user: ScenarioUser; ip: string; geo: IpInfo; t: number; type: string; level: 'low' | 'medium' | 'high'; state: 'atRisk' | 'remediated'; timing: 'realtime' | 'offline'; signIn?: GraphSignIn; detail?: string }): GraphRiskDetection {
  // The browser the sign-in used, as Identity Protection records it.
  const ua = browserOf(a.user);
  const detected = graphTime(a.t, true);
  return {
    id: `${guid(r).replace(/-/g, '')}${guid(r).replace(/-/g, '')}`,
    requestId: a.signIn?.id ?? guid(r),
    correlationId: a.signIn?.correlationId ?? guid(r),
    riskEventType: a.type,
    riskState: a.state,
    riskLevel: a.level,
    riskDetail: a.detail ?? 'none',
    source: 'IdentityProtection',
    detectionTimingType: a.timing,
    activity: 'signin',
    tokenIssuerType: 'AzureAD',
    ipAddress: a.ip,
    activityDateTime: a.signIn?.createdDateTime ?? detected,
    detectedDateTime: detected,
    lastUpdatedDateTime: detected,
    userId: a.user.entraObjectId,
    userDisplayName: a.user.name,
    userPrincipalName: a.user.email,
    additionalInfo: JSON.stringify([{ Key: 'userAgent', Value: ua }]),
    location: { city: a.geo.city, state: a.geo.region, countryOrRegion: a.geo.country, geoCoordinates: { latitude: a.geo.lat, longitude: a.geo.lon } },
  } as GraphRiskDetection;
}

/**
 * What Identity Protection says about ordinary days: now and then a low-risk "unfamiliar sign-in
 * properties" that stays at risk, or a medium one the user cleared with MFA (remediated). Neither is
 * a compromise, and a rule that alerts on them is noise. One per login that opens a working day, at
 * most, on its own stream.
 */
export function riskNoise(rng: Rng, logins: readonly GoogleLogin[], geo: (ip: string) => IpInfo, window: { start: number; end: number }): GraphRiskDetection[] {
  const r = () => rng.next();
  const out: Array<{ t: number; d: GraphRiskDetection }> = [];
  for (const l of logins) {
    if (l.dayEnd === undefined || l.outcome !== 'success') continue;
    const roll = rng.next();
    const t = Math.floor(l.t + rng.uniform(30_000, 10 * MINUTE));
    let d: GraphRiskDetection | undefined;
    if (roll < 0.002) d = riskDetection(r, { user: l.user, ip: l.ip, geo: geo(l.ip), t, type: 'unfamiliarFeatures', level: 'low', state: 'atRisk', timing: 'realtime' });
    else if (roll < 0.003) d = riskDetection(r, { user: l.user, ip: l.ip, geo: geo(l.ip), t, type: 'unfamiliarFeatures', level: 'medium', state: 'remediated', timing: 'realtime', detail: 'userPassedMFADrivenByRiskBasedPolicy' });
    if (d && t >= window.start && t < window.end) out.push({ t, d });
  }
  return out.sort((a, b) => a.t - b.t).map((x) => x.d);
}

/**
 * A sign-in with stolen credentials through an anonymising network: the successful interactive
 * sign-in Entra rates high, its two real-time detections (anonymous IP, unfamiliar properties) and
 * an offline anomalous-token detection hours later, all high and at risk on the one user.
 */
export function riskySignIn(rng: Rng, a: { user: ScenarioUser; ip: string; geo: IpInfo; t0: number }): { signIn: GraphSignIn; detections: GraphRiskDetection[]; times: number[] } {
  const r = () => rng.next();
  const ua = browserOf(a.user);
  const base = signInRecord(r, { user: tenantUser(a.user, a.ip, a.geo, ua), createdMs: a.t0, app: OFFICE_HOME });
  const signIn: GraphSignIn = {
    ...base,
    riskLevelDuringSignIn: 'high',
    riskLevelAggregated: 'high',
    riskState: 'atRisk',
    riskDetail: 'none',
    riskEventTypes: ['anonymizedIPAddress', 'unfamiliarFeatures'],
    riskEventTypes_v2: ['anonymizedIPAddress', 'unfamiliarFeatures'],
  } as GraphSignIn;
  const common = { user: a.user, ip: a.ip, geo: a.geo, level: 'high' as const, state: 'atRisk' as const, signIn };
  const realtime = Math.floor(a.t0 + rng.uniform(5_000, 60_000));
  const offline = Math.floor(a.t0 + rng.uniform(2, 5) * 60 * MINUTE);
  const detections = [
    riskDetection(r, { ...common, t: realtime, type: 'anonymizedIPAddress', timing: 'realtime' }),
    riskDetection(r, { ...common, t: realtime, type: 'unfamiliarFeatures', timing: 'realtime' }),
    riskDetection(r, { ...common, t: offline, type: 'anomalousToken', timing: 'offline' }),
  ];
  return { signIn, detections, times: [a.t0, realtime, offline] };
}
