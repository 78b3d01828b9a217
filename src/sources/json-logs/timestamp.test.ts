import { describe, expect, it } from 'vitest';
import { TimestampParser, resolveZone, type TimestampOptions } from './timestamp.js';

const NOW = Date.parse('2024-03-05T00:00:00Z');

function iso(value: string | number, opts: TimestampOptions = {}): string {
  const r = new TimestampParser({ now: () => NOW, ...opts }).parse(value);
  if (!r.ok) throw new Error(`${JSON.stringify(value)} ${r.error}`);
  return r.iso;
}

function error(value: string | number, opts: TimestampOptions = {}): string {
  const r = new TimestampParser({ now: () => NOW, ...opts }).parse(value);
  if (r.ok) throw new Error(`${JSON.stringify(value)} parsed as ${r.iso}`);
  return r.error;
}

describe('ISO-8601', () => {
  it.each([
    ['2024-03-04T09:15:02.123Z', '2024-03-04T09:15:02.123Z'],
    ['2024-03-04T09:15:02Z', '2024-03-04T09:15:02.000Z'],
    ['2024-03-04T09:15:02.5Z', '2024-03-04T09:15:02.500Z'],
    ['2024-03-04T09:15:02.12Z', '2024-03-04T09:15:02.120Z'],
    ['2024-03-04T09:15:02.123456Z', '2024-03-04T09:15:02.123Z'],
    ['2024-03-04T09:15:02.123456789Z', '2024-03-04T09:15:02.123Z'],
    ['2024-03-04T09:15:02,250Z', '2024-03-04T09:15:02.250Z'],
    ['2024-03-04t09:15:02z'.replace('t', 'T'), '2024-03-04T09:15:02.000Z'],
    ['2024-03-04T11:15:02+02:00', '2024-03-04T09:15:02.000Z'],
    ['2024-03-04T02:15:02.999-0700', '2024-03-04T09:15:02.999Z'],
    ['2024-03-04T14:45:02+05:30', '2024-03-04T09:15:02.000Z'],
    ['2024-03-04T11:15:02+02', '2024-03-04T09:15:02.000Z'],
    ['2024-03-04 09:15:02 +0000', '2024-03-04T09:15:02.000Z'],
    ['2024-03-04T09:15:02 UTC', '2024-03-04T09:15:02.000Z'],
    ['  2024-03-04T09:15:02Z  ', '2024-03-04T09:15:02.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it('reads zone-less times as UTC by default', () => {
    expect(iso('2024-03-04T09:15:02')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04 09:15:02')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04 09:15:02.042')).toBe('2024-03-04T09:15:02.042Z');
    expect(iso('2024/03/04 09:15:02')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04')).toBe('2024-03-04T00:00:00.000Z');
    expect(iso('2024-03-04 9:15')).toBe('2024-03-04T09:15:00.000Z');
  });

  it('hands back an already canonical string as is, and re-renders everything else', () => {
    const canonical = '2024-03-04T09:15:02.123Z';
    expect(new TimestampParser({ now: () => NOW }).parse(canonical)).toEqual({ ok: true, ms: Date.parse(canonical), iso: canonical });
    // A leap second is kept inside its minute, so the canonical shortcut must not apply.
    expect(iso('2016-12-31T23:59:60.000Z')).toBe('2016-12-31T23:59:59.999Z');
  });

  it.each([
    ['2024-02-30T00:00:00Z', 'out of range'],
    ['2023-02-29T00:00:00.000Z', 'out of range'],
    ['2024-13-01T00:00:00Z', 'out of range'],
    ['2024-03-04T24:00:00Z', 'out of range'],
    ['2024-03-04T09:61:00Z', 'out of range'],
    ['2024-03-04T09:15:02+25:00', 'unknown time zone "+25:00"'],
    ['2024-03-04T09:15:02Q', 'not a recognised timestamp'],
  ])('rejects %s', (input, why) => {
    expect(error(input)).toContain(why);
  });

  it('accepts 29 February in a leap year', () => {
    expect(iso('2024-02-29T12:00:00Z')).toBe('2024-02-29T12:00:00.000Z');
  });
});

describe('time zones for zone-less times', () => {
  it('applies an IANA zone with its DST rules', () => {
    expect(iso('2024-03-04 10:15:02', { timezone: 'Europe/Paris' })).toBe('2024-03-04T09:15:02.000Z');
    const summer = () => Date.parse('2024-08-01T00:00:00Z');
    expect(iso('2024-07-01 10:00:00', { timezone: 'Europe/Paris', now: summer })).toBe('2024-07-01T08:00:00.000Z');
    // Either side of the 2024 spring-forward night in Paris (02:00 → 03:00 local).
    expect(iso('2024-03-31 01:30:00', { timezone: 'Europe/Paris', now: summer })).toBe('2024-03-31T00:30:00.000Z');
    expect(iso('2024-03-31 03:30:00', { timezone: 'Europe/Paris', now: summer })).toBe('2024-03-31T01:30:00.000Z');
    expect(iso('2024-03-04 04:15:02', { timezone: 'America/New_York' })).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04 18:15:02', { timezone: 'Asia/Tokyo' })).toBe('2024-03-04T09:15:02.000Z');
  });

  it('applies fixed offsets', () => {
    expect(iso('2024-03-04 11:15:02', { timezone: '+02:00' })).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04 03:45:02', { timezone: '-0530' })).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04 10:15:02', { timezone: 'UTC+1' })).toBe('2024-03-04T09:15:02.000Z');
  });

  it('lets an explicit offset in the text win over the configured zone', () => {
    expect(iso('2024-03-04T09:15:02Z', { timezone: 'Europe/Paris' })).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('2024-03-04T11:15:02+02:00', { timezone: 'America/New_York' })).toBe('2024-03-04T09:15:02.000Z');
  });

  it('does not apply zones to epoch values', () => {
    expect(iso(1709543702, { timezone: 'Europe/Paris' })).toBe('2024-03-04T09:15:02.000Z');
  });

  it('resolves zone names and refuses unknown ones', () => {
    expect(resolveZone('UTC')).toMatchObject({ kind: 'fixed', offsetMs: 0 });
    expect(resolveZone('+05:30')).toMatchObject({ kind: 'fixed', offsetMs: 19_800_000 });
    expect(resolveZone('-08')).toMatchObject({ kind: 'fixed', offsetMs: -28_800_000 });
    expect(resolveZone('Europe/Paris')).toMatchObject({ kind: 'iana', name: 'Europe/Paris' });
    expect(resolveZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(resolveZone('+25:00')).toBeUndefined();
    expect(() => new TimestampParser({ timezone: 'Nowhere/Special' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('timezone: unknown time zone "Nowhere/Special"') }));
  });
});

