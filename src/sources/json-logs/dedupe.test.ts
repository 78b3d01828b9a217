import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../core/index.js';
import { canonicalJson, sha256Hex } from '../../core/index.js';
import { DuplicateCompressor, dedupeKey, withoutField } from './dedupe.js';

function ev(raw: Record<string, unknown>, ms: number): SecurityEvent {
  return {
    '@timestamp': new Date(ms).toISOString(),
    event: { id: '', kind: 'event', category: ['web'], action: 'x', outcome: 'unknown', provider: 'json-logs', dataset: 't', ingested: '' },
    raw,
  };
}

const T0 = Date.parse('2024-03-04T09:00:00Z');

/** Runs records (raw, seconds after T0) through a compressor; returns emitted [first time, count]. */
function run(records: [Record<string, unknown>, number][], windowMs = 60_000, maxGroups = 100): [string, number, unknown][] {
  const c = new DuplicateCompressor(windowMs, maxGroups, (e) => {
    e.event.id = `id-of-${e['@timestamp']}`;
  });
  const out: SecurityEvent[] = [];
  for (const [raw, s] of records) {
    const ms = T0 + s * 1000;
    c.add(ev({ ...raw, time: ms }, ms), dedupeKey({ ...raw, time: ms }, 'time'), ms, out);
  }
  c.flush(out);
  return out.map((e) => [e['@timestamp'].slice(11, 19), e.event.count ?? 1, e.event.id]);
}

describe('withoutField and dedupeKey', () => {
  it('drops top-level, literal dotted and nested fields without touching the input', () => {
    const raw = { a: 1, 'x.y': 2, n: { t: 3, k: 4 } };
    expect(withoutField(raw, 'a')).toEqual({ 'x.y': 2, n: { t: 3, k: 4 } });
    expect(withoutField(raw, 'x.y')).toEqual({ a: 1, n: { t: 3, k: 4 } });
    expect(withoutField(raw, 'n.t')).toEqual({ a: 1, 'x.y': 2, n: { k: 4 } });
    expect(raw).toEqual({ a: 1, 'x.y': 2, n: { t: 3, k: 4 } });
  });

  it('ignores the timestamp and key order, and nothing else', () => {
    expect(dedupeKey({ t: 1, a: 1, b: 2 }, 't')).toBe(dedupeKey({ b: 2, a: 1, t: 99 }, 't'));
    expect(dedupeKey({ t: 1, a: 1 }, 't')).not.toBe(dedupeKey({ t: 1, a: 2 }, 't'));
    expect(dedupeKey({ t: 1, a: 1 }, 't')).toBe(sha256Hex(canonicalJson({ a: 1 })));
  });
});

describe('DuplicateCompressor', () => {
  const fail = { user: 'bob', action: 'login', outcome: 'failure' };
  const other = { user: 'alice', action: 'login', outcome: 'success' };

  it('folds duplicates within the window into the first, with a count and the first id', () => {
    expect(run([[fail, 0], [fail, 10], [other, 15], [fail, 59], [fail, 60]])).toEqual([
      ['09:00:00', 4, 'id-of-2024-03-04T09:00:00.000Z'],
      ['09:00:15', 1, 'id-of-2024-03-04T09:00:15.000Z'],
    ]);
  });

  it('starts a new group past the window of the first occurrence', () => {
    expect(run([[fail, 0], [fail, 30], [fail, 61], [fail, 90], [fail, 200]])).toEqual([
      ['09:00:00', 2, 'id-of-2024-03-04T09:00:00.000Z'],
      ['09:01:01', 2, 'id-of-2024-03-04T09:01:01.000Z'],
      ['09:03:20', 1, 'id-of-2024-03-04T09:03:20.000Z'],
    ]);
  });

  it('emits groups as soon as event time has moved past their window', () => {
    const c = new DuplicateCompressor(60_000, 100);
    const out: SecurityEvent[] = [];
    c.add(ev(fail, T0), 'k1', T0, out);
    c.add(ev(other, T0 + 30_000), 'k2', T0 + 30_000, out);
    expect(out).toHaveLength(0);
    c.add(ev(other, T0 + 61_000), 'k3', T0 + 61_000, out);
    expect(out.map((e) => e.raw)).toEqual([fail]);
    expect(c.openGroups).toBe(2);
  });

  it('bounds open groups, emitting the oldest first', () => {
    const records: [Record<string, unknown>, number][] = [];
    for (let i = 0; i < 5; i++) records.push([{ n: i }, i]);
    records.push([{ n: 0 }, 6]);
    // With room for 3 groups, n=0 is emitted before its duplicate arrives, which then starts afresh.
    expect(run(records, 60_000, 3).map(([t, n]) => [t, n])).toEqual([
      ['09:00:00', 1],
      ['09:00:01', 1],
      ['09:00:02', 1],
      ['09:00:03', 1],
      ['09:00:04', 1],
      ['09:00:06', 1],
    ]);
    expect(run(records, 60_000, 10).map(([t, n]) => [t, n])[0]).toEqual(['09:00:00', 2]);
  });

  it('is deterministic: the same input gives the same events and counts', () => {
    const input: [Record<string, unknown>, number][] = [[fail, 0], [other, 1], [fail, 2], [other, 100], [fail, 101]];
    expect(run(input)).toEqual(run(input));
  });
});
