import { afterAll, describe, expect, it } from 'vitest';
import { eventTime, type Finding, type SecurityEvent, type Store } from '../../core/index.js';
import { replayStored } from '../../pipeline/pipeline.js';
import { Rng } from '../random.js';
import { batchesOf, lifetime, restartInputs, splitRun, TempStores } from '../restart-testing.js';
import { testEvent } from '../testing.js';
import { SigmaEngine } from './engine.js';
import { CorrelationState, describeCondition, entityTypeOf, inReportOrder, testCondition, type CorrelationOptions } from './correlation.js';
import { parseRuleText, type CorrelationRuleDef } from './loader.js';
import { BASE_RULES } from './fixtures/base-rules.js';

// Drives one correlation rule directly (no engine): which referenced rule an event matched is given
// per event, so each Sigma correlation semantic is checked on a handful of events.

const T0 = Date.parse('2026-11-03T10:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;

/**
 * Bursts from a few addresses and users with gaps longer than the timespans, weighted events,
 * grants and downloads (those with the address too when `ipOnAll`).
 */
function mixedEvents(seed: number, n: number, ipOnAll: boolean): SecurityEvent[] {
  const rng = new Rng(seed);
  const out: SecurityEvent[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    // Mostly a few seconds apart, now and then a pause longer than every timespan.
    t += rng.chance(0.06) ? 5 * MIN : rng.int(15 * SEC);
    const time = t - rng.int(2 * SEC);
    const r = rng.next();
    const ip = `203.0.113.${rng.int(4)}`;
    const user = `u${rng.int(5)}@example.com`;
    if (r < 0.55) out.push(testEvent({ time, ip, user, outcome: 'failure', nonce: i, ...(rng.chance(0.1) ? { count: 2 } : {}) }));
    else if (r < 0.75) out.push(testEvent({ time, ip, user, outcome: 'success', nonce: i }));
    else out.push(testEvent({ time, user: `m${rng.int(3)}@example.com`, ...(ipOnAll ? { ip } : {}), action: r < 0.88 ? 'download' : 'grant_admin', nonce: i }));
  }
  return out;
}

function def(correlation: string, extra = ''): CorrelationRuleDef {
  const [d] = parseRuleText(`title: burst\n${extra}correlation: ${correlation}\n`, 'c.yml', 'rules/c');
  return d as CorrelationRuleDef;
}

function state(correlation: string, opts: Partial<CorrelationOptions> = {}, extra = ''): CorrelationState {
  const d = def(correlation, extra);
  return new CorrelationState(
    d,
    d.rules.map((r) => ({ ref: r, names: [r], providers: undefined })),
    { severity: 'high', maxEvidence: 100, maxGroups: 1000, ...opts },
  );
}

/** An event and the positions of the referenced rules it matched (default: the first). */
type In = SecurityEvent | [SecurityEvent, number[]];

/** Observes a batch, promises its newest time (+1 ms, as the pipeline does), and returns the flush. */
function step(s: CorrelationState, batch: In[], watermark?: number): Finding[] {
  let newest = Number.NEGATIVE_INFINITY;
  for (const x of batch) {
    const [e, inputs] = Array.isArray(x) ? x : [x, [0]];
    const t = eventTime(e);
    s.observe(e, t, inputs);
    newest = Math.max(newest, t);
  }
  s.advance(watermark ?? newest + 1);
  return s.flush();
}

/** Feeds events one batch each; returns every flush's reports in order. */
function each(s: CorrelationState, events: In[]): Finding[] {
  return events.flatMap((x) => step(s, [x]));
}

const fail = (t: number, ip = '203.0.113.9', user = 'a@example.com', nonce?: number) =>
  testEvent({ time: t, ip, user, outcome: 'failure', ...(nonce !== undefined ? { nonce } : {}) });
const ids = (es: SecurityEvent[]) => es.map((e) => e.event.id);

describe('correlation conditions', () => {
  it('tests each bound at its edge, and all bounds together', () => {
    const at = (c: Parameters<typeof testCondition>[0], ns: number[]) => ns.map((n) => testCondition(c, n, 1));
    expect(at({ gt: 5 }, [5, 6])).toEqual([false, true]);
    expect(at({ gte: 5 }, [4, 5])).toEqual([false, true]);
    expect(at({ lt: 5 }, [4, 5])).toEqual([true, false]);
    expect(at({ lte: 5 }, [5, 6])).toEqual([true, false]);
    expect(at({ eq: 5 }, [4, 5, 6])).toEqual([false, true, false]);
    expect(at({ neq: 5 }, [4, 5, 6])).toEqual([true, false, true]);
    // A range: gte and lte both hold.
    expect(at({ gte: 2, lte: 4 }, [1, 2, 3, 4, 5])).toEqual([false, true, true, true, false]);
    expect(at({ gt: 2, lt: 4 }, [2, 3, 4])).toEqual([false, true, false]);
  });

  it('without bounds needs the default (temporal: every rule)', () => {
    expect([testCondition(undefined, 2, 3), testCondition(undefined, 3, 3)]).toEqual([false, true]);
    // Only a counted field, no bound: the default too.
    expect([testCondition({ field: 'user' }, 1, 2), testCondition({ field: 'user' }, 2, 2)]).toEqual([false, true]);
    for (const k of ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const) {
      // Any one bound replaces the default: 0 satisfies each of these, while the default 5 would not.
      const c = { [k]: k === 'gt' ? -1 : k === 'eq' ? 0 : k === 'gte' ? 0 : k === 'neq' ? 1 : 1 };
      expect([k, testCondition(c, 0, 5)]).toEqual([k, true]);
    }
  });

  it('describes bounds with their symbols, leaving out the counted field', () => {
    expect(describeCondition(undefined)).toBe('all rules');
    expect(describeCondition({ gt: 1, gte: 2, lt: 3, lte: 4, eq: 5, neq: 6, field: 'user' })).toBe('> 1 and ≥ 2 and < 3 and ≤ 4 and = 5 and ≠ 6');
    expect(describeCondition({ field: 'user', gte: 10, lt: undefined })).toBe('≥ 10');
  });

  it('names the entity type of a group-by field', () => {
    expect(['User.Email', 'user.department', 'principalEmail', 'target.user.email', 'user'].map(entityTypeOf)).toEqual(['user', 'user', 'user', 'user', 'user']);
    expect(['source.ip', 'CallerIP', 'src_ip', 'origin.geo_location.ip_address'].map(entityTypeOf)).toEqual(['ip', 'ip', 'ip', 'ip']);
    // Anything else is its own type, spelt as written.
    expect(['Host.Name', 'users', 'source.port'].map(entityTypeOf)).toEqual(['Host.Name', 'users', 'source.port']);
  });

  it('orders reports by window start, then entity, then rule, keeping ties in the order made', () => {
    const f = (windowStart: number, value: string, rule: string, title = ''): Finding =>
      ({ rule, title, severity: 'high', entity: { type: 'ip', value }, windowStart, windowEnd: windowStart, evidence: [], description: '' }) as Finding;
    const out = inReportOrder([f(2, 'a', 'r'), f(1, 'b', 'r'), f(1, 'a', 's'), f(1, 'a', 'r', 'first'), f(1, 'a', 'r', 'second'), f(1, 'b', 'q')]);
    expect(out.map((x) => [x.windowStart, x.entity.value, x.rule, x.title])).toEqual([
      [1, 'a', 'r', 'first'],
      [1, 'a', 'r', 'second'],
      [1, 'a', 's', ''],
      [1, 'b', 'q', ''],
      [1, 'b', 'r', ''],
      [2, 'a', 'r', ''],
    ]);
    const one = [f(5, 'x', 'r')];
    expect(inReportOrder(one)).toBe(one);
  });
});

describe('event_count', () => {
  const rule = '{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 3 } }';

  it('fires the moment the window holds enough events, with the window and its evidence', () => {
    const s = state(rule);
    const evs = [fail(T0), fail(T0 + MIN, undefined, 'b@example.com'), fail(T0 + 2 * MIN, undefined, 'c@example.com')];
    expect(step(s, [evs[0]!])).toEqual([]);
    expect(step(s, [evs[1]!])).toEqual([]);
    const [f, ...rest] = step(s, [evs[2]!]);
    expect(rest).toEqual([]);
    expect(f).toEqual({
      rule: 'rules/c',
      title: 'burst (203.0.113.9)',
      severity: 'high',
      entity: { type: 'ip', value: '203.0.113.9' },
      windowStart: T0,
      windowEnd: T0 + 2 * MIN,
      evidence: ids(evs),
      description:
        'burst: 3 matching events (peak 3 within 5 min) for source.ip=203.0.113.9 between 2026-11-03T10:00:00.000Z and 2026-11-03T10:02:00.000Z (condition ≥ 3 in 5 min).',
      observed: { events: 3, peak_window_events: 3 },
      expected: { timespan_minutes: 5, gte: 3 },
    });
  });

  it('counts the window as (t - timespan, t]: an event exactly one timespan older has left it', () => {
    const rule2 = '{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 2 } }';
    expect(each(state(rule2), [fail(T0), fail(T0 + 5 * MIN)])).toEqual([]);
    expect(each(state(rule2), [fail(T0), fail(T0 + 5 * MIN - 1)]).map((f) => [f.windowStart, f.windowEnd])).toEqual([[T0, T0 + 5 * MIN - 1]]);
    // The same in one batch, out of order.
    expect(step(state(rule2), [fail(T0 + 5 * MIN), fail(T0)])).toEqual([]);
    expect(step(state(rule2), [fail(T0 + 5 * MIN - 1), fail(T0)]).map((f) => f.windowStart)).toEqual([T0]);
  });

  it('gt needs one more than its bound', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gt: 2 } }');
    expect(each(s, [fail(T0), fail(T0 + 1)])).toEqual([]);
    expect(each(s, [fail(T0 + 2)]).map((f) => f.observed)).toEqual([{ events: 3, peak_window_events: 3 }]);
  });

  it('keeps one burst (one windowStart) while events keep coming, refreshing its totals and peak', () => {
    const s = state(rule);
    const out = each(s, [fail(T0, undefined, 'u', 1), fail(T0 + MIN, undefined, 'u', 2), fail(T0 + 2 * MIN, undefined, 'u', 3), fail(T0 + 3 * MIN, undefined, 'u', 4)]);
    expect(out.map((f) => [f.windowStart, f.windowEnd, f.observed])).toEqual([
      [T0, T0 + 2 * MIN, { events: 3, peak_window_events: 3 }],
      [T0, T0 + 3 * MIN, { events: 4, peak_window_events: 4 }],
    ]);
    // 6 min after the last event (more than the timespan) the burst is over: the window starts again.
    const later = each(s, [fail(T0 + 9 * MIN, undefined, 'u', 5), fail(T0 + 9 * MIN + 1, undefined, 'u', 6), fail(T0 + 9 * MIN + 2, undefined, 'u', 7)]);
    expect(later.map((f) => [f.windowStart, f.observed])).toEqual([[T0 + 9 * MIN, { events: 3, peak_window_events: 3 }]]);
  });

  it('a burst lasts while events are at most one timespan apart (its end is exclusive)', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 2 } }');
    each(s, [fail(T0, undefined, 'u', 1), fail(T0 + MIN, undefined, 'u', 2)]);
    // Exactly 5 min after the last one: still the same burst (it counts 3 events), though the window holds 1.
    const same = each(s, [fail(T0 + 6 * MIN, undefined, 'u', 3)]);
    expect(same.map((f) => [f.windowStart, f.observed])).toEqual([[T0, { events: 3, peak_window_events: 2 }]]);
    // 5 min + 1 ms after: the burst ends (its final report is its last state); one event alone starts none.
    expect(each(s, [fail(T0 + 11 * MIN + 1, undefined, 'u', 4)])).toEqual([]);
    expect(each(s, [fail(T0 + 11 * MIN + 2, undefined, 'u', 5)]).map((f) => [f.windowStart, f.observed])).toEqual([[T0 + 11 * MIN + 1, { events: 2, peak_window_events: 2 }]]);
  });

  it('reports the final state of a burst that ends with reports still owed', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 2 } }');
    // Two bursts of the same group in one batch: the first ends (quiet > 5 min) before the flush.
    const out = step(s, [fail(T0, undefined, 'u', 1), fail(T0 + 1, undefined, 'u', 2), fail(T0 + 2, undefined, 'u', 3), fail(T0 + 10 * MIN, undefined, 'u', 4), fail(T0 + 10 * MIN + 1, undefined, 'u', 5)]);
    expect(out.map((f) => [f.windowStart, f.observed?.events])).toEqual([
      [T0, 2],
      [T0, 3],
      [T0 + 10 * MIN, 2],
    ]);
  });

  it('counts an event by its count, and keeps evidence to maxEvidence distinct ids', () => {
    const s = state(rule, { maxEvidence: 2 });
    const heavy = testEvent({ time: T0, ip: '198.51.100.4', user: 'x', outcome: 'failure', count: 3 });
    const [f] = step(s, [heavy]);
    expect(f).toMatchObject({ windowStart: T0, evidence: [heavy.event.id], observed: { events: 3, peak_window_events: 3 } });
    // The same event again (a duplicate delivery) adds to the count but not twice to the evidence.
    const [g] = step(s, [heavy]);
    expect(g).toMatchObject({ evidence: [heavy.event.id], observed: { events: 6 } });
    const more = [1, 2, 3].map((i) => testEvent({ time: T0 + i, ip: '198.51.100.4', user: 'x', outcome: 'failure', nonce: i }));
    expect(step(s, more).at(-1)!.evidence).toEqual([heavy.event.id, more[0]!.event.id]);
    // maxEvidence 0: none at all.
    const none = state(rule, { maxEvidence: 0 });
    expect(step(none, [heavy]).map((x) => x.evidence)).toEqual([[]]);
    const none2 = state(rule, { maxEvidence: 0 });
    expect(step(none2, more).map((x) => x.evidence)).toEqual([[]]);
  });

  it('takes evidence from the oldest event in the window, up to maxEvidence', () => {
    const s = state(rule, { maxEvidence: 2 });
    const evs = [0, 1, 2].map((i) => fail(T0 + i, undefined, 'x', i));
    expect(step(s, evs)).toEqual([expect.objectContaining({ evidence: ids(evs.slice(0, 2)), windowStart: T0 })]);
    // After expiry the window starts at its first live event.
    const t = state(rule);
    const late = [fail(T0, undefined, 'x', 10), fail(T0 + 4 * MIN, undefined, 'x', 11), fail(T0 + 6 * MIN, undefined, 'x', 12), fail(T0 + 7 * MIN, undefined, 'x', 13)];
    expect(each(t, late).map((f) => [f.windowStart, f.evidence])).toEqual([[T0 + 4 * MIN, ids(late.slice(1))]]);
  });

  it('keeps groups apart and leaves out events without the group-by field', () => {
    const s = state(rule);
    const a = [0, 1, 2].map((i) => fail(T0 + i * SEC, '192.0.2.1', 'x', i));
    const b = [0, 1].map((i) => fail(T0 + i * SEC, '192.0.2.2', 'x', i));
    const noIp = [0, 1, 2].map((i) => testEvent({ time: T0 + i, user: 'x', outcome: 'failure', nonce: i }));
    expect(step(s, [...b, ...noIp, ...a]).map((f) => f.entity)).toEqual([{ type: 'ip', value: '192.0.2.1' }]);
    expect(s.stats()).toMatchObject({ groups: 2, activeBursts: 1, queued: 0 });
  });

  it('groups by every group-by field, and without group-by by the rule', () => {
    const two = state('{ type: event_count, rules: [failed], group-by: [user, source.ip], timespan: 5m, condition: { gte: 2 } }');
    const [f] = step(two, [fail(T0, '192.0.2.1', 'a@example.com', 1), fail(T0 + 1, '192.0.2.2', 'a@example.com', 2), fail(T0 + 2, '192.0.2.1', 'a@example.com', 3)]);
    expect(f).toMatchObject({ entity: { type: 'user+ip', value: 'a@example.com|192.0.2.1' }, title: 'burst (a@example.com, 192.0.2.1)' });
    expect(f!.description).toContain(' for user=a@example.com, source.ip=192.0.2.1 between ');
    const none = state('{ type: event_count, rules: [failed], timespan: 5m, condition: { gte: 2 } }');
    const [g] = step(none, [fail(T0, '192.0.2.1', 'a', 1), fail(T0 + 1, '192.0.2.2', 'b', 2)]);
    expect(g).toMatchObject({ entity: { type: 'rule', value: 'rules/c' }, title: 'burst' });
    expect(g!.description).toMatch(/^burst: 2 matching events \(peak 2 within 5 min\) between /);
  });

  it('groups a multi-valued field by its first value, and leaves out an empty one', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [related.ip], timespan: 5m, condition: { gte: 2 } }');
    const rel = (ip: unknown, i: number) => ({ ...fail(T0 + i, '192.0.2.9', 'x', i), related: { ip } }) as SecurityEvent;
    expect(step(s, [rel(['10.0.0.1', '10.0.0.2'], 1), rel(['10.0.0.1'], 2), rel('', 3), rel([], 4), rel(['', '10.0.0.2'], 5), rel(['10.0.0.2'], 6)]).map((f) => f.entity.value)).toEqual([
      '10.0.0.1',
    ]);
  });

  it('says what it counted in the description, with the rule description, false positives and minutes', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 90s, condition: { gte: 1 } }', {}, 'description: "  Many failures.\\n"\nfalsepositives: [scanners, tests]\n');
    const [f] = step(s, [fail(T0)]);
    expect(f!.description).toBe(
      'burst: 1 matching events (peak 1 within 1.5 min) for source.ip=203.0.113.9 between 2026-11-03T10:00:00.000Z and 2026-11-03T10:00:00.000Z (condition ≥ 1 in 1.5 min). Many failures. False positives: scanners; tests.',
    );
    expect(f!.expected).toEqual({ timespan_minutes: 1.5, gte: 1 });
    const odd = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 20s, condition: { gte: 1 } }');
    expect(step(odd, [fail(T0)])[0]!.expected).toEqual({ timespan_minutes: 0.33, gte: 1 });
  });

  it('judges events in time order whatever order they arrive in, and counts the late ones', () => {
    const s = state(rule);
    const evs = [0, 1, 2, 3].map((i) => fail(T0 + i * MIN, undefined, 'x', i));
    // Nothing is judged before the watermark passes it.
    for (const e of [evs[3]!, evs[1]!, evs[0]!, evs[2]!]) s.observe(e, eventTime(e), [0]);
    s.advance(T0 + 2 * MIN);
    expect(s.flush()).toEqual([]);
    expect(s.stats()).toMatchObject({ queued: 2, late: 0 });
    s.advance(T0 + 10 * MIN);
    // The third event makes the burst; the fourth is in its refresh.
    expect(s.flush().map((f) => [f.windowStart, f.evidence])).toEqual([
      [T0, ids(evs.slice(0, 3))],
      [T0, ids(evs)],
    ]);
    // An event behind the watermark still counts, and is counted as late.
    s.observe(fail(T0 + 4 * MIN, undefined, 'x', 9), T0 + 4 * MIN, [0]);
    expect(s.stats()).toMatchObject({ late: 1, queued: 1 });
  });

  it('evicts the oldest group beyond maxGroups, and sweeps groups idle for two timespans', () => {
    const s = state(rule, { maxGroups: 2 });
    step(s, [fail(T0, '192.0.2.1'), fail(T0 + 1, '192.0.2.2'), fail(T0 + 2, '192.0.2.3')]);
    expect(s.stats()).toMatchObject({ groups: 2, evicted: 1 });
    // The evicted group starts afresh: its one earlier event is forgotten.
    expect(step(s, [fail(T0 + 3, '192.0.2.1', 'x', 1), fail(T0 + 4, '192.0.2.1', 'x', 2)])).toEqual([]);
    expect(step(s, [fail(T0 + 5, '192.0.2.1', 'x', 3)]).map((f) => [f.entity.value, f.windowStart])).toEqual([['192.0.2.1', T0 + 3]]);

    const idle = state(rule);
    step(idle, [fail(T0, '192.0.2.1'), fail(T0 + 6 * MIN, '192.0.2.2')]);
    expect(idle.stats().groups).toBe(2);
    // Two timespans after its last event a group goes; not a millisecond before.
    step(idle, [fail(T0 + 10 * MIN - 1, '192.0.2.3')], T0 + 10 * MIN);
    expect(idle.stats().groups).toBe(3);
    step(idle, [fail(T0 + 16 * MIN, '192.0.2.4')], T0 + 16 * MIN + 1);
    expect(idle.stats()).toMatchObject({ groups: 2, evicted: 2 });
  });

  it('an evicted group in a burst reports its final state', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 1 } }', { maxGroups: 1 });
    const out = step(s, [fail(T0, '192.0.2.1', 'x', 1), fail(T0 + 1, '192.0.2.1', 'x', 2), fail(T0 + 2, '192.0.2.2', 'x', 3)]);
    expect(out.map((f) => [f.entity.value, f.observed?.events])).toEqual([
      ['192.0.2.1', 1],
      ['192.0.2.1', 2],
      ['192.0.2.2', 1],
    ]);
  });
});

