/** Renders the organisation's Slack Enterprise Grid: users.info users (bots included), team.accessLogs aggregates and Audit Logs API entries that follow each person's working days, and a Slack account takeover. */
import { Rng } from '../../detection/random.js';
import type { SlackAccessLog, SlackAuditEntry, SlackAuditUser, SlackUser } from '../../sources/slack/wire.js';
import { guid, type GraphSignIn } from '../microsoft-graph/records.js';
import type { GoogleLogin } from './microsoft.js';
import { FOREIGN, browserOf, isMobile, randomString, type IpAllocator } from './org.js';
import type { IpInfo, ScenarioFile, ScenarioSlack, ScenarioUser, TruthEntry } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const sec = (ms: number) => Math.floor(ms / 1000);

/** Slack ids are a type letter and ten upper-case characters; a person's comes from the address, so adding people reshuffles nobody. */
export function slackId(prefix: 'W' | 'T' | 'E' | 'F' | 'C' | 'A', key: string): string {
  return `${prefix}0${randomString(new Rng(`slack-id:${prefix}:${key}`), ID_CHARS, 9)}`;
}

/** Slack's clients as team.accessLogs and the audit log name them. */
const DESKTOP_VERSION = '4.41.105';
const ELECTRON = 'Chrome/130.0.6723.137 Electron/33.2.1';
function desktopAgent(browserUa: string): string {
  const platform = /\(([^)]+)\)/.exec(browserUa)?.[1] ?? 'Windows NT 10.0; Win64; x64';
  return `Mozilla/5.0 (${platform}) AppleWebKit/537.36 (KHTML, like Gecko) Slack/${DESKTOP_VERSION} ${ELECTRON} Safari/537.36 Sonic Slack_SSB/${DESKTOP_VERSION}`;
}
function mobileAgent(browserUa: string): string {
  const ios = /iPhone OS (\d+)_(\d+)/.exec(browserUa);
  if (ios) return `com.tinyspeck.chatlyio/24.11.10 (iPhone; iOS ${ios[1]}.${ios[2]}; Scale/3.00)`;
  const android = /Android (\d+); ([^)]+)\)/.exec(browserUa);
  return `Slack/24.11.10.0 (${android?.[2] ?? 'Pixel 8'}; Android ${android?.[1] ?? '14'})`;
}
/** The browser client: Slack's own sample access log writes it as `SlackWeb` before the browser's agent. */
const webAgent = (browserUa: string) => `SlackWeb ${browserUa}`;
const ATTACKER_BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';


/** Apps the organisation runs in Slack, with the narrow scopes they really ask for. */
const KNOWN_APPS: ReadonlyArray<{ name: string; scopes: string[] }> = [
  { name: 'Google Drive', scopes: ['links:read', 'links:write', 'chat:write', 'commands'] },
  { name: 'Zoom', scopes: ['commands', 'chat:write', 'users:read'] },
  { name: 'Jira Cloud', scopes: ['commands', 'chat:write', 'channels:read', 'links:read'] },
  { name: 'Polly', scopes: ['commands', 'chat:write', 'reactions:read'] },
];
/** What the takeover installs: everything a data thief wants, from an app nobody reviewed. */
const ROGUE_APP = { name: 'Files Backup Pro', scopes: ['files:read', 'channels:history', 'groups:history', 'im:history', 'users:read', 'users:read.email', 'admin'] };

const CHANNEL_WORDS = ['proj', 'team', 'help', 'launch', 'incident', 'ask', 'social', 'release'];

function filetype(f: ScenarioFile): string {
  const ext = /\.([a-z0-9]+)$/.exec(f.name)?.[1];
  if (ext) return ext;
  if (f.mimeType.endsWith('spreadsheet')) return 'xlsx';
  if (f.mimeType.endsWith('presentation')) return 'pptx';
  return 'docx';
}

interface SlackFile {
  id: string;
  name: string;
  filetype: string;
  title: string;
  department: string;
}

export interface SlackArgs {
  users: ScenarioUser[];
  files: ScenarioFile[];
  domain: string;
  /** Normal Google logins: the first of each working day opens Slack too. */
  logins: readonly GoogleLogin[];
  /** The organisation's Microsoft 365 sign-ins: Slack signs in through the same SSO. */
  signIns: readonly GraphSignIn[];
  ips: IpAllocator;
  window: { start: number; end: number };
  /** Inject the account takeover. */
  attack: boolean;
  /** Spans of the other attacks (ms), which the takeover keeps clear of so each alert has one explanation. */
  busy: ReadonlyArray<readonly [number, number]>;
  /** Actors of the other attacks: the takeover picks someone else. */
  taken: ReadonlySet<string>;
}

