import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeReportedMessage, normalizeSignIn, reportRecord } from '../../sources/microsoft-graph/normalize.js';
import { localHour } from './clock.js';
import { ATTACK_KINDS, DEFAULT_END, generateScenario, type GraphMessage, type Scenario } from './index.js';
import { entraDevice, lookAlikeDomains } from './microsoft.js';
import { luhnValid } from './pii.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

/** Every leaf path of a JSON value with its type; array items share the `[]` segment. */
function shape(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) shape(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) shape(v, `${prefix}.${k}`, out);
  } else {
    out.add(`${prefix}:${typeof value}`);
  }
  return out;
}

/** Paths the generated record has that the real-shaped fixture does not (should be none). */
function unknownPaths(generated: unknown, reference: unknown, ignore: RegExp = /^$/): string[] {
  const ref = shape(reference);
  return [...shape(generated)].filter((p) => !ref.has(p) && !ignore.test(p));
}

// Small enough to be quick, large enough for every attack to find its targets.
const SMALL = { seed: 7, users: 60, files: 600, days: 5 } as const;
const small = generateScenario(SMALL);

function allGoogleEvents(s: Scenario) {
  return s.google.activities.flatMap((a) => a.events.map((e) => ({ a, e, p: Object.fromEntries((e.parameters ?? []).map((x) => [x.name, x])) })));
}

/** Google logins of the normal organisation: the attacks' logins come from TEST-NET-3. */
function normalGoogleLogins(s: Scenario) {
  return allGoogleEvents(s)
    .filter(({ a }) => a.id.applicationName === 'login' && !a.ipAddress!.startsWith('203.0.113.'))
    .map(({ a, e }) => ({ email: a.actor.email!, ip: a.ipAddress!, t: Date.parse(a.id.time), name: e.name }));
}

/** Entra sign-ins of the normal organisation: the attacks' sign-ins come from TEST-NET-3 too. */
const normalSignIns = (s: Scenario) => s.microsoft.signIns.filter((x) => !x.ipAddress!.startsWith('203.0.113.'));

/** A reported message through the real normalizer, with its attachments as the poller fetches them. */
function normalizedReport(m: GraphMessage) {
  const { attachments, ...message } = m;
  const r = normalizeReportedMessage(reportRecord(message as Record<string, unknown>, m.hasAttachments ? (attachments ?? []) : undefined), '2025-06-02T00:00:00.000Z');
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

const MINUTE = 60_000;

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) m.set(key(it), [...(m.get(key(it)) ?? []), it]);
  return m;
}

