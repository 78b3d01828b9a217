/** The analyzer's configuration (`pii.analyzer`): languages, allow and deny lists, custom regex recognizers (RE2 syntax, run in linear time). */
import { RE2JS } from 're2js';
import { z } from 'zod';
import { configErrorMap, zStrictObject } from '../core/config-types.js';
import { errors } from '../core/errors.js';

/** Languages with built-in context words. */
export const CONTEXT_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] as const;

const MAX_PATTERN_LENGTH = 500;

/**
 * Why a custom pattern cannot be used, or undefined when it can. Custom patterns run on RE2
 * (re2js: linear time in the text whatever the pattern), so no pattern from config can backtrack;
 * RE2 refuses what needs backtracking (backreferences, lookarounds) with a message naming it.
 */
export function unsafePatternReason(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    // RE2's own wording says which construct it refuses ("invalid escape sequence: `\1`", "invalid or unsupported Perl syntax: `(?=`").
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : 'a syntax error';
    return `is not a pattern RE2 accepts (${why}); backreferences and lookarounds are not supported`;
  }
  if (re.matcher('').find()) return 'matches the empty string';
  return undefined;
}

const entityName = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'expected an entity type in upper snake case, such as EMPLOYEE_ID');

const customRecognizer = zStrictObject(
  {
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a lower-case name such as employee-id').describe('Recognizer name, lower case with dashes; findings explain themselves as `custom:<name>`.'),
    type: entityName.describe('Entity type the matches are reported as, upper snake case (e.g. EMPLOYEE_ID).'),
    pattern: z
      .string()
      .min(1)
      .superRefine((p, ctx) => {
        const why = unsafePatternReason(p);
        if (why) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(p)} ${why}` });
      })
      .describe('Regular expression in RE2 syntax (as JavaScript without backreferences and lookarounds), case-sensitive; run in linear time, so no pattern can stall a scan.'),
    score: z.number().min(0).max(1).default(0.6).describe('Score of a match before context words raise it (0 to 1).'),
    context: z.array(z.string().min(1)).default([]).describe('Words that raise a match\'s score by 0.35 when found near it.'),
  },
  'a custom recognizer',
);

export const analyzerConfigSchema = zStrictObject(
  {
    languages: z
      .array(z.enum(CONTEXT_LANGUAGES))
      .min(1)
      .default([...CONTEXT_LANGUAGES])
      .describe('Languages whose built-in context words raise scores (ISO 639-1: en, de, fr, es, it, nl, pt).'),
    allow: z.array(z.string().min(1)).default([]).describe('Values never reported, compared ignoring case, spaces, dashes and dots (e.g. your own support number).'),
    deny: z
      .array(
        zStrictObject(
          {
            type: entityName.describe('Entity type the values are reported as.'),
            values: z.array(z.string().min(1)).min(1).describe('Exact values (whole words) always reported, scored 1.'),
          },
          'a deny entry',
        ),
      )
      .default([])
      .describe('Values always reported as a given type.'),
    custom: z.array(customRecognizer).default([]).describe('Extra regex recognizers.'),
    phone_regions: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as GB'))
      .min(1)
      .default(['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'BR', 'AU'])
      .describe('Regions whose national phone numbers (without +) are recognized; international numbers always are.'),
    context_window: z.number().int().min(0).max(50).default(5).describe("Words before a finding searched for context words (Presidio's default, 5); half as many after it."),
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
