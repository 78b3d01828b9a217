/**
 * Checks a JSON record's shape without recursion: how deep it nests (before JSON.parse, so nothing
 * recursive ever sees a record over the limit) and whether an object repeats a key (which
 * JSON.parse would silently resolve to the last value).
 */

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN_OBJECT = 123;
const OPEN_ARRAY = 91;
const CLOSE_OBJECT = 125;
const CLOSE_ARRAY = 93;

/** Index of the quote closing the string opened at `open`, or -1 when it is unterminated. */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q === -1) return -1;
    // A quote is escaped when an odd number of backslashes precede it.
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

/**
 * One pass over a JSON text: returns how many keys it holds (every `:` outside a string separates
 * a key from its value), or `-(i + 1)` when nesting passes `maxDepth` at character `i`. Strings are
 * skipped with indexOf, so the cost is per token, not per character. Malformed text gives a
 * meaningless count; JSON.parse reports it.
 */
export function scanJson(text: string, maxDepth: number): number {
  let depth = 0;
  let keys = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const q = stringEnd(text, i);
      if (q === -1) return keys;
      i = q;
    } else if (c === COLON) keys++;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return -(i + 1);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return keys;
}

/** Keys of every object in a parsed JSON value (whose depth scanJson bounded), counted without recursion. */
export function countKeys(value: object): number {
  let n = 0;
  let stack: object[] | undefined;
  let cur: object | undefined = value;
  while (cur !== undefined) {
    if (Array.isArray(cur)) {
      for (const v of cur) if (v !== null && typeof v === 'object') (stack ??= []).push(v);
    } else {
      for (const k in cur) {
        n++;
        const v = (cur as Record<string, unknown>)[k];
        if (v !== null && typeof v === 'object') (stack ??= []).push(v);
      }
    }
    cur = stack?.pop();
  }
  return n;
}

function pathOf(parent: string, step: string | number): string {
  if (typeof step === 'number') return `${parent}[${step}]`;
  const name = /^[A-Za-z_$][\w$-]*$/.test(step) ? step : JSON.stringify(step);
  return parent === '' ? name : `${parent}.${name}`;
}

interface Frame {
  array: boolean;
  path: string;
  keys: Set<string> | undefined;
  index: number;
  expectKey: boolean;
}

/**
 * The first key an object of `text` (valid JSON) repeats, with the path of that object's member
 * (`session.id`, `items[2].name`); keys compare after unescaping, so `"a"` and `"\u0061"` repeat.
 * The slow path: only run once countKeys and scanJson disagree.
 */
export function findDuplicateKey(text: string): { key: string; path: string } | undefined {
  const stack: Frame[] = [];
  let lastKey = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const q = stringEnd(text, i);
      if (q === -1) return undefined;
      if (top && !top.array && top.expectKey) {
        const key = JSON.parse(text.slice(i, q + 1)) as string;
        top.keys ??= new Set();
        if (top.keys.has(key)) return { key, path: pathOf(top.path, key) };
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = q;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const path = top === undefined ? '' : top.array ? pathOf(top.path, top.index) : pathOf(top.path, lastKey);
      stack.push({ array: c === OPEN_ARRAY, path, keys: undefined, index: 0, expectKey: c === OPEN_OBJECT });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) stack.pop();
    else if (c === COMMA && top) {
      if (top.array) top.index++;
      else top.expectKey = true;
    } else if (c === COLON && top && !top.array) top.expectKey = false;
  }
  return undefined;
}