export interface SlackResult {
  slack: ScenarioSlack;
  truth?: TruthEntry;
}

/**
 * Slack for the same people on the same days and addresses as their Google logins. The
 * organisation's session setting signs every client out daily, so each working day starts with a
 * `user_login` per client (the desktop or browser client, and the phone's app for people with a
 * phone); team.accessLogs keeps one aggregate per user, address and client over the window.
 */
export function slackActivity(rng: Rng, a: SlackArgs): SlackResult {
  const { start, end } = a.window;
  const label = a.domain.split('.')[0]!;
  const teamId = slackId('T', a.domain);
  const enterpriseId = slackId('E', a.domain);
  const workspace = { type: 'workspace', id: teamId, name: `${label[0]!.toUpperCase()}${label.slice(1)}`, domain: label };
  const enterprise = { type: 'enterprise', id: enterpriseId, name: `${label[0]!.toUpperCase()}${label.slice(1)} Inc.`, domain: `${label}-inc` };
  const r = () => rng.next();

  const byEmail = new Map<string, SlackUser>();
  const firstAdmin = a.users.find((u) => u.isAdmin);
  const users: SlackUser[] = a.users.map((u) => {
    const name = u.email.split('@')[0]!;
    const su: SlackUser = {
      id: slackId('W', u.email),
      team_id: teamId,
      name,
      real_name: u.name,
      deleted: false,
      is_bot: false,
      is_app_user: false,
      is_admin: u.isAdmin,
      is_owner: u === firstAdmin,
      tz: u.tz,
      profile: { email: u.email, real_name: u.name, display_name: name.split('.')[0]! },
    };
    byEmail.set(u.email, su);
    return su;
  });
  // Integrations have users of their own, without an address: the source must not take them for people.
  const bots: SlackUser[] = ['Google Drive', 'Jira Cloud', 'Polly'].map((name) => ({
    id: slackId('W', `bot:${name}`),
    team_id: teamId,
    name: name.toLowerCase().replace(/ /g, '_'),
    real_name: name,
    deleted: false,
    is_bot: true,
    is_app_user: false,
    profile: { real_name: name, display_name: '' },
  }));
  const appUser: SlackUser = {
    id: slackId('W', 'app:workday'),
    team_id: teamId,
    name: 'workday',
    real_name: 'Workday',
    deleted: false,
    is_bot: false,
    is_app_user: true,
    profile: { real_name: 'Workday', display_name: '' },
  };
  const asAuditUser = (su: SlackUser): SlackAuditUser => ({ id: su.id, name: su.name, ...(su.profile.email ? { email: su.profile.email } : {}), team: enterpriseId });

  // Files people posted to Slack: copies of the organisation's documents, by department.
  const slackFiles: SlackFile[] = [];
  for (const f of a.files) {
    if (!rng.chance(0.3)) continue;
    const ft = filetype(f);
    const name = /\.[a-z0-9]+$/.test(f.name) ? f.name : `${f.name}.${ft}`;
    slackFiles.push({ id: slackId('F', `${f.id}`), name, filetype: ft, title: f.name.replace(/\.[a-z0-9]+$/, ''), department: f.department });
  }
  const byDept = new Map<string, SlackFile[]>();
  for (const f of slackFiles) byDept.set(f.department, [...(byDept.get(f.department) ?? []), f]);

  const entries: Array<{ t: number; e: SlackAuditEntry }> = [];
  const audit = (t: number, action: string, actor: SlackUser, ip: string | undefined, ua: string | undefined, entity: SlackAuditEntry['entity'], extra: { details?: Record<string, unknown>; session?: number; location?: 'workspace' | 'enterprise' } = {}) => {
    // Drawn even outside the window, so where the window lies reshuffles nothing inside it.
    const id = guid(r);
    if (t < start || t >= end) return;
    const e: SlackAuditEntry = {
      id,
      date_create: sec(t),
      action,
      actor: { type: 'user', user: asAuditUser(actor) },
      entity,
      context: {
        location: extra.location === 'enterprise' ? enterprise : workspace,
        ...(ua ? { ua } : {}),
        ...(ip ? { ip_address: ip } : {}),
        ...(extra.session !== undefined ? { session_id: extra.session } : {}),
      },
      ...(extra.details ? { details: extra.details } : {}),
    };
    entries.push({ t, e });
  };
  const fileEntity = (f: SlackFile): SlackAuditEntry['entity'] => ({ type: 'file', file: { id: f.id, name: f.name, filetype: f.filetype, title: f.title } });
  const userEntity = (su: SlackUser): SlackAuditEntry['entity'] => ({ type: 'user', user: asAuditUser(su) });

  const aggregates = new Map<string, SlackAccessLog>();
  const access = (su: SlackUser, ip: string, ua: string, geo: IpInfo, first: number, last: number, count: number) => {
    const from = Math.max(first, start);
    const to = Math.min(last, end - 1000);
    if (to < from || count <= 0) return;
    const key = `${su.id}|${ip}|${ua}`;
    const agg = aggregates.get(key);
    if (agg) {
      agg.date_first = Math.min(agg.date_first, sec(from));
      agg.date_last = Math.max(agg.date_last, sec(to));
      agg.count += count;
      return;
    }
    aggregates.set(key, { user_id: su.id, username: su.name, date_first: sec(from), date_last: sec(to), count, ip, user_agent: ua, isp: geo.asnOrg, country: geo.country, region: geo.region });
  };
  const session = () => 2_000_000_000_000 + Math.floor(rng.uniform(0, 9e11));

  // A working day the window cuts into began before it, Slack's morning sign-in with it; the clients
  // sign in again with the first single sign-on the window shows (the session does not outlive the
  // one it was opened with), so every client appears on the first day as Microsoft 365 does.
  const firstSso = new Map<string, { t: number; ip: string }>();
  for (const si of a.signIns) {
    const t = Date.parse(si.createdDateTime!);
    const key = si.userPrincipalName!;
    if (si.status?.errorCode === 0 && t >= start && !firstSso.has(key)) firstSso.set(key, { t, ip: si.ipAddress! });
  }

  // ---- Working days ----
  for (const l of a.logins) {
    if (l.outcome !== 'success' || l.dayEnd === undefined) continue;
    const u = l.user;
    const su = byEmail.get(u.email)!;
    let ip = l.ip;
    let open = l.t + rng.uniform(MINUTE, 10 * MINUTE);
    const sso = firstSso.get(u.email);
    if (open < start && sso && sso.t <= l.dayEnd) {
      open = sso.t + rng.uniform(5_000, 90_000);
      ip = sso.ip;
    }
    const geo = a.ips.directory[ip]!;
    const browser = browserOf(u);
    const phone = u.userAgents.find(isMobile);
    // One in five works in the browser rather than the desktop app; the choice is the person's, not the day's.
    const main = new Rng(`slack-client:${u.email}`).chance(0.2) ? webAgent(browser) : desktopAgent(browser);
    const dayEnd = l.dayEnd;
    if (rng.chance(0.03)) audit(open - rng.uniform(10_000, 40_000), 'user_login_failed', su, ip, main, userEntity(su), { location: 'enterprise' });
    audit(open, 'user_login', su, ip, main, userEntity(su), { session: session(), location: 'enterprise' });
    access(su, ip, main, geo, open, rng.uniform(Math.max(open, dayEnd - HOUR), dayEnd), rng.intBetween(4, 20));
    if (phone) {
      const tPhone = rng.uniform(open, Math.max(open + MINUTE, dayEnd - 30 * MINUTE));
      const app = mobileAgent(phone);
      audit(tPhone, 'user_login', su, ip, app, userEntity(su), { session: session(), location: 'enterprise' });
      access(su, ip, app, geo, tPhone, rng.uniform(tPhone, dayEnd), rng.intBetween(2, 15));
    }
    const during = () => rng.uniform(open + MINUTE, dayEnd);
    const pool = byDept.get(u.department) ?? slackFiles;
    const pick = () => (pool.length > 0 && rng.chance(0.85) ? rng.pick(pool) : slackFiles.length > 0 ? rng.pick(slackFiles) : undefined);
    for (let k = rng.poisson(1.5); k > 0; k--) {
      const f = pick();
      if (f) audit(during(), 'file_downloaded', su, ip, main, fileEntity(f));
    }
    for (let k = rng.poisson(0.5); k > 0; k--) {
      const f = pick();
      if (f) audit(during(), 'file_uploaded', su, ip, main, fileEntity(f));
    }
    for (let k = rng.poisson(0.4); k > 0; k--) {
      const f = pick();
      if (f) audit(during(), 'file_shared', su, ip, main, fileEntity(f));
    }
    if (rng.chance(0.02)) {
      const priv = rng.chance(0.3);
      const name = `${rng.pick(CHANNEL_WORDS)}-${randomString(rng, 'abcdefghijklmnopqrstuvwxyz', 5)}`;
      audit(during(), priv ? 'private_channel_created' : 'public_channel_created', su, ip, main, {
        type: 'channel',
        channel: { id: slackId('C', `${u.email}:${name}`), name, privacy: priv ? 'private' : 'public', is_shared: false, is_org_shared: false },
      });
    }
    if (!main.startsWith('SlackWeb') && rng.chance(0.05)) audit(dayEnd, 'user_logout', su, ip, main, userEntity(su), { location: 'enterprise' });
    if (u.isAdmin) {
      if (rng.chance(0.1)) {
        const hire = `${randomString(rng, 'abcdefghijklmnopqrstuvwxyz', 6)}.new`;
        const newcomer: SlackUser = { id: slackId('W', `${hire}@${a.domain}`), name: hire, is_bot: false, is_app_user: false, profile: { email: `${hire}@${a.domain}` } };
        audit(during(), 'user_created', su, ip, main, userEntity(newcomer));
      }
      if (rng.chance(0.02)) {
        const appDef = rng.pick(KNOWN_APPS);
        audit(during(), 'app_installed', su, ip, main, { type: 'app', app: { id: slackId('A', appDef.name), name: appDef.name, is_distributed: true, is_directory_approved: true, scopes: appDef.scopes } }, {
          details: { is_internal_integration: false, is_token_rotation_enabled_app: false },
        });
      }
    }
  }

  // ---- Integrations: the bots post files day and night from their vendor's cloud ----
  const cloud = [a.ips.cloud(), a.ips.cloud()];
  for (const [k, bot] of bots.entries()) {
    for (let t = start + rng.uniform(0, 6 * HOUR); t < end; t += rng.uniform(4 * HOUR, 12 * HOUR)) {
      const f = slackFiles.length > 0 ? rng.pick(slackFiles) : undefined;
      if (f && k !== 2) audit(t, 'file_uploaded', bot, cloud[k % 2], 'Slackbot 1.0 (+https://api.slack.com/robots)', fileEntity(f));
    }
  }
  // The HR system's app user reads the directory with a user token, so it shows in the access logs.
  const hrIp = cloud[1]!;
  access(appUser, hrIp, 'Workday-Slack-Integration/2.3 Go-http-client/2.0', a.ips.directory[hrIp]!, start + HOUR, end - HOUR, Math.max(1, Math.round((end - start) / HOUR)));

  // ---- The takeover ----
  let truth: TruthEntry | undefined;
  if (a.attack) truth = takeover(rng, a, { byEmail, slackFiles, audit, access, userEntity, fileEntity, session });

  entries.sort((x, y) => x.t - y.t);
  const accessLogs = [...aggregates.values()].sort((x, y) => x.date_first - y.date_first || (x.user_id < y.user_id ? -1 : x.user_id > y.user_id ? 1 : 0));
  return {
    slack: { teamId, enterpriseId, users: [...users, ...bots, appUser], accessLogs, auditLogs: entries.map((x) => x.e) },
    ...(truth ? { truth } : {}),
  };
}

