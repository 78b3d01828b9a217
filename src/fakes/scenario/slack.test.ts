/** The scenario's Slack: people, integrations, access-log aggregates and audit entries that follow the organisation's days, and the takeover. */
import { describe, expect, it } from 'vitest';
import { generateScenario, type Scenario } from './index.js';

const SMALL = { seed: 7, users: 60, files: 600, days: 5 } as const;
const small = generateScenario(SMALL);
const clean = generateScenario({ ...SMALL, attacks: [] });
const MINUTE = 60_000;

const SLACK_CLIENT = /Slack\/4\.\d+\.\d+ Chrome\/[\d.]+ Electron|^SlackWeb Mozilla\/5\.0|^com\.tinyspeck\.chatlyio\/|^Slack\/[\d.]+ \(/;

function people(s: Scenario) {
  return new Map(s.slack.users.filter((u) => !u.is_bot && !u.is_app_user).map((u) => [u.id, u]));
}

describe('the scenario in Slack', () => {
  it('lists everyone with their address, and integrations without one', () => {
    const { users, teamId, enterpriseId } = small.slack;
    expect(teamId).toMatch(/^T0[A-Z0-9]{9}$/);
    expect(enterpriseId).toMatch(/^E0[A-Z0-9]{9}$/);
    const humans = [...people(small).values()];
    expect(humans.map((u) => u.profile.email).sort()).toEqual(small.org.users.map((u) => u.email).sort());
    expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
    for (const u of humans) {
      expect(u.id).toMatch(/^W0[A-Z0-9]{9}$/);
      expect(u.team_id).toBe(teamId);
      expect(u.name).toBe(u.profile.email!.split('@')[0]);
    }
    const admins = small.org.users.filter((u) => u.isAdmin).map((u) => u.email);
    expect(humans.filter((u) => u.is_admin).map((u) => u.profile.email)).toEqual(admins);
    const integrations = users.filter((u) => u.is_bot || u.is_app_user);
    expect(integrations.length).toBeGreaterThanOrEqual(3);
    expect(integrations.some((u) => u.is_app_user)).toBe(true);
    for (const u of integrations) expect(u.profile.email).toBeUndefined();
    // Ids follow the person, not the seed's stream: another organisation size keeps them.
    const bigger = generateScenario({ ...SMALL, users: 61, attacks: [] });
    const id = (s: Scenario, email: string) => s.slack.users.find((u) => u.profile.email === email)?.id;
    expect(id(bigger, small.org.users[0]!.email)).toBe(id(small, small.org.users[0]!.email));
  });

  it('keeps one access-log aggregate per user, address and client, placed as the directory places the address', () => {
    const { accessLogs } = clean.slack;
    const byId = people(clean);
    const orgUser = new Map(clean.org.users.map((u) => [u.email, u]));
    const start = Date.parse(clean.window.start) / 1000;
    const end = Date.parse(clean.window.end) / 1000;
    expect(accessLogs.length).toBeGreaterThan(clean.org.users.length);
    const keys = accessLogs.map((l) => `${l.user_id}|${l.ip}|${l.user_agent}`);
    expect(new Set(keys).size).toBe(keys.length);
    let integration = 0;
    for (const l of accessLogs) {
      expect(l.date_first).toBeLessThanOrEqual(l.date_last);
      expect(l.date_first >= start && l.date_last < end, JSON.stringify(l)).toBe(true);
      expect(Number.isInteger(l.date_first) && Number.isInteger(l.count) && l.count >= 1).toBe(true);
      const place = clean.org.ipDirectory[l.ip]!;
      expect([l.country, l.region, l.isp]).toEqual([place.country, place.region, place.asnOrg]);
      const su = byId.get(l.user_id);
      if (!su) {
        integration++;
        continue;
      }
      expect(l.username).toBe(su.name);
      expect(l.user_agent).toMatch(SLACK_CLIENT);
      // People use Slack from where they use everything else.
      expect(orgUser.get(su.profile.email!)!.ips).toContain(l.ip);
    }
    expect(integration).toBeGreaterThan(0);
    // Desktop app, browser and phone all appear.
    for (const client of [/Electron/, /^SlackWeb/, /chatlyio|Android/]) expect(accessLogs.some((l) => client.test(l.user_agent)), String(client)).toBe(true);
  });

  it('writes Audit Logs API entries for each working day, in time order and inside the window', () => {
    const { auditLogs } = clean.slack;
    const byId = new Map(clean.slack.users.map((u) => [u.id, u]));
    const times = auditLogs.map((e) => e.date_create);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]! >= Date.parse(clean.window.start) / 1000 && times[times.length - 1]! < Date.parse(clean.window.end) / 1000).toBe(true);
    expect(new Set(auditLogs.map((e) => e.id)).size).toBe(auditLogs.length);
    const actions = new Set(auditLogs.map((e) => e.action));
    for (const a of ['user_login', 'user_logout', 'file_downloaded', 'file_uploaded', 'file_shared', 'public_channel_created', 'user_login_failed']) expect(actions, a).toContain(a);
    // What normal days do not hold: those are the takeover's.
    for (const a of ['role_change_to_admin', 'role_change_to_owner']) expect(actions).not.toContain(a);
    for (const e of auditLogs) {
      expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.actor.type).toBe('user');
      const actor = byId.get(e.actor.user!.id)!;
      expect(actor, e.actor.user!.id).toBeDefined();
      expect(e.actor.user!.email).toBe(actor.profile.email);
      expect(['workspace', 'enterprise']).toContain(e.context.location!.type);
      if (e.action.startsWith('file_')) expect(e.entity.file!.id).toMatch(/^F0[A-Z0-9]{9}$/);
      if (e.action.startsWith('user_log')) expect(e.entity.user!.id).toBe(e.actor.user!.id);
      if (e.context.ip_address) expect(clean.org.ipDirectory[e.context.ip_address], e.context.ip_address).toBeDefined();
    }
    // Every person who logs in to Google opens Slack the same day, from the same address.
    const google = new Set(
      clean.google.activities.filter((a) => a.id.applicationName === 'login' && a.events[0]!.name === 'login_success').map((a) => `${a.actor.email}|${a.ipAddress}|${a.id.time.slice(0, 10)}`),
    );
    const logins = auditLogs.filter((e) => e.action === 'user_login');
    expect(logins.length).toBeGreaterThan(clean.org.users.length * 2);
    const matched = logins.filter((e) => google.has(`${e.actor.user!.email}|${e.context.ip_address}|${new Date(e.date_create * 1000).toISOString().slice(0, 10)}`));
    // Days that cross midnight UTC are the difference.
    expect(matched.length / logins.length).toBeGreaterThan(0.8);
    // Integrations act from their cloud, day and night.
    expect(auditLogs.some((e) => byId.get(e.actor.user!.id)!.is_bot)).toBe(true);
  });

  it('hides a takeover: a foreign sign-in, a mass download, an admin grant and a broad app', () => {
    const t = small.truth.find((x) => x.kind === 'slack-account-takeover')!;
    expect(t.sources).toEqual(['slack']);
    const victim = small.org.users.find((u) => u.email === t.actor)!;
    const su = small.slack.users.find((u) => u.profile.email === t.actor)!;
    const country = small.org.ipDirectory[t.ip!]!.country;
    expect(country).not.toBe(victim.country);
    const from = small.slack.auditLogs.filter((e) => e.context.ip_address === t.ip);
    expect(from.every((e) => e.actor.user!.id === su.id)).toBe(true);
    expect(from.length + 1).toBe(t.events);
    const [start, end] = [Date.parse(t.start) / 1000, Date.parse(t.end) / 1000];
    for (const e of from) expect(e.date_create >= Math.floor(start) && e.date_create <= end).toBe(true);
    expect(from.filter((e) => e.action === 'user_login_failed')).toHaveLength(2);
    expect(from.filter((e) => e.action === 'user_login')).toHaveLength(1);
    const downloads = from.filter((e) => e.action === 'file_downloaded');
    expect(downloads.length).toBeGreaterThanOrEqual(100);
    expect(downloads[downloads.length - 1]!.date_create - downloads[0]!.date_create).toBeLessThanOrEqual(20 * 60);
    const grant = from.find((e) => e.action === 'role_change_to_admin')!;
    expect(grant.entity.user!.email).toBe(t.targets[0]);
    const app = from.find((e) => e.action === 'app_installed')!;
    expect(app.entity.app!.scopes).toContain('admin');
    expect(app.entity.app!.is_directory_approved).toBe(false);
    expect(t.targets).toContain(app.entity.app!.id);
    const agg = small.slack.accessLogs.filter((l) => l.ip === t.ip);
    expect(agg).toHaveLength(1);
    expect(agg[0]).toMatchObject({ user_id: su.id, country });
    // "New": nowhere else in Slack does the victim come from abroad.
    const elsewhere = small.slack.auditLogs.filter((e) => e.actor.user!.id === su.id && e.context.ip_address !== t.ip);
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(elsewhere.every((e) => small.org.ipDirectory[e.context.ip_address!]!.country === victim.country)).toBe(true);
    // Clear of the other attacks, so each alert has one explanation.
    for (const other of small.truth.filter((x) => x !== t)) {
      expect(Date.parse(t.start) > Date.parse(other.end) + 3 * 60 * MINUTE || Date.parse(t.end) < Date.parse(other.start) - 3 * 60 * MINUTE, other.kind).toBe(true);
    }
  });

  it('leaves normal Slack activity as it is, with or without the attack', () => {
    const ip = small.truth.find((x) => x.kind === 'slack-account-takeover')!.ip;
    expect(clean.truth).toEqual([]);
    expect(small.slack.auditLogs.filter((e) => e.context.ip_address !== ip)).toEqual(clean.slack.auditLogs);
    expect(small.slack.accessLogs.filter((l) => l.ip !== ip)).toEqual(clean.slack.accessLogs);
    expect(JSON.stringify(clean.slack)).not.toContain('203.0.113.');
    // Asked for alone, it is the only attack.
    const only = generateScenario({ ...SMALL, attacks: ['slack-account-takeover'] });
    expect(only.truth.map((x) => x.kind)).toEqual(['slack-account-takeover']);
    expect(only.google.activities).toEqual(clean.google.activities);
  });
});
