/** Constants and option parsers the CLI needs before any command runs; imports nothing heavy. */
import { InvalidArgumentError } from 'commander';

/** Exit codes scripts can rely on (documented in the README). */
export const EXIT = { ok: 0, error: 1, usage: 2, partial: 3 } as const;

/** Records `ingest --explain` reads: enough to see every shape a log mixes, quick on any file. */
export const EXPLAIN_RECORDS = 1000;

/**
 * A parser for a whole-number option within [min, max]. Commander reports the thrown message after
 * naming the option and the value ("option '-n, --limit <n>' argument 'abc' is invalid."), and the
 * CLI exits 2, before any config or database is opened.
 */
export function intOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`);
    }
    return n;
  };
}
