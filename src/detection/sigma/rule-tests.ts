/** Runs the positive and negative examples that ship beside each rule (`<rule>.tests.yml`) through the real normalizers and the engine; backs `saaswatch rules test`. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { errorMessage, errors, eventId, parseDuration, type Finding, type SecurityEvent, type SourcePlugin } from '../../core/index.js';
import { SigmaEngine } from './engine.js';
import { examplesFiles, loadRuleDirs, type RuleDef } from './loader.js';

export interface RuleTestResult {
  /** Rule key, e.g. `rules/google-workspace/public-link`. */
  rule: string;
  case: string;
  passed: boolean;
  message: string;
}

const DEFAULT_START = '2024-05-06T09:00:00.000Z';

/**
 * One record of an example, under the type of the source that reads it (`google-workspace`,
 * `dropbox`, `microsoft-graph`: see SourcePlugin.example), or `event` for a normalized event, partial
 * (defaults fill the rest). Which keys name a source is known only when the runner is given the
 * sources, so records are checked there.
 */
const eventSpec = z.looseObject({
  /** Offset from the case start (`30s`, `5m`); default: one second after the previous event. */
  at: z.union([z.string(), z.number()]).optional(),
  /** Copies of the record; `{{i}}` in any string becomes the copy's number (0-based). */
  repeat: z.number().int().min(1).max(10_000).default(1),
  /** Time between copies. */
  every: z.union([z.string(), z.number()]).default('1s'),
  /**
   * What enrichment adds that a vendor record cannot carry, merged one level deep into each
   * normalized event: e.g. `file: { sensitivity: high, pii: { CREDIT_CARD: 120 } }`, as the
   * file-sensitivity enricher stamps a share of a scanned file.
   */
  enrich: z.record(z.string(), z.unknown()).optional(),
});

const SPEC_OPTIONS = new Set(['at', 'repeat', 'every', 'enrich']);

/** Merges `enrich` into an event: objects key by key, anything else replaced. */
function enriched(e: SecurityEvent, extra: Record<string, unknown> | undefined): SecurityEvent {
  if (!extra) return e;
  const out = { ...e } as Record<string, unknown>;
  for (const [k, v] of Object.entries(extra)) {
    const cur = out[k];
    const isObj = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
    out[k] = isObj(cur) && isObj(v) ? { ...(cur as object), ...(v as object) } : v;
  }
  return out as unknown as SecurityEvent;
}

/** The plugins whose records examples may hold, by type: the registry's sources. */
export type ExampleSources = ReadonlyMap<string, Pick<SourcePlugin, 'example'>>;

const caseSpec = z.strictObject({
  name: z.string().min(1),
  /** `match`: the rule (or, in a file with a correlation, the correlation) fires; `no_match`: it does not. */
  expect: z.enum(['match', 'no_match']),
  /** Which rule of a multi-rule file is meant (name, id or key); default: the file's correlations, else all its rules. */
  rule: z.string().optional(),
  start: z.string().default(DEFAULT_START),
  events: z.array(eventSpec).min(1),
});

const fileSpec = z.strictObject({ cases: z.array(caseSpec).min(1) });

type CaseSpec = z.output<typeof caseSpec>;
type EventSpec = z.output<typeof eventSpec>;

/** Sidecar path of a rule file: `x.yml` → `x.tests.yml`. */
export function examplesPathOf(ruleFile: string): string {
  return ruleFile.replace(/\.ya?ml$/i, '.tests.yml');
}

