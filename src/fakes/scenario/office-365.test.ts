import { describe, expect, it } from 'vitest';
import { normalizeRiskDetection, normalizeSignIn } from '../../sources/microsoft-graph/normalize.js';
import { normalizeRecord } from '../../sources/office-365/normalize.js';
import { ATTACK_CATEGORY, ATTACK_KINDS, generateScenario, type AttackKind, type Scenario } from './index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const INGESTED = '2025-06-02T00:00:00.000Z';
const CATALOGUE: AttackKind[] = ['onedrive-mass-download', 'mail-forwarding-rule', 'mfa-disabled-mass-download', 'risky-sign-in'];

const SMALL = { seed: 11, users: 60, files: 600, days: 5 } as const;
const small = generateScenario(SMALL);
const truthOf = (s: Scenario, kind: AttackKind) => s.truth.find((t) => t.kind === kind)!;

function o365Events(s: Scenario) {
  return s.office365.records.map(({ contentType, record }) => {
    const r = normalizeRecord(record, INGESTED, contentType);
    if (!r.ok) throw new Error(`${String(record.Operation)}: ${r.reason}`);
    return r.event;
  });
}

describe('the scenario\'s Microsoft 365 audit trail', () => {
  it('is every person\'s OneDrive, SharePoint and mail work, in the API\'s schema, oldest first', () => {
    const events = o365Events(small);
    expect(events.length).toBeGreaterThan(60 * 5 * 5);
    const people = new Set(small.org.users.map((u) => u.email));
    const ips = new Map(small.org.users.map((u) => [u.email, new Set(u.ips)]));
    const attackIps = new Set(small.truth.map((t) => t.ip));
    const times = small.office365.records.map((x) => Date.parse(`${String(x.record.CreationTime)}Z`));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse(small.window.start));
    expect(Math.max(...times)).toBeLessThan(Date.parse(small.window.end));
    for (const e of events) {
      expect(people.has(e.user!.email!), e.user!.email).toBe(true);
      // From the person's own addresses, or the attacker's for the attacks.
      expect(ips.get(e.user!.email!)!.has(e.source!.ip!) || attackIps.has(e.source!.ip!), `${e.user!.email} ${e.source?.ip}`).toBe(true);
    }
    const actions = new Set(events.map((e) => e.labels?.activity));
    for (const a of ['view', 'modify', 'download', 'upload', 'share']) expect(actions, a).toContain(a);
    // Record ids are unique: the source stores each once.
    expect(new Set(small.office365.records.map((x) => x.record.Id)).size).toBe(small.office365.records.length);
  });

  it('keeps ordinary days below the catalogue\'s rules: no mass download, no forwarding outside, no risk that stays above low', () => {
    const clean = generateScenario({ ...SMALL, users: 150, days: 14, attacks: [] });
    const events = o365Events(clean);
    const downloads = new Map<string, number[]>();
    for (const e of events) if (e.labels?.activity === 'download') downloads.set(e.user!.email!, [...(downloads.get(e.user!.email!) ?? []), Date.parse(e['@timestamp'])]);
    for (const [who, ts] of downloads) {
      ts.sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; i < ts.length; i++) {
        while (ts[i]! - ts[j]! > 15 * MINUTE) j++;
        most = Math.max(most, i - j + 1);
      }
      expect(most, who).toBeLessThan(50);
    }
    const rules = clean.office365.records.filter((x) => x.record.Operation === 'New-InboxRule');
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const forward = (r.record.Parameters as Array<{ Name: string; Value: string }>).find((p) => p.Name === 'ForwardTo');
      if (forward) expect(forward.Value.endsWith(`@${clean.org.domain}`), forward.Value).toBe(true);
    }
    expect(clean.microsoft.riskDetections.length).toBeGreaterThan(0);
    for (const d of clean.microsoft.riskDetections) {
      expect(d.riskLevel === 'low' || d.riskState === 'remediated', `${d.riskLevel} ${d.riskState}`).toBe(true);
      const r = normalizeRiskDetection(d, INGESTED);
      expect(r.ok && r.event.user?.email).toBe(d.userPrincipalName);
    }
  });

  it('changes nobody\'s ordinary day when the catalogue attacks are added', () => {
    const without = generateScenario({ ...SMALL, attacks: ATTACK_KINDS.filter((k) => !CATALOGUE.includes(k)) });
    const ids = (s: Scenario) => new Set(s.office365.records.map((x) => String(x.record.Id)));
    const withIds = ids(small);
    for (const id of ids(without)) expect(withIds.has(id)).toBe(true);
    // Every earlier attack where it was.
    expect(small.truth.filter((t) => !CATALOGUE.includes(t.kind))).toEqual(without.truth);
    const dropped = new Set(['user_accounts']);
    const google = (s: Scenario) => s.google.activities.filter((a) => !a.ipAddress?.startsWith('203.0.113.') && !dropped.has(a.id.applicationName)).map((a) => a.id.uniqueQualifier);
    expect(google(small)).toEqual(google(without));
  });
});

