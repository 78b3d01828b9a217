/** Config schema of the `sigma` detector: which rule folders to load, which rules to leave out, the lowest level that alerts, and the values of `expand` placeholders. */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LEVELS } from './loader.js';

/** The built-in rule pack, `rules/` at the repository root (three levels up from src/ or dist/detection/sigma). */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

export const sigmaConfigSchema = z.strictObject({
  rules_dirs: z.array(z.string().min(1)).min(1).default([BUILTIN_RULES_DIR]).describe('Rule folders, searched recursively for *.yml; relative paths resolve against the config file\'s folder.'),
  disabled: z.array(z.string().min(1)).default([]).describe('Rule keys (`rules/dropbox/mass-deletion`), Sigma ids or names that never run.'),
  min_level: z.enum(LEVELS).default('low').describe('Rules below this level make no findings of their own (they still feed correlations).'),
  max_evidence: z.number().int().min(1).max(100).default(100).describe('Event ids kept as evidence per finding.'),
  max_groups: z.number().int().min(1).default(100_000).describe('Per correlation rule, entities tracked at once.'),
  /**
   * Values of the `%name%` placeholders that rules with the `expand` modifier use (SigmaHQ:
   * `IpAddress|expand: '%Admins_Workstations%'`). A value keeps its `*` and `?` wildcards. A rule
   * whose placeholder is missing here is disabled with a warning rather than failing the whole load.
   */
  placeholders: z
    .record(z.string(), z.array(z.union([z.string(), z.number().transform(String)])).min(1, 'list at least one value; disable the rules instead to turn them off'))
    .superRefine((p, ctx) => {
      // Checked here rather than by a key schema so the message names the key and says what is allowed.
      for (const name of Object.keys(p)) {
        if (!/^\w+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a placeholder name: use letters, digits and _ (as in %Admins_Workstations%)` });
      }
    })
    .default({})
    .describe('Values of the %name% placeholders of rules using the `expand` modifier, e.g. Admins_Workstations: [10.0.0.*]; a rule whose placeholder is missing is disabled with a warning.'),
});

export type SigmaConfig = z.output<typeof sigmaConfigSchema>;