describe('generateScenario', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = generateScenario(SMALL);
    expect(JSON.stringify(again)).toBe(JSON.stringify(small));
    const other = generateScenario({ ...SMALL, seed: 8 });
    expect(other.org.users.map((u) => u.email)).not.toEqual(small.org.users.map((u) => u.email));
  });

  it('uses a fixed default end so a seed alone reproduces the output', () => {
    const s = generateScenario({ users: 5, files: 20, days: 1 });
    expect(s.window).toEqual({ start: new Date(DEFAULT_END.getTime() - 86_400_000).toISOString(), end: DEFAULT_END.toISOString() });
  });

  it('emits Reports API activities shaped like the real ones', () => {
    const login = small.google.activities.filter((a) => a.id.applicationName === 'login');
    const drive = small.google.activities.filter((a) => a.id.applicationName === 'drive');
    expect(login.length).toBeGreaterThan(100);
    expect(drive.length).toBeGreaterThan(1000);
    for (const a of login) expect(unknownPaths(a, fixture('reports-login.json'))).toEqual([]);
    for (const a of drive) expect(unknownPaths(a, fixture('reports-drive.json'))).toEqual([]);
    for (const a of small.google.activities) {
      expect(a.kind).toBe('admin#reports#activity');
      expect(a.id.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(a.id.uniqueQualifier).toMatch(/^-?\d{1,19}$/);
      expect(a.etag).toMatch(/^"[^"]+\/[^"]+"$/);
      expect(a.events.length).toBeGreaterThan(0);
      for (const e of a.events) {
        for (const p of e.parameters ?? []) {
          // Exactly one value field per parameter, as the API does.
          expect(Object.keys(p).filter((k) => k !== 'name'), `${e.name}.${p.name}`).toHaveLength(1);
        }
      }
    }
    const names = new Set(allGoogleEvents(small).map(({ a, e }) => `${a.id.applicationName}:${e.type}:${e.name}`));
    for (const n of ['login:login:login_success', 'login:login:login_failure', 'drive:access:view', 'drive:access:edit', 'drive:access:download', 'drive:acl_change:change_user_access', 'drive:acl_change:change_document_visibility']) {
      expect(names, n).toContain(n);
    }
    const ids = small.google.activities.map((a) => `${a.id.time}|${a.id.uniqueQualifier}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('emits Drive v3 files shaped like the real ones, reflecting the final sharing state', () => {
    expect(small.google.files.length).toBeGreaterThan(300);
    for (const f of small.google.files) {
      // `content` is the fake's model (what it serves for alt=media and export), never on the wire.
      expect(unknownPaths(f, fixture('drive-file.json'), /^\.content\b/)).toEqual([]);
      expect(f.permissions!.filter((p) => p.role === 'owner').map((p) => p.emailAddress)).toEqual([f.owners![0]!.emailAddress]);
      expect(f.size).toMatch(/^\d+$/);
    }
  });

  it('emits Dropbox TeamEvents shaped like the real ones', () => {
    expect(small.dropbox.events.length).toBeGreaterThan(200);
    const ref = fixture('dropbox-event.json');
    for (const e of small.dropbox.events) {
      // Details differ by event type; everything else is common to all TeamEvents.
      expect(unknownPaths(e, ref, /^\.details\./)).toEqual([]);
      expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(e.details['.tag']).toBe(`${e.event_type['.tag']}_details`);
    }
    const added = small.dropbox.events.find((e) => e.event_type['.tag'] === 'shared_content_add_member');
    if (added) expect(unknownPaths(added, ref)).toEqual([]);
    const types = new Set(small.dropbox.events.map((e) => e.event_type['.tag']));
    for (const t of ['login_success', 'file_preview', 'file_download', 'file_edit', 'file_delete']) expect(types, t).toContain(t);
  });

  it('keeps each stream time-sorted and inside the window', () => {
    const { start, end } = small.window;
    const g = small.google.activities.map((a) => a.id.time);
    const d = small.dropbox.events.map((e) => e.timestamp);
    expect(g).toEqual([...g].sort());
    expect(d).toEqual([...d].sort());
    expect(g[0]! >= start && g[g.length - 1]! < end).toBe(true);
    expect(Date.parse(d[0]!) >= Date.parse(start) && Date.parse(d[d.length - 1]!) < Date.parse(end)).toBe(true);
    for (const times of [small.microsoft.signIns.map((x) => Date.parse(x.createdDateTime!)), small.microsoft.reportedMessages.map((m) => Date.parse(m.receivedDateTime!))]) {
      expect(times.length).toBeGreaterThan(0);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]! >= Date.parse(start) && times[times.length - 1]! < Date.parse(end)).toBe(true);
    }
  });

  it('signs the same people in to Microsoft 365 from the same addresses and browsers, after their Google logins', () => {
    const signIns = normalSignIns(small);
    // The only others are the catalogue attacks' own sign-ins, one each, from the attacker's address.
    const attacks = small.microsoft.signIns.filter((x) => !signIns.includes(x));
    expect(attacks.map((x) => [x.userPrincipalName, x.ipAddress]).sort()).toEqual(
      small.truth.filter((t) => t.kind === 'mail-forwarding-rule' || t.kind === 'risky-sign-in').map((t) => [t.actor, t.ip]).sort(),
    );
    const byEmail = new Map(small.org.users.map((u) => [u.email, u]));
    const startMs = Date.parse(small.window.start);
    const google = normalGoogleLogins(small);
    const googleByUserIp = groupBy(google, (g) => `${g.email}|${g.ip}`);
    expect(signIns.length).toBeGreaterThan(google.length);
    for (const s of signIns) {
      const u = byEmail.get(s.userPrincipalName!)!;
      expect(u, s.userPrincipalName!).toBeDefined();
      expect(s.userId).toBe(u.entraObjectId);
      expect(s.userDisplayName).toBe(u.name);
      expect(u.ips).toContain(s.ipAddress);
      // The browser: phones keep their session and sign in non-interactively, which this log does not list.
      const ua = (s as { userAgent?: string }).userAgent!;
      expect(ua).toBe(u.userAgents.find((a) => !/iPhone|Android/.test(a)));
      expect(s.deviceDetail).toMatchObject({ operatingSystem: entraDevice(ua).os, browser: entraDevice(ua).browser });
      const place = small.org.ipDirectory[s.ipAddress!]!;
      expect(s.location).toMatchObject({ city: place.city, countryOrRegion: place.country, geoCoordinates: { latitude: place.lat, longitude: place.lon } });
      // Each follows a Google login of that person from that address the same working day (which,
      // early in the window, may have been before it).
      const t = Date.parse(s.createdDateTime!);
      const before = (googleByUserIp.get(`${u.email}|${s.ipAddress}`) ?? []).filter((g) => g.t <= t && t - g.t <= 12 * 60 * MINUTE);
      if (t - startMs < 12 * 60 * MINUTE && before.length === 0) continue;
      expect(before.length, `${u.email} ${s.ipAddress} ${s.createdDateTime}`).toBeGreaterThan(0);
      if (s.status!.errorCode !== 0) {
        expect(s.status!.errorCode).toBe(50126);
        expect(before.some((g) => g.name === 'login_failure' && t - g.t <= MINUTE), 'a failure repeats a Google failure').toBe(true);
      }
      const e = normalizeSignIn(s, '2025-06-02T00:00:00.000Z');
      expect(e.ok && [e.event.user?.email, e.event.source?.ip, e.event.user_agent?.original]).toEqual([u.email, s.ipAddress, ua]);
    }
    // Every Google login is mirrored within minutes, failures by failures.
    const graphByUserIp = groupBy(signIns, (s) => `${s.userPrincipalName}|${s.ipAddress}`);
    const endMs = Date.parse(small.window.end);
    for (const g of google.filter((x) => x.name !== 'login_challenge' && x.t < endMs - 20 * MINUTE)) {
      const mirrors = (graphByUserIp.get(`${g.email}|${g.ip}`) ?? []).filter((s) => {
        const t = Date.parse(s.createdDateTime!);
        return t >= g.t - 1000 && t - g.t <= 15 * MINUTE && (s.status!.errorCode === 0) === (g.name !== 'login_failure');
      });
      expect(mirrors.length, `${g.name} ${g.email} ${new Date(g.t).toISOString()}`).toBeGreaterThan(0);
    }
    expect(signIns.some((s) => s.status!.errorCode !== 0)).toBe(true);
    // Everyone who logs in to Google signs in to Microsoft 365 too.
    expect(new Set(signIns.map((s) => s.userPrincipalName))).toEqual(new Set(google.map((g) => g.email)));
  });

  it('injects every attack into the records and into truth', () => {
    expect(small.truth.map((t) => t.kind).sort()).toEqual([...ATTACK_KINDS].sort());
    const byEmailSmall = new Map(small.org.users.map((u) => [u.email, u]));
    const events = allGoogleEvents(small);
    const truth = Object.fromEntries(small.truth.map((t) => [t.kind, t]));
    const within = (time: string, k: string) => time >= truth[k]!.start && time <= truth[k]!.end;

    const downloads = events.filter(({ a, e }) => e.name === 'download' && a.actor.email === truth['mass-download']!.actor && within(a.id.time, 'mass-download'));
    expect(downloads.length).toBeGreaterThanOrEqual(200);
    expect(Date.parse(truth['mass-download']!.end) - Date.parse(truth['mass-download']!.start)).toBeLessThanOrEqual(30 * 60_000);

    const toGmail = events.filter(({ a, e, p }) => e.name === 'change_user_access' && a.actor.email === truth['mass-external-share']!.actor && p.target_user?.value?.endsWith('@gmail.com'));
    expect(toGmail.length).toBe(truth['mass-external-share']!.events);
    expect(toGmail.every(({ p }) => p.visibility_change?.value === 'external')).toBe(true);

    const pub = events.filter(({ a, e, p }) => e.name === 'change_document_visibility' && a.actor.email === truth['public-link']!.actor && p.new_value?.multiValue?.[0] === 'people_with_link');
    expect(pub.map(({ p }) => p.doc_title?.value)).toEqual([expect.stringMatching(/payroll/i)]);
    const pubFile = small.google.files.find((f) => f.id === truth['public-link']!.targets[0]);
    expect(pubFile?.permissions).toContainEqual(expect.objectContaining({ type: 'anyone', id: 'anyoneWithLink', allowFileDiscovery: false }));

    const deletes = small.dropbox.events.filter((e) => e.event_type['.tag'] === 'file_delete' && e.actor.user.email === truth['mass-deletion']!.actor && e.timestamp >= truth['mass-deletion']!.start.slice(0, 19));
    expect(deletes.length).toBeGreaterThanOrEqual(Math.min(80, truth['mass-deletion']!.events));

    const ncl = truth['new-country-login']!;
    const victim = small.org.users.find((u) => u.email === ncl.actor)!;
    const country = small.org.ipDirectory[ncl.ip!]!.country;
    expect(country).not.toBe(victim.country);
    expect(events.some(({ a, e }) => e.name === 'login_success' && a.actor.email === ncl.actor && a.ipAddress === ncl.ip)).toBe(true);
    expect(small.dropbox.events.some((e) => e.event_type['.tag'] === 'login_success' && e.origin.geo_location.country === country && e.actor.user.email === ncl.actor)).toBe(true);
    // "New" means never seen for that user anywhere else in the data.
    const userIps = new Set(events.filter(({ a }) => a.actor.email === ncl.actor && a.ipAddress !== ncl.ip).map(({ a }) => a.ipAddress!));
    expect([...userIps].every((ip) => small.org.ipDirectory[ip]!.country === victim.country)).toBe(true);

    const bf = truth['brute-force']!;
    const fails = events.filter(({ a, e }) => e.name === 'login_failure' && a.ipAddress === bf.ip);
    expect(fails.length).toBe(bf.events);
    expect(fails.length).toBeGreaterThanOrEqual(40);
    expect(new Set(fails.map(({ a }) => a.actor.email)).size).toBeGreaterThanOrEqual(5);

    const dd = truth['drive-mass-deletion']!;
    const driveDeletes = events.filter(({ a, e }) => e.name === 'delete' && a.actor.email === dd.actor && within(a.id.time, 'drive-mass-deletion'));
    // Files someone else deleted earlier in the week are skipped, as Drive would log nothing for them.
    expect(driveDeletes.length).toBeGreaterThanOrEqual(Math.min(80, dd.events));
    for (const id of dd.targets.slice(0, 20)) expect(small.google.files.some((f) => f.id === id)).toBe(false);

    const ph = truth['phishing-campaign']!;
    const domain = ph.actor.split('@')[1]!;
    expect(lookAlikeDomains(small.org.domain)).toContain(domain);
    expect(domain).not.toBe(small.org.domain);
    // Undo the usual look-alike tricks and the organisation's name is back.
    expect(domain.replace('rn', 'm').replace('1', 'l').replace('0', 'o')).toMatch(new RegExp(`^${small.org.domain.split('.')[0]}`));
    const reports = small.microsoft.reportedMessages.map(normalizedReport);
    expect(reports.length).toBe(ph.events);
    expect(reports.every((e) => e.event.action === 'email_reported')).toBe(true);
    expect([...new Set(reports.map((e) => e.user!.email))].sort()).toEqual([...ph.targets].sort());
    expect(ph.targets.every((t) => byEmailSmall.has(t))).toBe(true);
    expect([reports[0]!['@timestamp'], reports[reports.length - 1]!['@timestamp']]).toEqual([ph.start.replace(/\.\d{3}Z$/, '.000Z'), ph.end.replace(/\.\d{3}Z$/, '.000Z')]);
    // What the campaign correlation groups by: at least three reporters name the sender, within its two hours.
    const naming = reports.filter((e) => e.email?.from?.address?.[0] === ph.actor);
    expect(new Set(naming.map((e) => e.user!.email)).size).toBeGreaterThanOrEqual(3);
    expect(Date.parse(naming[naming.length - 1]!['@timestamp']) - Date.parse(naming[0]!['@timestamp'])).toBeLessThanOrEqual(2 * 60 * MINUTE);
    expect(naming.filter((e) => e.labels?.sender_ip !== undefined).every((e) => e.labels!.sender_ip === ph.ip)).toBe(true);
    expect(naming.every((e) => !e.email!.from!.address!.includes(small.org.domain))).toBe(true);

    const xd = truth['dropbox-mass-download']!;
    const dbxDownloads = small.dropbox.events.filter((e) => e.event_type['.tag'] === 'file_download' && e.actor.user.email === xd.actor && e.timestamp >= xd.start.slice(0, 19) && e.timestamp <= xd.end);
    expect(dbxDownloads.length).toBeGreaterThanOrEqual(Math.min(60, xd.events));
    expect(Date.parse(xd.end) - Date.parse(xd.start)).toBeLessThanOrEqual(12 * 60_000);

    // A card-settlement Sheet made link-readable and an Excel export shared to a personal Gmail, both full of valid card numbers.
    const sf = truth['sensitive-file-exposure']!;
    const [sheetId, xlsxId] = sf.targets;
    const sheet = small.google.files.find((f) => f.id === sheetId)!;
    const upload = small.google.files.find((f) => f.id === xlsxId)!;
    expect(sheet.mimeType).toBe('application/vnd.google-apps.spreadsheet');
    expect(sheet.permissions!.some((p) => p.type === 'anyone')).toBe(true);
    expect(upload.permissions!.some((p) => p.emailAddress?.endsWith('@gmail.com'))).toBe(true);
    const cards = String(sheet.content).split('\r\n').slice(1, -1).map((row) => row.split(',')[4]!.replace(/[ -]/g, ''));
    expect(cards).toHaveLength(120);
    expect(cards.every(luhnValid)).toBe(true);
    expect(new Set(cards.map((c) => c[0])).size).toBeGreaterThanOrEqual(3);
    expect(Buffer.isBuffer(upload.content) && upload.content.subarray(0, 2).toString()).toBe('PK');
    const exposed = events.filter(({ a, e }) => a.actor.email === sf.actor && (e.name === 'change_document_visibility' || e.name === 'change_user_access') && within(a.id.time, 'sensitive-file-exposure'));
    expect(exposed.map(({ e }) => e.name)).toEqual(['change_document_visibility', 'change_user_access']);
    // Clear of the other attacks: nobody else's alert explains it.
    expect(small.truth.filter((t) => t !== sf && t.actor === sf.actor)).toEqual([]);
  });

  it('keeps normal activity in working hours of each user time zone, across several zones', () => {
    const byEmail = new Map(small.org.users.map((u) => [u.email, u]));
    const attackIps = new Set(small.truth.map((t) => t.ip));
    const attackActors = new Set(small.truth.map((t) => t.actor));
    let inHours = 0;
    let total = 0;
    for (const a of small.google.activities) {
      const u = byEmail.get(a.actor.email ?? '');
      if (!u || attackIps.has(a.ipAddress) || attackActors.has(u.email)) continue;
      total++;
      const h = localHour(u.tz, Date.parse(a.id.time));
      if (h >= 6.5 && h < 20) inHours++;
    }
    expect(total).toBeGreaterThan(1000);
    expect(inHours / total).toBeGreaterThan(0.93);
    expect(new Set(small.org.users.map((u) => u.tz)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(small.org.users.map((u) => u.country)).size).toBeGreaterThanOrEqual(4);
    // Users come from their usual addresses, all of which the directory places in the user's country.
    for (const u of small.org.users) for (const ip of u.ips) expect(small.org.ipDirectory[ip]?.country).toBe(u.country);
  });

  it('produces a clean organisation when no attacks are asked for', () => {
    const clean = generateScenario({ ...SMALL, attacks: [] });
    expect(clean.truth).toEqual([]);
    expect(clean.google.activities.some((a) => a.ipAddress?.startsWith('203.0.113.'))).toBe(false);
    expect(allGoogleEvents(clean).some(({ p }) => p.target_user?.value?.endsWith('@gmail.com'))).toBe(false);
    // Normal behaviour does not depend on which attacks were injected.
    const normalOf = (s: Scenario) => s.google.activities.filter((a) => a.id.applicationName === 'token').map((a) => a.id.time);
    expect(normalOf(clean)).toEqual(normalOf(small));
    expect(clean.microsoft.signIns).toEqual(normalSignIns(small));
    expect(clean.microsoft.reportedMessages).toEqual([]);
  });

  it('scales with users × days', () => {
    const count = (s: Scenario) => s.google.activities.length + s.dropbox.events.length;
    const a = count(generateScenario({ seed: 3, users: 30, files: 300, days: 7, attacks: [] }));
    const b = count(generateScenario({ seed: 3, users: 60, files: 300, days: 14, attacks: [] }));
    expect(b / a).toBeGreaterThan(3);
    expect(b / a).toBeLessThan(5);
  });

  it('defaults to 300 users and 3000 files', () => {
    const s = generateScenario({ days: 1, attacks: [] });
    expect(s.org.users).toHaveLength(300);
    expect(s.org.files).toHaveLength(3000);
    expect(new Set(s.org.users.map((u) => u.email)).size).toBe(300);
  });

  it('rejects nonsensical sizes', () => {
    expect(() => generateScenario({ users: 0 })).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED', message: 'scenario users: must be a positive integer' }));
    expect(() => generateScenario({ files: 0 })).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED', message: 'scenario files: must be a positive integer' }));
    expect(() => generateScenario({ days: 0 })).toThrow(expect.objectContaining({ code: 'INPUT_MALFORMED', message: 'scenario days: must be positive' }));
  });
});
