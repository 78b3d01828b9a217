/** Reads SigmaHQ-format rule files (detection and v2 correlation rules, multi-document YAML) from folders and validates them with errors that name the file and field. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { parseDuration, SaaswatchError } from '../../core/index.js';

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof LEVELS)[number];

/** Raised when a rule file cannot be used; the message starts with the file and names the field. A config error: the CLI exits 2. */
export class SigmaRuleError extends SaaswatchError {
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, message: string) {
    super('CONFIG_INVALID', `${file}${field ? `: ${field}` : ''}: ${message}`, { details: { file, ...(field ? { field } : {}) } });
    this.name = 'SigmaRuleError';
    this.file = file;
    this.field = field;
  }
}

interface RuleBase {
  /** What findings carry as `rule`: the rule file's path under its rules folder's name (`rules/dropbox/mass-deletion`). */
  key: string;
  /** Sigma `id` (a UUID) and `name`; correlations may reference either. */
  id?: string;
  name?: string;
  title: string;
  description?: string;
  status?: string;
  level?: SigmaLevel;
  tags: string[];
  falsepositives: string[];
  file: string;
  /** 1-based document number within the file. */
  doc: number;
}

export interface DetectionRuleDef extends RuleBase {
  kind: 'detection';
  logsource: { product?: string; service?: string; category?: string };
  /** Search identifiers (selections, keyword lists) as written, without `condition`. */
  detection: Record<string, unknown>;
  condition: string[];
  fields: string[];
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';

export interface CorrelationCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
  /** value_count: the field whose distinct values are counted. */
  field?: string;
}

export interface CorrelationRuleDef extends RuleBase {
  kind: 'correlation';
  type: CorrelationType;
  /** Referenced rules by id or name, in order (order matters for temporal_ordered). */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: CorrelationCondition | undefined;
  /** alias → (referenced rule → that rule's field), so one group-by name spans rules with different fields. */
  aliases: Record<string, Record<string, string>>;
  /** Whether the referenced rules also report their own matches (Sigma default: no). */
  generate: boolean;
}

export type RuleDef = DetectionRuleDef | CorrelationRuleDef;

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
const level = z.enum(LEVELS);

const common = {
  title: z.string().min(1, 'expected a non-empty title'),
  id: z.union([z.string().min(1), z.number()]).transform(String).optional(),
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  status: z.string().optional(),
  level: level.optional(),
  tags: z.array(z.string()).default([]),
  falsepositives: stringList.default([]),
};

// Sigma allows custom attributes, so unknown keys are kept, not rejected.
const detectionSchema = z.looseObject({
  ...common,
  logsource: z.looseObject({
    product: z.string().optional(),
    service: z.string().optional(),
    category: z.string().optional(),
  }),
  detection: z
    .record(z.string(), z.unknown())
    .refine((d) => 'condition' in d, { message: 'detection needs a condition' }),
  fields: z.array(z.string()).default([]),
});

const bound = z.number().finite();
const correlationSchema = z.looseObject({
  ...common,
  correlation: z.looseObject({
    type: z.enum(['event_count', 'value_count', 'temporal', 'temporal_ordered']),
    rules: stringList.refine((r) => r.length > 0, 'expected at least one rule'),
    'group-by': stringList.default([]),
    timespan: z.union([z.string(), z.number()]),
    condition: z
      .strictObject({ gt: bound.optional(), gte: bound.optional(), lt: bound.optional(), lte: bound.optional(), eq: bound.optional(), neq: bound.optional(), field: z.string().optional() })
      .optional(),
    aliases: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    generate: z.boolean().optional(),
  }),
  generate: z.boolean().optional(),
});

function zodError(file: string, doc: number, err: z.ZodError): SigmaRuleError {
  const first = err.issues[0]!;
  const field = first.path.map(String).join('.') || undefined;
  return new SigmaRuleError(`${file}#${doc}`, field, first.message);
}

/**
 * Parses one rule file's text (possibly several `---` documents). `key` is the finding rule id for
 * the file; a file with several rules gives each document `key/<name or id or number>`.
 */
