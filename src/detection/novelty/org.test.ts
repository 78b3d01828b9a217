import { afterAll, describe, expect, it } from 'vitest';
import { eventTime, type Finding, type SecurityEvent, type Store } from '../../core/index.js';
import { Rng } from '../random.js';
import { asBatches, batchesOf, lifetime, restartInputs, splitRun, TempStores } from '../restart-testing.js';
import { noveltyConfigSchema } from './config.js';
import { NoveltyDetector, ORG_COUNTRY_TAG } from './detector.js';
import { MAX_ORG_COUNTRIES, OrgCountries } from './org.js';
import { BERLIN, BUCHAREST, HANOI, LAGOS, LONDON, login, NEW_YORK, PARIS, TOKYO, type Place } from './testing.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const stores = new TempStores();
afterAll(() => stores.cleanup());

type Staff = Array<[string, Place[]]>;

/** The organisation's working days: each person signs in one to three times a weekday from their usual places. */
function officeDays(t0: number, staff: Staff, days: number, seed: number, from = 0): SecurityEvent[] {
  const rng = new Rng(`org-novelty:${seed}`);
  const out: SecurityEvent[] = [];
  for (let d = from; d < from + days; d++) {
    const wd = new Date(t0 + d * DAY).getUTCDay();
    if (wd === 0 || wd === 6) continue;
    for (const [user, places] of staff) {
      if (rng.chance(0.05)) continue;
      for (let k = 0; k < 1 + rng.int(3); k++) out.push(login(t0 + d * DAY + k * 2 * HOUR + rng.int(HOUR), user, rng.pick(places)));
    }
  }
  return out;
}

const byTime = (events: SecurityEvent[]) => [...events].sort((a, b) => eventTime(a) - eventTime(b) || (a.event.id < b.event.id ? -1 : 1));

function run(config: Record<string, unknown>, events: SecurityEvent[]): Finding[] {
  const d = new NoveltyDetector(noveltyConfigSchema.parse(config));
  const out = byTime(events).flatMap((e) => d.observe(e));
  return [...out, ...d.flush({ final: true })];
}

const summary = (fs: Finding[]) => fs.map((f) => [f.entity.value, new Date(f.windowStart).toISOString(), f.severity, f.tags?.includes(ORG_COUNTRY_TAG) ? 'org' : 'user']);

// Monday 5 October 2026, 08:00 UTC.
const T0 = Date.parse('2026-10-05T08:00:00.000Z');
const STAFF: Staff = [
  ['alice@example.com', [PARIS, PARIS, LONDON]],
  ['bob@example.com', [PARIS]],
  ['carol@example.com', [LONDON]],
  ['dave@example.com', [BERLIN]],
  ['erin@example.com', [NEW_YORK]],
];

/** Five people in four countries for six weeks; trips and stolen passwords placed at fixed instants. */
function sixWeeks() {
  const marks = {
    // Day 3: dave at a conference in Bucharest, while the organisation is still learning.
    daveBucharest: login(T0 + 3 * DAY + 2 * HOUR, 'dave@example.com', BUCHAREST),
    // Day 20: alice's password used from Lagos: nobody in the organisation signs in from NG.
    aliceLagos: login(T0 + 20 * DAY + 10 * HOUR, 'alice@example.com', LAGOS, { ua: 'curl' }),
    // Day 21: bob's from Lagos too: new to him, no longer to the organisation.
    bobLagos: login(T0 + 21 * DAY + 9 * HOUR, 'bob@example.com', LAGOS),
    // Day 22: carol in Bucharest, where dave was during the learning period.
    carolBucharest: login(T0 + 22 * DAY + 9 * HOUR, 'carol@example.com', BUCHAREST),
    // Day 23: a wrong password for alice from Hanoi teaches the organisation nothing...
    aliceHanoiFailed: login(T0 + 23 * DAY + 9 * HOUR, 'alice@example.com', HANOI, { outcome: 'failure' }),
    // ...so erin's sign-in from Hanoi five minutes later is the organisation's first from VN, once.
    erinHanoi: login(T0 + 23 * DAY + 9 * HOUR + 5 * 60_000, 'erin@example.com', HANOI),
    erinHanoiAgain: login(T0 + 24 * DAY + 9 * HOUR, 'erin@example.com', HANOI),
  };
  return { events: byTime([...officeDays(T0, STAFF, 42, 1), ...Object.values(marks)]), marks };
}

