import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SaaswatchError, type SourceBatch } from '../core/index.js';
import { decodeCursor, definePollingSource, encodeCursor, withRetry, type CursorCodec, type PollingSourceSpec, type PolledBatch } from './polling.js';

const T0 = Date.parse('2026-11-03T10:00:00Z');
const LOOKBACK = 3_600_000;

interface State {
  from: number;
}

const codec: CursorCodec<State> = {
  version: 2,
  read: (d) => (typeof d.from === 'number' ? { from: d.from } : undefined),
  upgrade: (d) => (typeof (d as { at?: unknown })?.at === 'string' ? { from: Date.parse((d as { at: string }).at) } : undefined),
  write: (s) => ({ from: s.from }),
  initial: () => ({ from: T0 - LOOKBACK }),
};

function capture() {
  const lines: Array<{ level: number; msg: string; err?: { type?: string; code?: string; message?: string } }> = [];
  return { lines, logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }) };
}

function spec(over: Partial<PollingSourceSpec<State>> & { poll?: (s: State) => AsyncGenerator<PolledBatch<State>> }): PollingSourceSpec<State> {
  const poll =
    over.poll ??
    async function* (s: State) {
      yield { events: [], deadLetters: [], state: { from: s.from + 1 } };
    };
  return {
    name: 'x',
    type: 'test',
    label: 'Test',
    cursor: codec,
    pollInterval: 3_600_000,
    retry: { maxAttempts: 3, initialMs: 10, maxMs: 10 },
    classify: (e) => (e instanceof SaaswatchError ? e : new SaaswatchError('NETWORK', String(e), { retryable: true })),
    now: () => T0,
    open: () => ({ pollOnce: (s) => poll(s) }),
    ...over,
  };
}