describe('value_count', () => {
  const rule = '{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, gte: 3 } }';

  it('counts distinct values in the window, leaving out events without the field', () => {
    const s = state(rule);
    const evs = [fail(T0, undefined, 'a@x', 1), fail(T0 + 1, undefined, 'a@x', 2), fail(T0 + 2, undefined, 'b@x', 3), testEvent({ time: T0 + 3, ip: '203.0.113.9', outcome: 'failure' })];
    expect(step(s, evs)).toEqual([]);
    const [f] = step(s, [fail(T0 + 4, undefined, 'c@x', 4)]);
    expect(f).toMatchObject({ windowStart: T0, observed: { events: 4, 'distinct_user.email': 3, 'peak_window_distinct_user.email': 3 }, expected: { gte: 3, timespan_minutes: 10 } });
    expect(f!.description).toMatch(/^burst: 3 distinct user\.email over 4 events \(peak 3 within 10 min\) for source\.ip=203\.0\.113\.9 /);
    // A value seen again in the burst is not a new one.
    const [g] = step(s, [fail(T0 + 5, undefined, 'a@x', 5)]);
    expect(g!.observed).toMatchObject({ events: 5, 'distinct_user.email': 3 });
  });

  it('forgets values that left the window, however many times they were seen', () => {
    const s = state(rule);
    // a twice and b once, then c and d after a and b have left: two distinct at a time.
    const out = each(s, [fail(T0, undefined, 'a', 1), fail(T0 + MIN, undefined, 'a', 2), fail(T0 + 2 * MIN, undefined, 'b', 3), fail(T0 + 12 * MIN, undefined, 'c', 4), fail(T0 + 12 * MIN + 1, undefined, 'b', 5)]);
    expect(out).toEqual([]);
    // b (T0 + 2m) left at T0 + 12m, a and c are still in: a third distinct value fires.
    expect(each(s, [fail(T0 + 12 * MIN + 2, undefined, 'd', 6)]).map((f) => [f.windowStart, f.observed?.['distinct_user.email']])).toEqual([[T0 + 12 * MIN, 3]]);
  });

  it('counts a value again after all its copies left, and not before', () => {
    const s = state('{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, gte: 2 } }');
    // Inline value a (twice), then b while one a is still in: 2 distinct.
    expect(each(s, [fail(T0, undefined, 'a', 1), fail(T0 + 5 * MIN, undefined, 'a', 2)])).toEqual([]);
    expect(each(s, [fail(T0 + 11 * MIN, undefined, 'b', 3)]).map((f) => f.windowStart)).toEqual([T0 + 5 * MIN]);
    const t = state('{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, gte: 2 } }');
    // Both copies of a have left when b comes: 1 distinct.
    expect(each(t, [fail(T0, undefined, 'a', 1), fail(T0 + MIN, undefined, 'a', 2), fail(T0 + 11 * MIN, undefined, 'b', 3)])).toEqual([]);
    expect(each(t, [fail(T0 + 11 * MIN + 1, undefined, 'c', 4)]).map((f) => f.windowStart)).toEqual([T0 + 11 * MIN]);
  });

  it('counts values in a Map past the first two, removing one only when its last copy leaves', () => {
    const s = state('{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, gte: 4 } }');
    expect(each(s, [fail(T0, undefined, 'a', 1), fail(T0 + MIN, undefined, 'b', 2), fail(T0 + 2 * MIN, undefined, 'a', 3), fail(T0 + 3 * MIN, undefined, 'c', 4)])).toEqual([]);
    // At T0 + 11m the first a has left but the second a is still in: a, b... b left at T0 + 11m too.
    expect(each(s, [fail(T0 + 11 * MIN, undefined, 'd', 5)])).toEqual([]);
    expect(each(s, [fail(T0 + 11 * MIN + 1, undefined, 'e', 6)]).map((f) => [f.windowStart, f.observed?.['distinct_user.email']])).toEqual([[T0 + 2 * MIN, 4]]);
  });

  it('with an upper bound, judges each window once when it closes', () => {
    const s = state('{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, lt: 2 } }');
    expect(step(s, [fail(T0, undefined, 'a', 1), fail(T0 + MIN, undefined, 'a', 2)])).toEqual([]);
    // The window [T0, T0 + 10m) closes when the clock reaches its end.
    expect(step(s, [], T0 + 10 * MIN - 1)).toEqual([]);
    const [f] = step(s, [], T0 + 10 * MIN);
    expect(f).toMatchObject({ windowStart: T0, windowEnd: T0 + MIN, observed: { events: 2, 'distinct_user.email': 1, 'peak_window_distinct_user.email': 1 } });
    const t = state('{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user.email, lt: 2 } }');
    expect(step(t, [fail(T0, undefined, 'a', 1), fail(T0 + MIN, undefined, 'b', 2)], T0 + 20 * MIN)).toEqual([]);
  });
});

