import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding, SecurityEvent } from '../../core/index.js';
import { createEnrichers } from '../../enrich/index.js';
import { normalizeAccessLog, normalizeAuditEntry } from '../../sources/slack/normalize.js';
import type { SlackAccessLog, SlackAuditEntry } from '../../sources/slack/wire.js';
import { openStore } from '../../storage/index.js';
import { Rng } from '../random.js';
import { noveltyConfigSchema } from './config.js';
import { NoveltyDetector } from './detector.js';
import { noveltyPlugin } from './plugin.js';
import { BERLIN, LAGOS, LONDON, login, PARIS, type Place } from './testing.js';

const T0 = Date.parse('2026-10-05T08:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Weekday logins from Paris (home ISP) or London (client site) over `days`, with one browser. */
function routine(user: string, days: number, seed = 1, from = 0): SecurityEvent[] {
  const rng = new Rng(seed);
  const out: SecurityEvent[] = [];
  for (let d = from; d < from + days; d++) {
    const wd = new Date(T0 + d * DAY).getUTCDay();
    if (wd === 0 || wd === 6) continue;
    for (let k = 0; k < 1 + rng.int(3); k++) out.push(login(T0 + d * DAY + k * 2 * HOUR + rng.int(HOUR), user, rng.chance(0.8) ? PARIS : LONDON));
  }
  return out;
}

function feed(d: NoveltyDetector, events: SecurityEvent[]): Finding[] {
  const out = events.flatMap((e) => d.observe(e));
  return [...out, ...d.flush({ final: true })];
}

describe('novelty detector', () => {
  it('has the documented defaults', () => {
    expect(noveltyConfigSchema.parse({})).toEqual({
      attributes: ['country', 'asn', 'user_agent'],
      learning_period: 7 * DAY,
      max_values: 16,
      max_users: 100_000,
      severity: 'medium',
      org_country: true,
      org_learning_period: 14 * DAY,
      org_memory: 90 * DAY,
      org_severity: 'high',
    });
    expect(noveltyConfigSchema.safeParse({ org_memory: '12h' }).success).toBe(false);
    expect(noveltyConfigSchema.safeParse({ attributes: ['city'] }).success).toBe(false);
    expect(noveltyPlugin.create(noveltyPlugin.configSchema.parse({}), {} as never).id).toBe('novelty');
  });

  it('learns quietly, then fires once per new country, and never for failures', () => {
    // A one-person organisation: every new country of hers is new to it too, which is tested below.
    const d = new NoveltyDetector(noveltyConfigSchema.parse({ attributes: ['country'], org_country: false }));
    const user = 'alice@example.com';
    // Berlin on day 3 is during learning: learned, not reported.
    const events = [...routine(user, 3), login(T0 + 3 * DAY, user, BERLIN), ...routine(user, 20, 2, 4)];
    expect(feed(d, events)).toEqual([]);
    const lagos1 = login(T0 + 25 * DAY, user, LAGOS);
    expect(feed(d, [login(T0 + 24 * DAY, user, LAGOS, { outcome: 'failure' })])).toEqual([]);
    const [f, ...rest] = feed(d, [lagos1, login(T0 + 25 * DAY + HOUR, user, LAGOS), login(T0 + 26 * DAY, user, BERLIN)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: 'novelty', entity: { type: 'user', value: user }, windowStart: T0 + 25 * DAY, evidence: [lagos1.event.id] });
    expect(f!.observed).toMatchObject({ new_country: 1 });
    expect(f!.expected).toMatchObject({ known_country_values: 3 });
    expect(f!.description).toMatch(/logged in from Lagos, NG with new country NG \(known: .*FR.*\), for the first time in \d+ days of history/);
  });

  it('does not flag a brand-new user on their first day, from anywhere', () => {
    const d = new NoveltyDetector(noveltyConfigSchema.parse({}));
    const places: Place[] = [PARIS, LAGOS, BERLIN, LONDON];
    expect(feed(d, places.map((p, i) => login(T0 + i * HOUR, 'new@example.com', p, { ua: ['Chrome', 'Firefox', 'Safari', 'Edge'][i]! })))).toEqual([]);
  });

  it('lists every new attribute of one login in one finding', () => {
    const d = new NoveltyDetector(noveltyConfigSchema.parse({}));
    feed(d, routine('bob@example.com', 14));
    const out = feed(d, [login(T0 + 15 * DAY, 'bob@example.com', LAGOS, { ua: 'curl' })]);
    expect(out).toHaveLength(1);
    expect(out[0]!.observed).toMatchObject({ new_values: 3, new_country: 1, new_asn: 1, new_user_agent: 1, asn: 37148 });
  });

  it('keeps what it learned through SQLite, within 2 KB per user, and replays the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saaswatch-novelty-'));
    try {
      const store = await openStore({ dialect: 'sqlite', path: join(dir, 's.db') });
      const cfg = noveltyConfigSchema.parse({});
      const a = new NoveltyDetector(cfg, { state: store });
      await a.restore();
      feed(a, routine('carol@example.com', 14));
      await a.persist();
      expect(Buffer.byteLength(JSON.stringify(await store.getState('novelty:carol@example.com')))).toBeLessThanOrEqual(2048);
      const b = new NoveltyDetector(cfg, { state: store });
      await b.restore();
      const later = [login(T0 + 15 * DAY, 'carol@example.com', PARIS), login(T0 + 16 * DAY, 'carol@example.com', LAGOS)];
      const restored = feed(b, later);
      const c = new NoveltyDetector(cfg);
      feed(c, routine('carol@example.com', 14));
      const uninterrupted = feed(c, later);
      expect(restored).toHaveLength(1);
      expect(restored).toEqual(uninterrupted);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('novelty on Slack logins', () => {
  // What the Slack source emits, placed by the GeoIP enricher as in a deployment (here from overrides:
  // the documentation ranges are in no database).
  const HOME = '198.51.100.7';
  const ABROAD = '203.0.113.9';
  const user = { id: 'W012J3FEWAU', name: 'alice', email: 'alice@example.com' };
  const desktop = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.137 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105';
  const s = (ms: number) => Math.floor(ms / 1000);
  const audit = (ms: number, action: string, ip: string, n: number): SlackAuditEntry => ({
    id: `0123a45b-6c7d-4e8f-9a0b-${String(n).padStart(12, '0')}`,
    date_create: s(ms),
    action,
    actor: { type: 'user', user: { ...user, team: 'E012MH3HS94' } },
    entity: { type: 'user', user },
    context: { location: { type: 'enterprise', id: 'E012MH3HS94' }, ua: desktop, ip_address: ip, session_id: 2_581_316_728_128 + n },
  });

  async function run(records: Array<{ ms: number; e: SecurityEvent }>): Promise<Finding[]> {
    const enrich = await createEnrichers({
      geoip: false,
      asn: false,
      userAgent: true,
      overrides: { geo: { [HOME]: { country_iso_code: 'FR', city_name: 'Paris' }, [ABROAD]: { country_iso_code: 'RO', city_name: 'Bucharest' } } },
    });
    const d = new NoveltyDetector(noveltyConfigSchema.parse({}));
    const events = records.sort((a, b) => a.ms - b.ms).map(({ e }) => {
      for (const f of enrich) f(e);
      return e;
    });
    return feed(d, events);
  }
  const ok = (r: ReturnType<typeof normalizeAuditEntry>) => {
    if (!r.ok) throw new Error(r.reason);
    return r.event;
  };

  it('learns the audit log\'s daily logins and the access log\'s aggregates, then flags a new country once', async () => {
    const normal: Array<{ ms: number; e: SecurityEvent }> = [];
    for (let d = 0; d < 10; d++) {
      const ms = T0 + d * DAY;
      normal.push({ ms, e: ok(normalizeAuditEntry(audit(ms, 'user_login', HOME, d), '2026-10-20T00:00:00.000Z')) });
    }
    // The desktop app's aggregate, read at the end: one login at its date_last.
    const row: SlackAccessLog = { user_id: user.id, username: user.name, date_first: s(T0), date_last: s(T0 + 10 * DAY), count: 84, ip: HOME, user_agent: desktop, isp: 'Orange S.A.', country: 'FR', region: 'Île-de-France' };
    normal.push({ ms: T0 + 10 * DAY, e: ok(normalizeAccessLog(row, '2026-10-20T00:00:00.000Z', { email: user.email })) });
    expect(await run([...normal])).toEqual([]);

    const t = T0 + 12 * DAY;
    const failed = ok(normalizeAuditEntry(audit(t - 60_000, 'user_login_failed', ABROAD, 100), '2026-10-20T00:00:00.000Z'));
    const signIn = ok(normalizeAuditEntry(audit(t, 'user_login', ABROAD, 101), '2026-10-20T00:00:00.000Z'));
    const logout = ok(normalizeAuditEntry(audit(t + HOUR, 'user_logout', ABROAD, 102), '2026-10-20T00:00:00.000Z'));
    const stolen = ok(normalizeAccessLog({ ...row, ip: ABROAD, date_first: s(t), date_last: s(t + HOUR), count: 40, isp: 'M247 Europe SRL', country: 'RO', region: 'Bucuresti' }, '2026-10-20T00:00:00.000Z', { email: user.email }));
    const findings = await run([...normal, { ms: t - 60_000, e: failed }, { ms: t, e: signIn }, { ms: t + HOUR, e: logout }, { ms: t + HOUR, e: stolen }]);
    // The failure proves nothing, the logout is not a login, and the aggregate repeats a country already reported.
    expect(findings.map((f) => [f.entity.value, f.windowStart, f.evidence])).toEqual([[user.email, t - (t % 1000), [signIn.event.id]]]);
    expect(findings[0]!.description).toMatch(/alice@example\.com logged in from Bucharest, RO with new country RO \(known: FR\)/);
  });
});
