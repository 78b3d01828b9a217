/** Seeded generator of a realistic organisation's Google Workspace, Dropbox, Microsoft 365 and Slack audit trail with injected, labelled attacks. */
import { errors } from '../../core/index.js';
import { Rng } from '../../detection/random.js';
import { localMidnight, localParts } from './clock.js';
import { REPORT_MAILBOX, mirrorSignIns, phishingCampaign, riskNoise, riskySignIn, tenantIdFor, tenantUser, type GoogleLogin } from './microsoft.js';
import { forwardingRule, office365Activity, oneDriveMassDownload, type TimedRecord } from './office-365.js';
import { signInRecord, FIRST_PARTY_APPS } from '../microsoft-graph/records.js';
import { slackActivity } from './slack.js';
import { DOMAIN, CUSTOMER_ID, FOREIGN, IpAllocator, buildFiles, buildUsers, randomString, driveFileId, digits } from './org.js';
import {
  GoogleRenderer, bool, docParams, dropboxAsset, dropboxEvent, int, multi, str, toDriveFile, userPermission, visibilityOf,
  type DriveState, type DropboxDevice,
} from './render.js';
import { cardExport, toCsv, toXlsx } from './pii.js';
import { securityAlerts } from './security-alerts.js';
import {
  ATTACK_KINDS,
  type AttackKind, type DropboxTeamEvent, type GoogleActivity, type GoogleActivityEvent, type GraphMessage, type GraphSignIn, type IpInfo, type Scenario,
  type ScenarioFile, type ScenarioOptions, type ScenarioUser, type TruthEntry,
} from './types.js';

