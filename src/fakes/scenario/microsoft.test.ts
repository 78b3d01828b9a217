import { describe, expect, it } from 'vitest';
import { Rng } from '../../detection/random.js';
import { localParts } from './clock.js';
import { entraDevice, lookAlikeDomains, mirrorSignIns, phishingCampaign, type GoogleLogin } from './microsoft.js';
import { IpAllocator, buildUsers } from './org.js';
import type { ScenarioUser } from './types.js';

const MINUTE = 60_000;
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const T = Date.parse('2025-05-27T08:30:00Z');

const ips = new IpAllocator();
const users = buildUsers(new Rng('microsoft-test'), 80, ips);
const person: ScenarioUser = { ...users[0]!, userAgents: [DESKTOP, PHONE] };
const laptopOnly: ScenarioUser = { ...users[1]!, userAgents: [DESKTOP] };
const geo = (ip: string) => ips.directory[ip]!;

const DAY = 1440 * MINUTE;
const mirror = (logins: GoogleLogin[], window = { start: T - DAY, end: T + DAY }, seed = 'm') => mirrorSignIns(new Rng(seed), logins, geo, window);
const at = (s: { createdDateTime?: string | null }) => Date.parse(s.createdDateTime!);
const agent = (s: object) => (s as { userAgent?: string }).userAgent;

describe('mirrorSignIns', () => {
  it('signs the person in from the same address and their browser, never the phone, minutes after the Google login', () => {
    const ip = person.ips[0]!;
    const out = mirror([{ t: T, user: person, ip, outcome: 'success' }]);
    expect(out).toHaveLength(1);
    const s = out[0]!;
    expect([s.userPrincipalName, s.userId, s.userDisplayName, s.ipAddress, s.status?.errorCode, agent(s)]).toEqual([person.email, person.entraObjectId, person.name, ip, 0, DESKTOP]);
    expect(at(s) - T).toBeGreaterThanOrEqual(20_000);
    expect(at(s) - T).toBeLessThanOrEqual(15 * MINUTE);
    const place = geo(ip);
    expect(s.location).toMatchObject({ city: place.city, state: place.region, countryOrRegion: place.country });
    expect(s.deviceDetail).toMatchObject({ operatingSystem: 'Windows10', browser: 'Chrome 131.0.0' });
    // Whichever order the person's agents are listed in, the phone does not sign in interactively.
    const phoneFirst = { ...person, userAgents: [PHONE, DESKTOP] };
    expect(mirror([{ t: T, user: phoneFirst, ip, outcome: 'success' }]).map(agent)).toEqual([DESKTOP]);
  });

  it('signs in again through the working day as sessions lapse, never after it ends', () => {
    const ip = person.ips[person.ips.length - 1]!;
    const days = Array.from({ length: 20 }, (_, d) => ({ t: T + d * DAY, user: person, ip, outcome: 'success' as const, dayEnd: T + d * DAY + 8 * 60 * MINUTE }));
    const out = mirror(days, { start: T, end: T + 30 * DAY });
    for (const d of days) expect(out.some((s) => at(s) - d.t >= 0 && at(s) - d.t <= 15 * MINUTE), new Date(d.t).toISOString()).toBe(true);
    expect(out.every((s) => s.ipAddress === ip && agent(s) === DESKTOP && days.some((d) => at(s) >= d.t && at(s) <= d.dayEnd))).toBe(true);
    expect(out.length).toBeGreaterThan(2 * days.length);
    expect(out.filter((s) => (at(s) - T) % DAY > 4 * 60 * MINUTE).length).toBeGreaterThan(5);
    expect(out.map(at)).toEqual(out.map(at).sort((a, b) => a - b));
  });

  it('repeats a failed Google password on Microsoft 365 within a minute', () => {
    const ip = person.ips[0]!;
    const out = mirror([{ t: T, user: person, ip, outcome: 'failure' }]);
    expect(out).toHaveLength(1);
    expect(out[0]!.status).toMatchObject({ errorCode: 50126 });
    expect(at(out[0]!) - T).toBeGreaterThanOrEqual(5_000);
    expect(at(out[0]!) - T).toBeLessThanOrEqual(MINUTE);
  });

  it('keeps what falls inside the window, from logins on either side of its start, drawn the same wherever it lies', () => {
    const ip = person.ips[0]!;
    const logins: GoogleLogin[] = [
      { t: T - 10 * MINUTE, user: person, ip, outcome: 'success', dayEnd: T + 8 * 60 * MINUTE },
      { t: T + 2 * 60 * MINUTE, user: laptopOnly, ip: laptopOnly.ips[0]!, outcome: 'success' },
    ];
    const all = mirror(logins, { start: T - DAY, end: T + DAY });
    const inside = (lo: number, hi: number) => all.filter((s) => at(s) >= lo && at(s) < hi);
    const cut = mirror(logins, { start: T, end: T + 2 * 60 * MINUTE });
    expect(cut).toEqual(inside(T, T + 2 * 60 * MINUTE));
    expect(mirror(logins, { start: T, end: T + DAY })).toEqual(inside(T, T + DAY));
    expect(mirror(logins, { start: T, end: T + DAY }).length).toBeGreaterThan(cut.length);
    expect(mirror(logins, undefined, 'other')).not.toEqual(all);
  });
});

