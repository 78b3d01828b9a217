import { describe, expect, it } from 'vitest';
import { EventClock } from '../detection/event-order.js';
import { Watermarks } from './watermarks.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');

describe('the pipeline watermark', () => {
  it('is the oldest promise of the sources still delivering', () => {
    const w = new Watermarks();
    w.start('google');
    w.start('file');
    expect(w.current()).toBe(Number.NEGATIVE_INFINITY);
    w.batch('google', T0 + 60_000, T0 + 90_000);
    // The file has promised nothing: it holds everything back until it ends.
    expect(w.current()).toBe(Number.NEGATIVE_INFINITY);
    w.batch('file', undefined, T0 + 5_000);
    w.end('file');
    expect(w.current()).toBe(T0 + 60_000);
    // Promises never move back.
    w.batch('google', T0, T0 + 120_000);
    expect(w.current()).toBe(T0 + 60_000);
  });

  it('keeps a poller at its last promise when it ends, and lets a finite source go with +∞', () => {
    const w = new Watermarks();
    w.start('m365');
    w.start('replay');
    w.batch('m365', T0, T0 + 10);
    w.batch('replay', T0 + 5, T0 + 20);
    w.end('m365');
    w.batch('replay', Number.POSITIVE_INFINITY, T0 + 30);
    w.end('replay');
    expect(w.current()).toBe(T0);
  });

  it('once nothing holds back, stands just past the newest event; with none seen, promises nothing', () => {
    const empty = new Watermarks();
    empty.start('file');
    empty.end('file');
    // Not +∞: a detector saving that would find every later event already judged.
    expect(empty.current()).toBe(Number.NEGATIVE_INFINITY);
    const w = new Watermarks();
    w.start('file');
    w.batch('file', undefined, T0 + 42);
    w.end('file');
    expect(w.current()).toBe(T0 + 43);
    // What an earlier run saw counts as seen.
    const later = new Watermarks();
    later.seen(T0 + 99);
    later.start('file');
    later.end('file');
    expect(later.current()).toBe(T0 + 100);
  });
});

describe('the source holding detection back', () => {
  it('is the promising source furthest behind the newest event; a file holding back until it ends is not named', () => {
    const w = new Watermarks();
    for (const s of ['file', 'google', 'm365']) w.start(s);
    w.batch('file', undefined, T0 + 3 * 86_400_000);
    expect(w.laggard()).toBeUndefined();
    w.batch('google', T0 + 86_400_000, T0 + 86_400_000);
    w.batch('m365', T0, T0);
    expect(w.laggard()).toEqual({ source: 'm365', behindMs: 3 * 86_400_000 });
  });
});

describe('a detector clock', () => {
  it('never saves a frontier of +∞: it saves just past the newest event it applied', () => {
    const c = new EventClock();
    c.advance(Number.POSITIVE_INFINITY);
    c.applied(T0 + 7);
    c.tick();
    const restored = new EventClock();
    expect(restored.load(JSON.parse(JSON.stringify(c.toJSON())))).toBe(true);
    expect(restored.frontier).toBe(T0 + 8);
    expect(restored.clock).toBe(T0 + 7);
    const idle = new EventClock();
    idle.advance(Number.POSITIVE_INFINITY);
    const none = new EventClock();
    expect(none.load(JSON.parse(JSON.stringify(idle.toJSON())))).toBe(true);
    expect(none.frontier).toBe(Number.NEGATIVE_INFINITY);
  });
});
