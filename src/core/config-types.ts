/** Zod building blocks every config section shares: durations and secrets. */
import { z } from 'zod';
import { Secret } from './secret.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `500ms`, `30s`, `5m`, `1h`, `7d`, `1w` or a bare number of seconds into milliseconds. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(input);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!);
}

/**
 * A duration in config (`30s`, `5m`, a number of seconds), validated into milliseconds. Give defaults
 * with `.prefault('10m')`: zod 4's `.default()` skips the transform and would yield the raw string.
 */
export const zDuration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 5m, 1h or 7d, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

/** A secret in config; usually written as `${ENV_VAR}` so it never sits in the file. */
export const zSecret = z
  .string()
  .min(1, 'expected a non-empty secret (set it with ${ENV_VAR})')
  .transform((s) => new Secret(s));

/**
 * A strict object whose unknown-key error lists the allowed keys: "unknown key \"windw\" in
 * brute-force config; allowed: window, threshold" tells the fix, zod's bare message does not.
 */
export function zStrictObject<T extends z.ZodRawShape>(shape: T, where: string) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')} in ${where}; allowed: ${allowed}`
        : undefined,
  });
}
