import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localHour } from './clock.js';
import { ATTACK_KINDS, DEFAULT_END, generateScenario, type Scenario } from './index.js';

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
      expect(unknownPaths(f, fixture('drive-file.json'))).toEqual([]);
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
  });

  it('injects every attack into the records and into truth', () => {
    expect(small.truth.map((t) => t.kind).sort()).toEqual([...ATTACK_KINDS].sort());
    const events = allGoogleEvents(small);
    const truth = Object.fromEntries(small.truth.map((t) => [t.kind, t]));
    const within = (time: string, k: string) => time >= truth[k]!.start && time <= truth[k]!.end;

    const downloads = events.filter(({ a, e }) => e.name === 'download' && a.actor.email === truth['mass-download']!.actor && within(a.id.time, 'mass-download'));
    expect(downloads.length).toBeGreaterThanOrEqual(200);
    expect(Date.parse(truth['mass-download']!.end) - Date.parse(truth['mass-download']!.start)).toBeLessThanOrEqual(30 * 60_000);

    const toGmail = events.filter(({ e, p }) => e.name === 'change_user_access' && p.target_user?.value?.endsWith('@gmail.com'));
    expect(toGmail.length).toBe(truth['mass-external-share']!.events);
    expect(toGmail.every(({ p }) => p.visibility_change?.value === 'external')).toBe(true);

    const pub = events.filter(({ e, p }) => e.name === 'change_document_visibility' && p.new_value?.multiValue?.[0] === 'people_with_link');
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

    const xd = truth['dropbox-mass-download']!;
    const dbxDownloads = small.dropbox.events.filter((e) => e.event_type['.tag'] === 'file_download' && e.actor.user.email === xd.actor && e.timestamp >= xd.start.slice(0, 19) && e.timestamp <= xd.end);
    expect(dbxDownloads.length).toBeGreaterThanOrEqual(Math.min(60, xd.events));
    expect(Date.parse(xd.end) - Date.parse(xd.start)).toBeLessThanOrEqual(12 * 60_000);
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
    expect(() => generateScenario({ users: 0 })).toThrow(RangeError);
    expect(() => generateScenario({ files: 0 })).toThrow(RangeError);
    expect(() => generateScenario({ days: 0 })).toThrow(RangeError);
  });
});