interface Renderers {
  byEmail: Map<string, SlackUser>;
  slackFiles: SlackFile[];
  audit: (t: number, action: string, actor: SlackUser, ip: string | undefined, ua: string | undefined, entity: SlackAuditEntry['entity'], extra?: { details?: Record<string, unknown>; session?: number; location?: 'workspace' | 'enterprise' }) => void;
  access: (su: SlackUser, ip: string, ua: string, geo: IpInfo, first: number, last: number, count: number) => void;
  userEntity: (su: SlackUser) => SlackAuditEntry['entity'];
  fileEntity: (f: SlackFile) => SlackAuditEntry['entity'];
  session: () => number;
}

/**
 * A phished Slack admin: the attacker guesses twice, signs in from abroad through the browser,
 * downloads a department's worth of files in twenty minutes, makes an accomplice account an admin
 * and installs an app that can read every channel.
 */
function takeover(rng: Rng, a: SlackArgs, x: Renderers): TruthEntry | undefined {
  const { start, end } = a.window;
  const admins = a.users.filter((u) => u.isAdmin && !a.taken.has(u.email));
  const victim = admins[0] ?? a.users.find((u) => !a.taken.has(u.email)) ?? a.users[0]!;
  const accomplice = a.users.find((u) => u !== victim && !u.isAdmin && !a.taken.has(u.email)) ?? a.users.find((u) => u !== victim);
  const su = x.byEmail.get(victim.email)!;
  // Late in the window, after any learning period, and clear of the other attacks.
  let t0 = Math.floor(start + (0.6 + 0.15 * rng.next()) * (end - start));
  const clear = (t: number) => a.busy.every(([s, e]) => t + 3 * HOUR < s || t - 3 * HOUR > e);
  for (let tries = 0; !clear(t0) && tries < 48; tries++) t0 += 2 * HOUR;
  if (t0 + HOUR >= end) t0 = end - 2 * HOUR;
  const site = FOREIGN[rng.int(FOREIGN.length)]!;
  const ip = a.ips.attacker(site);
  const geo = a.ips.directory[ip]!;
  const ua = webAgent(ATTACKER_BROWSER);
  const times: number[] = [];
  const at = (t: number) => {
    times.push(t);
    return t;
  };
  let t = t0;
  for (let k = 0; k < 2; k++) x.audit(at((t += rng.uniform(20_000, 60_000))), 'user_login_failed', su, ip, ua, x.userEntity(su), { location: 'enterprise' });
  const login = at((t += rng.uniform(30_000, 90_000)));
  x.audit(login, 'user_login', su, ip, ua, x.userEntity(su), { session: x.session(), location: 'enterprise' });
  const stolen = rng.sample(x.slackFiles, Math.min(120, x.slackFiles.length));
  const ts = stolen.map(() => login + 2 * MINUTE + rng.uniform(0, 20 * MINUTE)).sort((p, q) => p - q);
  stolen.forEach((f, k) => x.audit(at(ts[k]!), 'file_downloaded', su, ip, ua, x.fileEntity(f)));
  t = (ts[ts.length - 1] ?? login) + rng.uniform(2 * MINUTE, 5 * MINUTE);
  const targets = [...stolen.map((f) => f.id)];
  if (accomplice) {
    const acc = x.byEmail.get(accomplice.email)!;
    x.audit(at(t), 'role_change_to_admin', su, ip, ua, x.userEntity(acc));
    targets.unshift(accomplice.email);
  }
  const appId = slackId('A', ROGUE_APP.name);
  x.audit(at((t += rng.uniform(MINUTE, 4 * MINUTE))), 'app_installed', su, ip, ua, { type: 'app', app: { id: appId, name: ROGUE_APP.name, is_distributed: true, is_directory_approved: false, scopes: ROGUE_APP.scopes } }, {
    details: { is_internal_integration: false, is_token_rotation_enabled_app: false },
  });
  targets.push(appId);
  // The aggregate the browser session leaves in the access logs.
  x.access(su, ip, ua, geo, login, at(Math.min(t + rng.uniform(MINUTE, 10 * MINUTE), end - 1000)), stolen.length + rng.intBetween(5, 20));
  const inWindow = times.filter((v) => v >= start && v < end);
  if (inWindow.length === 0) return undefined;
  return {
    kind: 'slack-account-takeover',
    sources: ['slack'],
    actor: victim.email,
    ip,
    start: new Date(Math.min(...inWindow)).toISOString(),
    end: new Date(Math.max(...inWindow)).toISOString(),
    events: inWindow.length,
    targets,
    description: `${victim.email} (usually in ${victim.country}) signed in to Slack from ${site.city}, ${site.country}, downloaded ${stolen.length} file${stolen.length === 1 ? '' : 's'} in 20 minutes${accomplice ? `, made ${accomplice.email} an admin` : ''} and installed "${ROGUE_APP.name}"`,
  };
}