describe('event_count with upper bounds (tumbling windows)', () => {
  const rule = '{ type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { gte: 2, lte: 3 } }';

  it('opens a window at its first event and closes it at start + timespan', () => {
    const s = state(rule);
    // 3 events in [T0, T0 + 5m): a match; the one at T0 + 5m opens the next window.
    const out = step(s, [fail(T0, 'ip', 'u', 1), fail(T0 + MIN, 'ip', 'u', 2), fail(T0 + 5 * MIN - 1, 'ip', 'u', 3), fail(T0 + 5 * MIN, 'ip', 'u', 4)]);
    expect(out.map((f) => [f.windowStart, f.windowEnd, f.observed, f.evidence.length])).toEqual([[T0, T0 + 5 * MIN - 1, { events: 3, peak_window_events: 3 }, 3]]);
    expect(out[0]!.description).toContain('(condition ≥ 2 and ≤ 3 in 5 min)');
    // The second window holds one event: no match when it closes.
    expect(step(s, [], T0 + 30 * MIN)).toEqual([]);
  });

  it('does not report a window with too many or too few events', () => {
    const s = state(rule);
    const many = [0, 1, 2, 3].map((i) => fail(T0 + i, 'ip', 'many', i));
    const one = fail(T0, 'ip', 'one', 9);
    const two = [fail(T0 + 1, 'ip', 'two', 10), fail(T0 + 2, 'ip', 'two', 11)];
    expect(step(s, [...many, one, ...two], T0 + 5 * MIN + 1).map((f) => f.entity.value)).toEqual(['two']);
  });

  it('a later event of the group closes its window even before the clock does', () => {
    const s = state(rule);
    s.observe(fail(T0, 'ip', 'u', 1), T0, [0]);
    s.observe(fail(T0 + 1, 'ip', 'u', 2), T0 + 1, [0]);
    s.observe(fail(T0 + 5 * MIN, 'ip', 'u', 3), T0 + 5 * MIN, [0]);
    s.advance(T0 + 5 * MIN + 1);
    expect(s.flush().map((f) => [f.windowStart, f.observed?.events])).toEqual([[T0, 2]]);
  });

  it('closes windows in order of start, then group', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { lte: 1 } }');
    step(s, [fail(T0 + 2, 'ip', 'b', 1), fail(T0 + 1, 'ip', 'c', 2), fail(T0 + 1, 'ip', 'a', 3)], T0 + 3);
    expect(step(s, [], T0 + 6 * MIN).map((f) => [f.windowStart, f.entity.value])).toEqual([
      [T0 + 1, 'a'],
      [T0 + 1, 'c'],
      [T0 + 2, 'b'],
    ]);
  });

  it('eq and neq are judged per window too', () => {
    const eq = state('{ type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { eq: 2 } }');
    expect(step(eq, [fail(T0, 'ip', 'a', 1), fail(T0 + 1, 'ip', 'a', 2), fail(T0, 'ip', 'b', 3)], T0 + 5 * MIN).map((f) => f.entity.value)).toEqual(['a']);
    const neq = state('{ type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { neq: 2 } }');
    expect(step(neq, [fail(T0, 'ip', 'a', 1), fail(T0 + 1, 'ip', 'a', 2), fail(T0, 'ip', 'b', 3)], T0 + 5 * MIN).map((f) => f.entity.value)).toEqual(['b']);
  });

  it('an evicted group closes its window and reports it', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { lte: 1 } }', { maxGroups: 1 });
    expect(step(s, [fail(T0, 'ip', 'a', 1), fail(T0 + 1, 'ip', 'b', 2)], T0 + 2).map((f) => [f.entity.value, f.windowStart])).toEqual([['a', T0]]);
    expect(s.stats()).toMatchObject({ groups: 1, evicted: 1 });
  });

  it('keeps evidence to maxEvidence', () => {
    const s = state(rule, { maxEvidence: 2 });
    const evs = [0, 1, 2].map((i) => fail(T0 + i, 'ip', 'u', i));
    expect(step(s, evs, T0 + 5 * MIN).map((f) => f.evidence)).toEqual([ids(evs.slice(0, 2))]);
  });
});

