import { describe, expect, it } from 'vitest';
import { testEvent } from '../testing.js';
import { SigmaEngine } from './engine.js';
import { parseRuleText } from './loader.js';

const T0 = Date.parse('2024-05-06T09:00:00.000Z');

describe('sigma findings carry their rule tags, for routes to filter on', () => {
  it('a detection rule and a correlation over it each carry their own tags', () => {
    const rules = parseRuleText(
      `
title: Failed login
id: 0a3c44b6-8d4c-4c1e-9a51-2f5e3f6b1c01
name: failed_login
logsource: { category: authentication }
detection: { selection: { event.outcome: failure }, condition: selection }
level: medium
tags: [attack.credential-access, attack.t1110]
---
title: Many failures from one address
id: 0a3c44b6-8d4c-4c1e-9a51-2f5e3f6b1c02
correlation: { type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 10m, condition: { gte: 3 } }
level: high
tags: [attack.t1110.001]
---
title: Any login
id: 0a3c44b6-8d4c-4c1e-9a51-2f5e3f6b1c03
logsource: { category: authentication }
detection: { selection: { event.outcome: success }, condition: selection }
level: low
`,
      'test.yml',
      'rules/test',
    );
    const run = (defs: typeof rules) => {
      const engine = new SigmaEngine(defs, {});
      return [
        ...[0, 1, 2].flatMap((i) => engine.observe(testEvent({ time: T0 + i * 1000, user: 'a@example.com', ip: '203.0.113.7', outcome: 'failure', nonce: i }))),
        ...engine.observe(testEvent({ time: T0 + 5000, user: 'a@example.com', ip: '203.0.113.7', nonce: 9 })),
        ...engine.flush({ final: true }),
      ];
    };
    // Alone, the failure rule reports each failure; under a correlation, the correlation reports.
    const alone = run(rules.filter((r) => r.title !== 'Many failures from one address'));
    const found = run(rules);
    const tagsOf = (fs: typeof found, title: string) => fs.filter((f) => f.title.startsWith(title)).map((f) => f.tags);
    expect(tagsOf(alone, 'Failed login')).toEqual(Array(3).fill(['attack.credential-access', 'attack.t1110']));
    expect(tagsOf(found, 'Many failures')).toEqual([['attack.t1110.001']]);
    // A rule without tags leaves them out.
    expect(tagsOf(found, 'Any login')).toEqual([undefined]);
  });
});
