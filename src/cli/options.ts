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

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A period option (`30m`, `12h`, `7d`, `2w`) in ms; with `forever` allowed, that word gives
 * Infinity. Commander names the option and value before the message, and the CLI exits 2.
 */
export function durationOption(opts: { forever?: boolean } = {}): (value: string) => number {
  return (value: string) => {
    if (opts.forever && value.trim() === 'forever') return Number.POSITIVE_INFINITY;
    const m = /^\s*(\d+)\s*([mhdw])\s*$/.exec(value);
    const ms = m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : Number.NaN;
    if (!Number.isSafeInteger(ms) || ms <= 0) {
      throw new InvalidArgumentError(`expected a period such as 30m, 12h, 7d or 2w${opts.forever ? ', or forever' : ''}.`);
    }
    return ms;
  };
}

/** An ISO time option (`2026-12-31T00:00:00Z`) in epoch ms. */
export function isoTimeOption(value: string): number {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !Number.isFinite(t)) throw new InvalidArgumentError('expected an ISO time such as 2026-12-31T00:00:00Z.');
  return t;
}

/** `type:value` (`user:alice@example.com`, `ip:203.0.113.7`); the value may be a glob. */
export function entityOption(value: string): { type: string; value: string } {
  const m = /^([a-z][a-z0-9_.-]*):(.+)$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected type:value such as user:alice@example.com or ip:203.0.113.7 (the value may be a glob: user:*@contractor.example).');
  return { type: m[1]!, value: m[2]! };
}

/** A score option from 0 to 1 (`--min-score 0.8`). */
export function scoreOption(value: string): number {
  const n = /^\s*(?:0|1|0?\.\d+|[01]\.0*)\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a score from 0 to 1, such as 0.5.');
  return n;
}