describe('temporal', () => {
  const rule = '{ type: temporal, rules: [grant, download], group-by: [user], timespan: 10m }';
  const act = (t: number, action: string, user = 'm@example.com') => testEvent({ time: t, user, action });

  it('fires when every rule matched for the group within the timespan, in any order, inclusive of its edge', () => {
    const s = state(rule);
    const dl = act(T0, 'download');
    const grant = act(T0 + 10 * MIN, 'grant_admin');
    expect(step(s, [[dl, [1]]])).toEqual([]);
    const [f] = step(s, [[grant, [0]]]);
    expect(f).toMatchObject({ windowStart: T0, windowEnd: T0 + 10 * MIN, observed: { events: 2, rules_matched: 2 }, entity: { type: 'user', value: 'm@example.com' } });
    expect(f!.evidence.sort()).toEqual(ids([dl, grant]).sort());
    expect(f!.description).toMatch(/^burst: 2 of 2 related rules \(grant, download\) within 10 min for user=m@example\.com between .* \(condition all rules in 10 min\)\.$/);
    const late = state(rule);
    expect(each(late, [[dl, [1]], [act(T0 + 10 * MIN + 1, 'grant_admin'), [0]]])).toEqual([]);
  });

  it('one rule matched twice is not two rules; other groups do not count', () => {
    const s = state(rule);
    expect(each(s, [[act(T0, 'download'), [1]], [act(T0 + 1, 'download'), [1]], [act(T0 + 2, 'grant_admin', 'other'), [0]]])).toEqual([]);
  });

  it('one event matching both rules completes it alone', () => {
    const s = state(rule);
    const both = act(T0, 'both');
    expect(step(s, [[both, [0, 1]]]).map((f) => [f.windowStart, f.evidence])).toEqual([[T0, [both.event.id]]]);
  });

  it('starts the window at the oldest rule match still within the timespan, the latest match of each rule', () => {
    const s = state('{ type: temporal, rules: [a, b, c], group-by: [user], timespan: 10m }');
    const a1 = act(T0, 'a');
    const a2 = act(T0 + 2 * MIN, 'a');
    const b = act(T0 + 3 * MIN, 'b');
    const c = act(T0 + 11 * MIN, 'c');
    const [f] = each(s, [[a1, [0]], [b, [1]], [a2, [0]], [c, [2]]]);
    expect(f).toMatchObject({ windowStart: T0 + 2 * MIN, windowEnd: T0 + 11 * MIN, observed: { rules_matched: 3 } });
    expect(f!.evidence.sort()).toEqual(ids([a2, b, c]).sort());
  });

  it('an older match arriving late does not replace a newer one', () => {
    const s = state(rule);
    const newer = act(T0 + 5 * MIN, 'download');
    step(s, [[newer, [1]]]);
    // Late: its time is behind the watermark, but it is applied all the same.
    s.observe(act(T0, 'download'), T0, [1]);
    s.advance(T0 + 5 * MIN + 2);
    expect(s.flush()).toEqual([]);
    const [f] = step(s, [[act(T0 + 15 * MIN, 'grant_admin'), [0]]]);
    expect(f).toMatchObject({ windowStart: T0 + 5 * MIN });
  });

  it('a condition can ask for fewer than all rules', () => {
    const s = state('{ type: temporal, rules: [a, b, c], group-by: [user], timespan: 10m, condition: { gte: 2 } }');
    expect(step(s, [[act(T0, 'a'), [0]]])).toEqual([]);
    expect(step(s, [[act(T0 + 1, 'c'), [2]]]).map((f) => [f.observed, f.description.includes('2 of 3 related rules (a, b, c)')])).toEqual([[{ events: 2, rules_matched: 2 }, true]]);
  });

  it('keeps one burst going, and evidence to maxEvidence', () => {
    const s = state(rule, { maxEvidence: 1 });
    const out = each(s, [[act(T0, 'download'), [1]], [act(T0 + 1, 'grant_admin'), [0]], [act(T0 + 2, 'download'), [1]]]);
    expect(out.map((f) => [f.windowStart, f.evidence.length, f.observed?.events])).toEqual([
      [T0, 1, 1],
      [T0, 1, 2],
    ]);
  });
});

