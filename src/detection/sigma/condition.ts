/** Sigma condition expressions (and/or/not, parentheses, `1 of sel*`, `all of them`) parsed once into an AST and compiled into a closure. */
import { SigmaCompileError } from './match.js';

export type ConditionNode =
  | { op: 'id'; name: string }
  | { op: 'not'; arg: ConditionNode }
  | { op: 'and' | 'or'; args: ConditionNode[] }
  | { op: 'of'; quantifier: 'all' | number; pattern: string };

type Token = { kind: 'word'; text: string } | { kind: '(' } | { kind: ')' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\()|(\))|([^\s()]+))/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < src.length) {
    re.lastIndex = pos;
    m = re.exec(src);
    if (!m || m[0].length === 0) break;
    pos = re.lastIndex;
    if (m[1]) out.push({ kind: '(' });
    else if (m[2]) out.push({ kind: ')' });
    else if (m[3]) out.push({ kind: 'word', text: m[3] });
  }
  if (src.slice(pos).trim()) throw new SigmaCompileError(`cannot read condition at "${src.slice(pos)}"`);
  return out;
}

/** Recursive descent with Sigma's precedence: `not` binds tightest, then `and`, then `or`. */
export function parseCondition(src: string): ConditionNode {
  if (src.includes('|')) {
    throw new SigmaCompileError('aggregation conditions ("| count() ...") are Sigma v1 and unsupported: write a correlation rule instead');
  }
  const toks = tokenize(src);
  let i = 0;
  const peekWord = (): string | undefined => {
    const t = toks[i];
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined;
  };
  const orExpr = (): ConditionNode => {
    const args = [andExpr()];
    while (peekWord() === 'or') {
      i++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  };
  const andExpr = (): ConditionNode => {
    const args = [notExpr()];
    while (peekWord() === 'and') {
      i++;
      args.push(notExpr());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  };
  const notExpr = (): ConditionNode => {
    if (peekWord() === 'not') {
      i++;
      return { op: 'not', arg: notExpr() };
    }
    return atom();
  };
  const atom = (): ConditionNode => {
    const t = toks[i];
    if (!t) throw new SigmaCompileError(`condition "${src}" ends too early`);
    if (t.kind === '(') {
      i++;
      const inner = orExpr();
      if (toks[i]?.kind !== ')') throw new SigmaCompileError(`condition "${src}" misses a closing parenthesis`);
      i++;
      return inner;
    }
    if (t.kind === ')') throw new SigmaCompileError(`condition "${src}" has an unexpected ")"`);
    const word = t.text.toLowerCase();
    const next = toks[i + 1];
    if (next?.kind === 'word' && next.text.toLowerCase() === 'of') {
      const target = toks[i + 2];
      if (target?.kind !== 'word') throw new SigmaCompileError(`condition "${src}": "${t.text} of" needs a name pattern or "them"`);
      let quantifier: 'all' | number;
      if (word === 'all') quantifier = 'all';
      else if (word === 'any') quantifier = 1;
      else if (/^\d+$/.test(word) && Number(word) >= 1) quantifier = Number(word);
      else throw new SigmaCompileError(`condition "${src}": expected "1 of" or "all of", got "${t.text} of"`);
      i += 3;
      return { op: 'of', quantifier, pattern: target.text };
    }
    if (word === 'and' || word === 'or' || word === 'not' || word === 'of') {
      throw new SigmaCompileError(`condition "${src}" has "${t.text}" where a search identifier was expected`);
    }
    i++;
    return { op: 'id', name: t.text };
  };
  if (toks.length === 0) throw new SigmaCompileError('condition is empty');
  const node = orExpr();
  if (i < toks.length) throw new SigmaCompileError(`condition "${src}" has extra input after position ${i}`);
  return node;
}

/** `sel*` style patterns over search identifiers; `them` is every identifier not starting with `_`. */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((n) => !n.startsWith('_'));
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')).join('.*')}$`);
  return names.filter((n) => re.test(n));
}

/** Compiles an AST over named search-identifier predicates; unknown names fail at load, not per event. */
export function compileCondition<T>(node: ConditionNode, ids: ReadonlyMap<string, (x: T) => boolean>): (x: T) => boolean {
  const names = [...ids.keys()];
  switch (node.op) {
    case 'id': {
      const f = ids.get(node.name);
      if (!f) throw new SigmaCompileError(`condition names "${node.name}", which is not a search identifier (have: ${names.join(', ')})`);
      return f;
    }
    case 'not': {
      const f = compileCondition(node.arg, ids);
      return (x) => !f(x);
    }
    case 'and': {
      const fs = node.args.map((a) => compileCondition(a, ids));
      if (fs.length === 2) {
        const [a, b] = fs as [(x: T) => boolean, (x: T) => boolean];
        return (x) => a(x) && b(x);
      }
      return (x) => every(fs, x);
    }
    case 'or': {
      const fs = node.args.map((a) => compileCondition(a, ids));
      return (x) => some(fs, x);
    }
    case 'of': {
      const matched = expandPattern(node.pattern, names);
      if (matched.length === 0) throw new SigmaCompileError(`"${node.pattern}" matches no search identifier (have: ${names.join(', ')})`);
      const fs = matched.map((n) => ids.get(n)!);
      if (node.quantifier === 'all') return (x) => every(fs, x);
      const need = node.quantifier;
      if (need === 1) return (x) => some(fs, x);
      return (x) => {
        let n = 0;
        for (const f of fs) if (f(x) && ++n >= need) return true;
        return false;
      };
    }
  }
}

// Loops instead of fs.some/every with an arrow: compiled conditions run per rule per event, and
// the arrow capturing x would be allocated on every evaluation.
function some<T>(fs: ReadonlyArray<(x: T) => boolean>, x: T): boolean {
  for (const f of fs) if (f(x)) return true;
  return false;
}

function every<T>(fs: ReadonlyArray<(x: T) => boolean>, x: T): boolean {
  for (const f of fs) if (!f(x)) return false;
  return true;
}

/**
 * Which actions an event must have for the condition to hold, given each identifier's action set
 * (undefined = any action). Used to index rules by action; `not` gives no constraint.
 */
export function requiredActions(node: ConditionNode, actionsOf: (name: string) => Set<string> | undefined, names: readonly string[]): Set<string> | undefined {
  const union = (sets: Array<Set<string> | undefined>) => {
    if (sets.some((s) => s === undefined)) return undefined;
    return new Set(sets.flatMap((s) => [...s!]));
  };
  const narrowest = (sets: Array<Set<string> | undefined>) => {
    let best: Set<string> | undefined;
    for (const s of sets) if (s && (!best || s.size < best.size)) best = s;
    return best;
  };
  switch (node.op) {
    case 'id':
      return actionsOf(node.name);
    case 'not':
      return undefined;
    case 'and':
      return narrowest(node.args.map((a) => requiredActions(a, actionsOf, names)));
    case 'or':
      return union(node.args.map((a) => requiredActions(a, actionsOf, names)));
    case 'of': {
      const sets = expandPattern(node.pattern, names).map(actionsOf);
      return node.quantifier === 'all' ? narrowest(sets) : union(sets);
    }
  }
}
