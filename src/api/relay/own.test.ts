import { describe, expect, it } from 'vitest';
import type { Severity } from '../../core/alert.js';
import { sampleAlert } from '../routes/testing.js';
import { alertSighting } from './own.js';

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