describe('temporal_ordered', () => {
  const rule = '{ type: temporal_ordered, rules: [fail, ok], group-by: [source.ip], timespan: 5m }';
  const ko = (t: number) => testEvent({ time: t, ip: '203.0.113.5', user: 'v', outcome: 'failure', nonce: t });
  const ok = (t: number) => testEvent({ time: t, ip: '203.0.113.5', user: 'v', outcome: 'success', nonce: t });

  it('needs the rules in order, within the timespan from the first step (inclusive)', () => {
    expect(each(state(rule), [[ok(T0), [1]], [ko(T0 + 1), [0]]])).toEqual([]);
    const [f] = each(state(rule), [[ko(T0), [0]], [ok(T0 + 5 * MIN), [1]]]);
    expect(f).toMatchObject({ windowStart: T0, windowEnd: T0 + 5 * MIN, observed: { events: 2, rules_matched: 2 } });
    expect(f!.description).toMatch(/^burst: the sequence fail → ok within 5 min for source\.ip=203\.0\.113\.5 between /);
    expect(each(state(rule), [[ko(T0), [0]], [ok(T0 + 5 * MIN + 1), [1]]])).toEqual([]);
  });

  it('allows steps at the same instant, in rule order', () => {
    const a = ko(T0);
    const b = ok(T0);
    expect(step(state(rule), [[b, [1]], [a, [0]]]).map((f) => f.evidence)).toHaveLength(a.event.id < b.event.id ? 1 : 0);
  });

  it('one event matching both steps does not complete the sequence alone', () => {
    const both = testEvent({ time: T0, ip: '203.0.113.5', action: 'x' });
    expect(step(state(rule), [[both, [0, 1]]])).toEqual([]);
    // But it can be the second step after an earlier first one.
    expect(each(state(rule), [[ko(T0 - 1), [0]], [both, [0, 1]]]).map((f) => f.windowStart)).toEqual([T0 - 1]);
  });

  it('keeps the chain with the latest start for each step', () => {
    const s = state('{ type: temporal_ordered, rules: [a, b, c], group-by: [source.ip], timespan: 5m }');
    const a1 = ko(T0);
    const b1 = ok(T0 + MIN);
    const a2 = ko(T0 + 2 * MIN);
    const b2 = ok(T0 + 3 * MIN);
    const c = testEvent({ time: T0 + 6 * MIN + 30 * SEC, ip: '203.0.113.5', action: 'c' });
    // a1→b1 is too old for c (6.5 min), a2→b2 is not: the chain is a2, b2, c.
    const [f] = each(s, [[a1, [0]], [b1, [1]], [a2, [0]], [b2, [1]], [c, [2]]]);
    expect(f).toMatchObject({ windowStart: T0 + 2 * MIN, evidence: ids([a2, b2, c]), observed: { events: 3, rules_matched: 3 } });
  });

  it('a newer first step does not break an older chain that was already further on', () => {
    const s = state('{ type: temporal_ordered, rules: [a, b, c], group-by: [source.ip], timespan: 5m }');
    const a1 = ko(T0);
    const b1 = ok(T0 + MIN);
    const a2 = ko(T0 + 2 * MIN);
    const c = testEvent({ time: T0 + 3 * MIN, ip: '203.0.113.5', action: 'c' });
    expect(each(s, [[a1, [0]], [b1, [1]], [a2, [0]], [c, [2]]]).map((f) => [f.windowStart, f.evidence])).toEqual([[T0, ids([a1, b1, c])]]);
  });

  it('steps arriving after a later first step was judged neither replace it nor complete a chain before it', () => {
    const s = state(rule);
    step(s, [[ko(T0 + 2 * MIN), [0]]]);
    // Late (behind the watermark): applied, but the first step kept is the latest one.
    s.observe(ok(T0 + MIN), T0 + MIN, [1]);
    s.observe(ko(T0), T0, [0]);
    s.advance(T0 + 2 * MIN + 2);
    expect(s.flush()).toEqual([]);
    expect(s.stats().late).toBe(2);
    expect(step(s, [[ok(T0 + 3 * MIN), [1]]]).map((f) => [f.windowStart, f.observed?.events])).toEqual([[T0 + 2 * MIN, 2]]);
  });

  it('keeps evidence to maxEvidence', () => {
    const s = state(rule, { maxEvidence: 1 });
    expect(each(s, [[ko(T0), [0]], [ok(T0 + 1), [1]]]).map((f) => f.evidence)).toEqual([[ko(T0).event.id]]);
  });
});