export function parseRuleText(text: string, file: string, key: string): RuleDef[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const values: Array<{ value: Record<string, unknown>; doc: number }> = [];
  for (const [i, d] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (d.errors.length) throw new SigmaRuleError(`${file}#${i + 1}`, undefined, `invalid YAML: ${d.errors[0]!.message}`);
    const value = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new SigmaRuleError(`${file}#${i + 1}`, undefined, 'expected a mapping (a rule)');
    values.push({ value: value as Record<string, unknown>, doc: i + 1 });
  }
  // Sigma's "action: global" documents merge into the ones after them; saaswatch keeps rules self-contained.
  const out: RuleDef[] = [];
  for (const { value, doc } of values) {
    if ('action' in value) throw new SigmaRuleError(`${file}#${doc}`, 'action', 'rule collections (action: global/reset/repeat) are not supported; write one rule per document');
    const where = `${file}#${doc}`;
    // The one correlation of a file (what reports) keeps the file's key; its base rules get suffixes.
    const correlations = values.filter((v) => 'correlation' in v.value).length;
    const owner = values.length === 1 || (correlations === 1 && 'correlation' in value);
    const docKey = owner ? key : `${key}/${slug(String(value.name ?? value.id ?? doc))}`;
    if ('correlation' in value) {
      const r = correlationSchema.safeParse(value);
      if (!r.success) throw zodError(file, doc, r.error);
      const c = r.data.correlation;
      const timespanMs = parseDuration(c.timespan);
      if (timespanMs === undefined || timespanMs <= 0) throw new SigmaRuleError(where, 'correlation.timespan', `expected a duration such as 10m or 1h, got ${JSON.stringify(c.timespan)}`);
      const cond = c.condition;
      if (c.type === 'event_count' || c.type === 'value_count') {
        if (!cond || ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].every((k) => cond[k as keyof CorrelationCondition] === undefined)) {
          throw new SigmaRuleError(where, 'correlation.condition', `${c.type} needs a condition such as {gte: 10}`);
        }
      }
      if (c.type === 'value_count' && !cond?.field) throw new SigmaRuleError(where, 'correlation.condition.field', 'value_count needs the field whose distinct values are counted');
      if ((c.type === 'temporal' || c.type === 'temporal_ordered') && c.rules.length < 2) {
        throw new SigmaRuleError(where, 'correlation.rules', `${c.type} needs at least two rules`);
      }
      out.push({
        kind: 'correlation',
        ...base(r.data, docKey, file, doc),
        type: c.type,
        rules: c.rules,
        groupBy: c['group-by'],
        timespanMs,
        condition: cond,
        aliases: c.aliases,
        generate: c.generate ?? r.data.generate ?? false,
      });
    } else {
      const r = detectionSchema.safeParse(value);
      if (!r.success) throw zodError(file, doc, r.error);
      const { condition, ...detection } = r.data.detection;
      const conditions = typeof condition === 'string' ? [condition] : Array.isArray(condition) && condition.every((c) => typeof c === 'string') ? condition : undefined;
      if (!conditions || conditions.length === 0) throw new SigmaRuleError(where, 'detection.condition', 'expected a condition string (or a list of them)');
      if (Object.keys(detection).length === 0) throw new SigmaRuleError(where, 'detection', 'expected at least one search identifier');
      out.push({
        kind: 'detection',
        ...base(r.data, docKey, file, doc),
        logsource: { ...pick(r.data.logsource, ['product', 'service', 'category']) },
        detection,
        condition: conditions,
        fields: r.data.fields,
      });
    }
  }
  return out;
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function base(d: z.output<typeof detectionSchema> | z.output<typeof correlationSchema>, key: string, file: string, doc: number): RuleBase {
  return {
    key,
    title: d.title,
    tags: d.tags,
    falsepositives: d.falsepositives,
    file,
    doc,
    ...pick(d, ['id', 'name', 'description', 'status', 'level']),
  };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'rule';
}

/** Rule files under a folder, sorted so rule order (and so finding order) is the same on every machine. */
function ruleFiles(dir: string): string[] {
  return yamlFiles(dir, false);
}

/** Sidecar example files (`x.tests.yml`) under a folder, sorted. */
export function examplesFiles(dir: string): string[] {
  return yamlFiles(dir, true);
}

function yamlFiles(dir: string, examples: boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true });
    for (const ent of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(ent.name) && isExamplesFile(ent.name) === examples) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Sidecar example files (`x.tests.yml`) sit beside rules but are not rules. */
export function isExamplesFile(name: string): boolean {
  return /\.tests\.ya?ml$/i.test(name);
}

/**
 * Loads every rule under the folders; ids and names must be unique across all of them. Synchronous
 * because detectors are created synchronously at startup, once.
 */
export function loadRuleDirs(dirs: readonly string[]): RuleDef[] {
  const rules: RuleDef[] = [];
  for (const dir of dirs) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new SigmaRuleError(dir, undefined, 'rules folder does not exist or is not a folder');
    for (const file of ruleFiles(dir)) {
      const rel = relative(dir, file).replace(/\\/g, '/').replace(/\.ya?ml$/i, '');
      rules.push(...parseRuleText(readFileSync(file, 'utf8'), file, `${basename(resolve(dir))}/${rel}`));
    }
  }
  checkUnique(rules);
  return rules;
}

export function checkUnique(rules: readonly RuleDef[]): void {
  const seen = new Map<string, RuleDef>();
  for (const r of rules) {
    for (const [what, v] of [['id', r.id], ['name', r.name], ['key', r.key]] as const) {
      if (v === undefined) continue;
      const k = `${what}:${v}`;
      const other = seen.get(k);
      if (other) throw new SigmaRuleError(`${r.file}#${r.doc}`, what === 'key' ? undefined : what, `duplicate rule ${what} ${JSON.stringify(v)} (also in ${other.file}#${other.doc})`);
      seen.set(k, r);
    }
  }
}