describe('epoch numbers', () => {
  it.each([
    [1709543702, '2024-03-04T09:15:02.000Z'],
    [1709543702.25, '2024-03-04T09:15:02.250Z'],
    [1709543702123, '2024-03-04T09:15:02.123Z'],
    [1709543702123456, '2024-03-04T09:15:02.123Z'],
    [1709543702123456800, '2024-03-04T09:15:02.123Z'],
    ['1709543702', '2024-03-04T09:15:02.000Z'],
    ['1709543702.5', '2024-03-04T09:15:02.500Z'],
    ['1709543702123', '2024-03-04T09:15:02.123Z'],
    ['1709543702123456', '2024-03-04T09:15:02.123Z'],
  ])('auto-detects the unit of %s', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it('honours a forced unit, and its error points at the unit', () => {
    expect(iso(1709543702, { format: 'epoch_s' })).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('1709543702123', { format: 'epoch_ms' })).toBe('2024-03-04T09:15:02.123Z');
    expect(iso(1709543702123456, { format: 'epoch_us' })).toBe('2024-03-04T09:15:02.123Z');
    // Seconds read as milliseconds land in 1970; milliseconds read as seconds land in year 56000.
    expect(error(1709543702, { format: 'epoch_ms' })).toMatch(/1970-01-20.*before 1990.*unit/);
    expect(error(1709543702123, { format: 'epoch_s' })).toMatch(/future/);
  });

  it('rejects epoch values that cannot be log times', () => {
    expect(error(0)).toMatch(/before 1990/);
    expect(error(-5)).toMatch(/positive/);
    expect(error(Number.NaN)).toMatch(/positive finite/);
    expect(error(1e25)).toMatch(/too large/);
  });
});