describe('saved windows (a small restart round trip per correlation type)', () => {
  // The slow restart-equivalence suite (persist.test.ts) runs thousands of events; this one restarts at
  // every batch boundary of a short stream with short timespans, so every window state is saved at
  // some point: open bursts, tumbling windows, temporal slots, ordered chains, queued and late events.
  const RULES: Record<string, string> = {
    'per-ip': 'title: per ip\ncorrelation: { type: event_count, rules: [failed], group-by: [source.ip], timespan: 1m, condition: { gte: 3 } }\n',
    spray: 'title: spray\ncorrelation: { type: value_count, rules: [failed], group-by: [source.ip], timespan: 2m, condition: { field: user, gte: 3 } }\n',
    few: 'title: few\ncorrelation: { type: event_count, rules: [failed], group-by: [user], timespan: 1m, condition: { gte: 2, lte: 3 } }\n',
    rare: 'title: rare\ncorrelation: { type: value_count, rules: [failed], group-by: [source.ip], timespan: 1m, condition: { field: user, lt: 2 } }\n',
    'grant-download': 'title: grant and download\ncorrelation: { type: temporal, rules: [grant, download], group-by: [user], timespan: 2m }\n',
    'fail-then-ok': 'title: fail then ok\ncorrelation: { type: temporal_ordered, rules: [failed, ok], group-by: [source.ip], timespan: 1m }\n',
  };
  const defs = () => [...parseRuleText(BASE_RULES, 'bases.yml', 'rules/bases'), ...Object.entries(RULES).flatMap(([k, y]) => parseRuleText(y, `${k}.yml`, `rules/${k}`))];

  const events = (seed: number, n: number) => mixedEvents(seed, n, false);

  const stores = new TempStores();
  afterAll(() => stores.cleanup());

  it('through the store: a run restarted between batches reports what an uninterrupted one does', async () => {
    const make = (store: Store | undefined) => new SigmaEngine(defs(), { maxGroups: 3 }, { state: store });
    const input = batchesOf(events(7, 120), 15);
    const expected: Finding[] = [];
    await lifetime(make(undefined), input, expected);
    expect(new Set(expected.map((f) => f.rule)).size).toBeGreaterThanOrEqual(4);
    for (const split of [2, 5, 7]) expect(await splitRun(make, await stores.open(), input, split), `restarted before batch ${split}`).toEqual(expected);
  });

  it('saved between observe and flush, the next process owes the same reports', async () => {
    const batches = batchesOf(events(11, 80), 10);
    const store = await stores.open();
    const first = new SigmaEngine(defs(), {}, { state: store });
    await first.restore();
    for (const b of batches.slice(0, 4)) {
      for (const e of b.events) first.observe(e);
      await first.persist();
      await store.commitBatch({ source: 'test', events: b.events });
      first.flush({ final: false, watermark: b.watermark });
    }
    for (const e of batches[4]!.events) first.observe(e);
    await first.persist();
    await store.commitBatch({ source: 'test', events: batches[4]!.events });
    const owed = first.flush({ final: false, watermark: batches[4]!.watermark });
    const second = new SigmaEngine(defs(), {}, { state: store });
    await second.restore();
    await replayStored(store, [second]);
    expect(second.flush({ final: false, watermark: batches[4]!.watermark })).toEqual(owed);
  });
});

