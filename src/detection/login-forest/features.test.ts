import { describe, expect, it } from 'vitest';
import { countValues, distanceKm, FORGOTTEN, packLogins, percentages, quantizeLat, quantizeLon, unpackLogins, vectorOf, weekSlot, type LoginPoint } from './features.js';

describe('login-forest features', () => {
  it('packs every login into 7 characters and back, extremes included', () => {
    const logins: LoginPoint[] = [
      { lat: -900, lon: -1800, asn: 0, agent: 0, slot: 0 },
      { lat: 900, lon: 1799, asn: FORGOTTEN, agent: FORGOTTEN, slot: 2015 },
      { lat: 488, lon: 23, asn: 3, agent: 7, slot: 1234 },
    ];
    const text = packLogins(logins);
    expect(text).toHaveLength(21);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(unpackLogins(text)).toEqual(logins);
    expect(unpackLogins(text.slice(1))).toBeUndefined();
    expect(unpackLogins('!!!!!!!')).toBeUndefined();
  });

  it('quantizes to tenths of a degree, wrapping longitude across the antimeridian', () => {
    expect(quantizeLat(48.8566)).toBe(489);
    expect(quantizeLat(95)).toBe(900);
    expect(quantizeLon(179.99)).toBe(-1800);
    expect(quantizeLon(-181)).toBe(1790);
    expect(distanceKm({ lat: 0, lon: 1799 }, { lat: 0, lon: -1799 })).toBeLessThan(25);
    expect(distanceKm({ lat: 489, lon: 24 }, { lat: 65, lon: 34 })).toBeCloseTo(4715, -2);
  });

  it('counts the week in 5-minute slots from Monday 00:00 UTC', () => {
    expect(weekSlot(Date.parse('2026-10-05T00:00:00Z'))).toBe(0);
    expect(weekSlot(Date.parse('2026-10-06T03:10:00Z'))).toBe(288 + 38);
    expect(weekSlot(Date.parse('2026-10-11T23:59:59Z'))).toBe(2015);
  });

  it('puts a new value at familiarity 0 and a value on every other login at 1', () => {
    const logins: LoginPoint[] = [0, 0, 0, 1].map((a) => ({ lat: 0, lon: 0, asn: a, agent: 0, slot: 0 }));
    const ref = countValues(logins);
    expect(vectorOf(logins[0]!, ref, true)[3]).toBeCloseTo(Math.log2(3) / Math.log2(4));
    expect(vectorOf(logins[3]!, ref, true)[3]).toBe(0);
    expect(vectorOf(logins[3]!, ref, true)[4]).toBe(1);
    expect(vectorOf({ ...logins[0]!, asn: FORGOTTEN }, ref, false)[3]).toBe(0);
  });

  it('rounds percentages to a total of exactly 100', () => {
    expect(percentages([1, 1, 1])).toEqual([34, 33, 33]);
    expect(percentages([0.524, 0.296, 0.18, 0])).toEqual([52, 30, 18, 0]);
    // Rounding each would give 34 + 34 + 33 = 101.
    expect(percentages([0.335, 0.335, 0.33])).toEqual([34, 33, 33]);
    expect(percentages([0, 0])).toEqual([0, 0]);
  });
});
