/** Test support for the core types: one realistic finding, fixed in time, that tests vary field by field; a bounded wait; a source run to its end; the error a promise fails with. */
import type { Finding } from './alert.js';
import { SaaswatchError } from './errors.js';
import type { SecurityEvent } from './event.js';
import type { DeadLetterInput, Source, SourceBatch } from './source.js';

/** The window start of `testFinding()`: a fixed instant, so keys and ids derived from it are literals. */
export const TEST_FINDING_START = Date.parse('2024-05-01T10:00:00Z');

/** A brute-force finding on 203.0.113.7 over ten minutes from `TEST_FINDING_START`, with `over` applied. */
export function testFinding(over: Partial<Finding> = {}): Finding {
  return {
    rule: 'brute-force',
    title: 'Brute force',
    severity: 'high',
    entity: { type: 'ip', value: '203.0.113.7' },
    windowStart: TEST_FINDING_START,
    windowEnd: TEST_FINDING_START + 600_000,
    evidence: ['e1'],
    description: 'many failures',
    ...over,
  };
}

/**
 * Polls `cond` until it holds, failing after `timeoutMs` of processing time (the monotonic clock,
 * never the wall clock a test's data may pin) with what was awaited.
 */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what = 'the condition', timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The SaaswatchError `p` rejects with; anything else it rejects with is rethrown, and fulfilling fails the test. */
export async function failureOf(p: Promise<unknown>): Promise<SaaswatchError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SaaswatchError) return err;
    throw err;
  }
  throw new Error('expected a failure, and it succeeded');
}

/** What a source gave when run to its end (once mode): its batches, their events and dead letters, and the last cursor it committed. */
export interface Drained {
  batches: SourceBatch[];
  events: SecurityEvent[];
  deadLetters: DeadLetterInput[];
  cursor: string | undefined;
}

/** Runs `source` from `cursor` until it ends (a once-mode source ends after its pass). */
export async function drain(source: Pick<Source, 'batches'>, cursor?: string): Promise<Drained> {
  const batches: SourceBatch[] = [];
  let last = cursor;
  for await (const b of source.batches({ cursor, signal: new AbortController().signal })) {
    batches.push(b);
    if (b.cursor !== undefined) last = b.cursor;
  }
  return { batches, events: batches.flatMap((b) => b.events), deadLetters: batches.flatMap((b) => b.deadLetters), cursor: last };
}