async function drain(it: AsyncIterable<SourceBatch>): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('polling runtime', () => {
  it('writes a versioned cursor and reads it back, and upgrades an older form', () => {
    expect(encodeCursor(codec, { from: 5 })).toBe('{"from":5,"v":2}');
    expect(decodeCursor(codec, '{"from":5,"v":2}')).toEqual({ from: 5 });
    expect(decodeCursor(codec, '{"at":"2026-11-03T09:00:00Z"}')).toEqual({ from: T0 - LOOKBACK });
    expect(decodeCursor(codec, undefined)).toEqual({ from: T0 - LOOKBACK });
  });

  it.each(['not json sync=tok-41', '{"from":"tok-42","v":2}', '{"from":5,"v":9,"t":"tok-43"}', '["tok-44"]', '"tok-45"'])('warns with the error and resumes from the look-back on an unreadable cursor: %s', (text) => {
    const { lines, logger } = capture();
    expect(decodeCursor(codec, text, logger, 'Test')).toEqual({ from: T0 - LOOKBACK });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^Test cursor is unreadable; resuming from the configured look-back/), err: { type: 'SaaswatchError', code: 'INPUT_MALFORMED' } });
    // The cursor text itself stays out of the log.
    expect(JSON.stringify(lines)).not.toContain('tok-4');
  });

  it('commits the state a batch carries only after it was pulled, and polls once in once-mode', async () => {
    const seen: number[] = [];
    const src = definePollingSource(
      spec({
        once: true,
        poll: async function* (s) {
          seen.push(s.from);
          yield { events: [], deadLetters: [], state: { from: s.from + 1 } };
          yield { events: [], deadLetters: [], watermark: 7 };
          yield { events: [], deadLetters: [], state: { from: s.from + 2 } };
        },
      }),
    );
    const batches = await drain(src.batches({ cursor: '{"from":100,"v":2}', signal: new AbortController().signal }));
    expect(seen).toEqual([100]);
    expect(batches.map((b) => b.cursor)).toEqual(['{"from":101,"v":2}', undefined, '{"from":102,"v":2}']);
    expect(batches[1]!.watermark).toBe(7);
  });

  it('throws a failure that retrying cannot fix, and in once-mode any failure', async () => {
    const bad = new SaaswatchError('HTTP_REJECTED', 'no', { retryable: false });
    const src = definePollingSource(spec({ poll: async function* () { throw bad; } }));
    await expect(drain(src.batches({ cursor: undefined, signal: new AbortController().signal }))).rejects.toBe(bad);
    const later = new SaaswatchError('HTTP_RETRYABLE', 'later', { retryable: true });
    const once = definePollingSource(spec({ once: true, poll: async function* () { throw later; } }));
    await expect(drain(once.batches({ cursor: undefined, signal: new AbortController().signal }))).rejects.toBe(later);
  });

  it('logs a retryable failed poll once at warn with the error object, waits, and polls again from the committed cursor', async () => {
    const { lines, logger } = capture();
    const ac = new AbortController();
    const idles: number[] = [];
    const starts: number[] = [];
    const src = definePollingSource(
      spec({
        logger,
        idle: async (ms) => void idles.push(ms),
        poll: async function* (s) {
          starts.push(s.from);
          if (starts.length === 1) {
            yield { events: [], deadLetters: [], state: { from: 1 } };
            throw new SaaswatchError('HTTP_RETRYABLE', 'busy', { retryable: true });
          }
          ac.abort();
        },
      }),
    );
    await drain(src.batches({ cursor: undefined, signal: ac.signal }));
    expect(starts).toEqual([T0 - LOOKBACK, 1]);
    expect(idles).toEqual([3_600_000]);
    const failed = lines.filter((l) => /poll failed/.test(l.msg));
    expect(failed).toEqual([expect.objectContaining({ level: 40, msg: 'Test poll failed; trying again at the next poll.', err: expect.objectContaining({ code: 'HTTP_RETRYABLE' }) })]);
  });

  it('a wake during a poll runs the next one at once; a wake during the idle wait ends it', async () => {
    const ac = new AbortController();
    let polls = 0;
    const src = definePollingSource(
      spec({
        pollInterval: 3_600_000,
        poll: async function* (s) {
          polls++;
          if (polls === 1) src.wake();
          if (polls === 2) setTimeout(() => src.wake(), 20);
          if (polls === 3) ac.abort();
          yield { events: [], deadLetters: [], state: s };
        },
      }),
    );
    await drain(src.batches({ cursor: undefined, signal: ac.signal }));
    expect(polls).toBe(3);
  });

  it('coalesces wakes: any number during a poll or within minPollInterval of its start come down to one poll, no sooner', async () => {
    // The clock moves only when the runtime waits: time is what the test says it is.
    let clock = T0;
    const idles: Array<{ at: number; ms: number }> = [];
    let release: (() => void) | undefined;
    const idle = async (ms: number, signal: AbortSignal): Promise<void> => {
      idles.push({ at: clock, ms });
      if (ms >= 3_600_000) {
        // The scheduled wait: it lasts until a wake (or the stop) ends it, and the clock moves 2 s meanwhile.
        await new Promise<void>((resolve) => {
          release = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        clock += 2_000;
        return;
      }
      clock += ms;
    };
    const ac = new AbortController();
    const starts: number[] = [];
    const src = definePollingSource(
      spec({
        now: () => clock,
        idle,
        pollInterval: 3_600_000,
        minPollInterval: 10_000,
        poll: async function* (s) {
          starts.push(clock);
          // 1,000 wakes while the first poll runs: one poll follows.
          if (starts.length === 1) for (let i = 0; i < 1_000; i++) src.wake();
          if (starts.length === 3) ac.abort();
          yield { events: [], deadLetters: [], state: s };
        },
      }),
    );
    const run = drain(src.batches({ cursor: undefined, signal: ac.signal }));
    // After the second poll the runtime waits out the hour; a burst of wakes ends that wait once.
    for (let i = 0; i < 100 && starts.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 50 && release === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 500; i++) src.wake();
    await run;
    // Poll 2 waited out the rest of the 10 s after poll 1 began; poll 3 came 10 s after poll 2 began
    // (2 s of hour-long wait, then the 8 s left), not at each wake.
    expect(starts).toEqual([T0, T0 + 10_000, T0 + 20_000]);
    expect(idles).toEqual([
      { at: T0, ms: 10_000 },
      { at: T0 + 10_000, ms: 3_600_000 },
      { at: T0 + 12_000, ms: 8_000 },
    ]);
  });

  it('a wake after minPollInterval has passed polls at once; a scheduled poll never waits for minPollInterval', async () => {
    /** Three polls; the first wait is ended by a wake `wakeAfter` ms in, every other wait passes in full, on the test's clock. */
    const polls = async (pollInterval: number, wakeAfter: number) => {
      let clock = T0;
      const ac = new AbortController();
      const starts: number[] = [];
      const waits: number[] = [];
      const src = definePollingSource(
        spec({
          now: () => clock,
          idle: async (ms) => {
            waits.push(ms);
            if (waits.length > 1) {
              clock += ms;
              return;
            }
            clock += wakeAfter;
            src.wake();
          },
          pollInterval,
          minPollInterval: 10_000,
          poll: async function* (s) {
            starts.push(clock - T0);
            if (starts.length === 3) ac.abort();
            yield { events: [], deadLetters: [], state: s };
          },
        }),
      );
      await drain(src.batches({ cursor: undefined, signal: ac.signal }));
      return { starts, waits };
    };
    // A minute's interval, a notification 15 s in: past the 10 s minimum, so it polls at once.
    expect(await polls(60_000, 15_000)).toEqual({ starts: [0, 15_000, 75_000], waits: [60_000, 60_000] });
    // A notification 1 s in waits for the minimum, but never past the scheduled poll (an interval of 5 s, below the minimum).
    expect(await polls(5_000, 1_000)).toEqual({ starts: [0, 5_000, 10_000], waits: [5_000, 4_000, 5_000] });
  });

  it('stops within a second when aborted inside a Retry-After wait of an hour', async () => {
    const ac = new AbortController();
    let calls = 0;
    const pending = withRetry(
      'list',
      async () => {
        calls++;
        throw new SaaswatchError('HTTP_RETRYABLE', '429', { retryable: true, retryAfterMs: 3_600_000 });
      },
      { maxAttempts: 5, initialMs: 1, maxMs: 1, signal: ac.signal, classify: (e) => e as SaaswatchError },
    );
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'HTTP_RETRYABLE' });
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(calls).toBe(1);
  });

  it('retries what is retryable with the delay retry.ts gives, up to maxAttempts', async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = await withRetry(
      'list',
      async () => {
        calls++;
        throw new SaaswatchError('HTTP_RETRYABLE', '503', { retryable: true, ...(calls === 1 ? { retryAfterMs: 7000 } : {}) });
      },
      { maxAttempts: 3, initialMs: 1000, maxMs: 60_000, signal: new AbortController().signal, classify: (e) => e as SaaswatchError, sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_RETRYABLE' });
    expect(calls).toBe(3);
    expect(delays).toEqual([7000, 1000]);
  });
});
