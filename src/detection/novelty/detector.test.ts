import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding, SecurityEvent } from '../../core/index.js';
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
    expect(noveltyConfigSchema.parse({})).toEqual({ attributes: ['country', 'asn', 'user_agent'], learning_period: 7 * DAY, max_values: 16, max_users: 100_000, severity: 'medium' });
    expect(noveltyConfigSchema.safeParse({ attributes: ['city'] }).success).toBe(false);
    expect(noveltyPlugin.create(noveltyPlugin.configSchema.parse({}), {} as never).id).toBe('novelty');
  });

  it('learns quietly, then fires once per new country, and never for failures', () => {
    const d = new NoveltyDetector(noveltyConfigSchema.parse({ attributes: ['country'] }));
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
