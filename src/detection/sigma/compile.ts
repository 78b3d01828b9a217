/** Compiles a detection rule's search identifiers and condition into one predicate over events, plus the actions it can match (for indexing). */
import type { SecurityEvent } from '../../core/index.js';
import { compileCondition, parseCondition, requiredActions, type ConditionNode } from './condition.js';
import { compileLogsource, eventStrings, fieldFor, type CompiledLogsource } from './fields.js';
import type { DetectionRuleDef } from './loader.js';
import { SigmaRuleError } from './loader.js';
import { compileFieldMatch, MissingPlaceholderError, placeholderNames, SigmaCompileError, testField } from './match.js';

type Pred = (e: SecurityEvent) => boolean;

export interface CompiledDetection {
  def: DetectionRuleDef;
  logsource: CompiledLogsource;
  /** Detection only; the logsource is tested separately (the index already did it for most events). */
  match: Pred;
  /** Lower-cased event actions outside of which the rule cannot match; undefined = any. */
  actions: Set<string> | undefined;
  /** Placeholders the rule needs that are not configured; set only when compiled with `missingPlaceholders: 'skip'`. */
  unresolved?: PlaceholderUse[];
}

export interface CompileOptions {
  /** Values of `%name%` placeholders for the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>>;
  /**
   * A rule using a placeholder that is not configured: `error` (default) fails with an error naming
   * the file, field and placeholder; `skip` compiles it into a rule that never matches and is never
   * a candidate (the caller disables it and says why).
   */
  missingPlaceholders?: 'error' | 'skip';
}

/** Where a rule uses an `expand` placeholder: the field as written (`detection.filter.IpAddress|expand`) and the placeholder name. */
export interface PlaceholderUse {
  field: string;
  placeholder: string;
}

/** Every `expand` placeholder a detection rule uses; `%name%` without `expand` is literal text (`%APPDATA%`). */
export function placeholderUses(def: DetectionRuleDef): PlaceholderUse[] {
  const out: PlaceholderUse[] = [];
  const seen = new Set<string>();
  const visitMap = (id: string, map: Record<string, unknown>) => {
    for (const [key, raw] of Object.entries(map)) {
      if (!key.split('|').slice(1).includes('expand')) continue;
      for (const v of Array.isArray(raw) ? raw : [raw]) {
        if (typeof v !== 'string') continue;
        for (const placeholder of placeholderNames(v)) {
          const field = `detection.${id}.${key}`;
          if (seen.has(`${field}\0${placeholder}`)) continue;
          seen.add(`${field}\0${placeholder}`);
          out.push({ field, placeholder });
        }
      }
    }
  };
  for (const [id, value] of Object.entries(def.detection)) {
    for (const m of Array.isArray(value) ? value : [value]) if (isMap(m)) visitMap(id, m);
  }
  return out;
}

/** The placeholders of a rule that `placeholders` does not define. */
export function missingPlaceholders(def: DetectionRuleDef, placeholders: Readonly<Record<string, readonly string[]>>): PlaceholderUse[] {
  return placeholderUses(def).filter((u) => !Object.hasOwn(placeholders, u.placeholder));
}

/** The message for a missing placeholder: which one, where, and the config that fixes it. */
export function missingPlaceholderMessage(use: PlaceholderUse): string {
  return (
    `placeholder %${use.placeholder}% is not configured: list its values under the sigma detector ` +
    `(placeholders: { ${use.placeholder}: ['value', ...] }), or disable the rule`
  );
}

/** One-entry cache: keyword rules evaluated on the same event share the string walk. */
let lastStringsEvent: SecurityEvent | undefined;
let lastStrings: string[] = [];
function stringsOf(e: SecurityEvent): string[] {
  if (e !== lastStringsEvent) {
    lastStrings = eventStrings(e);
    lastStringsEvent = e;
  }
  return lastStrings;
}

/** OR of predicates as a loop: preds.some(arrow) would allocate a closure per event. */
function anyOf(preds: readonly Pred[]): Pred {
  return (e) => {
    for (const p of preds) if (p(e)) return true;
    return false;
  };
}

interface Compiled {
  pred: Pred;
  actions: Set<string> | undefined;
}

