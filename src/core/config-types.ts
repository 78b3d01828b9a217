/**
 * The config vocabulary every section shares: durations, secrets, severities, URLs, strict objects,
 * and the wording of every validation problem (`configErrorMap`), so a mistake reads the same in
 * the root, a source, a detector or a sink.
 */
import { z } from 'zod';
import type { Severity } from './alert.js';
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
export const zDuration = z
  .union([z.string(), z.number()])
  // The JSON Schema of the config (`saaswatch config schema`) shows durations as such, not as "string or number".
  .meta({ format: 'duration', examples: ['30s', '5m', '1h', '7d'] })
  .transform((v, ctx) => {
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

/** Alert severities, lowest first; the one enum every detector's `severity` uses. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];

/** A severity in config: `low`, `medium`, `high` or `critical`. */
export const zSeverity = z.enum(SEVERITIES);

/**
 * An http(s) URL in config. `example` goes into the error so the message shows a URL that would
 * work (`expected an http(s) URL such as https://graph.microsoft.com, got "graph"`).
 */
export function zHttpUrl(example = 'https://example.com/path') {
  return z.string().check(
    z.refine(
      (u) => {
        try {
          const p = new URL(u).protocol;
          return p === 'http:' || p === 'https:';
        } catch {
          return false;
        }
      },
      { error: (iss) => `expected an http(s) URL such as ${example}, got ${JSON.stringify(iss.input)}` },
    ),
  );
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment), case-insensitive: the
 * typos people make in keys are a dropped, doubled, swapped or wrong letter.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The allowed word closest to `word`, if it is close enough to be a typo: within one edit for
 * short words, a third of the length for longer ones. Ties go to the first candidate.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** `unknown key "windw" (did you mean "window"?); allowed: window, threshold`. */
export function unknownKeysMessage(keys: readonly string[], allowed: readonly string[], where?: string): string {
  const quoted = keys.map((k) => JSON.stringify(k)).join(', ');
  const hints = keys.flatMap((k) => {
    const m = didYouMean(k, allowed);
    return m ? [`did you mean ${JSON.stringify(m)}${keys.length > 1 ? ` for ${JSON.stringify(k)}` : ''}?`] : [];
  });
  return `unknown key${keys.length > 1 ? 's' : ''} ${quoted}${where ? ` in ${where}` : ''}${hints.length ? ` (${hints.join(' ')})` : ''}; allowed: ${allowed.join(', ')}`;
}

/** `expected one of a, b, c, got "x"` plus the nearest allowed value when it looks like a typo. */
export function oneOfMessage(allowed: readonly unknown[], got: unknown): string {
  const words = allowed.map(String);
  const hint = typeof got === 'string' ? didYouMean(got, words) : undefined;
  return `expected one of ${words.join(', ')}, got ${describeValue(got)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`;
}

/** A value as a problem message shows it: `"big"`, `5`, `a list`, `a mapping`, `nothing`. */
export function describeValue(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return JSON.stringify(input);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function countOf(n: number | bigint, what: string): string {
  return `${n} ${what}${n === 1 || n === 1n ? '' : 's'}`;
}

/** Keys of the object schema that raised an unknown-key issue, as written in config. */
function shapeKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Words every config problem in saaswatch's terms instead of zod's ("must be at least 1", not
 * "Too small: expected number to be >=1"). Pass it to every config parse
 * (`schema.safeParse(x, { error: configErrorMap })`); a message a schema sets itself still wins.
 */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[iss.expected] ?? iss.expected;
      if (iss.input === undefined) return `is required (${expected}); add it`;
      return `expected ${expected}, got ${describeValue(iss.input)}`;
    }
    case 'too_small': {
      const min = iss.minimum;
      if (iss.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${countOf(min, 'character')} long`;
      if (iss.origin === 'array' || iss.origin === 'set') return `must list at least ${countOf(min, 'item')}`;
      return `must be ${iss.inclusive === false ? 'greater than' : 'at least'} ${min}, got ${describeValue(iss.input)}`;
    }
    case 'too_big': {
      const max = iss.maximum;
      if (iss.origin === 'string') return `must be at most ${countOf(max, 'character')} long`;
      if (iss.origin === 'array' || iss.origin === 'set') return `must list at most ${countOf(max, 'item')}`;
      return `must be ${iss.inclusive === false ? 'less than' : 'at most'} ${max}, got ${describeValue(iss.input)}`;
    }
    case 'invalid_value':
      return oneOfMessage(iss.values, iss.input);
    case 'unrecognized_keys':
      return unknownKeysMessage(iss.keys, shapeKeys(iss.inst));
    case 'invalid_format':
      if (iss.format === 'regex') return `${describeValue(iss.input)} does not match the pattern ${String((iss as { pattern?: unknown }).pattern)}`;
      if (iss.format === 'url') return `expected an http(s) URL such as https://example.com/path, got ${describeValue(iss.input)}`;
      return `expected ${iss.format === 'email' ? 'an' : 'a'} ${iss.format}, got ${describeValue(iss.input)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    case 'invalid_union':
      return `got ${describeValue(iss.input)}, which is none of the allowed forms`;
    case 'invalid_key':
      return `${describeValue(iss.input)} is not an allowed key`;
    case 'invalid_element':
      return `has an invalid element ${describeValue(iss.input)}`;
    default:
      return undefined;
  }
};

/**
 * A strict object whose unknown-key error lists the allowed keys and the nearest one: "unknown key
 * \"windw\" in brute-force config (did you mean \"window\"?); allowed: window, threshold".
 */
export function zStrictObject<T extends z.ZodRawShape>(shape: T, where: string) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeysMessage(iss.keys, allowed, where) : undefined),
  });
}