describe('Apache / NCSA common log format', () => {
  it('reads the offset in the text', () => {
    expect(iso('10/Oct/2000:13:55:36 -0700')).toBe('2000-10-10T20:55:36.000Z');
    expect(iso('04/Mar/2024:10:15:02 +0100')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('[04/Mar/2024:10:15:02 +0100]')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('4/mar/2024:10:15:02.250 +01:00')).toBe('2024-03-04T09:15:02.250Z');
  });

  it('uses the configured zone when the offset is missing', () => {
    expect(iso('04/Mar/2024:10:15:02', { timezone: 'Europe/Paris' })).toBe('2024-03-04T09:15:02.000Z');
  });

  it('rejects unknown months', () => {
    expect(error('04/Foo/2024:10:15:02 +0100')).toMatch(/unknown month/);
  });
});

describe('RFC 2822', () => {
  it.each([
    ['Tue, 10 Oct 2000 13:55:36 GMT', '2000-10-10T13:55:36.000Z'],
    ['Mon, 04 Mar 2024 10:15:02 +0100', '2024-03-04T09:15:02.000Z'],
    ['4 Mar 2024 01:15:02 PST', '2024-03-04T09:15:02.000Z'],
    ['Mon, 4 Mar 2024 05:15:02 EDT', '2024-03-04T09:15:02.000Z'],
    ['Mon, 04 Mar 24 09:15:02 UT', '2024-03-04T09:15:02.000Z'],
    ['Mon, 04 Mar 2024 09:15 +0000', '2024-03-04T09:15:00.000Z'],
    ['Mon, 04 Mar 2024 10:15:02 +0100 (CET)', '2024-03-04T09:15:02.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it('uses the configured zone when there is none, and refuses ambiguous zone names', () => {
    expect(iso('Mon, 04 Mar 2024 10:15:02', { timezone: 'Europe/Paris' })).toBe('2024-03-04T09:15:02.000Z');
    expect(error('Mon, 04 Mar 2024 10:15:02 IST')).toMatch(/unknown time zone "IST"/);
  });
});

describe('syslog (no year)', () => {
  it('takes the current year when that is not in the future', () => {
    expect(iso('Mar  4 09:15:02')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('Mar 4 09:15:02.5')).toBe('2024-03-04T09:15:02.500Z');
  });

  it('takes the previous year when the current one would be in the future', () => {
    expect(iso('Dec 31 23:59:59')).toBe('2023-12-31T23:59:59.000Z');
    expect(iso('Mar  7 12:00:00')).toBe('2023-03-07T12:00:00.000Z');
  });

  it('tolerates a day of clock skew before going back a year', () => {
    expect(iso('Mar  5 12:00:00')).toBe('2024-03-05T12:00:00.000Z');
  });

  it('finds the last leap year for 29 February', () => {
    const now = () => Date.parse('2025-06-01T00:00:00Z');
    expect(iso('Feb 29 10:00:00', { now })).toBe('2024-02-29T10:00:00.000Z');
  });

  it('applies the configured zone, also to the year boundary', () => {
    expect(iso('Mar  4 10:15:02', { timezone: 'Europe/Paris' })).toBe('2024-03-04T09:15:02.000Z');
    // 00:30 on 1 Jan in Paris is still 31 Dec in UTC: the year comes from Paris's calendar.
    const now = () => Date.parse('2024-01-01T00:00:00Z');
    expect(iso('Jan  1 00:30:00', { timezone: 'Europe/Paris', now })).toBe('2023-12-31T23:30:00.000Z');
  });

  it('reads ctime, whose year is explicit', () => {
    expect(iso('Mon Mar  4 09:15:02 2024')).toBe('2024-03-04T09:15:02.000Z');
    expect(iso('Sat Mar  4 09:15:02 2023')).toBe('2023-03-04T09:15:02.000Z');
  });
});

describe('range and garbage', () => {
  it('rejects times before 1990', () => {
    expect(error('1989-12-31T23:59:59Z')).toMatch(/before 1990/);
    expect(iso('1990-01-01T00:00:00Z')).toBe('1990-01-01T00:00:00.000Z');
  });

  it('rejects times more than a day after now', () => {
    expect(iso('2024-03-05T23:59:59Z')).toBe('2024-03-05T23:59:59.000Z');
    expect(error('2024-03-06T00:00:01Z')).toMatch(/more than a day in the future/);
  });

  it.each(['', '   ', 'yesterday', 'N/A', '2024', '12:00:00', 'Mar 4', '04-03-2024 10:00'])('rejects %j', (input) => {
    expect(new TimestampParser({ now: () => NOW }).parse(input).ok).toBe(false);
  });
});
