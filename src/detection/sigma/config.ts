/** Config schema of the `sigma` detector: which rule folders to load, which rules to leave out, and the lowest level that alerts. */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LEVELS } from './loader.js';

/** The built-in rule pack, `rules/` at the repository root (three levels up from src/ or dist/detection/sigma). */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

export const sigmaConfigSchema = z.strictObject({
  /** Rule folders, searched recursively for *.yml; relative paths resolve against the config file's folder. */
  rules_dirs: z.array(z.string().min(1)).min(1).default([BUILTIN_RULES_DIR]),
  /** Rule keys (`rules/dropbox/mass-deletion`), Sigma ids or names that never run. */
  disabled: z.array(z.string().min(1)).default([]),
  /** Rules below this level make no findings of their own (they still feed correlations). */
  min_level: z.enum(LEVELS).default('low'),
  /** Event ids kept as evidence per finding. */
  max_evidence: z.number().int().min(1).max(100).default(100),
  /** Per correlation rule, entities tracked at once. */
  max_groups: z.number().int().min(1).default(100_000),
});

export type SigmaConfig = z.output<typeof sigmaConfigSchema>;
