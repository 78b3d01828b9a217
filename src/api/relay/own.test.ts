import { describe, expect, it } from 'vitest';
import type { Severity } from '../../core/alert.js';
import { createLogger } from '../../log.js';
import { openStore } from '../../storage/index.js';
import { sampleAlert, sampleEvent } from '../routes/testing.js';
import { alertSighting, canonicalIp, ownSightings } from './own.js';

const NOW = Date.parse('2026-03-02T09:00:00.000Z');
const link = (p: string) => `https://sw.example${p}`;

describe('alertSighting', () => {
  it('maps saaswatch\'s severity to CTIM severity and confidence', () => {
    const table: Array<[Severity, string, string]> = [
      ['low', 'Low', 'Low'],
      ['medium', 'Medium', 'Medium'],
      ['high', 'High', 'High'],
      ['critical', 'Critical', 'High'],
    ];
    for (const [severity, ctim, confidence] of table) {
      const s = alertSighting({ type: 'user', value: 'bob@example.com' }, sampleAlert(7, { severity, user: 'bob@example.com', created: NOW }), link);
      expect([s.severity, s.confidence], severity).toEqual([ctim, confidence]);
    }
  });

  it('says Unknown, never crashes, for a severity saaswatch does not know (an old or foreign row)', () => {
    const odd = { ...sampleAlert(8, { created: NOW }), severity: 'severe' as Severity };
    expect(alertSighting({ type: 'ip', value: '198.51.100.7' }, odd, link)).toMatchObject({ severity: 'Unknown', confidence: 'Unknown' });
  });

  it('takes its times from the alert and links to its page, escaping the id', () => {
    const a = { ...sampleAlert(9, { created: NOW }), id: 'alert/9?x' };
    const s = alertSighting({ type: 'user', value: a.entity.value }, a, link);
    expect(s).toMatchObject({
      timestamp: new Date(NOW).toISOString(),
      observed_time: { start_time: new Date(NOW - 3_600_000).toISOString(), end_time: new Date(NOW - 60_000).toISOString() },
      external_ids: ['alert/9?x'],
      source_uri: 'https://sw.example/alerts/alert%2F9%3Fx',
      short_description: `saaswatch brute-force alert on user ${a.entity.value} (open)`,
    });
  });
});

describe('ownSightings', () => {
  const logger = createLogger({ level: 'silent' });

  it('finds an IPv6 address however the observable writes it', async () => {
    expect(canonicalIp(' 2001:DB8:0:0:0:0:0:7 ')).toBe('2001:db8::7');
    expect(canonicalIp('203.0.113.9')).toBe('203.0.113.9');
    expect(canonicalIp("2001:db8::7' or 1=1")).toBe("2001:db8::7' or 1=1");
    const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: () => NOW });
    try {
      const e = sampleEvent(1, NOW - 60_000, { user: 'bob@example.com', kind: 'login' });
      await store.commitBatch({ source: 'google', events: [{ ...e, source: { ip: '2001:db8::7' } }] });
      for (const value of ['2001:db8::7', '2001:DB8::7', '2001:db8:0:0:0:0:0:7']) {
        const r = await ownSightings(store, { type: 'ipv6', value }, { limit: 10, now: NOW, link, logger });
        expect(r.sightings.map((s) => s.count), value).toEqual([1]);
      }
    } finally {
      await store.close();
    }
  });

  it('shares one inventory-scan budget across a request, and starts nothing once its signal has aborted', async () => {
    const store = await openStore({ dialect: 'sqlite', path: ':memory:', now: () => NOW });
    try {
      // Three pages of publicly shared files; the one asked for is on the last.
      for (let i = 0; i < 1_001; i++) {
        await store.upsertFile({ key: `dropbox:id:${String(i).padStart(4, '0')}`, provider: 'dropbox', fileId: `id:${i}`, name: i === 1_000 ? 'target.xlsx' : `f${i}.txt`, visibility: 'public', data: {}, deleted: false });
      }
      const ask = (budget: { pages: number }, signal?: AbortSignal) => ownSightings(store, { type: 'file_name', value: 'target.xlsx' }, { limit: 10, now: NOW, link, logger, fileBudget: budget, ...(signal ? { signal } : {}) });
      const full = { pages: 40 };
      expect((await ask(full)).sightings.map((s) => s.title)).toEqual(['target.xlsx is shared beyond the organisation (public)']);
      expect(full.pages).toBe(37);
      const short = { pages: 2 };
      expect((await ask(short)).sightings).toEqual([]);
      expect(short.pages).toBe(0);
      const gone = new AbortController();
      gone.abort();
      const spare = { pages: 40 };
      expect(await ask(spare, gone.signal)).toEqual({ sightings: [], errors: [] });
      expect(spare.pages).toBe(40);
    } finally {
      await store.close();
    }
  });
});