describe('saved windows, one correlation at a time (encode, decode, restore)', () => {
  // What WindowLog does with a part, without a store: a save encodes every group the part holds
  // (through a string table) with its meta, as JSON; a restart decodes them into a fresh part,
  // restores, and is handed back the stored events from resumeFrom() on.
  interface Saved {
    meta: unknown;
    records: unknown[];
    table: string[];
  }
  function save(s: CorrelationState): Saved {
    const table: string[] = [];
    const index = new Map<string, number>();
    const intern = (x: string) => index.get(x) ?? (index.set(x, table.length), table.push(x) - 1);
    s.takeChanged();
    const records = [...s.groups()].map((g) => s.encode(g, intern));
    return JSON.parse(JSON.stringify({ meta: s.meta() ?? null, records, table })) as Saved;
  }
  function load(make: () => CorrelationState, saved: Saved): CorrelationState {
    const s = make();
    if (saved.meta === null) return s;
    const resolve = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < saved.table.length ? saved.table[n] : undefined);
    const groups = saved.records.map((r) => s.decode(r, resolve));
    expect(groups.every((g) => g !== undefined)).toBe(true);
    expect(s.restore(saved.meta, groups as NonNullable<(typeof groups)[number]>[])).toBeDefined();
    return s;
  }

  /** The referenced rules an event matches, by name. */
  const matched = (e: SecurityEvent): string[] => {
    const out: string[] = [];
    if (e.event.category.includes('authentication')) out.push(e.event.outcome === 'failure' ? 'failed' : 'ok');
    if (e.event.action === 'grant_admin' || e.event.action === 'download') out.push(e.event.action === 'download' ? 'download' : 'grant');
    return out;
  };
  const inputsOf = (d: CorrelationRuleDef, e: SecurityEvent) => d.rules.flatMap((r, i) => (matched(e).includes(r) ? [i] : []));

  const events = (seed: number, n: number) => mixedEvents(seed, n, true);

  const RULES = [
    '{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 1m, condition: { gte: 3 } }',
    '{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 2m, condition: { field: user, gte: 3 } }',
    '{ type: event_count, rules: [failed], group-by: [user], timespan: 1m, condition: { gte: 2, lte: 3 } }',
    '{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 1m, condition: { field: user, lt: 3 } }',
    '{ type: temporal, rules: [grant, download, failed], group-by: [source.ip], timespan: 2m, condition: { gte: 2 } }',
    '{ type: temporal_ordered, rules: [failed, ok], group-by: [source.ip], timespan: 1m }',
  ];

  /**
   * Runs the batches, restarting before batch `split` (saving after the flush before it, or, with
   * `midway`, after observing batch `split` but before applying it).
   */
  function runFor(d: CorrelationRuleDef, make: () => CorrelationState, batches: ReturnType<typeof batchesOf>, split?: number, midway = false): Finding[] {
    const out: Finding[] = [];
    let s = make();
    const stored: SecurityEvent[] = [];
    for (let b = 0; b < batches.length; b++) {
      const batch = batches[b]!;
      if (b === split && !midway) {
        s = load(make, save(s));
        const from = s.resumeFrom();
        if (from !== undefined) for (const e of [...stored].sort((x, y) => eventTime(x) - eventTime(y))) if (eventTime(e) >= from && inputsOf(d, e).length) s.replay(e, eventTime(e), inputsOf(d, e));
      }
      for (const e of batch.events) {
        const inputs = inputsOf(d, e);
        if (inputs.length) s.observe(e, eventTime(e), inputs);
      }
      stored.push(...batch.events);
      if (b === split && midway) {
        // Saved with the batch observed but not yet applied (sources side by side): the batch is
        // stored, so it comes back by replay.
        s = load(make, save(s));
        const from = s.resumeFrom();
        if (from !== undefined) for (const e of [...stored].sort((x, y) => eventTime(x) - eventTime(y))) if (eventTime(e) >= from && inputsOf(d, e).length) s.replay(e, eventTime(e), inputsOf(d, e));
      }
      s.advance(batch.watermark);
      out.push(...s.flush());
    }
    return out;
  }

  for (const rule of RULES) {
    for (const maxGroups of rule.includes('event_count') || rule.includes('value_count') ? [1000, 2] : [1000]) {
      it(`${rule.slice(8, rule.indexOf(','))}${rule.includes('lt:') || rule.includes('lte:') ? ' (upper bound)' : ''}, maxGroups ${maxGroups}: a restart changes nothing`, () => {
        const d = def(rule);
        const make = () => new CorrelationState(d, d.rules.map((r) => ({ ref: r, names: [r], providers: undefined })), { severity: 'high', maxEvidence: 4, maxGroups });
        const evs = events(5, 90);
        for (const [order, batches] of restartInputs(batchesOf(evs, 10))) {
          const expected = runFor(d, make, batches);
          expect(expected.length, order).toBeGreaterThan(0);
          // Every other boundary: the restarts then fall on each kind of state at least once.
          for (let split = order === 'one stream' ? 0 : 1; split < batches.length; split += 2) {
            expect(runFor(d, make, batches, split), `${order}, restart before batch ${split}`).toEqual(expected);
            expect(runFor(d, make, batches, split, true), `${order}, restart before flushing batch ${split}`).toEqual(expected);
          }
        }
      });
    }
  }
});

describe('saved windows that cannot be trusted', () => {
  // A stored record is untrusted: anything malformed makes decode (or restore) refuse it, so the
  // rule starts afresh instead of counting from garbage.
  const table = ['id-a', 'id-b', 'user-x'];
  const resolve = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < table.length ? table[n] : undefined);
  const temporal = () => state('{ type: temporal, rules: [a, b], group-by: [user], timespan: 10m }');
  const counting = () => state('{ type: value_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { field: user, gte: 9 } }');

  it('decodes a well-formed record of each kind', () => {
    expect(counting().decode({ k: 'g', q: 1, m: T0, t: [60_000, 60_000], i: [0, 1], w: [1, 2], v: [2, null], b: [T0 - MIN, T0, 3, 2, [0, 1], [2]], d: 1 }, resolve)).toBeDefined();
    expect(counting().decode({ k: 'g', q: 1, l: T0, u: [T0, T0, 2, [0]] }, resolve)).toBeDefined();
    expect(temporal().decode({ k: 'g', q: 2, l: T0, s: [[T0, 0], null], c: [[T0, T0, [0]], null] }, resolve)).toBeDefined();
  });

  it('refuses a record with any field malformed', () => {
    const good = { k: 'g', q: 1, m: T0, t: [60_000, 60_000], i: [0, 1], v: [2, null], b: [T0 - MIN, T0, 3, 2, [0, 1]] };
    const bad: Array<Record<string, unknown>> = [
      { k: 1 },
      { q: 'x' },
      { q: undefined },
      { m: 'x' },
      { l: 'x' },
      { m: undefined },
      { t: 'x' },
      { t: [-1, 0] },
      { t: [], i: [] },
      { i: [0] },
      { i: [0, 9] },
      { i: undefined },
      // A window time after the newest one.
      { t: [0, 60_000] },
      { w: [1] },
      { v: [2] },
      { v: [2, 9] },
      { b: 'x' },
      { b: [T0, T0, 3, 2] },
      { b: [T0, T0, 3, 2, [0], [2], 'extra'] },
      { b: [T0, 'x', 3, 2, [0]] },
      { b: [T0, T0, 3, 2, [9]] },
      { b: [T0, T0, 3, 2, [0], [9]] },
      { b: [T0, T0, 3, 2, 'x'] },
      { u: [T0, T0, [0]] },
      { u: [T0, T0, 'x', [0]] },
      { d: 'x' },
    ];
    for (const change of bad) expect([change, counting().decode({ ...good, ...change }, resolve)]).toEqual([change, undefined]);
    expect(counting().decode({ ...good }, resolve)).toBeDefined();
  });

  it('refuses temporal slots and ordered chains of the wrong shape', () => {
    const bad: Array<Record<string, unknown>> = [
      { s: 'x' },
      { s: [null] },
      { s: [null, null, null] },
      { s: [[T0], null] },
      { s: [[T0, 0, 1], null] },
      { s: [['x', 0], null] },
      { s: [[T0, 9], null] },
      { s: ['x', null] },
      { c: 'x' },
      { c: [null] },
      { c: [[T0, T0], null] },
      { c: [[T0, T0, [0], 1], null] },
      { c: [['x', T0, [0]], null] },
      { c: [[T0, 'x', [0]], null] },
      { c: [[T0, T0, [9]], null] },
      { c: [[T0, T0, 'x'], null] },
      { c: ['x', null] },
    ];
    for (const change of bad) expect([change, temporal().decode({ k: 'g', q: 1, l: T0, ...change }, resolve)]).toEqual([change, undefined]);
  });

  it('restores only a meta it can read, with no group newer than its counter', () => {
    const saved = (() => {
      const s = temporal();
      s.observe(testEvent({ time: T0, user: 'u', action: 'a' }), T0, [0]);
      s.advance(T0 + 1);
      s.observe(testEvent({ time: T0 + 5, user: 'u', action: 'b' }), T0 + 5, [1]);
      return JSON.parse(JSON.stringify(s.meta())) as Record<string, unknown>;
    })();
    expect(saved).toMatchObject({ q: 1, o: T0 + 5 });
    const restore = (meta: unknown, q = 1) => {
      const s = temporal();
      const g = s.decode({ k: 'u', q, l: T0, s: [[T0, 0], null] }, resolve)!;
      return s.restore(meta, [g]);
    };
    expect(restore(saved)).toHaveLength(1);
    for (const change of [{ n: 'x' }, { c: 'x' }, { q: 'x' }, { s: 'x' }, { k: 'x' }, { k: [1, 2] }, { p: 'x' }, { p: [{ rule: 1 }] }, { o: 'x' }, { n: undefined }, { q: undefined }]) {
      expect([change, restore({ ...saved, ...change })]).toEqual([change, undefined]);
    }
    expect(restore(null)).toBeUndefined();
    expect(restore(saved, 2)).toBeUndefined();
  });

  it('a part that has seen nothing has no meta; one with only a watermark or a queued event has', () => {
    const s = temporal();
    expect(s.meta()).toBeUndefined();
    s.advance(T0);
    expect(s.meta()).toEqual({ k: [T0, T0, null], n: T0 + 10 * MIN, q: 0, s: 0, c: T0 });
    const q = temporal();
    q.observe(testEvent({ time: T0, user: 'u', action: 'a' }), T0, [0]);
    expect(q.meta()).toEqual({ k: [null, null, null], n: null, q: 0, s: 0, c: null, o: T0 });
  });

  it('after a restore, hands back only stored events it had not judged', () => {
    const s = temporal();
    s.observe(testEvent({ time: T0, user: 'u', action: 'a' }), T0, [0]);
    s.advance(T0 + 1);
    s.observe(testEvent({ time: T0 + 5, user: 'u', action: 'b' }), T0 + 5, [1]);
    s.observe(testEvent({ time: T0 + 3, user: 'u', action: 'b' }), T0 + 3, [1]);
    const meta = JSON.parse(JSON.stringify(s.meta())) as unknown;
    const t = temporal();
    expect(t.resumeFrom()).toBeUndefined();
    expect(t.restore(meta, [])).toEqual([]);
    // The oldest queued event, T0 + 3; never before the frontier.
    expect(t.resumeFrom()).toBe(T0 + 3);
    t.replay(testEvent({ time: T0, user: 'u', action: 'a' }), T0, [0]);
    t.replay(testEvent({ time: T0 + 3, user: 'u', action: 'b' }), T0 + 3, [1]);
    expect(t.stats().queued).toBe(1);
    // Without a restore there is nothing to hand back.
    const fresh = temporal();
    fresh.replay(testEvent({ time: T0 + 3, user: 'u', action: 'b' }), T0 + 3, [1]);
    expect(fresh.stats().queued).toBe(0);
  });
});

