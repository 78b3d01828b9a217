import { describe, expect, it } from 'vitest';
import { createReplayGuard } from './replay.js';

describe('createReplayGuard', () => {
  it('reports a key as seen only within the window', () => {
    let t = 1_000;
    const guard = createReplayGuard({ windowMs: 60_000, max: 10, now: () => t });
    expect(guard.seen('channel-1:41')).toBe(false);
    expect(guard.seen('channel-1:41')).toBe(true);
    expect(guard.seen('channel-1:42')).toBe(false);
    t += 59_999;
    expect(guard.seen('channel-1:41')).toBe(true);
    t += 1;
    expect(guard.seen('channel-1:41')).toBe(false);
    expect(guard.seen('channel-1:41')).toBe(true);
  });

  it('forgets expired keys so memory stays bounded by the window', () => {
    let t = 0;
    const guard = createReplayGuard({ windowMs: 1_000, max: 5, now: () => t });
    for (let i = 0; i < 5; i++) expect(guard.seen(`k${i}`)).toBe(false);
    expect(guard.size).toBe(5);
    t = 1_000;
    expect(guard.seen('fresh')).toBe(false);
    expect(guard.size).toBe(1);
  });

  it('fails closed when full of live keys instead of forgetting one that could then be replayed', () => {
    let t = 0;
    const guard = createReplayGuard({ windowMs: 1_000, max: 3, now: () => t });
    for (const k of ['a', 'b', 'c']) expect(guard.seen(k)).toBe(false);
    expect(guard.seen('d')).toBe(true);
    expect(guard.seen('a')).toBe(true);
    expect(guard.size).toBe(3);
    t = 1_000;
    expect(guard.seen('d')).toBe(false);
  });

  it('validates its options', () => {
    expect(() => createReplayGuard({ windowMs: 0, max: 1 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => createReplayGuard({ windowMs: 1, max: 0 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => createReplayGuard({ windowMs: 1, max: 1.5 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
