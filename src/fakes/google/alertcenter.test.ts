import { describe, expect, it } from 'vitest';
import { createFakeAlertCenter, parseCreateTimeFilter, parseFeedbackFilter, type Fail } from './alertcenter.js';

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

describe('fake Alert Center feedback', () => {
  const mkAlert = (i: number) => ({ customerId: '03az79cb', alertId: `a${i}`, createTime: new Date(Date.UTC(2024, 4, 6, 0, i)).toISOString(), type: 'Leaked password', source: 'Google identity' });
  const mkFeedback = (alert: number, n: number, minute: number) => ({
    customerId: '03az79cb',
    alertId: `a${alert}`,
    feedbackId: `f${alert}-${n}`,
    createTime: new Date(Date.UTC(2024, 4, 6, 1, minute)).toISOString(),
    type: 'NOT_USEFUL' as const,
    email: 'secops@example.com',
  });

  it("answers one alert's feedback newest first, 404 for an alert it does not hold, and refuses feedback on one", () => {
    const ac = createFakeAlertCenter(() => 0);
    ac.add([mkAlert(1), mkAlert(2)]);
    ac.addFeedback([mkFeedback(1, 1, 5), mkFeedback(1, 2, 9), mkFeedback(2, 1, 7)]);
    expect(ac.listFeedback('a1', new URLSearchParams(), fail).feedback!.map((f) => f.feedbackId)).toEqual(['f1-2', 'f1-1']);
    expect(ac.listFeedback('a2', new URLSearchParams({ customerId: '03az79cb' }), fail).feedback!.map((f) => f.feedbackId)).toEqual(['f2-1']);
    expect(() => ac.listFeedback('a1', new URLSearchParams({ customerId: 'C9x0' }), fail)).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => ac.listFeedback('a9', new URLSearchParams(), fail)).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => ac.addFeedback([mkFeedback(9, 1, 1)])).toThrow();
  });

  it('answers the "-" wildcard with the alerts an OR filter names, AND binding tighter, and refuses other filters', () => {
    const ac = createFakeAlertCenter(() => 0);
    ac.add([mkAlert(1), mkAlert(2), mkAlert(3)]);
    ac.addFeedback([mkFeedback(1, 1, 5), mkFeedback(2, 1, 7), mkFeedback(3, 1, 8), mkFeedback(3, 2, 9)]);
    const ids = (filter: string) => (ac.listFeedback('-', new URLSearchParams({ filter }), fail).feedback ?? []).map((f) => f.feedbackId);
    expect(ids('alertId = "a1" OR alertId = a3')).toEqual(['f1-1', 'f3-2', 'f3-1']);
    expect(ids('alertId = a3 AND feedbackId = f3-1 OR alertId = a2')).toEqual(['f2-1', 'f3-1']);
    expect(ids('alertId = "a7"')).toEqual([]);
    expect(ac.listFeedback('-', new URLSearchParams(), fail).feedback).toHaveLength(4);
    for (const bad of ['createTime >= "2024-05-06T00:00:00Z"', 'alertId : a1', 'alertId = a1 OR', 'alertId = a1 XOR alertId = a2', 'alertId = ""']) {
      expect(() => ids(bad), bad).toThrow(expect.objectContaining({ status: 400 }));
    }
  });

  it('parses adversarial feedback filters in linear time', () => {
    const inputs = ['alertId'.repeat(5000), `alertId = "${'"'.repeat(20_000)}`, `${'alertId = x OR '.repeat(5000)}z`, ` ${' '.repeat(50_000)}OR`];
    for (const input of inputs) {
      const t = performance.now();
      expect(() => parseFeedbackFilter(input, fail)).toThrow();
      expect(performance.now() - t).toBeLessThan(500);
    }
  });
});
