/** Google's partial-response `fields` parameter (`nextPageToken,files(id,permissions(type,role))`), parsed and applied. */
import { errors } from '../../core/index.js';

/** A field selection: `true` keeps the whole value, a nested selection projects into it. */
export type FieldTree = Map<string, FieldTree | true>;

/** Parses the `fields` syntax: comma lists, `a/b` paths, `a(b,c)` sub-selections and `*`. Throws on malformed input. */
export function parseFields(spec: string): FieldTree {
  let i = 0;
  const fail = (why: string): never => {
    throw errors.inputMalformed({ where: '', problem: `Invalid field selection ${spec}: ${why} at ${i}` });
  };
  const name = (): string => {
    const m = /^[A-Za-z0-9_*]+/.exec(spec.slice(i));
    if (!m) return fail('expected a field name');
    i += m[0].length;
    return m[0];
  };
  const list = (): FieldTree => {
    const tree: FieldTree = new Map();
    for (;;) {
      while (spec[i] === ' ') i++;
      const path = [name()];
      while (spec[i] === '/') {
        i++;
        path.push(name());
      }
      let leaf: FieldTree | true = true;
      if (spec[i] === '(') {
        i++;
        leaf = list();
        if (spec[i] !== ')') fail('expected )');
        i++;
      }
      // a/b/c is a(b(c)): build from the inside out and merge into what is already selected.
      for (let k = path.length - 1; k > 0; k--) leaf = new Map([[path[k]!, leaf]]);
      merge(tree, path[0]!, leaf);
      while (spec[i] === ' ') i++;
      if (spec[i] !== ',') return tree;
      i++;
    }
  };
  const tree = list();
  if (i !== spec.length) fail('unexpected character');
  return tree;
}

function merge(tree: FieldTree, key: string, leaf: FieldTree | true): void {
  const prev = tree.get(key);
  if (prev === true || leaf === true || prev === undefined) {
    tree.set(key, prev === true || leaf === true ? true : leaf);
    return;
  }
  for (const [k, v] of leaf) merge(prev, k, v);
}

/** Keeps only the selected fields; arrays are projected element by element, as Google does. */
export function project(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => project(v, tree));
  if (value === null || typeof value !== 'object') return value;
  if (tree.get('*') === true) return value;
  const out: Record<string, unknown> = {};
  for (const [k, sel] of tree) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] = sel === true ? v : project(v, sel);
  }
  return out;
}