describe('countries new to the organisation', () => {
  it('learns during the organisation\'s learning period, then reports a country nobody uses once, as the one finding of that login', () => {
    const { events, marks } = sixWeeks();
    const found = run({}, events);
    expect(summary(found)).toEqual([
      ['alice@example.com', marks.aliceLagos['@timestamp'], 'high', 'org'],
      ['bob@example.com', marks.bobLagos['@timestamp'], 'medium', 'user'],
      ['carol@example.com', marks.carolBucharest['@timestamp'], 'medium', 'user'],
      ['erin@example.com', marks.erinHanoi['@timestamp'], 'high', 'org'],
    ]);
    const [alice, , , erin] = found;
    expect(alice).toMatchObject({
      rule: 'novelty',
      title: 'First sign-in to the organisation from NG, by alice@example.com',
      evidence: [marks.aliceLagos.event.id],
      details: {
        'source.geo.country_iso_code': 'NG',
        'user.email': 'alice@example.com',
        'source.ip': '198.51.100.148',
        'source.as.number': 37148,
      },
      observed: { org_new_country: 1, new_country: 1, new_asn: 1, new_user_agent: 1, new_values: 3, asn: 37148, org_history_days: 20 },
      expected: { org_known_countries: 5, known_country_values: 2 },
    });
    expect(alice!.description).toBe(
      'alice@example.com signed in from Lagos, NG (198.51.100.148, AS37148): nobody in the organisation signed in from NG in the last 90 d ' +
        '(countries seen: DE, FR, GB, RO, US; learning period 14 d); for alice@example.com: new country NG (known: FR, GB); ' +
        'new network (ASN) AS37148 (known: AS3215, AS2856); new browser family curl (known: Chrome).',
    );
    expect(erin!.details).toEqual({
      'source.geo.country_iso_code': 'VN',
      'user.email': 'erin@example.com',
      'source.ip': '198.51.100.52',
      'source.as.number': 7552,
      'source.as.organization.name': 'Viettel Group',
    });
    expect(erin!.description).toContain('(198.51.100.52, AS7552 Viettel Group): nobody in the organisation signed in from VN');
    expect(erin!.description).toContain('countries seen: DE, FR, GB, NG, RO, US;');
  });

  it('stays quiet with the organisation feature off, leaving the per-user findings as they were', () => {
    const { events, marks } = sixWeeks();
    expect(summary(run({ org_country: false }, events))).toEqual([
      ['alice@example.com', marks.aliceLagos['@timestamp'], 'medium', 'user'],
      ['bob@example.com', marks.bobLagos['@timestamp'], 'medium', 'user'],
      ['carol@example.com', marks.carolBucharest['@timestamp'], 'medium', 'user'],
      ['erin@example.com', marks.erinHanoi['@timestamp'], 'medium', 'user'],
    ]);
  });

  it('reports a new hire whose very first sign-in comes from a country nobody uses, though the person has no history yet', () => {
    // Monday 11 January 2027, 09:00 UTC.
    const t1 = Date.parse('2027-01-11T09:00:00.000Z');
    const routine = officeDays(t1, STAFF, 30, 2);
    const frankParis = login(t1 + 17 * DAY + HOUR, 'frank@example.com', PARIS);
    const gretaTokyo = login(t1 + 18 * DAY + 3 * HOUR, 'greta@example.com', TOKYO);
    const found = run({ org_severity: 'critical' }, [...routine, frankParis, gretaTokyo]);
    expect(summary(found)).toEqual([['greta@example.com', gretaTokyo['@timestamp'], 'critical', 'org']]);
    expect(found[0]!.observed).toEqual({ new_values: 1, history_days: 0, org_new_country: 1, org_history_days: 18, asn: 2516 });
    expect(found[0]!.description).not.toContain('for greta@example.com:');
  });

  it('forgets a country nobody signed in from for org_memory, to the millisecond', () => {
    // Monday 1 June 2026, 06:00 UTC; bob flies to Tokyo on day 4, during the learning period.
    const t2 = Date.parse('2026-06-01T06:00:00.000Z');
    const staff: Staff = [['alice@example.com', [PARIS]], ['bob@example.com', [PARIS, LONDON]]];
    const routine = [...officeDays(t2, staff, 110, 3), login(t2 + 4 * DAY + 4 * HOUR, 'bob@example.com', TOKYO)];
    const within = login(t2 + 94 * DAY + 4 * HOUR, 'alice@example.com', TOKYO);
    const past = login(t2 + 94 * DAY + 4 * HOUR + 1, 'alice@example.com', TOKYO);
    expect(summary(run({}, [...routine, within]))).toEqual([['alice@example.com', within['@timestamp'], 'medium', 'user']]);
    expect(summary(run({}, [...routine, past]))).toEqual([['alice@example.com', past['@timestamp'], 'high', 'org']]);
    // Configurable: a 30-day memory has forgotten Tokyo by day 35.
    const day35 = login(t2 + 35 * DAY, 'alice@example.com', TOKYO);
    expect(summary(run({ org_memory: '30d' }, [...routine, day35]))).toEqual([['alice@example.com', day35['@timestamp'], 'high', 'org']]);
    // Bob's sign-ins from Tokyo on day 60 keep it known through day 94.
    const bobAgain = login(t2 + 60 * DAY, 'bob@example.com', TOKYO);
    expect(summary(run({}, [...routine, bobAgain, past]))).toEqual([['alice@example.com', past['@timestamp'], 'medium', 'user']]);
  });

  it('starts learning over after nobody signed in for longer than org_memory', () => {
    // Monday 3 August 2026, 07:00 UTC: three weeks, then the deployment is off for a hundred days.
    const t3 = Date.parse('2026-08-03T07:00:00.000Z');
    const before = officeDays(t3, STAFF, 21, 4);
    const after = officeDays(t3, STAFF, 30, 5, 121);
    // Five days into the new learning period: learned, not reported.
    const early = login(t3 + 126 * DAY + 2 * HOUR, 'carol@example.com', LAGOS);
    // Past it: reported, and judged against what was learned since the restart only.
    const late = login(t3 + 140 * DAY + 2 * HOUR, 'dave@example.com', HANOI);
    const found = run({}, [...before, ...after, early, late]);
    expect(summary(found).filter((s) => s[3] === 'org')).toEqual([['dave@example.com', late['@timestamp'], 'high', 'org']]);
    expect(found.find((f) => f.tags)!.observed).toMatchObject({ org_history_days: 19 });
  });

  it('judges logins in event-time order however they arrive within the watermark', async () => {
    const { events, marks } = sixWeeks();
    // Two stolen passwords used from Hanoi at the same millisecond: the organisation's first from VN
    // is the one with the smaller event id, in every order.
    const same = T0 + 23 * DAY + 9 * HOUR + 5 * 60_000;
    const twin = login(same, 'carol@example.com', HANOI);
    const all = byTime([...events, twin]);
    const first = [marks.erinHanoi, twin].sort((a, b) => (a.event.id < b.event.id ? -1 : 1))[0]!;
    const cfg = noveltyConfigSchema.parse({});
    const want: Finding[] = [];
    await lifetime(new NoveltyDetector(cfg), batchesOf(all, 40), want);
    expect(want.filter((f) => f.tags).map((f) => f.entity.value)).toEqual(['alice@example.com', first.user!.email]);
    const rng = new Rng('org-novelty:arrival');
    const shuffled = asBatches(batchesOf(all, 40).map((b) => rng.sample(b.events, b.events.length)));
    for (const batches of [asBatches(batchesOf(all, 40).map((b) => [...b.events].reverse())), shuffled]) {
      const got: Finding[] = [];
      await lifetime(new NoveltyDetector(cfg), batches, got);
      expect(got).toEqual(want);
    }
  });

  it('reports the same across a restart at every batch boundary, with few users in memory too', async () => {
    const { events } = sixWeeks();
    for (const [label, batches] of restartInputs(batchesOf(events, 60))) {
      for (const max_users of [100_000, 2]) {
        const cfg = noveltyConfigSchema.parse({ max_users });
        const make = (store: Store) => new NoveltyDetector(cfg, { state: store });
        const whole: Finding[] = [];
        await lifetime(make(await stores.open()), batches, whole);
        expect(whole.filter((f) => f.tags).length, label).toBe(2);
        for (let split = 1; split < batches.length; split++) {
          expect(await splitRun(make, await stores.open(), batches, split), `${label}, max_users ${max_users}, restart before batch ${split}`).toEqual(whole);
        }
      }
    }
  });

  it('saves the organisation\'s memory beside the users\' (a restart that lost it would learn afresh, and miss Lagos and Hanoi)', async () => {
    const { events, marks } = sixWeeks();
    const batches = batchesOf(events, 60);
    const split = batches.findIndex((b) => b.events.some((e) => eventTime(e) >= eventTime(marks.aliceLagos)));
    expect(split).toBeGreaterThan(1);
    const cfg = noveltyConfigSchema.parse({});
    const store = await stores.open();
    const saved = await splitRun((s) => new NoveltyDetector(cfg, { state: s }), store, batches, split);
    const memory = await store.getState('novelty#org');
    expect(memory).toMatchObject({ c: expect.arrayContaining([['VN', eventTime(marks.erinHanoiAgain)]]) });
    expect(JSON.stringify(memory).length).toBeLessThan(256);
    // The same restart with a store that drops the organisation's key.
    const forgetful = await stores.open();
    const dropOrg = (s: Store) => ({
      getState: (k: string) => (k === 'novelty#org' ? Promise.resolve(undefined) : s.getState(k)),
      putState: (k: string, v: unknown) => (k === 'novelty#org' ? Promise.resolve() : s.putState(k, v)),
    });
    const lost = await splitRun((s) => new NoveltyDetector(cfg, { state: dropOrg(s) }), forgetful, batches, split);
    expect(saved.filter((f) => f.tags).map((f) => f.entity.value)).toEqual(['alice@example.com', 'erin@example.com']);
    expect(lost.filter((f) => f.tags)).toEqual([]);
  });
});

