import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeActivity, normalizeAlert } from './normalize.js';
import type { ActivityLike, AlertLike } from './wire.js';

const INGESTED = '2024-05-07T00:00:00.000Z';
/** Values Google's typed fields could hold when a proxy or a new API version misbehaves, names included. */
const junk = fc.oneof(fc.constant(null), fc.constant(undefined), fc.boolean(), fc.integer(), fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', '@', 'a@b', 'x@example.com'));
const param = fc.record({ name: fc.constantFrom('affected_email_address', 'new_owner', 'grantee_email', 'EVENT_RESULT', 'USER_EMAIL', 'scope', '__proto__'), value: junk, boolValue: junk, intValue: junk, multiValue: fc.oneof(junk, fc.array(junk, { maxLength: 3 })) }, { requiredKeys: ['name'] });

describe('normalizers on hostile records', () => {
  it('never throw, and give every event a fresh category list, on activities with junk in every typed field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('login', 'admin', 'drive', 'chrome', 'saml', 'calendar', 'constructor'),
        fc.array(fc.record({ type: junk, name: junk, parameters: fc.oneof(junk, fc.array(param, { maxLength: 4 })) }, { requiredKeys: [] }), { maxLength: 3 }),
        junk,
        (app, events, actorEmail) => {
          const a = { id: { time: '2024-05-06T09:00:00Z', applicationName: app, uniqueQualifier: '1' }, actor: { email: actorEmail }, events } as unknown as ActivityLike;
          const out = normalizeActivity(a, { source: 'gw', application: app, ingested: INGESTED });
          for (const e of out.events) {
            expect(Array.isArray(e.event.category)).toBe(true);
            e.event.category.push('mutated');
          }
          // The category tables are never shared with an event (a pushed value would leak into the next).
          const again = normalizeActivity(a, { source: 'gw', application: app, ingested: INGESTED });
          for (const e of again.events) expect(e.event.category).not.toContain('mutated');
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });

  it('never throw on alerts with junk payloads, and emit either one event or one dead letter', () => {
    fc.assert(
      fc.property(junk, junk, fc.oneof(junk, fc.dictionary(fc.constantFrom('@type', 'email', 'messages', 'ruleViolationInfo', 'loginDetails', 'maliciousEntity'), fc.oneof(junk, fc.array(junk, { maxLength: 2 })))), (alertId, type, data) => {
        const out = normalizeAlert({ alertId, type, data, createTime: '2024-05-06T09:00:00Z' } as unknown as AlertLike, { source: 'gw', ingested: INGESTED });
        expect(out.events.length + out.deadLetters.length).toBe(1);
      }),
      { numRuns: 300, seed: 19 },
    );
  });
});