export const DEFAULT_END = new Date('2025-06-02T00:00:00.000Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

/** Partners the organisation legitimately shares with (Microsoft's fictitious companies). */
const PARTNERS = ['contoso.com', 'fabrikam.com', 'northwindtraders.com'];
const PERSONAL_DROP = 'files.backup.2025@gmail.com';

/** OAuth apps people in the organisation really use, with the scopes they ask for. */
const KNOWN_APPS: ReadonlyArray<{ name: string; clientId: string; scopes: string[] }> = [
  { name: 'Slack', clientId: '1081337541201-0bbm0tqt5sqi8s6tk5gcfk4d8qqpkbq1.apps.googleusercontent.com', scopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/drive.readonly'] },
  { name: 'Zoom', clientId: '849883241272-ed6lnodi1grnoomiuknqkq2rbvd2udku.apps.googleusercontent.com', scopes: ['openid', 'https://www.googleapis.com/auth/calendar.events'] },
  { name: 'Dropbox', clientId: '202264815644-0n6nslg4h5mh3g2k6n0pdoh5d8kb0v1k.apps.googleusercontent.com', scopes: ['openid', 'https://www.googleapis.com/auth/userinfo.profile'] },
  { name: 'Atlassian', clientId: '596530235104-c9vqffb5nlk4t0rmd7q1a0ns9t9kp8ai.apps.googleusercontent.com', scopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email'] },
];

/** Attacks placed after the slotted ones, each clear of every other, so adding them moved nothing. */
const UNSLOTTED: ReadonlySet<AttackKind> = new Set(['slack-account-takeover', 'sensitive-file-exposure', 'onedrive-mass-download', 'mail-forwarding-rule', 'mfa-disabled-mass-download', 'risky-sign-in']);

/** Outside mailboxes a business-email compromise forwards to. */
const DROP_BOXES = ['invoice.desk.remit@gmail.com', 'ap.payments.archive@outlook.com', 'ceo.office.fwd@proton.me'];

/** One thing that happens at time `t`; rendered in time order so file state (sharing, deletion) stays consistent. */
interface Action {
  t: number;
  seq: number;
  run(): void;
}

export function generateScenario(opts: ScenarioOptions = {}): Scenario {
  const seed = opts.seed ?? 1;
  const userCount = opts.users ?? 300;
  const fileCount = opts.files ?? 3000;
  const days = opts.days ?? 7;
  const end = (opts.end ?? DEFAULT_END).getTime();
  const start = end - days * DAY;
  const requested = [...new Set(opts.attacks ?? ATTACK_KINDS)];
  // Slack's takeover is placed by the Slack renderer, the sensitive-file exposure and the catalogue's
  // attacks after the slotted ones: the others keep the slots they had before these existed.
  const attacks = requested.filter((k) => !UNSLOTTED.has(k));
  if (!(Number.isInteger(userCount) && userCount >= 1)) throw errors.inputMalformed({ where: 'scenario users', problem: 'must be a positive integer' });
  if (!(Number.isInteger(fileCount) && fileCount >= 1)) throw errors.inputMalformed({ where: 'scenario files', problem: 'must be a positive integer' });
  if (!(days > 0)) throw errors.inputMalformed({ where: 'scenario days', problem: 'must be positive' });

  // Separate streams: adding an attack or an id must not reshuffle everyone's normal behaviour.
  const orgRng = new Rng(`scenario:${seed}:org`);
  const ips = new IpAllocator();
  const users = buildUsers(orgRng, userCount, ips);
  const files = buildFiles(orgRng, fileCount, users);
  const byEmail = new Map(users.map((u) => [u.email, u]));
  const geo = (ip: string): IpInfo => ips.directory[ip]!;

  // ---- File state ----
  const folderIds = new Map<string, string>();
  const drive: DriveState[] = [];
  const dropboxFiles: ScenarioFile[] = [];
  const nsIds = new Map<string, string>();
  for (const f of files) {
    if (f.platform === 'dropbox') {
      dropboxFiles.push(f);
      if (!nsIds.has(f.department)) nsIds.set(f.department, digits(orgRng, 10).replace(/^0/, '1'));
      continue;
    }
    if (!folderIds.has(f.department)) folderIds.set(f.department, driveFileId(orgRng));
    drive.push(initialDriveState(orgRng, f, byEmail.get(f.owner)!, users, start, folderIds.get(f.department)!));
  }
  const deptDrive = groupBy(drive, (s) => s.file.department);
  const deptDropbox = groupBy(dropboxFiles, (f) => f.department);
  const deletedDropbox = new Set<string>();

  // ---- Outputs ----
  const renderRng = new Rng(`scenario:${seed}:render`);
  const g = new GoogleRenderer(renderRng);
  const activities: GoogleActivity[] = [];
  const dbxEvents: DropboxTeamEvent[] = [];
  const reportedMessages: GraphMessage[] = [];
  const mailbox = `${REPORT_MAILBOX}@${DOMAIN}`;
  /** The normal organisation's Google logins, which its Microsoft 365 sign-ins mirror. */
  const googleLogins: GoogleLogin[] = [];
  const actions: Action[] = [];
  let seq = 0;
  const at = (t: number, run: () => void) => {
    if (t >= start && t < end) actions.push({ t: Math.floor(t), seq: seq++, run });
  };

  // ---- Rendering helpers (run in time order) ----
  const login = (t: number, u: ScenarioUser, ip: string, name: 'login_success' | 'login_failure' | 'login_challenge', suspicious = false) =>
    at(t, () => {
      const params = [str('login_type', 'google_password'), multi('login_challenge_method', ['password']), bool('is_suspicious', suspicious)];
      if (name === 'login_failure') params.push(str('login_failure_type', 'login_failure_invalid_password'));
      if (name === 'login_challenge') params.push(str('login_challenge_status', 'Challenge Passed'));
      // Google reports the login instant in microseconds alongside the activity time.
      params.push(int('login_timestamp', BigInt(Math.floor(t)) * 1000n));
      activities.push(g.activity('login', t, { email: u.email, profileId: u.googleProfileId }, ip, [{ type: 'login', name, parameters: params }]));
    });

  const driveAccess = (t: number, u: ScenarioUser, ip: string, name: 'view' | 'edit' | 'download' | 'delete', s: DriveState) =>
    at(t, () => {
      if (s.deleted) return;
      activities.push(g.activity('drive', t, { email: u.email, profileId: u.googleProfileId }, ip, [{ type: 'access', name, parameters: docParams(s) }], DOMAIN));
      if (name === 'edit') s.modifiedTime = Math.max(s.modifiedTime, t);
      if (name === 'delete') s.deleted = true;
    });

  const driveShare = (t: number, u: ScenarioUser, ip: string, s: DriveState, target: string, role: 'reader' | 'writer') =>
    at(t, () => {
      if (s.deleted || s.permissions.some((p) => p.emailAddress === target)) return;
      const external = !target.endsWith(`@${DOMAIN}`);
      s.permissions.push(userPermission(target, role, byEmail.get(target)?.name));
      const ev: GoogleActivityEvent = {
        type: 'acl_change',
        name: 'change_user_access',
        parameters: [
          ...docParams(s),
          str('target_user', target),
          multi('old_value', ['none']),
          multi('new_value', [role === 'writer' ? 'can_edit' : 'can_view']),
          str('visibility_change', external ? 'external' : 'none'),
        ],
      };
      activities.push(g.activity('drive', t, { email: u.email, profileId: u.googleProfileId }, ip, [ev], DOMAIN));
    });

  const makePublic = (t: number, u: ScenarioUser, ip: string, s: DriveState) =>
    at(t, () => {
      const before = visibilityOf(s.permissions);
      s.permissions.push({ kind: 'drive#permission', id: 'anyoneWithLink', type: 'anyone', role: 'reader', allowFileDiscovery: false, deleted: false, pendingOwner: false });
      // Drive logs a link-sharing change as two events of one activity: the scope, then the visibility.
      const events: GoogleActivityEvent[] = [
        { type: 'acl_change', name: 'change_document_access_scope', parameters: [...docParams(s), multi('old_value', ['none']), multi('new_value', ['can_view']), str('visibility_change', 'external')] },
        { type: 'acl_change', name: 'change_document_visibility', parameters: [...docParams(s), multi('old_value', [before]), multi('new_value', ['people_with_link']), str('visibility_change', 'external')] },
      ];
      activities.push(g.activity('drive', t, { email: u.email, profileId: u.googleProfileId }, ip, events, DOMAIN));
    });

  const dbx = (t: number, u: ScenarioUser, ip: string, device: DropboxDevice, type: Parameters<typeof dropboxEvent>[0]['type'], f?: ScenarioFile, extra: Partial<Parameters<typeof dropboxEvent>[0]> = {}) =>
    at(t, () => {
      if (f && deletedDropbox.has(f.id)) return;
      const assets = f ? [dropboxAsset(f, nsIds.get(f.department)!)] : [];
      dbxEvents.push(dropboxEvent({ t, type, user: u, ip, geo: geo(ip), device, assets, ...extra }));
      if (f && type === 'file_delete') deletedDropbox.add(f.id);
    });

  const normalLogin = (t: number, u: ScenarioUser, ip: string, name: 'login_success' | 'login_failure' | 'login_challenge', dayEnd?: number) => {
    login(t, u, ip, name);
    // A passed challenge is part of the sign-in that follows it, which is mirrored. Logins just
    // before the window are kept: the sign-ins that follow them may fall inside it.
    if (name !== 'login_challenge' && t < end) {
      googleLogins.push({ t: Math.floor(t), user: u, ip, outcome: name === 'login_failure' ? 'failure' : 'success', ...(dayEnd !== undefined ? { dayEnd } : {}) });
    }
  };

  // ---- Normal behaviour ----
  const normalRng = new Rng(`scenario:${seed}:normal`);
  for (const u of users) {
    const first = localParts(u.tz, start);
    // One extra local day on each side covers zones ahead of and behind UTC; out-of-window events are dropped.
    for (let d = -1; d <= Math.ceil(days) + 1; d++) {
      const midnight = localMidnight(u.tz, first.year, first.month, first.day + d);
      const weekday = localParts(u.tz, midnight + 12 * HOUR).weekday;
      const weekend = weekday === 0 || weekday === 6;
      if (weekend ? !normalRng.chance(0.1) : normalRng.chance(0.05)) continue; // weekends off; the odd day off
      const scale = weekend ? 0.2 : 1;
      const startH = clamp(8.75 + normalRng.gaussian(0, 0.6), 6.75, 10.5);
      const lenH = weekend ? normalRng.uniform(1, 3) : clamp(8.5 + normalRng.gaussian(0, 0.5), 6, 10.5);
      const dayStart = midnight + startH * HOUR;
      const dayEnd = dayStart + lenH * HOUR;
      const officeIp = u.ips.length > 1 && u.ips[0]!.startsWith('198.18.') ? u.ips[0]! : undefined;
      const homeIps = u.ips.filter((ip) => ip !== officeIp);
      const ip = !weekend && officeIp && normalRng.chance(0.7) ? officeIp : normalRng.pick(homeIps);
      // Mostly inside the working day, a little in the evening.
      const when = () => (normalRng.chance(0.03) ? midnight + normalRng.uniform(19, 22.5) * HOUR : normalRng.uniform(dayStart + 5 * MINUTE, dayEnd));

      // Google logins.
      let tLogin = dayStart;
      if (normalRng.chance(0.03)) {
        for (let k = normalRng.intBetween(1, 2); k > 0; k--) normalLogin((tLogin += normalRng.uniform(5_000, 40_000)), u, ip, 'login_failure');
      }
      if (normalRng.chance(0.04)) normalLogin((tLogin += normalRng.uniform(5_000, 30_000)), u, ip, 'login_challenge');
      normalLogin(tLogin + normalRng.uniform(2_000, 20_000), u, ip, 'login_success', dayEnd);
      if (normalRng.chance(0.2)) normalLogin(when(), u, normalRng.pick(homeIps), 'login_success');

      // Drive: people mostly work on their department's files.
      const pool = deptDrive.get(u.department) ?? drive;
      const pickDoc = () => (pool.length > 0 && normalRng.chance(0.85) ? normalRng.pick(pool) : drive.length > 0 ? normalRng.pick(drive) : undefined);
      const doDrive = (n: number, name: 'view' | 'edit' | 'download') => {
        for (let k = 0; k < n; k++) {
          const s = pickDoc();
          if (s) driveAccess(when(), u, ip, name, s);
        }
      };
      doDrive(normalRng.poisson(14 * scale), 'view');
      doDrive(normalRng.poisson(5 * scale), 'edit');
      doDrive(normalRng.poisson(1.5 * scale), 'download');
      for (let k = normalRng.poisson(0.3 * scale); k > 0; k--) {
        const s = pickDoc();
        const colleague = normalRng.pick(users);
        if (s && colleague !== u) driveShare(when(), u, ip, s, colleague.email, normalRng.chance(0.5) ? 'writer' : 'reader');
      }
      if (normalRng.chance(0.03 * scale)) {
        const s = pickDoc();
        if (s && !s.file.sensitive) driveShare(when(), u, ip, s, `${normalRng.pick(['j.doe', 'a.chen', 'm.lopez', 'contact'])}@${normalRng.pick(PARTNERS)}`, 'reader');
      }
      if (normalRng.chance(0.01)) {
        const app = normalRng.pick(KNOWN_APPS);
        const t = when();
        at(t, () =>
          activities.push(g.activity('token', t, { email: u.email, profileId: u.googleProfileId }, ip, [{
            type: 'auth',
            name: 'authorize',
            parameters: [str('client_id', app.clientId), str('app_name', app.name), str('client_type', 'WEB'), multi('scope', app.scopes)],
          }])),
        );
      }
      if (u.isAdmin && !weekend && normalRng.chance(0.15)) {
        const t = when();
        const hire = `${randomString(normalRng, 'abcdefghijklmnopqrstuvwxyz', 6)}.new@${DOMAIN}`;
        at(t, () => activities.push(g.activity('admin', t, { email: u.email, profileId: u.googleProfileId }, ip, [{ type: 'USER_SETTINGS', name: 'CREATE_USER', parameters: [str('USER_EMAIL', hire)] }], DOMAIN)));
        if (normalRng.chance(0.05)) {
          const grantee = normalRng.pick(users);
          const t2 = t + normalRng.uniform(MINUTE, 30 * MINUTE);
          at(t2, () => activities.push(g.activity('admin', t2, { email: u.email, profileId: u.googleProfileId }, ip, [{ type: 'USER_SETTINGS', name: 'GRANT_ADMIN_PRIVILEGE', parameters: [str('USER_EMAIL', grantee.email)] }], DOMAIN)));
        }
      }

      // Dropbox, for the people who use it.
      if (!u.usesDropbox || dropboxFiles.length === 0) continue;
      const device: DropboxDevice = normalRng.chance(0.6) ? 'desktop' : 'web';
      let tDbx = dayStart + normalRng.uniform(MINUTE, 20 * MINUTE);
      if (normalRng.chance(0.02)) {
        dbx(tDbx, u, ip, 'web', 'login_fail', undefined, { details: { is_emm_managed: false, login_method: { '.tag': 'password' }, error_details: { user_friendly_message: 'Invalid email or password' } } });
        tDbx += normalRng.uniform(10_000, 60_000);
      }
      dbx(tDbx, u, ip, device, 'login_success', undefined, { details: { is_emm_managed: false, login_method: { '.tag': 'password' } } });
      const dpool = deptDropbox.get(u.department) ?? dropboxFiles;
      const pickDbx = () => (normalRng.chance(0.85) ? normalRng.pick(dpool) : normalRng.pick(dropboxFiles));
      for (let k = normalRng.poisson(5 * scale); k > 0; k--) dbx(when(), u, ip, device, 'file_preview', pickDbx());
      for (let k = normalRng.poisson(1.5 * scale); k > 0; k--) dbx(when(), u, ip, device, 'file_download', pickDbx());
      for (let k = normalRng.poisson(2 * scale); k > 0; k--) dbx(when(), u, ip, device, 'file_edit', pickDbx());
      if (normalRng.chance(0.08 * scale)) dbx(when(), u, ip, 'web', 'shared_link_create', pickDbx(), { details: { shared_link_access_level: { '.tag': 'reader' } } });
      if (normalRng.chance(0.02 * scale)) {
        const f = pickDbx();
        if (!f.sensitive) {
          const email = `partner@${normalRng.pick(PARTNERS)}`;
          dbx(when(), u, ip, 'web', 'shared_content_add_member', f, {
            participants: [{ '.tag': 'user', user: { '.tag': 'non_team_member', account_id: `dbid:AA${randomString(normalRng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 38)}`, display_name: 'Partner', email } }],
            details: { shared_content_access_level: { '.tag': 'viewer' } },
          });
        }
      }
      if (normalRng.chance(0.05 * scale)) {
        const own = dpool.filter((f) => f.owner === u.email);
        if (own.length > 0) dbx(when(), u, ip, device, 'file_delete', normalRng.pick(own));
      }
    }
  }

  // ---- Attacks ----
  const attackRng = new Rng(`scenario:${seed}:attacks`);
  const truth: TruthEntry[] = [];
  const attackers = attackRng.sample(users.filter((u) => !u.isAdmin).concat(users.filter((u) => u.isAdmin)), users.length);
  const actorFor = (i: number, needDropbox = false) => {
    const pool = needDropbox ? attackers.filter((u) => u.usesDropbox) : attackers;
    return pool[i % pool.length]!;
  };
  // Spread attacks across the window, each on its own slot, finishing well before `end`.
  const doomed = new Set<string>();
  const slot = (i: number) => start + ((i + 0.5) / (attacks.length + 0.5)) * (end - start - 2 * HOUR);

  attacks.forEach((kind, i) => {
    const t0 = Math.floor(slot(i) + attackRng.uniform(0, HOUR));
    const times: number[] = [];
    const record = (t: number) => {
      times.push(t);
      return t;
    };
    const entry = (e: Omit<TruthEntry, 'start' | 'end' | 'events' | 'kind'>) => {
      if (times.length === 0) return;
      truth.push({ kind, ...e, start: new Date(Math.min(...times)).toISOString(), end: new Date(Math.max(...times)).toISOString(), events: times.length });
    };

    switch (kind) {
      case 'mass-download': {
        const u = actorFor(i);
        const ip = u.ips[u.ips.length - 1]!;
        const targets = attackRng.sample(drive, Math.min(300, drive.length));
        const ts = targets.map(() => t0 + attackRng.uniform(0, 28 * MINUTE)).sort((a, b) => a - b);
        targets.forEach((s, k) => driveAccess(record(ts[k]!), u, ip, 'download', s));
        entry({ sources: ['google-workspace'], actor: u.email, ip, targets: targets.map((s) => s.file.id), description: `${u.email} downloaded ${targets.length} Drive files in under 30 minutes` });
        break;
      }
      case 'mass-external-share': {
        const u = actorFor(i);
        const ip = u.ips[u.ips.length - 1]!;
        const targets = attackRng.sample(drive.filter((s) => s.file.id !== drive[0]?.file.id), Math.min(60, Math.max(0, drive.length - 1)));
        const ts = targets.map(() => t0 + attackRng.uniform(0, 20 * MINUTE)).sort((a, b) => a - b);
        targets.forEach((s, k) => driveShare(record(ts[k]!), u, ip, s, PERSONAL_DROP, 'reader'));
        entry({ sources: ['google-workspace'], actor: u.email, ip, targets: [PERSONAL_DROP, ...targets.map((s) => s.file.id)], description: `${u.email} shared ${targets.length} files with the personal address ${PERSONAL_DROP}` });
        break;
      }
      case 'public-link': {
        const s = drive.find((d) => d.file.sensitive && /payroll/i.test(d.file.name)) ?? drive.find((d) => d.file.sensitive);
        if (!s) break;
        const ip = s.owner.ips[s.owner.ips.length - 1]!;
        makePublic(record(t0), s.owner, ip, s);
        entry({ sources: ['google-workspace'], actor: s.owner.email, ip, targets: [s.file.id], description: `"${s.file.name}" was made readable by anyone with the link` });
        break;
      }
      case 'mass-deletion': {
        const u = actorFor(i, true);
        const ip = u.ips[u.ips.length - 1]!;
        // At most half the files, so a small organisation keeps some for the mass-download attack.
        const targets = attackRng.sample(dropboxFiles, Math.min(200, Math.ceil(dropboxFiles.length / 2)));
        for (const f of targets) doomed.add(f.id);
        const ts = targets.map(() => t0 + attackRng.uniform(0, 15 * MINUTE)).sort((a, b) => a - b);
        targets.forEach((f, k) => dbx(record(ts[k]!), u, ip, 'desktop', 'file_delete', f));
        entry({ sources: ['dropbox'], actor: u.email, ip, targets: targets.map((f) => f.id), description: `${u.email} deleted ${targets.length} Dropbox files in 15 minutes` });
        break;
      }
      case 'new-country-login': {
        const u = actorFor(i, true);
        const site = FOREIGN[attackRng.int(FOREIGN.length)]!;
        const ip = ips.attacker(site);
        login(record(t0), u, ip, 'login_success');
        dbx(record(t0 + attackRng.uniform(MINUTE, 3 * MINUTE)), u, ip, 'web', 'login_success', undefined, { details: { is_emm_managed: false, login_method: { '.tag': 'password' } } });
        const seen = attackRng.sample(deptDrive.get(u.department) ?? drive, 5);
        seen.forEach((s, k) => driveAccess(record(t0 + (k + 4) * MINUTE), u, ip, 'view', s));
        entry({ sources: ['google-workspace', 'dropbox'], actor: u.email, ip, targets: [site.country], description: `${u.email} (usually in ${u.country}) signed in from ${site.city}, ${site.country}` });
        break;
      }
      case 'brute-force': {
        const site = FOREIGN[(i + 1) % FOREIGN.length]!;
        const ip = ips.attacker(site);
        const victims = attackRng.sample(users, Math.min(8, users.length));
        for (let k = 0; k < 6 * victims.length; k++) login(record(t0 + k * attackRng.uniform(8_000, 14_000)), victims[k % victims.length]!, ip, 'login_failure');
        entry({ sources: ['google-workspace'], actor: victims[0]!.email, ip, targets: victims.map((v) => v.email), description: `${times.length} failed Google logins from ${ip} against ${victims.length} accounts` });
        break;
      }
      case 'drive-mass-deletion': {
        // A departing or compromised account trashing its department's shared files.
        const u = actorFor(i);
        const ip = u.ips[u.ips.length - 1]!;
        const pool = (deptDrive.get(u.department) ?? drive).filter((s) => !s.deleted);
        const from = pool.length >= 80 ? pool : drive;
        const targets = attackRng.sample(from, Math.min(120, from.length));
        const ts = targets.map(() => t0 + attackRng.uniform(0, 20 * MINUTE)).sort((a, b) => a - b);
        targets.forEach((s, k) => driveAccess(record(ts[k]!), u, ip, 'delete', s));
        entry({ sources: ['google-workspace'], actor: u.email, ip, targets: targets.map((s) => s.file.id), description: `${u.email} deleted ${targets.length} Drive files in 20 minutes` });
        break;
      }
      case 'dropbox-mass-download': {
        const u = actorFor(i, true);
        const ip = u.ips[u.ips.length - 1]!;
        // Files the mass-deletion attack removes would log nothing, whichever attack comes first.
        const alive = dropboxFiles.filter((f) => !doomed.has(f.id));
        const targets = attackRng.sample(alive, Math.min(250, alive.length));
        const ts = targets.map(() => t0 + attackRng.uniform(0, 12 * MINUTE)).sort((a, b) => a - b);
        targets.forEach((f, k) => dbx(record(ts[k]!), u, ip, 'desktop', 'file_download', f));
        entry({ sources: ['dropbox'], actor: u.email, ip, targets: targets.map((f) => f.id), description: `${u.email} downloaded ${targets.length} Dropbox files in 12 minutes` });
        break;
      }
      case 'phishing-campaign': {
        // The sending mail server is the attacker's address; it only ever appears in the reports.
        const ip = ips.attacker(FOREIGN[(i + 2) % FOREIGN.length]!);
        const c = phishingCampaign(attackRng, { users, domain: DOMAIN, mailbox, t0, senderIp: ip, end });
        for (const r of c.reports) {
          reportedMessages.push(r.message);
          record(r.t);
        }
        const reporters = [...new Set(c.reports.map((r) => r.reporter.email))];
        const minutes = c.reports.length ? Math.round((c.reports[c.reports.length - 1]!.t - t0) / MINUTE) : 0;
        entry({
          sources: ['microsoft-graph'], actor: c.sender.address, ip, targets: reporters,
          description: `${c.sender.address}, a look-alike of ${DOMAIN}, mailed "${c.lure}" to ${c.recipients.length} people; ${reporters.length} reported it within ${minutes} minutes`,
        });
        break;
      }
    }
  });

  // ---- Play it out in time order ----
  actions.sort((a, b) => a.t - b.t || a.seq - b.seq);
  for (const a of actions) a.run();

  // Its own stream, drawn after everything else: Microsoft 365 changes nobody's Google or Dropbox day.
  const signIns = mirrorSignIns(new Rng(`scenario:${seed}:microsoft`), googleLogins, geo, { start, end });
  reportedMessages.sort((a, b) => Date.parse(a.receivedDateTime!) - Date.parse(b.receivedDateTime!));
  const tenantId = tenantIdFor(DOMAIN);
  // Slack last, on its own stream, for the same reason.
  const slack = slackActivity(new Rng(`scenario:${seed}:slack`), {
    users, files, domain: DOMAIN, logins: googleLogins, signIns, ips, window: { start, end },
    attack: requested.includes('slack-account-takeover'),
    busy: truth.map((t) => [Date.parse(t.start), Date.parse(t.end)] as const),
    taken: new Set(truth.map((t) => t.actor)),
  });
  if (slack.truth) truth.push(slack.truth);

  // ---- A spreadsheet of card numbers made public ----
  // Last, on its own stream, clear of every other attack (Slack's included): nobody else's records change.
  const piiFiles: ScenarioFile[] = [];
  if (requested.includes('sensitive-file-exposure')) {
    const rng = new Rng(`scenario:${seed}:pii`);
    const taken = new Set(truth.map((t) => t.actor));
    const first = actions.length;
    const free = users.filter((u) => !taken.has(u.email));
    const pool = free.filter((u) => u.department === 'Finance');
    const owner = rng.pick(pool.length ? pool : free.length ? free : users);
    const ip = owner.ips[0]!;
    // Late in the window, hours after the last slotted attack, and inside it however short it is.
    const busy = truth.map((t) => [Date.parse(t.start) - 3 * HOUR, Date.parse(t.end) + 3 * HOUR] as const);
    let t0 = Math.floor(Math.max(start + HOUR, end - 10 * HOUR) + rng.uniform(0, 30 * MINUTE));
    for (let tries = 0; tries < 48 && busy.some(([a, b]) => t0 + 2 * HOUR >= a && t0 <= b); tries++) t0 -= HOUR;
    const parent = folderIds.get(owner.department) ?? driveFileId(rng);
    const sheetData = cardExport(rng, 120, t0 - 30 * DAY);
    const xlsxData = cardExport(rng, 80, t0 - 60 * DAY);
    const csv = toCsv(sheetData);
    const xlsx = toXlsx(xlsxData);
    const state = (f: ScenarioFile, content: string | Buffer, created: number): DriveState => ({
      file: f, owner, permissions: [userPermission(owner.email, 'owner', owner.name)], createdTime: created, modifiedTime: created, deleted: false, parent, content,
    });
    const sheetFile: ScenarioFile = { id: driveFileId(rng), platform: 'google-workspace', name: 'Card settlements 2025-05 (processor export)', mimeType: 'application/vnd.google-apps.spreadsheet', owner: owner.email, department: owner.department, sensitive: true, size: 0 };
    const xlsxFile: ScenarioFile = { id: driveFileId(rng), platform: 'google-workspace', name: 'chargebacks-april.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', owner: owner.email, department: owner.department, sensitive: true, size: xlsx.length };
    const sheet = state(sheetFile, csv, t0);
    const upload = state(xlsxFile, xlsx, t0 + 40 * MINUTE);
    drive.push(sheet, upload);
    piiFiles.push(sheetFile, xlsxFile);
    const [given, family] = owner.email.split('@')[0]!.split('.');
    const home = `${given ?? 'me'}.${(family ?? 'home').slice(0, 1)}.home@gmail.com`;
    const times: number[] = [];
    const actor = { email: owner.email, profileId: owner.googleProfileId };
    const created = (t: number, s: DriveState, name: 'create' | 'upload') => {
      times.push(t);
      at(t, () => activities.push(g.activity('drive', t, actor, ip, [{ type: 'access', name, parameters: docParams(s) }], DOMAIN)));
    };
    created(t0, sheet, 'create');
    for (let k = 1; k <= 3; k++) driveAccess(times[times.push(t0 + k * 4 * MINUTE + rng.uniform(0, MINUTE)) - 1]!, owner, ip, 'edit', sheet);
    created(t0 + 40 * MINUTE, upload, 'upload');
    makePublic(times[times.push(t0 + 95 * MINUTE + rng.uniform(0, 5 * MINUTE)) - 1]!, owner, ip, sheet);
    driveShare(times[times.push(t0 + 110 * MINUTE + rng.uniform(0, 5 * MINUTE)) - 1]!, owner, ip, upload, home, 'reader');
    // Rendered now, after the rest has played out: only these two files' state is involved.
    for (const a of actions.slice(first).sort((x, y) => x.t - y.t || x.seq - y.seq)) a.run();
    activities.sort((x, y) => Date.parse(x.id.time) - Date.parse(y.id.time));
    const inWindow = times.filter((t) => t >= start && t < end);
    if (inWindow.length) {
      truth.push({
        kind: 'sensitive-file-exposure',
        sources: ['google-workspace'],
        actor: owner.email,
        ip,
        start: new Date(Math.min(...inWindow)).toISOString(),
        end: new Date(Math.max(...inWindow)).toISOString(),
        events: inWindow.length,
        targets: [sheetFile.id, xlsxFile.id, `google-drive:${sheetFile.id}`, `google-drive:${xlsxFile.id}`, home],
        description: `${owner.email} made "${sheetFile.name}" (${sheetData.cards.length} card numbers) readable by anyone with the link and shared "${xlsxFile.name}" (${xlsxData.cards.length} more) with ${home}`,
      });
    }
  }

  // ---- Microsoft 365's own audit trail and Identity Protection's ordinary verdicts ----
  // Each on its own stream, after everything else, so nobody's Google, Dropbox or Slack day changes.
  const o365Ctx = { tenantId, domain: DOMAIN, users };
  const o365 = office365Activity(new Rng(`scenario:${seed}:office-365`), o365Ctx, googleLogins, { start, end });
  const o365Records: TimedRecord[] = o365.records;
  const riskDetections = riskNoise(new Rng(`scenario:${seed}:risk`), googleLogins, geo, { start, end });

  // ---- The catalogue's attacks: Microsoft 365 files and mail, Identity Protection, a weakened control ----
  // Last, on their own stream, each clear of every other attack by three hours (at any hour: an
  // attacker abroad keeps their own).
  const catalogue = (['onedrive-mass-download', 'mail-forwarding-rule', 'mfa-disabled-mass-download', 'risky-sign-in'] as const).filter((k) => requested.includes(k));
  if (catalogue.length) {
    const rng = new Rng(`scenario:${seed}:catalogue`);
    const taken = new Set(truth.flatMap((t) => [t.actor, ...t.targets]));
    const busy = truth.map((t) => [Date.parse(t.start) - 3 * HOUR, Date.parse(t.end) + 3 * HOUR] as [number, number]);
    // The Management Activity API keeps content for 7 days, so an attack seen only through it is
    // placed within the last 6: a demo of a month must still be able to read it.
    const O365_REACH = 6 * DAY;
    const place = (j: number, length: number, reach = end - start): number => {
      // Preferred: spread over the window; then the nearest hour that clears every busy span.
      const first = Math.max(start, end - reach) + HOUR;
      const last = Math.max(first, end - length - HOUR);
      const preferred = first + ((j + 0.5) / catalogue.length) * (last - first);
      // The jitter is drawn first and checked with the rest, so it cannot carry an attack into another's margin.
      const jitter = rng.uniform(0, 20 * MINUTE);
      const clear = (t: number) => t >= first && t <= last && !busy.some(([a, b]) => t + length >= a && t <= b);
      for (let h = 0; h < (end - start) / HOUR; h++) {
        for (const t of [preferred + h * HOUR + jitter, preferred - h * HOUR + jitter]) if (clear(t)) return Math.floor(t);
      }
      return Math.floor(Math.min(preferred, last));
    };
    const free = users.filter((u) => !taken.has(u.email));
    const victims = rng.sample(free.length >= catalogue.length ? free : users, Math.min(users.length, catalogue.length));
    const signIns2: GraphSignIn[] = [];
    catalogue.forEach((kind, j) => {
      const u = victims[j % victims.length]!;
      taken.add(u.email);
      let entry: Omit<TruthEntry, 'kind'> | undefined;
      if (kind === 'onedrive-mass-download') {
        // An insider on their own home connection, taking their department's library before leaving.
        const ip = u.ips[u.ips.length - 1]!;
        const t0 = place(j, 20 * MINUTE, O365_REACH);
        const got = oneDriveMassDownload(rng, o365Ctx, o365.libraries, { user: u, ip, t0, count: rng.intBetween(120, 200), spanMs: 14 * MINUTE });
        o365Records.push(...got);
        const ts = got.map((x) => x.t);
        entry = { sources: ['office-365'], actor: u.email, ip, start: iso(Math.min(...ts)), end: iso(Math.max(...ts)), events: got.length, targets: [], description: `${u.email} downloaded ${got.length} OneDrive and SharePoint files in 14 minutes` };
      } else if (kind === 'mail-forwarding-rule') {
        // Phished credentials used from abroad, then a hidden rule sending every message outside.
        const ip = ips.attacker(FOREIGN[(j + 1) % FOREIGN.length]!);
        const t0 = place(j, 10 * MINUTE, O365_REACH);
        const to = rng.pick(DROP_BOXES);
        const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
        const g2 = geo(ip);
        const exchange = FIRST_PARTY_APPS.find((a) => a[1] === 'Office 365 Exchange Online')!;
        signIns2.push(signInRecord(() => rng.next(), { user: tenantUser(u, ip, g2, ua), createdMs: t0, app: exchange }));
        const tRule = Math.floor(t0 + rng.uniform(2 * MINUTE, 6 * MINUTE));
        o365Records.push({ t: tRule, rec: forwardingRule(rng, o365Ctx, { user: u, ip, t: tRule, to }) });
        entry = { sources: ['microsoft-graph', 'office-365'], actor: u.email, ip, start: iso(t0), end: iso(tRule), events: 2, targets: [to], description: `${u.email} signed in from ${g2.city}, ${g2.country} and an inbox rule now forwards every message to ${to}` };
      } else if (kind === 'mfa-disabled-mass-download') {
        // A stolen session turns off 2-step verification so a password reset does not lock it out, then takes files.
        const ip = ips.attacker(FOREIGN[(j + 2) % FOREIGN.length]!);
        const t0 = place(j, 45 * MINUTE);
        const actor = { email: u.email, profileId: u.googleProfileId };
        const times: number[] = [t0];
        activities.push(g.activity('login', t0, actor, ip, [{ type: 'login', name: 'login_success', parameters: [str('login_type', 'google_password'), multi('login_challenge_method', ['password', 'google_prompt']), bool('is_suspicious', false), int('login_timestamp', BigInt(t0) * 1000n)] }]));
        const tOff = Math.floor(t0 + rng.uniform(2 * MINUTE, 5 * MINUTE));
        times.push(tOff);
        activities.push(g.activity('user_accounts', tOff, actor, ip, [{ type: '2sv_change', name: '2sv_disable', parameters: [] }]));
        const alive = drive.filter((s) => !s.deleted);
        const pool = alive.filter((s) => s.file.department === u.department).length >= 60 ? alive.filter((s) => s.file.department === u.department) : alive;
        const targets = rng.sample(pool, Math.min(pool.length, rng.intBetween(90, 140)));
        const ts = targets.map(() => Math.floor(tOff + 8 * MINUTE + rng.uniform(0, 25 * MINUTE))).sort((a, b) => a - b);
        targets.forEach((s, k) => activities.push(g.activity('drive', ts[k]!, actor, ip, [{ type: 'access', name: 'download', parameters: docParams(s) }], DOMAIN)));
        times.push(...ts);
        entry = { sources: ['google-workspace'], actor: u.email, ip, start: iso(t0), end: iso(Math.max(...times)), events: times.length, targets: [...targets.map((s) => s.file.id), ...targets.map((s) => `google-drive:${s.file.id}`)], description: `${u.email} turned off 2-step verification from ${geo(ip).city}, ${geo(ip).country}, then downloaded ${targets.length} Drive files` };
      } else {
        // Identity Protection rates the sign-in from a hosting provider's VPN exit high.
        const ip = ips.attacker(FOREIGN[1]!);
        const t0 = place(j, 6 * HOUR);
        const got = riskySignIn(rng, { user: u, ip, geo: geo(ip), t0 });
        signIns2.push(got.signIn);
        riskDetections.push(...got.detections);
        entry = { sources: ['microsoft-graph'], actor: u.email, ip, start: iso(Math.min(...got.times)), end: iso(Math.max(...got.times)), events: 1 + got.detections.length, targets: [], description: `${u.email} signed in from an anonymous VPN exit in ${geo(ip).city}; Identity Protection raised ${got.detections.length} high risk detections` };
      }
      busy.push([Date.parse(entry.start) - 3 * HOUR, Date.parse(entry.end) + 3 * HOUR]);
      truth.push({ kind, ...entry });
    });
    if (signIns2.length) {
      signIns.push(...signIns2);
      signIns.sort((a, b) => (a.createdDateTime! < b.createdDateTime! ? -1 : a.createdDateTime! > b.createdDateTime! ? 1 : 0));
    }
    activities.sort((x, y) => Date.parse(x.id.time) - Date.parse(y.id.time));
  }
  riskDetections.sort((a, b) => (a.detectedDateTime! < b.detectedDateTime! ? -1 : a.detectedDateTime! > b.detectedDateTime! ? 1 : 0));
  o365Records.sort((a, b) => a.t - b.t);

  const driveFiles = drive.filter((s) => !s.deleted).map(toDriveFile);
  return {
    seed,
    window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    org: { domain: DOMAIN, customerId: CUSTOMER_ID, users, files: piiFiles.length ? [...files, ...piiFiles] : files, ipDirectory: ips.directory },
    google: { activities, files: driveFiles },
    dropbox: { events: dbxEvents },
    microsoft: { tenantId, signIns, riskDetections, reportedMessages, mailbox: { address: mailbox, folder: 'inbox' }, ...securityAlerts(seed, { truth, users, tenantId, geo: (ip) => ips.directory[ip] }) },
    office365: { records: o365Records.map((x) => x.rec) },
    slack: slack.slack,
    truth,
  };
}

function initialDriveState(rng: Rng, f: ScenarioFile, owner: ScenarioUser, users: ScenarioUser[], start: number, parent: string): DriveState {
  const permissions = [userPermission(owner.email, 'owner', owner.name)];
  if (rng.chance(0.6)) {
    for (const c of rng.sample(users, rng.intBetween(1, 4))) {
      if (c !== owner) permissions.push(userPermission(c.email, rng.pick(['writer', 'reader', 'commenter'] as const), c.name));
    }
  }
  if (rng.chance(0.15)) permissions.push({ kind: 'drive#permission', id: `${digits(rng, 20)}k`, type: 'domain', role: 'reader', domain: DOMAIN, allowFileDiscovery: rng.chance(0.3), deleted: false, pendingOwner: false });
  // Only harmless files start out exposed, so exposure of a sensitive file is always news.
  if (!f.sensitive && rng.chance(0.04)) permissions.push(userPermission(`j.doe@${rng.pick(PARTNERS)}`, 'reader'));
  if (!f.sensitive && rng.chance(0.01)) permissions.push({ kind: 'drive#permission', id: 'anyoneWithLink', type: 'anyone', role: 'reader', allowFileDiscovery: false, deleted: false, pendingOwner: false });
  const createdTime = start - Math.floor(rng.uniform(DAY, 730 * DAY));
  const modifiedTime = createdTime + Math.floor(rng.uniform(0, start - createdTime));
  const binary = !f.mimeType.startsWith('application/vnd.google-apps.');
  return { file: f, owner, permissions, createdTime, modifiedTime, deleted: false, parent, ...(binary ? { md5: randomString(rng, '0123456789abcdef', 32) } : {}) };
}

const iso = (ms: number) => new Date(ms).toISOString();

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
