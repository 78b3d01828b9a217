import { describe, expect, it } from 'vitest';
import { values } from '../testing.js';
import { ipRecognizer, urlRecognizer } from './network.js';

describe('IP address recognizer', () => {
  it('finds IPv4 (RFC 5737 ranges) with octets checked, a CIDR prefix length kept in the span, a port left out', () => {
    expect(values(ipRecognizer, 'from 192.0.2.44, net 198.51.100.0/24, host 203.0.113.9:8443')).toEqual(['192.0.2.44', '198.51.100.0/24', '203.0.113.9']);
  });
  it('leaves out a prefix length past /32 or glued to more, and reports the address alone', () => {
    expect(values(ipRecognizer, 'a 192.0.2.0/33 b 192.0.2.0/24x c 192.0.2.0/24/8')).toEqual(['192.0.2.0', '192.0.2.0', '192.0.2.0']);
  });
  it('rejects octets over 255, leading zeros, and longer dotted numbers', () => {
    expect(values(ipRecognizer, '256.1.1.1 01.02.03.04 1.2.3.4.5 v1.2.3.4 12.03.2024')).toEqual([]);
  });
  it('finds IPv6 (RFC 3849 documentation prefix) through node:net, not times or MACs', () => {
    expect(values(ipRecognizer, 'client 2001:db8::1 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334 at 12:30:45, mac 00:1b:44:11:3a:b7')).toEqual([
      '2001:db8::1',
      '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    ]);
  });
  it('keeps an IPv6 zone id (RFC 4007) and prefix length in the span, not sentence punctuation or an overlong zone', () => {
    expect(values(ipRecognizer, `via fe80::1%eth0. net 2001:db8::/48, lo ::1/129, z fe80::2%${'x'.repeat(40)}`)).toEqual(['fe80::1%eth0', '2001:db8::/48', '::1', 'fe80::2']);
    // Near misses of a prefix length: a path or a file name goes on after it; IPv4 and IPv6 read alike.
    expect(values(ipRecognizer, 'tail /var/log/10.0.0.1/24/app.log 10.1.2.3/24.txt route 2001:db8::/32/48 x 2001:db8::/32.txt 2001:db8::/48, 10.0.0.0/8/x in 192.0.2.0/24.')).toEqual([
      '10.0.0.1', '10.1.2.3', '2001:db8::', '2001:db8::', '2001:db8::/48', '10.0.0.0', '192.0.2.0/24',
    ]);
    // Near misses of a zone: percent-encoding in a query, a hostname after the interface, a zone on a global address.
    expect(values(ipRecognizer, 'GET /lookup?ip=2001:db8::1%20and%20more&ips=2001:db8::1%2C2001:db8::2 fe80::1%20x fe80::1%eth0.example.com 2001:db8::1%eth0')).toEqual([
      '2001:db8::1', '2001:db8::1', '2001:db8::2', 'fe80::1', 'fe80::1%eth0', '2001:db8::1',
    ]);
    expect(values(ipRecognizer, 'http://[fe80::1%25en0]:80/ ff02::1%12 fe80::1%en0.100 fe80::a%eth0-')).toEqual(['fe80::1%25en0', 'ff02::1%12', 'fe80::1%en0.100', 'fe80::a%eth0']);
  });
});

describe('URL recognizer', () => {
  it('finds http(s) and www URLs, trimming trailing punctuation and an unmatched bracket', () => {
    expect(values(urlRecognizer, 'See https://example.com/a?b=1). Or (www.example.org/path), or http://en.wikipedia.org/wiki/Foo_(bar).')).toEqual([
      'https://example.com/a?b=1',
      'www.example.org/path',
      'http://en.wikipedia.org/wiki/Foo_(bar)',
    ]);
  });
  it('ignores other schemes and a bare scheme', () => {
    expect(values(urlRecognizer, 'javascript://x mailto:a@example.com https:// s3://bucket/key')).toEqual([]);
  });
});