describe('the organisation\'s memory', () => {
  it('lets no late or backfilled old login end the learning early, and needs a memory at least as long as the learning', () => {
    const org = new OrgCountries(14 * DAY, 90 * DAY);
    expect(org.observe('FR', T0)).toBeUndefined();
    // A source added on day 5 backfills a month: learned, and the learning still ends on day 14.
    expect(org.observe('GB', T0 + 5 * DAY - 30 * DAY)).toBeUndefined();
    expect(org.observe('DE', T0 + 6 * DAY)).toBeUndefined();
    expect(org.observe('NG', T0 + 15 * DAY)).toMatchObject({ learningFrom: T0 });
    expect(noveltyConfigSchema.safeParse({ org_memory: '2d' }).success).toBe(false);
    expect(noveltyConfigSchema.safeParse({ org_memory: '14d' }).success).toBe(true);
  });

  it('keeps its bound against a source that writes free text as the country', () => {
    const org = new OrgCountries(0, 90 * DAY);
    const t = Date.parse('2026-03-02T10:00:00.000Z');
    for (let i = 0; i < 2 * MAX_ORG_COUNTRIES; i++) org.observe(`Region ${i}`, t + i * 1000);
    expect(org.size).toBe(MAX_ORG_COUNTRIES);
    // The least recently seen went first.
    expect(org.observe('Region 0', t + 2 * MAX_ORG_COUNTRIES * 1000)).toBeDefined();
    expect(org.observe(`Region ${2 * MAX_ORG_COUNTRIES - 1}`, t + 2 * MAX_ORG_COUNTRIES * 1000 + 1)).toBeUndefined();
  });

  it('loads what it saved, and refuses what it did not', () => {
    const t = Date.parse('2026-03-02T10:00:00.000Z');
    const a = new OrgCountries(14 * DAY, 90 * DAY);
    a.observe('FR', t);
    a.observe('GB', t + DAY);
    const b = new OrgCountries(14 * DAY, 90 * DAY);
    expect(b.load(JSON.parse(JSON.stringify(a.encode())))).toBe(true);
    expect(b.encode()).toEqual(a.encode());
    expect(b.observe('NG', t + 15 * DAY)).toEqual({ known: ['FR', 'GB'], learningFrom: t });
    for (const junk of [null, 'x', { f: 'soon', n: 1, w: 1, c: [] }, { f: 1, n: 1, w: 1, c: {} }]) expect(new OrgCountries(DAY, DAY).load(junk)).toBe(false);
    // Before any login: nothing but nulls for the infinities.
    expect(new OrgCountries(DAY, DAY).encode()).toEqual({ f: null, n: null, w: null, c: [] });
  });
});
