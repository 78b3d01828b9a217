import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../core/index.js';
import { testEvent } from '../detection/testing.js';
import { admitEvent, MAX_EVENT_CHARS, MAX_EVENT_DEPTH, preview } from './admit.js';

const T0 = Date.parse('2026-11-02T09:00:00.000Z');

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

function withRaw(raw: unknown): SecurityEvent {
  return { ...testEvent({ time: T0, user: 'a@example.com' }), raw };
}

describe('admitEvent', () => {
  it('admits an ordinary event untouched', () => {
    const e = testEvent({ time: T0, user: 'a@example.com', ip: '192.0.2.1' });
    const before = structuredClone(e);
    expect(admitEvent(e)).toBeUndefined();
    expect(e).toEqual(before);
  });

  it('refuses nesting past MAX_EVENT_DEPTH, and a record that refers to itself, without recursing', () => {
    // The event is level 1 and raw level 2: raw may nest MAX_EVENT_DEPTH - 1 levels.
    expect(admitEvent(withRaw(nested(MAX_EVENT_DEPTH - 1)))).toBeUndefined();
    expect(admitEvent(withRaw(nested(MAX_EVENT_DEPTH)))).toMatchObject({ code: 'INPUT_TOO_LARGE', reason: expect.stringContaining('nests deeper than 1024') });
    expect(admitEvent(withRaw(nested(100_000)))).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(admitEvent(withRaw(cyclic))).toMatchObject({ code: 'INPUT_TOO_LARGE', reason: expect.stringContaining('refers to itself') });
  });

  it('refuses a BigInt, an event too large to serialise, and an unparseable time', () => {
    expect(admitEvent(withRaw({ n: 10n }))).toEqual({ code: 'INPUT_MALFORMED', reason: 'holds a BigInt, which JSON cannot store' });
    const wide = Array.from({ length: 9 }, () => 'x'.repeat(MAX_EVENT_CHARS / 8));
    expect(admitEvent(withRaw(wide))).toMatchObject({ code: 'INPUT_TOO_LARGE', reason: `is over ${MAX_EVENT_CHARS} characters, more than can be stored` });
    expect(admitEvent({ ...testEvent({ time: T0 }), '@timestamp': 'yesterday' })).toMatchObject({ code: 'TIMESTAMP_INVALID', reason: 'has an invalid @timestamp: "yesterday"' });
  });

  it('replaces NUL and lone surrogates in every string and key, raw included, keeping key order, and says so in labels.sanitized', () => {
    const e = testEvent({ time: T0, user: 'ev\u0000il@example.com', action: 'log\u0000in' });
    e.raw = { user: 'ev\u0000il@example.com', 'k\ud800': ['a\udc00b', { deep: '\u0000' }], ok: 'ok 😀' };
    e.labels = { kept: 'yes' };
    expect(admitEvent(e)).toBeUndefined();
    expect(e.user?.email).toBe('ev\ufffdil@example.com');
    expect(e.event.action).toBe('log\ufffdin');
    expect(e.raw).toEqual({ user: 'ev\ufffdil@example.com', 'k\ufffd': ['a\ufffdb', { deep: '\ufffd' }], ok: 'ok 😀' });
    expect(Object.keys(e.raw as object)).toEqual(['user', 'k\ufffd', 'ok']);
    expect(e.labels).toEqual({ kept: 'yes', sanitized: 'nul,surrogate' });
    const only = withRaw({ s: '\udfff' });
    admitEvent(only);
    expect(only.labels).toEqual({ sanitized: 'surrogate' });
  });

  it('keeps a __proto__ key an own property when it renames keys beside it', () => {
    const raw = JSON.parse('{"__proto__":"p","b\\u0000":1}') as Record<string, unknown>;
    const e = withRaw(raw);
    admitEvent(e);
    expect(Object.getOwnPropertyDescriptor(e.raw, '__proto__')?.value).toBe('p');
    expect(Object.getPrototypeOf(e.raw)).toBe(Object.prototype);
    expect(JSON.stringify(e.raw)).toBe('{"__proto__":"p","b\ufffd":1}');
  });
});

describe('preview', () => {
  it('writes what JSON.stringify cannot, bounded', () => {
    const cyclic: Record<string, unknown> = { n: 2n };
    cyclic.self = cyclic;
    expect(preview(cyclic)).toBe('{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":{"n":2n,"self":…}}}}}}}}}}}}}}}}');
    expect(preview(nested(100_000), 50)).toBe('[[[[[[[[[[[[[[[[…]]]]]]]]]]]]]]]]');
    expect(preview({ s: 'x'.repeat(100) }, 20)).toBe(`{"s":"${'x'.repeat(14)}… [truncated]`);
  });
});