/** What the deployment's sigma config changes about the run: rules left out, placeholder values. */
export interface RuleTestOptions {
  disabled?: readonly string[];
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Loads the rules under `dirs`, then for every rule file runs the cases of its sidecar on a fresh
 * engine holding all rules (so cross-file references resolve). A rule file without a sidecar, or
 * without both a `match` and a `no_match` case, is reported as failed: every rule ships both. Files
 * whose rules are all disabled are not run: the deployment never uses them.
 */
export async function runRuleTests(dirs: string | readonly string[], sources: ExampleSources, opts: RuleTestOptions = {}): Promise<RuleTestResult[]> {
  const defs = loadRuleDirs(typeof dirs === 'string' ? [dirs] : dirs);
  const disabled = new Set(opts.disabled ?? []);
  const isDisabled = (r: RuleDef) => disabled.has(r.key) || (r.id !== undefined && disabled.has(r.id)) || (r.name !== undefined && disabled.has(r.name));
  const results: RuleTestResult[] = [];
  const files = [...new Set(defs.map((d) => d.file))];
  for (const file of files) {
    const inFile = defs.filter((d) => d.file === file);
    if (inFile.every(isDisabled)) continue;
    const label = inFile.map((d) => d.key).join(', ');
    const sidecar = examplesPathOf(file);
    if (!existsSync(sidecar)) {
      results.push({ rule: label, case: '(examples)', passed: false, message: `no examples file ${sidecar}` });
      continue;
    }
    let spec: z.output<typeof fileSpec>;
    try {
      const parsed = fileSpec.safeParse(parse(readFileSync(sidecar, 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw errors.inputMalformed({ where: issue.path.join('.'), problem: issue.message });
      }
      spec = parsed.data;
    } catch (err) {
      results.push({ rule: label, case: '(examples)', passed: false, message: `${sidecar}: ${(err as Error).message}` });
      continue;
    }
    const kinds = new Set(spec.cases.map((c) => c.expect));
    if (kinds.size < 2) results.push({ rule: label, case: '(examples)', passed: false, message: `${sidecar} needs at least one match and one no_match case` });
    for (const c of spec.cases) results.push(runCase(defs, inFile, c, sidecar, sources, opts));
  }
  // Examples whose rule file is gone fail: a removed or renamed rule must not leave its proof passing by silence.
  const sidecars = new Set(files.map(examplesPathOf));
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    for (const orphan of examplesFiles(dir).filter((f) => !sidecars.has(f))) {
      results.push({ rule: orphan.replace(/\.tests\.ya?ml$/i, ''), case: '(examples)', passed: false, message: `${orphan} has no rule file beside it: restore the rule, or delete its examples` });
    }
  }
  return results;
}

function runCase(all: RuleDef[], inFile: RuleDef[], c: CaseSpec, sidecar: string, sources: ExampleSources, opts: RuleTestOptions): RuleTestResult {
  const targets = c.rule
    ? inFile.filter((d) => d.key === c.rule || d.id === c.rule || d.name === c.rule || d.key.endsWith(`/${c.rule}`))
    : inFile.some((d) => d.kind === 'correlation')
      ? inFile.filter((d) => d.kind === 'correlation')
      : inFile;
  const label = targets.map((d) => d.key).join(', ') || inFile.map((d) => d.key).join(', ');
  const fail = (message: string): RuleTestResult => ({ rule: label, case: c.name, passed: false, message });
  if (targets.length === 0) return fail(`${sidecar}: case names rule "${c.rule}", which is not in the file`);
  let events: SecurityEvent[];
  try {
    events = buildEvents(c, sources);
  } catch (err) {
    return fail(`${sidecar}: ${(err as Error).message}`);
  }
  // Every level reports here: the examples test the rule, not the deployment's threshold.
  const engine = new SigmaEngine(all, { minLevel: 'informational', disabled: opts.disabled ?? [], placeholders: opts.placeholders ?? {} });
  const keys = new Set(targets.map((d) => d.key));
  const matched: string[] = [];
  const findings: Finding[] = [];
  for (const e of events) {
    for (const k of engine.matchingRules(e)) if (keys.has(k)) matched.push(e.event.id);
    findings.push(...engine.observe(e).filter((f) => keys.has(f.rule)));
  }
  findings.push(...engine.flush({ final: true }).filter((f) => keys.has(f.rule)));
  const correlation = targets.some((d) => d.kind === 'correlation');
  const fired = correlation ? findings.length > 0 : matched.length > 0;
  const what = correlation
    ? `${new Set(findings.map((f) => `${f.entity.type}:${f.entity.value}@${f.windowStart}`)).size} correlation finding(s)`
    : `${matched.length} of ${events.length} event(s) matched`;
  if (c.expect === 'match' && !fired) return fail(`expected a match, got none (${events.length} events; ${what})`);
  if (c.expect === 'no_match' && fired) return fail(`expected no match, got ${what}${findings[0] ? `: ${findings[0].title}` : ''}`);
  return { rule: label, case: c.name, passed: true, message: what };
}

/**
 * Sample records as a rule's examples give them (`{ event: {...} }` or `{ <source type>: <record> }`,
 * with `at`, `repeat`, `every`), normalized as `saaswatch rules test` normalizes them: what
 * `POST /api/rules/test` runs a rule over. Throws INPUT_MALFORMED naming the record.
 */
export function exampleEvents(records: readonly unknown[], sources: ExampleSources, start: string = DEFAULT_START): SecurityEvent[] {
  const parsed = z.array(eventSpec).min(1).safeParse(records);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw errors.inputMalformed({ where: ['events', ...issue.path.map(String)].join('.'), problem: issue.message });
  }
  return buildEvents({ name: 'api', expect: 'match', start, events: parsed.data }, sources);
}

function duration(v: string | number, what: string): number {
  const ms = parseDuration(v);
  if (ms === undefined) throw errors.inputMalformed({ where: what, problem: `expected a duration such as 30s or 5m, got ${JSON.stringify(v)}` });
  return ms;
}

function buildEvents(c: CaseSpec, sources: ExampleSources): SecurityEvent[] {
  const start = Date.parse(c.start);
  if (!Number.isFinite(start)) throw errors.timestampInvalid({ where: 'start', problem: `not a timestamp: ${c.start}` });
  const out: SecurityEvent[] = [];
  let next = start;
  for (const [n, spec] of c.events.entries()) {
    let t = spec.at !== undefined ? start + duration(spec.at, `events.${n}.at`) : next;
    const every = duration(spec.every, `events.${n}.every`);
    for (let i = 0; i < spec.repeat; i++) {
      out.push(...normalize(spec, i, new Date(t).toISOString(), n, sources).map((e) => enriched(e, spec.enrich)));
      next = t + 1000;
      t += every;
    }
  }
  return out;
}

/** Replaces `{{i}}` in every string of a template with the copy number. */
function instantiate(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.includes('{{i}}') ? v.replaceAll('{{i}}', String(i)) : v;
  if (Array.isArray(v)) return v.map((x) => instantiate(x, i));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, instantiate(x, i)]));
  return v;
}

