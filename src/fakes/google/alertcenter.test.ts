import { describe, expect, it } from 'vitest';
import { createFakeAlertCenter, parseCreateTimeFilter, type Fail } from './alertcenter.js';

const fail: Fail = (status, message) => {
  throw Object.assign(new TypeError(message), { status });
};

describe('fake Alert Center', () => {
  it('parses createTime clauses joined with AND and refuses anything else with 400', () => {
    expect(parseCreateTimeFilter('createTime >= "2024-05-06T00:00:00Z" AND createTime < "2024-05-07T00:00:00Z"', fail)).toEqual([
      { op: '>=', ms: Date.parse('2024-05-06T00:00:00Z') },
      { op: '<', ms: Date.parse('2024-05-07T00:00:00Z') },
    ]);
    for (const bad of ['type = "Suspicious login"', 'createTime >= yesterday', 'createTime >= "soon"', 'createTime >= "2024-05-06T00:00:00Z" OR x']) {
      expect(() => parseCreateTimeFilter(bad, fail), bad).toThrow(expect.objectContaining({ status: 400 }));
    }
  });

  it('answers adversarial filters in linear time', () => {
    const inputs = ['createTime'.repeat(5000), `createTime >= "${'"'.repeat(20_000)}`, `${'createTime >= "x" AND '.repeat(2000)}z`, ` ${' '.repeat(50_000)}AND`];
    for (const input of inputs) {
      const t = performance.now();
      expect(() => parseCreateTimeFilter(input, fail)).toThrow();
      expect(performance.now() - t).toBeLessThan(500);
    }
  });

  it('pages in create_time order with tokens bound to their query, leaving out deleted and not-yet-visible alerts', () => {
    let now = 0;
    const ac = createFakeAlertCenter(() => now);
    const mk = (i: number, extra = {}) => ({ customerId: '03az79cb', alertId: `a${i}`, createTime: new Date(Date.UTC(2024, 4, 6, 0, i)).toISOString(), type: 'Leaked password', source: 'Google identity', ...extra });
    ac.add([mk(3), mk(1), mk(2), mk(4, { deleted: true })]);
    ac.add([mk(5)], { visibleAt: 100 });
    const q = (o: Record<string, string>) => new URLSearchParams({ orderBy: 'create_time asc', pageSize: '2', ...o });
    const p1 = ac.list(q({}), fail);
    expect(p1.alerts!.map((a) => a.alertId)).toEqual(['a1', 'a2']);
    const p2 = ac.list(q({ pageToken: p1.nextPageToken! }), fail);
    expect(p2.alerts!.map((a) => a.alertId)).toEqual(['a3']);
    expect(p2.nextPageToken).toBeUndefined();
    expect(() => ac.list(q({ pageToken: p1.nextPageToken!, filter: 'createTime >= "2024-05-06T00:02:00Z"' }), fail)).toThrow(expect.objectContaining({ status: 400 }));
    now = 100;
    expect(ac.list(q({ filter: 'createTime >= "2024-05-06T00:03:00Z"', pageSize: '10' }), fail).alerts!.map((a) => a.alertId)).toEqual(['a3', 'a5']);
  });
});