describe('long windows', () => {
  it('compacts a window that has slid past many events without changing what it counts', () => {
    // 1 s apart with a 10 min timespan: 600 events in the window, thousands gone through it.
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 10m, condition: { gte: 600 } }', { maxEvidence: 3 });
    const burst = (from: number, n: number, base: number) => Array.from({ length: n }, (_, i) => fail(from + i * SEC, '192.0.2.1', 'x', base + i));
    const first = burst(T0, 1500, 0);
    const out = step(s, first.slice(0, 1000));
    expect(out.map((f) => [f.windowStart, f.evidence])).toEqual([
      [T0, ids(first.slice(0, 3))],
      [T0, ids(first.slice(0, 3))],
    ]);
    step(s, first.slice(1000));
    // After a quiet spell the next burst starts from the compacted window.
    const second = burst(T0 + 2 * 3_600_000, 700, 5000);
    const again = step(s, second);
    expect(again[0]).toMatchObject({ windowStart: T0 + 2 * 3_600_000, evidence: ids(second.slice(0, 3)), observed: { events: 600, peak_window_events: 600 } });
    // A window mid-slide: 300 old events left, 300 new ones in.
    const third = burst(T0 + 4 * 3_600_000, 1300, 9000);
    const f = step(s, third.slice(0, 1200)).filter((x) => x.observed?.events === 600);
    expect(f.map((x) => x.windowStart)).toEqual([T0 + 4 * 3_600_000]);
  });
});

describe('correlation bookkeeping', () => {
  it('eq is judged on the whole window, not the moment the count passes through it', () => {
    const eq = state('{ type: event_count, rules: [failed], group-by: [user], timespan: 5m, condition: { eq: 2 } }');
    expect(step(eq, [fail(T0, 'ip', 'a', 1), fail(T0 + 1, 'ip', 'a', 2), fail(T0 + 2, 'ip', 'a', 3)], T0 + 5 * MIN + 1)).toEqual([]);
  });

  it('names its saved state after the rule unless told otherwise', () => {
    const d = def('{ type: event_count, rules: [failed], timespan: 5m, condition: { gte: 2 } }');
    const s = new CorrelationState(d, [{ ref: 'failed', names: [], providers: undefined }], { severity: 'low', maxEvidence: 1, maxGroups: 1 });
    expect([s.name, s.hash]).toEqual(['rules/c', '']);
    const t = new CorrelationState(d, [{ ref: 'failed', names: [], providers: undefined }], { severity: 'low', maxEvidence: 1, maxGroups: 1, stateName: 'rules/c#2', stateHash: 'abc' });
    expect([t.name, t.hash]).toEqual(['rules/c#2', 'abc']);
  });

  it('resolves an alias by the rule reference or by the rule\'s own id or name', () => {
    const d = def('{ type: event_count, rules: [r1], group-by: [who], timespan: 5m, condition: { gte: 1 }, aliases: { who: { the-rule: user.email } } }');
    const byName = new CorrelationState(d, [{ ref: 'r1', names: ['0000-id', 'the-rule'], providers: undefined }], { severity: 'low', maxEvidence: 1, maxGroups: 9 });
    expect(step(byName, [fail(T0, 'ip', 'p@example.com')]).map((f) => f.entity)).toEqual([{ type: 'who', value: 'p@example.com' }]);
    // No alias for this rule: the group-by name is read as a field, which the event lacks.
    const other = new CorrelationState(d, [{ ref: 'r1', names: ['another'], providers: undefined }], { severity: 'low', maxEvidence: 1, maxGroups: 9 });
    expect(step(other, [fail(T0, 'ip', 'p@example.com')])).toEqual([]);
  });

  it('counts as late only events before the watermark already passed', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 9 } }');
    s.advance(T0);
    s.observe(fail(T0), T0, [0]);
    expect(s.stats().late).toBe(0);
    s.observe(fail(T0 - 1), T0 - 1, [0]);
    expect(s.stats().late).toBe(1);
  });

  it('after a restore, does not queue again what the clock has since passed', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 9 } }');
    s.advance(T0);
    s.observe(fail(T0 + 10), T0 + 10, [0]);
    const meta = JSON.parse(JSON.stringify(s.meta())) as unknown;
    const t = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 9 } }');
    t.restore(meta, []);
    expect(t.resumeFrom()).toBe(T0 + 10);
    t.replay(fail(T0 + 5), T0 + 5, [0]);
    expect(t.stats().queued).toBe(0);
    t.advance(T0 + 20);
    t.replay(fail(T0 + 10), T0 + 10, [0]);
    expect(t.stats().queued).toBe(0);
    t.replay(fail(T0 + 20), T0 + 20, [0]);
    expect(t.stats().queued).toBe(1);
  });

  it('drops idle groups while applying a long release, so the cap does not evict a group still counting', () => {
    const s = state('{ type: event_count, rules: [failed], group-by: [source.ip], timespan: 5m, condition: { gte: 2 } }', { maxGroups: 2 });
    // One batch: a and b go idle; a comes back, then c. Dropping the idle ones as the release goes
    // leaves room for c; evicting the oldest instead would forget a's new event.
    const out = step(s, [fail(T0, 'a'), fail(T0 + 1, 'b'), fail(T0 + 20 * MIN, 'a', 'x', 1), fail(T0 + 20 * MIN + 1, 'c'), fail(T0 + 20 * MIN + 2, 'a', 'x', 2)]);
    expect(out.map((f) => [f.entity.value, f.windowStart])).toEqual([['a', T0 + 20 * MIN]]);
  });
});
