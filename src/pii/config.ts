/** The analyzer's configuration (`pii.analyzer`): languages, allow and deny lists, custom regex recognizers, each pattern checked to run in linear time. */
import { z } from 'zod';
import { configErrorMap, zStrictObject } from '../core/config-types.js';
import { errors } from '../core/errors.js';

/** Languages with built-in context words. */
export const CONTEXT_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] as const;

const MAX_PATTERN_LENGTH = 500;

/**
 * Why a custom pattern could backtrack catastrophically or not compile, or undefined when it is safe.
 * Conservative by design: it rejects backreferences, lookarounds, a quantified group that holds a
 * quantifier or an alternation (`(a+)+`, `(a|a)*`), and adjacent unbounded repeats (`\d+\d*`);
 * anything richer belongs in code, where it is validated, not in config.
 */
export function unsafePatternReason(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'g');
  } catch {
    return 'is not a valid regular expression';
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'uses a backreference, which can take exponential time';
  if (/\(\?<?[=!]/.test(pattern)) return 'uses a lookaround; keep custom patterns to plain classes, groups and quantifiers';
  // Walk the pattern: per open group, whether it holds a quantifier or an alternation.
  const stack: { quantified: boolean; alternation: boolean }[] = [];
  let inClass = false;
  let lastUnbounded = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      lastUnbounded = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push({ quantified: false, alternation: false });
      if (pattern[i + 1] === '?') i += pattern[i + 2] === ':' ? 2 : 1;
      lastUnbounded = false;
      continue;
    }
    if (c === '|') {
      const top = stack[stack.length - 1];
      if (top) top.alternation = true;
      lastUnbounded = false;
      continue;
    }
    const quant = quantifierAt(pattern, i);
    if (c === ')') {
      const inner = stack.pop();
      const q = quantifierAt(pattern, i + 1);
      if (inner && q) {
        if (inner.quantified) return 'nests a quantifier inside a quantified group (such as (a+)+), which can take exponential time';
        if (inner.alternation && q.unbounded) return 'repeats an alternation (such as (a|ab)*), which can take exponential time; use a character class';
      }
      const parent = stack[stack.length - 1];
      if (parent && inner?.quantified) parent.quantified = true;
      lastUnbounded = false;
      continue;
    }
    if (quant) {
      const top = stack[stack.length - 1];
      if (top) top.quantified = true;
      if (quant.unbounded && lastUnbounded) return 'puts two unbounded repeats side by side (such as \\d+\\d*), which can take quadratic time';
      lastUnbounded = quant.unbounded;
      i += quant.length - 1;
      if (pattern[i + 1] === '?') i++;
      continue;
    }
    lastUnbounded = false;
  }
  if (new RegExp(pattern).test('')) return 'matches the empty string';
  return undefined;
}

function quantifierAt(p: string, i: number): { unbounded: boolean; length: number } | undefined {
  const c = p[i];
  if (c === '*' || c === '+') return { unbounded: true, length: 1 };
  if (c === '?') return { unbounded: false, length: 1 };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 16));
    if (m) return { unbounded: m[2] !== undefined && m[3] === '', length: m[0].length };
  }
  return undefined;
}

const entityName = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'expected an entity type in upper snake case, such as EMPLOYEE_ID');

const customRecognizer = zStrictObject(
  {
    /** Recognizer id (`custom:<name>` in explanations). */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a lower-case name such as employee-id'),
    type: entityName,
    /** A JavaScript regular expression, matched case-sensitively; checked for linear-time safety. */
    pattern: z.string().min(1).superRefine((p, ctx) => {
      const why = unsafePatternReason(p);
      if (why) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(p)} ${why}` });
    }),
    score: z.number().min(0).max(1).default(0.6),
    /** Words that raise a match's score when near it (any language). */
    context: z.array(z.string().min(1)).default([]),
  },
  'a custom recognizer',
);

export const analyzerConfigSchema = zStrictObject(
  {
    /** Languages whose context words are used (ISO 639-1). */
    languages: z.array(z.enum(CONTEXT_LANGUAGES)).min(1).default([...CONTEXT_LANGUAGES]),
    /** Values never reported (compared ignoring case, spaces, dashes and dots), e.g. a company's own support number. */
    allow: z.array(z.string().min(1)).default([]),
    /** Values always reported as the given type, scored 1. */
    deny: z.array(zStrictObject({ type: entityName, values: z.array(z.string().min(1)).min(1) }, 'a deny entry')).default([]),
    custom: z.array(customRecognizer).default([]),
    /** Words before a span searched for context words (Presidio's default is 5); half as many after it. */
    context_window: z.number().int().min(0).max(50).default(5),
  },
  'pii.analyzer',
);

export type AnalyzerConfig = z.output<typeof analyzerConfigSchema>;
export type AnalyzerConfigInput = z.input<typeof analyzerConfigSchema>;

/** Parses analyzer config, throwing CONFIG_INVALID naming the first bad field (`pii.analyzer.custom.0.pattern: ...`). */
export function parseAnalyzerConfig(input: unknown, path = 'pii.analyzer'): AnalyzerConfig {
  const r = analyzerConfigSchema.safeParse(input ?? {}, { error: configErrorMap });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw errors.configInvalid({ path: [path, ...issue.path.map(String)].join('.'), problem: issue.message });
}
