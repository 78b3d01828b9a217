import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { durationOption, entityOption, intOption, isoTimeOption } from './options.js';
import { actorOf } from './alerts.js';

describe('intOption', () => {
  const limit = intOption(1, 100_000);

  it('takes whole numbers within the range, at both ends', () => {
    expect(limit('1')).toBe(1);
    expect(limit('100000')).toBe(100_000);
    expect(limit(' 42 ')).toBe(42);
    expect(intOption(0, 10)('0')).toBe(0);
  });

  it('refuses anything else, saying the range', () => {
    for (const bad of ['abc', '', '-5', '0', '100001', '2.5', '1e3', '0x10', '12abc', '99999999999999999999']) {
      expect(() => limit(bad), bad).toThrow(InvalidArgumentError);
      expect(() => limit(bad), bad).toThrow('expected a whole number from 1 to 100,000.');
    }
  });
});

describe('mute options', () => {
  it('reads periods with a unit, and forever only where allowed', () => {
    const period = durationOption({ forever: true });
    expect(['30m', '12h', '7d', '2w', ' 1d '].map(period)).toEqual([1_800_000, 43_200_000, 604_800_000, 1_209_600_000, 86_400_000]);
    expect(period('forever')).toBe(Number.POSITIVE_INFINITY);
    for (const bad of ['7', '0d', '7 days', '-1d', '1.5d', '10s', '']) expect(() => period(bad), bad).toThrow('expected a period such as 30m, 12h, 7d or 2w, or forever.');
    expect(() => durationOption()('forever')).toThrow('expected a period such as 30m, 12h, 7d or 2w.');
  });

  it('reads ISO times and type:value entities, splitting at the first colon', () => {
    expect(isoTimeOption('2026-12-31T00:00:00Z')).toBe(Date.parse('2026-12-31T00:00:00Z'));
    for (const bad of ['2026-12-31', 'tomorrow', '2026-13-40T00:00:00Z']) expect(() => isoTimeOption(bad), bad).toThrow(InvalidArgumentError);
    expect(entityOption('ip:2001:db8::1')).toEqual({ type: 'ip', value: '2001:db8::1' });
    expect(entityOption('user:*@contractor.example')).toEqual({ type: 'user', value: '*@contractor.example' });
    for (const bad of ['alice', ':x', 'user:', 'User:x']) expect(() => entityOption(bad), bad).toThrow(InvalidArgumentError);
  });

  it('records the actor as --by, else $USER, else cli', () => {
    expect(actorOf('ann', { USER: 'root' })).toBe('ann');
    expect(actorOf(undefined, { USER: 'root' })).toBe('root');
    expect(actorOf('  ', { LOGNAME: 'lee' })).toBe('lee');
    expect(actorOf(undefined, {})).toBe('cli');
  });
});
