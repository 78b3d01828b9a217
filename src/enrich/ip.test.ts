import { describe, expect, it } from 'vitest';
import { CidrTable, ipv4ToInt, ipv6ToWords, isSpecialIp, parseIp, RecentCache } from './ip.js';

const special = (s: string) => isSpecialIp(parseIp(s)!);

describe('IP parsing', () => {
  it('parses IPv4 to a uint32 and refuses malformed addresses', () => {
    expect(ipv4ToInt('0.0.0.0')).toBe(0);
    expect(ipv4ToInt('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToInt('8.8.4.4')).toBe(0x08080404);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.4 ', '']) expect(ipv4ToInt(bad)).toBeNaN();
  });

  it('parses IPv6 forms: compressed, full, embedded IPv4, zone id', () => {
    expect(ipv6ToWords('2001:db8::1')).toEqual([0x20010db8, 0, 0, 1]);
    expect(ipv6ToWords('::')).toEqual([0, 0, 0, 0]);
    expect(ipv6ToWords('fe80::1%eth0')).toEqual([0xfe800000, 0, 0, 1]);
    expect(ipv6ToWords('2001:0db8:0000:0000:0000:ff00:0042:8329')).toEqual([0x20010db8, 0, 0xff00, 0x428329]);
    expect(ipv6ToWords('64:ff9b::192.0.2.33')).toEqual([0x0064ff9b, 0, 0, 0xc0000221]);
    expect(ipv6ToWords('2001:db8:::1')).toBeUndefined();
  });

  it('turns IPv4-mapped IPv6 into IPv4 so both spellings of a client agree', () => {
    expect(parseIp('::ffff:8.8.8.8')).toEqual({ v: 4, n: 0x08080808 });
    expect(parseIp('not an ip')).toBeUndefined();
  });
});

describe('special-purpose ranges', () => {
  it.each(['10.1.2.3', '172.31.255.255', '192.168.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '192.0.2.5', '198.51.100.7', '203.0.113.77', '198.18.0.5', '198.19.255.254', '224.0.0.1', '255.255.255.255', '0.1.2.3'])(
    '%s is special',
    (ip) => expect(special(ip)).toBe(true),
  );
  it.each(['::1', 'fd12:3456::1', 'fe80::1', '2001:db8::1', 'ff02::1', '2002:c000:0204::1', '::ffff:10.0.0.1'])('%s is special', (ip) => expect(special(ip)).toBe(true));
  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '198.20.0.1', '203.0.114.1', '2001:4860:4860::8888', '2a02:cf40::1'])('%s is public', (ip) =>
    expect(special(ip)).toBe(false),
  );
});

describe('CidrTable', () => {
  it('returns the most specific containing range of the right family', () => {
    const t = new CidrTable<string>([
      ['198.18.0.0/15', 'wide'],
      ['198.18.3.0/24', 'narrow'],
      ['198.18.3.7', 'host'],
      ['2001:db8::/32', 'v6'],
    ]);
    expect(t.find(parseIp('198.19.1.1')!)).toBe('wide');
    expect(t.find(parseIp('198.18.3.1')!)).toBe('narrow');
    expect(t.find(parseIp('198.18.3.7')!)).toBe('host');
    expect(t.find(parseIp('198.20.0.0')!)).toBeUndefined();
    expect(t.find(parseIp('2001:db8:1::5')!)).toBe('v6');
    expect(t.find(parseIp('2001:db9::')!)).toBeUndefined();
  });

  it('handles /0 and rejects bad keys with the key in the message', () => {
    expect(new CidrTable([['0.0.0.0/0', 1]]).find(parseIp('255.1.2.3')!)).toBe(1);
    expect(() => new CidrTable([['10.0.0.0/33', 1]])).toThrow(/10\.0\.0\.0\/33/);
    expect(() => new CidrTable([['example.com', 1]])).toThrow(/example\.com/);
  });
});

describe('RecentCache', () => {
  it('keeps at most two generations and promotes hits from the old one', () => {
    const c = new RecentCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3); // a, b move to the old generation
    expect(c.get('a')).toBe(1); // promoted into the young one (now c, a)
    c.set('d', 4); // young full: old becomes {c, a}, b is dropped
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.size).toBeLessThanOrEqual(4);
  });
});
