import { afterEach, describe, expect, it } from 'vitest';
import { testFinding, TEST_FINDING_START } from '../core/testing.js';
import type { Mute } from '../core/store.js';
import { openStore } from '../storage/index.js';
import { closeMemoryStores, memoryStore } from '../storage/testing.js';
import { findingToAlert } from './alerts.js';
import { entityMatches, escapeGlob, Muter, patternMatches } from './mutes.js';

const T = Date.parse('2026-11-03T10:00:00Z');
const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms);

const alice = findingToAlert(testFinding({ rule: 'impossible-travel', entity: { type: 'user', value: 'alice@example.com' } }), at(T));
const bob = findingToAlert(testFinding({ rule: 'impossible-travel', entity: { type: 'user', value: 'bob@contractor.example' } }), at(T));
const bruteBob = findingToAlert(testFinding({ rule: 'brute-force', entity: { type: 'user', value: 'bob@contractor.example' } }), at(T));
const ip = findingToAlert(testFinding(), at(T));

afterEach(closeMemoryStores);

describe('patternMatches', () => {
  it('matches a rule, an entity, or only the pair', () => {
    expect([alice, bob, bruteBob, ip].map((a) => patternMatches({ rule: 'impossible-travel' }, a))).toEqual([true, true, false, false]);
    expect([alice, bob, bruteBob, ip].map((a) => patternMatches({ entity: { type: 'user', value: 'bob@contractor.example' } }, a))).toEqual([false, true, true, false]);
    const pair = { rule: 'brute-force', entity: { type: 'user', value: 'bob@contractor.example' } };
    expect([alice, bob, bruteBob, ip].map((a) => patternMatches(pair, a))).toEqual([false, false, true, false]);
  });

  it('never matches with neither rule nor entity', () => {
    expect(patternMatches({}, alice)).toBe(false);
  });

  it('matches an entity value as a glob, ignoring case, within its type only', () => {
    const contractors = { type: 'user', value: '*@contractor.example' };
    expect(entityMatches(contractors, { type: 'user', value: 'Bob@CONTRACTOR.example' })).toBe(true);
    expect(entityMatches(contractors, { type: 'user', value: 'bob@contractor.example.evil.io' })).toBe(false);
    expect(entityMatches(contractors, { type: 'user', value: 'bob@contractorXexample' })).toBe(false);
    expect(entityMatches(contractors, { type: 'ip', value: 'x@contractor.example' })).toBe(false);
    expect(entityMatches({ type: 'ip', value: '10.0.0.?' }, { type: 'ip', value: '10.0.0.7' })).toBe(true);
    expect(entityMatches({ type: 'ip', value: '10.0.0.?' }, { type: 'ip', value: '10.0.0.17' })).toBe(false);
  });

  it('matches an escaped value literally: feedback on an entity named * mutes that entity, not all', () => {
    const star = { type: 'user', value: escapeGlob('*') };
    expect(star.value).toBe('\\*');
    expect(entityMatches(star, { type: 'user', value: '*' })).toBe(true);
    expect(entityMatches(star, { type: 'user', value: 'alice@example.com' })).toBe(false);
    expect(entityMatches({ type: 'user', value: escapeGlob('a?b\\c*') }, { type: 'user', value: 'a?b\\c*' })).toBe(true);
    expect(entityMatches({ type: 'user', value: escapeGlob('a?b') }, { type: 'user', value: 'axb' })).toBe(false);
  });
});

describe('Muter', () => {
  it('applies config mutes until their end, exclusive, at a fixed clock', () => {
    const muter = new Muter({ config: [{ rule: 'brute-force', until: T + HOUR, reason: 'load test' }], now: () => T });
    expect(muter.isMuted(bruteBob)).toMatchObject({ source: 'config', reason: 'load test', actor: 'config' });
    expect(muter.isMuted(bruteBob, T + HOUR - 1)).toBeDefined();
    expect(muter.isMuted(bruteBob, T + HOUR)).toBeUndefined();
    expect(muter.isMuted(alice)).toBeUndefined();
  });

  it('applies store mutes once read, and sees a new or removed one only after its refresh period', async () => {
    const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: () => T });
    try {
      let clock = T;
      const muter = new Muter({ store, now: () => clock, refreshMs: 5_000 });
      await muter.refresh();
      expect(muter.isMuted(alice)).toBeUndefined();
      const m = await store.addMute({ entity: { type: 'user', value: '*@example.com' }, until: T + 2 * HOUR, reason: 'offsite', actor: 'ann', source: 'cli' });
      // Cached: not yet seen.
      expect(muter.isMuted(alice)).toBeUndefined();
      clock = T + 5_000;
      await muter.refreshIfStale();
      expect(muter.isMuted(alice)?.id).toBe(m.id);
      expect(muter.isMuted(alice, T + 2 * HOUR)).toBeUndefined();
      await store.removeMute(m.id, { actor: 'ann' });
      await muter.refresh();
      expect(muter.isMuted(alice)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('tells which mute held a stored alert back when it was raised, not one made later or removed before', async () => {
    const mk = (over: Partial<Mute>): Mute => ({ id: 1, rule: 'impossible-travel', reason: 'r', actor: 'a', source: 'cli', createdAt: at(T - HOUR).toISOString(), ...over });
    const stored = [mk({ id: 1, createdAt: at(T + 1).toISOString() }), mk({ id: 2, removedAt: at(T).toISOString() }), mk({ id: 3, until: T })];
    const muter = new Muter({ store: { listMutes: async () => stored }, now: () => T });
    await muter.refresh();
    expect(muter.mutedWhenRaised(alice)).toBeUndefined();
    stored.push(mk({ id: 4, until: T + 1 }));
    await muter.refresh();
    expect(muter.mutedWhenRaised(alice)?.id).toBe(4);
  });
});

describe('Muter refresh', () => {
  it('keeps the last mutes read when a later read fails, and fails when none was ever read', async () => {
    let fail = false;
    let clock = T;
    const store = {
      listMutes: async (): Promise<Mute[]> => {
        if (fail) throw new Error('database went away');
        return [{ id: 7, rule: 'impossible-travel', reason: 'r', actor: 'a', source: 'cli', createdAt: at(T).toISOString() }];
      },
    };
    const muter = new Muter({ store, now: () => clock, refreshMs: 1_000 });
    fail = true;
    await expect(muter.refreshIfStale()).rejects.toThrow('database went away');
    fail = false;
    await muter.refreshIfStale();
    expect(muter.isMuted(alice)?.id).toBe(7);
    fail = true;
    clock = T + 1_000;
    await muter.refreshIfStale();
    expect(muter.isMuted(alice)?.id).toBe(7);
  });
});