export function compileDetection(def: DetectionRuleDef, opts: CompileOptions = {}): CompiledDetection {
  const where = `${def.file}#${def.doc}`;
  const logsource = compileLogsource(def.logsource);
  const placeholders = opts.placeholders ?? {};
  const missing = missingPlaceholders(def, placeholders);
  if (missing.length) {
    if (opts.missingPlaceholders !== 'skip') throw new SigmaRuleError(where, missing[0]!.field, missingPlaceholderMessage(missing[0]!));
    // An empty action set puts the rule in no index bucket: it costs nothing per event.
    return { def, logsource, match: () => false, actions: new Set(), unresolved: missing };
  }
  const ctx: SearchCtx = { providers: logsource.providers, placeholders };
  const ids = new Map<string, Pred>();
  const actions = new Map<string, Set<string> | undefined>();
  for (const [name, value] of Object.entries(def.detection)) {
    try {
      const c = compileSearch(value, ctx);
      ids.set(name, c.pred);
      actions.set(name, c.actions);
    } catch (err) {
      if (err instanceof SigmaCompileError) {
        const field = `detection.${name}${(err as FieldError).field ? `.${(err as FieldError).field}` : ''}`;
        const cause = (err as FieldError).source;
        const message = cause instanceof MissingPlaceholderError ? missingPlaceholderMessage({ field, placeholder: cause.placeholder }) : err.message;
        throw new SigmaRuleError(where, field, message);
      }
      throw err;
    }
  }
  const names = [...ids.keys()];
  let nodes: ConditionNode[];
  let preds: Pred[];
  try {
    nodes = def.condition.map(parseCondition);
    preds = nodes.map((n) => compileCondition(n, ids));
  } catch (err) {
    if (err instanceof SigmaCompileError) throw new SigmaRuleError(where, 'detection.condition', err.message);
    throw err;
  }
  // Several conditions (a Sigma v1 list) mean any of them.
  const match: Pred = preds.length === 1 ? preds[0]! : anyOf(preds);
  const actionSets = nodes.map((n) => requiredActions(n, (id) => actions.get(id), names));
  const ruleActions = actionSets.some((s) => s === undefined) ? undefined : new Set(actionSets.flatMap((s) => [...s!]));
  return { def, logsource, match, actions: ruleActions };
}

class FieldError extends SigmaCompileError {
  constructor(
    readonly field: string,
    message: string,
    readonly source?: unknown,
  ) {
    super(message);
  }
}

interface SearchCtx {
  providers: string[] | undefined;
  placeholders: Readonly<Record<string, readonly string[]>>;
}

function compileSearch(value: unknown, ctx: SearchCtx): Compiled {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new SigmaCompileError('empty search identifier');
    if (value.every(isMap)) {
      const parts = value.map((m) => compileMap(m, ctx));
      const preds = parts.map((p) => p.pred);
      const actions = parts.some((p) => !p.actions) ? undefined : new Set(parts.flatMap((p) => [...p.actions!]));
      return { pred: preds.length === 1 ? preds[0]! : anyOf(preds), actions };
    }
    if (value.some((v) => isMap(v) || Array.isArray(v))) throw new SigmaCompileError('a list must hold either maps (selections) or values (keywords), not both');
    return { pred: keywords([], value, ctx), actions: undefined };
  }
  if (isMap(value)) return compileMap(value, ctx);
  if (typeof value === 'string' || typeof value === 'number') return { pred: keywords([], [value], ctx), actions: undefined };
  throw new SigmaCompileError(`expected a map, a list of maps or a list of keywords, got ${JSON.stringify(value)}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Keywords match when any string of the event (normalized and raw) does; they are full-text
 * searches, so a bare keyword is a case-insensitive substring unless modifiers say otherwise.
 */
function keywords(modifiers: string[], values: unknown[], ctx: SearchCtx): Pred {
  const m = compileFieldMatch({ modifiers, values, keyword: true, placeholders: ctx.placeholders });
  return m.negate ? (e) => !testField(m, stringsOf(e), e) : (e) => testField(m, stringsOf(e), e);
}

function compileMap(map: Record<string, unknown>, ctx: SearchCtx): Compiled {
  const { providers, placeholders } = ctx;
  const resolveField = (name: string) => fieldFor(providers, name).get;
  const preds: Pred[] = [];
  let actions: Set<string> | undefined;
  const entries = Object.entries(map);
  if (entries.length === 0) throw new SigmaCompileError('empty selection');
  for (const [key, raw] of entries) {
    const [field = '', ...modifiers] = key.split('|');
    const values = Array.isArray(raw) ? raw : [raw];
    try {
      if (field === '') {
        preds.push(keywords(modifiers, values, ctx));
        continue;
      }
      const m = compileFieldMatch({ modifiers, values, placeholders, resolveField });
      const resolved = fieldFor(providers, field);
      const get = resolved.get;
      preds.push(m.negate ? (e) => !testField(m, get(e), e) : (e) => testField(m, get(e), e));
      if (resolved.isAction && m.equalities) {
        const set = new Set(m.equalities);
        // Two action constraints in one AND: only their intersection can match.
        actions = actions ? new Set([...actions].filter((a) => set.has(a))) : set;
      }
    } catch (err) {
      if (err instanceof SigmaCompileError && !(err instanceof FieldError)) throw new FieldError(key, err.message, err);
      throw err;
    }
  }
  if (preds.length === 1) return { pred: preds[0]!, actions };
  if (preds.length === 2) {
    const [a, b] = preds as [Pred, Pred];
    return { pred: (e) => a(e) && b(e), actions };
  }
  return {
    pred: (e) => {
      for (const p of preds) if (!p(e)) return false;
      return true;
    },
    actions,
  };
}