function normalize(spec: EventSpec, i: number, time: string, n: number, sources: ExampleSources): SecurityEvent[] {
  const kinds = Object.keys(spec).filter((k) => !SPEC_OPTIONS.has(k));
  const readers = [...sources].filter(([, p]) => p.example).map(([type]) => type);
  const kind = kinds[0];
  if (kinds.length !== 1 || (kind !== 'event' && !readers.includes(kind!))) {
    throw errors.inputMalformed({ where: `events.${n}`, problem: `give exactly one of ${[...readers, 'event'].join(', ')}${kinds.length ? ` (got ${kinds.join(', ')})` : ''}` });
  }
  const record = (spec as Record<string, unknown>)[kind!];
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw errors.inputMalformed({ where: `events.${n}.${kind}`, problem: 'expected a record (a mapping)' });
  if (kind !== 'event') {
    try {
      return sources.get(kind!)!.example!(instantiate(record, i) as Record<string, unknown>, time);
    } catch (err) {
      throw errors.inputMalformed({ where: `events.${n}`, problem: errorMessage(err), cause: err });
    }
  }
  const partial = instantiate(record, i) as Partial<SecurityEvent> & { event?: Partial<SecurityEvent['event']> };
  const raw = partial.raw ?? { ...partial, '@timestamp': time };
  const e: SecurityEvent = {
    ...partial,
    '@timestamp': time,
    event: {
      kind: 'event',
      category: [],
      action: 'unknown',
      outcome: 'unknown',
      provider: 'test',
      dataset: 'test.events',
      ingested: time,
      ...partial.event,
      id: eventId('rules-test', raw),
    },
    raw,
  };
  return [e];
}