describe('the catalogue\'s attacks', () => {
  it('each lies inside the window, clear of every other attack by three hours, for short and long windows alike', () => {
    for (const opts of [SMALL, { seed: 5, users: 40, files: 400, days: 2 }, { seed: 23, users: 80, files: 800, days: 21 }, { seed: 101, users: 60, files: 600, days: 30 }]) {
      const s = opts === SMALL ? small : generateScenario(opts);
      for (const kind of CATALOGUE) expect(s.truth.map((t) => t.kind), kind).toContain(kind);
      const [start, end] = [Date.parse(s.window.start), Date.parse(s.window.end)];
      for (const kind of CATALOGUE) {
        const t = truthOf(s, kind);
        expect(Date.parse(t.start)).toBeGreaterThanOrEqual(start);
        expect(Date.parse(t.end)).toBeLessThan(end);
        if (opts.days < 5) continue;
        for (const other of s.truth.filter((o) => o !== t)) {
          const apart = Date.parse(t.start) > Date.parse(other.end) ? Date.parse(t.start) - Date.parse(other.end) : Date.parse(other.start) - Date.parse(t.end);
          expect(apart, `${kind} vs ${other.kind}`).toBeGreaterThanOrEqual(3 * HOUR);
        }
      }
      // Seen only through the Management Activity API, which keeps 7 days: a month's demo still reads them.
      for (const kind of ['onedrive-mass-download', 'mail-forwarding-rule'] as const) {
        expect(end - Date.parse(truthOf(s, kind).start), kind).toBeLessThan(7 * 24 * HOUR);
      }
      // Someone new each time: an attack's alerts are its own.
      const actors = s.truth.map((t) => t.actor);
      for (const kind of CATALOGUE) expect(actors.filter((a) => a === truthOf(s, kind).actor), kind).toHaveLength(1);
    }
  });

  it('downloads a OneDrive library in minutes, as the mass-download rule counts it', () => {
    const t = truthOf(small, 'onedrive-mass-download');
    // Records carry whole seconds.
    const [from, to] = [Math.floor(Date.parse(t.start) / 1000) * 1000, Date.parse(t.end)];
    const downloads = o365Events(small).filter((e) => e.user?.email === t.actor && e.labels?.activity === 'download' && Date.parse(e['@timestamp']) >= from && Date.parse(e['@timestamp']) <= to);
    expect(downloads.length).toBe(t.events);
    expect(downloads.length).toBeGreaterThanOrEqual(100);
    expect(Date.parse(t.end) - Date.parse(t.start)).toBeLessThanOrEqual(15 * MINUTE);
    expect(new Set(downloads.map((e) => e.source?.ip))).toEqual(new Set([t.ip]));
  });

  it('signs in from abroad, then hides a rule forwarding every message outside', () => {
    const t = truthOf(small, 'mail-forwarding-rule');
    const signIn = small.microsoft.signIns.find((x) => x.ipAddress === t.ip)!;
    const e = normalizeSignIn(signIn, INGESTED);
    expect(e.ok && [e.event.user?.email, e.event.event.outcome]).toEqual([t.actor, 'success']);
    const rule = small.office365.records.find((x) => x.record.Operation === 'New-InboxRule' && x.record.UserId === t.actor)!;
    const params = Object.fromEntries((rule.record.Parameters as Array<{ Name: string; Value: string }>).map((p) => [p.Name, p.Value]));
    expect(params).toMatchObject({ Name: '.', ForwardTo: `smtp:${t.targets[0]}`, DeleteMessage: 'True' });
    const r = normalizeRecord(rule.record, INGESTED, rule.contentType);
    expect(r.ok && [r.event.source?.ip, r.event.labels?.forwarding_external]).toEqual([t.ip, 'true']);
    expect(Date.parse(String(rule.record.CreationTime) + 'Z')).toBeGreaterThan(Date.parse(signIn.createdDateTime!));
  });

  it('turns 2-step verification off before the downloads, from the same address', () => {
    const t = truthOf(small, 'mfa-disabled-mass-download');
    const mine = small.google.activities.filter((a) => a.actor.email === t.actor && a.ipAddress === t.ip);
    const names = mine.flatMap((a) => a.events.map((e) => e.name));
    expect(names.slice(0, 2)).toEqual(['login_success', '2sv_disable']);
    // Its targets name each file twice: by Drive id, and as the sensitive-files detector does.
    const files = t.targets.filter((x) => !x.startsWith('google-drive:'));
    expect(t.targets.filter((x) => x.startsWith('google-drive:'))).toEqual(files.map((id) => `google-drive:${id}`));
    expect(names.filter((n) => n === 'download').length).toBe(files.length);
    expect(files.length).toBeGreaterThanOrEqual(60);
  });

  it('raises three high detections on one risky sign-in, tied to it by request id', () => {
    const t = truthOf(small, 'risky-sign-in');
    const signIn = small.microsoft.signIns.find((x) => x.ipAddress === t.ip)!;
    expect([signIn.userPrincipalName, signIn.riskLevelDuringSignIn, signIn.riskState]).toEqual([t.actor, 'high', 'atRisk']);
    const detections = small.microsoft.riskDetections.filter((d) => d.userPrincipalName === t.actor);
    expect(detections.map((d) => [d.riskLevel, d.riskState, d.requestId])).toEqual(Array(3).fill(['high', 'atRisk', signIn.id]));
    expect(new Set(detections.map((d) => d.id)).size).toBe(3);
  });

  it('gives every attack kind a catalogue category', () => {
    for (const k of ATTACK_KINDS) expect(ATTACK_CATEGORY[k], k).toBeTruthy();
  });
});
