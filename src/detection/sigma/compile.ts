/** Compiles a detection rule's search identifiers and condition into one predicate over events, plus the actions it can match (for indexing). */
import type { SecurityEvent } from '../../core/index.js';
import { compileCondition, parseCondition, requiredActions, type ConditionNode } from './condition.js';
import { compileLogsource, eventStrings, fieldFor, type CompiledLogsource } from './fields.js';
import type { DetectionRuleDef } from './loader.js';
import { SigmaRuleError } from './loader.js';
import { compileFieldMatch, SigmaCompileError, testField } from './match.js';

type Pred = (e: SecurityEvent) => boolean;

export interface CompiledDetection {
  def: DetectionRuleDef;
  logsource: CompiledLogsource;
  /** Detection only; the logsource is tested separately (the index already did it for most events). */
  match: Pred;
  /** Lower-cased event actions outside of which the rule cannot match; undefined = any. */
  actions: Set<string> | undefined;
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

export function compileDetection(def: DetectionRuleDef): CompiledDetection {
  const where = `${def.file}#${def.doc}`;
  const logsource = compileLogsource(def.logsource);
  const ids = new Map<string, Pred>();
  const actions = new Map<string, Set<string> | undefined>();
  for (const [name, value] of Object.entries(def.detection)) {
    try {
      const c = compileSearch(value, logsource.providers);
      ids.set(name, c.pred);
      actions.set(name, c.actions);
    } catch (err) {
      if (err instanceof SigmaCompileError) throw new SigmaRuleError(where, `detection.${name}${(err as FieldError).field ? `.${(err as FieldError).field}` : ''}`, err.message);
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
  ) {
    super(message);
  }
}

function compileSearch(value: unknown, providers: string[] | undefined): Compiled {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new SigmaCompileError('empty search identifier');
    if (value.every(isMap)) {
      const parts = value.map((m) => compileMap(m, providers));
      const preds = parts.map((p) => p.pred);
      const actions = parts.some((p) => !p.actions) ? undefined : new Set(parts.flatMap((p) => [...p.actions!]));
      return { pred: preds.length === 1 ? preds[0]! : anyOf(preds), actions };
    }
    if (value.some((v) => isMap(v) || Array.isArray(v))) throw new SigmaCompileError('a list must hold either maps (selections) or values (keywords), not both');
    return { pred: keywords([], value), actions: undefined };
  }
  if (isMap(value)) return compileMap(value, providers);
  if (typeof value === 'string' || typeof value === 'number') return { pred: keywords([], [value]), actions: undefined };
  throw new SigmaCompileError(`expected a map, a list of maps or a list of keywords, got ${JSON.stringify(value)}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Keywords match when any string of the event (normalized and raw) does; they are full-text
 * searches, so a bare keyword is a case-insensitive substring unless modifiers say otherwise.
 */
function keywords(modifiers: string[], values: unknown[]): Pred {
  const mods = modifiers.some((m) => ['contains', 'startswith', 'endswith', 're', 'cidr'].includes(m)) ? modifiers : ['contains', ...modifiers];
  const m = compileFieldMatch({ modifiers: mods, values });
  return (e) => testField(m, stringsOf(e));
}

function compileMap(map: Record<string, unknown>, providers: string[] | undefined): Compiled {
  const preds: Pred[] = [];
  let actions: Set<string> | undefined;
  const entries = Object.entries(map);
  if (entries.length === 0) throw new SigmaCompileError('empty selection');
  for (const [key, raw] of entries) {
    const [field = '', ...modifiers] = key.split('|');
    const values = Array.isArray(raw) ? raw : [raw];
    try {
      if (field === '') {
        preds.push(keywords(modifiers, values));
        continue;
      }
      const m = compileFieldMatch({ modifiers, values });
      const resolved = fieldFor(providers, field);
      const get = resolved.get;
      preds.push((e) => testField(m, get(e)));
      if (resolved.isAction && m.equalities) {
        const set = new Set(m.equalities);
        // Two action constraints in one AND: only their intersection can match.
        actions = actions ? new Set([...actions].filter((a) => set.has(a))) : set;
      }
    } catch (err) {
      if (err instanceof SigmaCompileError && !(err instanceof FieldError)) throw new FieldError(key, err.message);
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
