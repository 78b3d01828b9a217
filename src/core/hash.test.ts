import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { canonicalJson, eventId } from './hash.js';

/** The obvious implementation, as an oracle for the fast one. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${Array.from(value, (v, i) => (i in value ? referenceCanonicalJson(v) : '')).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonicalJson(obj[k])}`).join(',')}}`;
}
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversedKeys(x)]));
}
const referenceEventId = (provider: string, raw: unknown) =>
  createHash('sha256').update(`${provider}\n${referenceCanonicalJson(raw)}`).digest('hex').slice(0, 32);

/** Small deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['a', 'B', 'b', '10', '9', '', 'é', '__proto__', 'constructor', 'x.y', '\u0000', '"q"', 'z'];
const STRINGS = ['', 'plain', 'quote " and \\ backslash', 'ctl \u0001\n\t', 'emoji 😀', 'lone \ud800', '\u2028', 'ümlaut'];

function randomValue(r: () => number, depth: number): unknown {
  const p = r();
  if (depth > 3 || p < 0.5) {
    const q = r();
    if (q < 0.3) return STRINGS[Math.floor(r() * STRINGS.length)];
    if (q < 0.55) return [0, -0, 1.5, -2, 1e21, 5e-7, 123456789012345][Math.floor(r() * 7)];
    if (q < 0.7) return r() < 0.5;
    if (q < 0.85) return null;
    return undefined;
  }
  if (p < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  // JSON.parse is the realistic constructor: it makes "__proto__" an own key.
  const o: Record<string, unknown> = JSON.parse('{}');
  for (let i = Math.floor(r() * 5); i > 0; i--) {
    Object.defineProperty(o, KEYS[Math.floor(r() * KEYS.length)]!, { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

describe('canonical JSON and event ids', () => {
  it('match core canonicalJson and eventId on random values, edge cases included', () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) {
      const v = randomValue(r, 0);
      expect(canonicalJson(v)).toBe(referenceCanonicalJson(v));
      expect(eventId('json-logs:x', v)).toBe(referenceEventId('json-logs:x', v));
    }
  });

  it('match on sparse arrays, functions and JSON.parse output with __proto__', () => {
    const odd = [{ a: [1, , 3], f: () => 1, u: undefined }, JSON.parse('{"__proto__":{"x":1},"b":[{"__proto__":2}]}'), [undefined, Symbol('s')]];
    for (const v of odd) expect(canonicalJson(v)).toBe(referenceCanonicalJson(v));
  });

  it('match on every fixture record, whatever the key order', () => {
    for (const line of readFileSync(new URL('../sources/json-logs/fixtures/webapp-auth.jsonl', import.meta.url), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const v = JSON.parse(line);
      expect(eventId('json-logs:app', v)).toBe(referenceEventId('json-logs:app', v));
      expect(eventId('json-logs:app', reversedKeys(v))).toBe(eventId('json-logs:app', v));
    }
  });

  it('keep the ids of stored events: these were computed by the first implementation and must never change', () => {
    expect(eventId('json-logs:bench', { time: '2026-10-01T00:00:00.050Z', user: 'user17@example.com', src_ip: '10.0.17.2', action: 'login', result: 'failure', seq: 1 }))
      .toBe('45dcc785263eb039c5123f0fd56d76ca');
    expect(eventId('google-workspace', {
      id: { time: '2026-03-01T10:00:00.000Z', uniqueQualifier: '-123' }, actor: { email: 'a@example.com' },
      events: [{ name: 'login_failure', parameters: [{ name: 'login_type', value: 'google_password' }] }],
    })).toBe('44778ca92d6291348a0bcd4c53b8630b');
    expect(eventId('json-logs:app', { z: 1, a: [true, null, 1.5e-7, 'ü "q" \\ \n'], m: { b: 2, a: { d: [], c: {} } }, u: undefined }))
      .toBe('63474778ac62cb75d9a047f461abd505');
    expect(eventId('dropbox', 'a plain string record')).toBe('7dd125153a55e01a12c803d0c90b3ef3');
  });
});

describe('canonicalJson by example', () => {
  it('sorts keys at every depth and writes literal JSON', () => {
    expect(canonicalJson({ b: { d: 1, c: [true, null] }, a: 'x' })).toBe('{"a":"x","b":{"c":[true,null],"d":1}}');
    // Keys that look like nothing special to a loop over them must still appear exactly once.
    expect(canonicalJson({ undefined: 1, null: 2, '': 3 })).toBe('{"":3,"null":2,"undefined":1}');
    expect(canonicalJson({ skip: undefined, keep: 0 })).toBe('{"keep":0}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
  });

  it('derives the event id from provider and canonical record (value computed with sha256sum)', () => {
    // printf '%s' $'json-logs:app\n{"a":1,"b":{"c":[true,null]}}' | sha256sum | cut -c1-32
    expect(eventId('json-logs:app', { b: { c: [true, null] }, a: 1 })).toBe('0bd0704df36edd6371a40342d3b6ba11');
  });
});
