import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnTable, createAsnEnricher } from './asn.js';
import { makeEvent } from './testing.js';

let table: AsnTable;
beforeAll(async () => {
  table = await AsnTable.load();
});

describe('AsnTable on the shipped database', () => {
  it.each([
    ['8.8.8.8', 15169, /Google/],
    ['1.1.1.1', 13335, /Cloudflare/],
    ['9.9.9.9', 19281, /Quad9/],
    ['2001:4860:4860::8888', 15169, /Google/],
    ['2606:4700:4700::1111', 13335, /Cloudflare/],
    ['::ffff:8.8.8.8', 15169, /Google/],
  ])('%s is AS%i', (ip, asn, org) => {
    const info = table.lookup(ip);
    expect(info?.number).toBe(asn);
    expect(info?.name).toMatch(org);
  });

  it('loads every row into compact tables', () => {
    expect(table.stats.ipv4Ranges).toBeGreaterThan(400_000);
    expect(table.stats.ipv6Ranges).toBeGreaterThan(100_000);
    expect(table.stats.organisations).toBeGreaterThan(50_000);
    // 12 bytes per IPv4 row, 36 per IPv6 row, 8 per (AS, name) pair.
    expect(table.stats.typedArrayBytes).toBeLessThan(16 * 2 ** 20);
  });

  it('decodes quoted organisation names with commas and doubled quotes', () => {
    // 2.26.200.0 is announced by 'LLC "SPUTNIK"' in this release of the data.
    expect(table.lookup('2.26.200.1')?.name).toBe('LLC "SPUTNIK"');
  });

  it('finds nothing outside announced space or for garbage', () => {
    expect(table.lookup('0.0.0.1')).toBeUndefined();
    expect(table.lookup('255.255.255.255')).toBeUndefined();
    expect(table.lookup('not-an-ip')).toBeUndefined();
  });
});

describe('AsnTable edge cases on a small file', () => {
  function dataDir(v4: string, v6: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'asn-'));
    writeFileSync(join(dir, 'asn-ipv4-num.csv'), v4);
    writeFileSync(join(dir, 'asn-ipv6-num.csv'), v6);
    return dir;
  }
  const v6 = [
    // 2001:db8::/48 and the next /48, same AS: merged into one range.
    '42540766411282592856903984951653826560,42540766411283801782723599580828532735,64500,"Doc, Inc."',
    '42540766411283801782723599580828532736,42540766411285010708543214210003238911,64500,"Doc, Inc."',
    '42540766411285010708543214210003238912,42540766411286219634362828839177945087,64501,Other',
  ].join('\n');

  it('merges adjacent ranges of one AS, lets a later overlapping range win, and boundaries are inclusive', async () => {
    const t = await AsnTable.load({
      dir: dataDir(
        ['167772160,167772415,64496,A', '167772416,167772671,64496,A', '167772672,167773183,64497,B', '167772928,167773439,64498,"C ""quoted"""', ''].join('\r\n'),
        v6,
      ),
    });
    expect(t.stats.ipv4Ranges).toBe(3);
    expect(t.lookup('10.0.0.0')?.number).toBe(64496);
    expect(t.lookup('10.0.1.255')?.number).toBe(64496);
    expect(t.lookup('10.0.2.255')?.number).toBe(64497);
    expect(t.lookup('10.0.3.0')).toEqual({ number: 64498, name: 'C "quoted"' });
    expect(t.lookup('10.0.4.255')?.number).toBe(64498);
    expect(t.lookup('10.0.5.0')).toBeUndefined();
    expect(t.stats.ipv6Ranges).toBe(2);
    expect(t.lookup('2001:db8:1:ffff::1')).toEqual({ number: 64500, name: 'Doc, Inc.' });
    expect(t.lookup('2001:db8:2::')?.number).toBe(64501);
    expect(t.lookup('2001:db8:3::')).toBeUndefined();
  });

  it('reads the IPv6 table on first use when lazy', async () => {
    const t = await AsnTable.load({ dir: dataDir('167772160,167772415,64496,A\n', v6), ipv6: 'lazy' });
    expect(t.stats.ipv6Ranges).toBe(0);
    expect(t.lookup('2001:db8::1')?.number).toBe(64500);
    expect(t.stats.ipv6Ranges).toBe(2);
  });

  it('refuses unsorted data and says where', async () => {
    await expect(AsnTable.load({ dir: dataDir('167772416,167772671,1,A\n167772160,167772415,2,B\n', v6) })).rejects.toThrow(/asn-ipv4-num\.csv:2/);
  });
});

describe('createAsnEnricher', () => {
  it('fills source.as for public IPs and leaves private and documentation ones alone', () => {
    const enrich = createAsnEnricher(table);
    const pub = makeEvent({ source: { ip: '1.1.1.1' } });
    enrich(pub);
    expect(pub.source?.as).toEqual({ number: 13335, organization: { name: 'Cloudflare, Inc.' } });
    for (const ip of ['10.0.0.1', '192.0.2.1', '198.18.0.5', 'fd00::1']) {
      const e = makeEvent({ source: { ip } });
      enrich(e);
      expect(e.source?.as).toBeUndefined();
    }
    const none = makeEvent();
    enrich(none);
    expect(none.source).toBeUndefined();
  });

  it('applies CIDR overrides first, even to special ranges', () => {
    const enrich = createAsnEnricher(table, { overrides: { '198.18.0.0/15': { number: 7922, name: 'Comcast Cable Communications, LLC' }, '8.8.8.0/24': { number: 64512, name: 'Lab' } } });
    const e = makeEvent({ source: { ip: '198.19.4.5' } });
    enrich(e);
    expect(e.source?.as).toEqual({ number: 7922, organization: { name: 'Comcast Cable Communications, LLC' } });
    const g = makeEvent({ source: { ip: '8.8.8.8' } });
    enrich(g);
    expect(g.source?.as?.number).toBe(64512);
  });
});