describe('entraDevice', () => {
  it.each([
    [DESKTOP, 'Windows10', 'Chrome 131.0.0'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Windows10', 'Edge 131.0.0'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'MacOs', 'Safari 18.1'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Linux', 'Firefox 133.0'],
    [PHONE, 'Ios 18.1', 'Mobile Safari'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36', 'Android 14', 'Chrome Mobile 131.0.6778'],
  ])('names %s as Entra does', (ua, os, browser) => {
    expect(entraDevice(ua)).toEqual({ os, browser });
  });
});

describe('phishingCampaign', () => {
  it('uses a domain one glance from the organisation, never a real one', () => {
    const domains = lookAlikeDomains('example.com');
    expect(domains).toEqual(expect.arrayContaining(['examp1e.example', 'exarnple.example', 'example-sso.example']));
    expect(domains.every((d) => d.endsWith('.example') && d !== 'example.com')).toBe(true);
  });

  it('is reported by four to eight of its recipients within about an hour and a half, one by forwarding', () => {
    // A Tuesday at 09:00 in New York: the people at their desks are the ones who see it.
    const t0 = Date.parse('2025-05-27T13:00:00Z');
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const c = phishingCampaign(new Rng(seed), { users, domain: 'example.com', mailbox: 'phish-reports@example.com', t0, senderIp: '203.0.113.50', end: t0 + 1440 * MINUTE });
      expect(lookAlikeDomains('example.com')).toContain(c.sender.address.split('@')[1]);
      expect(c.recipients.length).toBeGreaterThanOrEqual(Math.min(20, users.length));
      const reporters = c.reports.map((r) => r.reporter.email);
      expect(new Set(reporters).size).toBe(reporters.length);
      expect(reporters.length).toBeGreaterThanOrEqual(4);
      expect(reporters.length).toBeLessThanOrEqual(8);
      expect(c.reports.every((r) => c.recipients.includes(r.reporter) && r.t > t0 && r.t - t0 <= 100 * MINUTE)).toBe(true);
      expect(c.reports.map((r) => r.t)).toEqual(c.reports.map((r) => r.t).sort((a, b) => a - b));
      expect(c.reports.filter((r) => r.kind === 'forward').length).toBe(reporters.length >= 5 ? 1 : 0);
      for (const r of c.reports) {
        expect(r.message.from?.emailAddress?.address).toBe(r.reporter.email);
        expect(r.message.toRecipients?.[0]?.emailAddress?.address).toBe('phish-reports@example.com');
      }
      const working = c.recipients.filter((u) => {
        const p = localParts(u.tz, t0);
        return p.weekday >= 1 && p.weekday <= 5 && p.hour >= 8 && p.hour < 18;
      });
      expect(working).toEqual(c.recipients);
    }
  });

  it('keeps only the reports that arrive before the window ends', () => {
    const t0 = Date.parse('2025-05-27T13:00:00Z');
    const args = { users, domain: 'example.com', mailbox: 'phish-reports@example.com', t0, senderIp: '203.0.113.50' };
    const all = phishingCampaign(new Rng('z'), { ...args, end: t0 + 1440 * MINUTE });
    const cut = all.reports[2]!.t;
    const early = phishingCampaign(new Rng('z'), { ...args, end: cut });
    expect(early.reports).toEqual(all.reports.slice(0, 2));
  });
});
