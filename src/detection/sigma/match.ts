/** Sigma value matching: wildcards, field modifiers and value transformations compiled into predicates once per rule. */

/** A compiled test of one scalar field value (string, number, boolean) against a rule value. */
export type ValuePredicate = (v: unknown) => boolean;

/** Raised for rule values or modifiers that cannot be compiled; the loader adds the file and field. */
export class SigmaCompileError extends Error {}

/** Modifiers that change what the rule value is before matching (applied left to right, as in pySigma). */
const TRANSFORMS = new Set(['base64', 'base64offset', 'windash']);
/** Modifiers that decide how a (transformed) value is compared. */
const COMPARISONS = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'gt', 'gte', 'lt', 'lte']);
const REGEX_FLAGS = new Set(['i', 'm', 's']);
/** Modifiers recognised but not implemented, so a rule using them fails loudly instead of silently never matching. */
const UNSUPPORTED = new Set(['wide', 'utf16', 'utf16le', 'utf16be', 'expand', 'fieldref', 'minute', 'hour', 'day', 'week', 'month', 'year']);

export interface FieldMatcherSpec {
  /** Modifiers as written after the field name, e.g. `['contains', 'all']`. */
  modifiers: string[];
  /** The rule value(s); a list is OR unless `all`. */
  values: unknown[];
}

/**
 * A field's match: `any` predicates are OR-ed; with `all` every predicate must hold. When the field
 * holds a list (Google multiValue, related.ip) a predicate holds if any element satisfies it.
 */
export interface CompiledFieldMatch {
  preds: ValuePredicate[];
  all: boolean;
  /** `exists` tests presence rather than a value. */
  exists?: boolean;
  /** Values that are plain case-insensitive equality, lower-cased: what the engine may index on. */
  equalities?: string[];
}

/** Stringifies a scalar field value the way rules compare it; objects and absent values give undefined. */
export function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

export function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** Evaluates a compiled field match against whatever the field getter returned. */
export function testField(m: CompiledFieldMatch, v: unknown): boolean {
  if (m.exists !== undefined) return isEmptyValue(v) !== m.exists;
  // Plain loops rather than some/every with arrow functions: this runs per rule per event, and a
  // closure capturing the element would be allocated on every call.
  const preds = m.preds;
  if (Array.isArray(v)) {
    if (m.all) {
      for (const p of preds) if (!anyOf(p, v)) return false;
      return true;
    }
    for (const x of v) if (anyPred(preds, x)) return true;
    // A null rule value matches an empty list too.
    return v.length === 0 && anyPred(preds, undefined);
  }
  if (m.all) {
    for (const p of m.preds) if (!p(v)) return false;
    return true;
  }
  for (const p of m.preds) if (p(v)) return true;
  return false;
}

function anyPred(preds: readonly ValuePredicate[], x: unknown): boolean {
  for (const p of preds) if (p(x)) return true;
  return false;
}

function anyOf(p: ValuePredicate, xs: readonly unknown[]): boolean {
  for (const x of xs) if (p(x)) return true;
  return false;
}

export function compileFieldMatch(spec: FieldMatcherSpec): CompiledFieldMatch {
  const transforms: string[] = [];
  let comparison: string | undefined;
  let all = false;
  let cased = false;
  const reFlags = new Set<string>();
  for (const mod of spec.modifiers) {
    if (UNSUPPORTED.has(mod)) throw new SigmaCompileError(`modifier "${mod}" is not supported by saaswatch`);
    if (mod === 'all') all = true;
    else if (mod === 'cased') cased = true;
    else if (TRANSFORMS.has(mod)) {
      if (comparison) throw new SigmaCompileError(`modifier "${mod}" must come before "${comparison}"`);
      transforms.push(mod);
    } else if (REGEX_FLAGS.has(mod)) {
      if (comparison !== 're') throw new SigmaCompileError(`modifier "${mod}" is only valid after "re"`);
      reFlags.add(mod);
    } else if (COMPARISONS.has(mod)) {
      if (comparison) throw new SigmaCompileError(`modifiers "${comparison}" and "${mod}" cannot be combined`);
      comparison = mod;
    } else throw new SigmaCompileError(`unknown modifier "${mod}"`);
  }
  if (spec.values.length === 0) throw new SigmaCompileError('empty value list');

  if (comparison === 'exists') {
    const v = spec.values[0];
    if (spec.values.length !== 1 || typeof v !== 'boolean') throw new SigmaCompileError('"exists" takes true or false');
    return { preds: [], all: false, exists: v };
  }
  if (comparison === 'cidr') return { preds: spec.values.map((v) => cidrPredicate(requireString(v, 'cidr'))), all };
  if (comparison === 'gt' || comparison === 'gte' || comparison === 'lt' || comparison === 'lte') {
    const op = comparison;
    return { preds: spec.values.map((v) => numericPredicate(op, v)), all };
  }
  if (comparison === 're') {
    if (transforms.length) throw new SigmaCompileError('"re" cannot follow a value transformation');
    return { preds: spec.values.map((v) => regexPredicate(requireString(v, 're'), reFlags)), all };
  }

  const preds: ValuePredicate[] = [];
  const equalities: string[] = [];
  for (const value of spec.values) {
    if (value === null) {
      if (comparison || transforms.length) throw new SigmaCompileError('null cannot be combined with modifiers');
      preds.push(isEmptyValue);
      continue;
    }
    const str = scalarString(value);
    if (str === undefined) throw new SigmaCompileError(`expected a string, number, boolean or null, got ${JSON.stringify(value)}`);
    // Numbers and booleans are compared as written; only strings carry wildcards.
    let variants: Pattern[] = [typeof value === 'string' ? parseWildcards(str) : [str]];
    for (const t of transforms) variants = variants.flatMap((p) => transformPattern(t, p));
    if (comparison === 'contains') variants = variants.map((p) => [WILD_ANY, ...p, WILD_ANY]);
    else if (comparison === 'startswith') variants = variants.map((p) => [...p, WILD_ANY]);
    else if (comparison === 'endswith') variants = variants.map((p) => [WILD_ANY, ...p]);
    const compiled = variants.map((p) => patternPredicate(p, cased));
    // Transform variants of one value are alternatives of that value, even under `all`.
    preds.push(compiled.length === 1 ? compiled[0]! : (v) => compiled.some((p) => p(v)));
    if (!comparison && !transforms.length && !cased && variants.length === 1 && variants[0]!.every((s) => typeof s === 'string')) {
      equalities.push((variants[0] as string[]).join('').toLowerCase());
    }
  }
  const out: CompiledFieldMatch = { preds, all };
  if (!all && equalities.length === spec.values.length) out.equalities = equalities;
  return out;
}

function requireString(v: unknown, mod: string): string {
  const s = scalarString(v);
  if (s === undefined) throw new SigmaCompileError(`"${mod}" expects a string value, got ${JSON.stringify(v)}`);
  return s;
}

// ---- Wildcard patterns ----

const WILD_ANY = Symbol('*');
const WILD_ONE = Symbol('?');
/** A Sigma string as literal runs and wildcards. */
type Pattern = Array<string | typeof WILD_ANY | typeof WILD_ONE>;

/**
 * Sigma string escapes: `\*` and `\?` are literal wildcards, `\\` a literal backslash, and a backslash
 * before anything else stays a backslash (so Windows paths need no doubling).
 */
export function parseWildcards(s: string): Pattern {
  const out: Pattern = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) out.push(lit);
      lit = '';
      out.push(c === '*' ? WILD_ANY : WILD_ONE);
    } else lit += c;
  }
  if (lit) out.push(lit);
  return out;
}

function literalOf(p: Pattern): string | undefined {
  return p.every((x) => typeof x === 'string') ? (p as string[]).join('') : undefined;
}

/**
 * One-entry memo of toLowerCase: rule copies that differ only in a value (`endswith` filters on the
 * same e-mail field) test the same event string one after another, and each would otherwise
 * allocate its own lower-cased copy.
 */
let lowerIn: string | undefined;
let lowerOut = '';
function lowerCached(s: string): string {
  if (s !== lowerIn) {
    lowerOut = s.toLowerCase();
    lowerIn = s;
  }
  return lowerOut;
}

/** Picks the cheapest test for a pattern: equality, includes/startsWith/endsWith, else one anchored RegExp. */
function patternPredicate(pattern: Pattern, cased: boolean): ValuePredicate {
  // Collapse runs of `*`: `**` means the same as `*` and would only slow the RegExp.
  const p: Pattern = [];
  for (const x of pattern) if (!(x === WILD_ANY && p[p.length - 1] === WILD_ANY)) p.push(x);
  const norm = (s: string) => (cased ? s : s.toLowerCase());
  const lit = literalOf(p);
  if (lit !== undefined) {
    const want = norm(lit);
    // Length first: most values differ in length, which spares lower-casing them.
    return (v) => {
      const s = scalarString(v);
      return s !== undefined && s.length === want.length && (cased ? s === want : s === want || lowerCached(s) === want);
    };
  }
  if (p.length === 1 && p[0] === WILD_ANY) return (v) => scalarString(v) !== undefined;
  const first = p[0];
  const last = p[p.length - 1];
  const inner = p.slice(first === WILD_ANY ? 1 : 0, last === WILD_ANY ? -1 : undefined);
  const innerLit = literalOf(inner);
  if (innerLit !== undefined) {
    const want = norm(innerLit);
    const test =
      first === WILD_ANY && last === WILD_ANY
        ? (s: string) => s.includes(want)
        : first === WILD_ANY
          ? (s: string) => s.endsWith(want)
          : (s: string) => s.startsWith(want);
    return (v) => {
      const s = scalarString(v);
      return s !== undefined && test(cased ? s : lowerCached(s));
    };
  }
  const src = p.map((x) => (x === WILD_ANY ? '.*' : x === WILD_ONE ? '.' : escapeRegExp(x))).join('');
  const re = new RegExp(`^${src}$`, cased ? 's' : 'is');
  return (v) => {
    const s = scalarString(v);
    return s !== undefined && re.test(s);
  };
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

// ---- Transformations ----

function transformPattern(t: string, p: Pattern): Pattern[] {
  if (t === 'windash') return windashVariants(p);
  const lit = literalOf(p);
  if (lit === undefined) throw new SigmaCompileError(`"${t}" cannot encode a value with wildcards`);
  const bytes = Buffer.from(lit, 'utf8');
  if (t === 'base64') return [[bytes.toString('base64')]];
  return base64OffsetVariants(bytes).map((s) => [s]);
}

/**
 * The three encodings of a value at byte offsets 0, 1 and 2 within a base64 stream, with the
 * characters that depend on neighbouring bytes cut off (pySigma's algorithm), for `|base64offset|contains`.
 */
export function base64OffsetVariants(bytes: Buffer): string[] {
  const startCut = [0, 2, 3];
  const endCut = [0, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const end = endCut[(bytes.length + i) % 3]!;
    out.push(enc.slice(startCut[i]!, end === 0 ? undefined : end));
  }
  return out;
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** Every spelling of command-line flags: each `-` or `/` that starts a word may be any dash or a slash. */
function windashVariants(p: Pattern): Pattern[] {
  let out: Pattern[] = [[]];
  for (const part of p) {
    if (typeof part !== 'string') {
      out = out.map((v) => [...v, part]);
      continue;
    }
    let variants = [''];
    for (let i = 0; i < part.length; i++) {
      const c = part[i]!;
      const prev = i === 0 ? ' ' : part[i - 1]!;
      const startsWord = (c === '-' || c === '/') && /\s/.test(prev);
      variants = startsWord ? variants.flatMap((v) => DASHES.map((d) => v + d)) : variants.map((v) => v + c);
      if (variants.length > 625) throw new SigmaCompileError('"windash" value has too many flags');
    }
    out = out.flatMap((v) => variants.map((s) => [...v, s]));
  }
  return out;
}

// ---- Regular expressions ----

function regexPredicate(src: string, mods: Set<string>): ValuePredicate {
  const flags = new Set(mods);
  // PCRE-style leading inline flags, common in SigmaHQ rules, which JavaScript does not accept.
  const inline = /^\(\?([ims]+)\)/.exec(src);
  let body = src;
  if (inline) {
    for (const f of inline[1]!) flags.add(f);
    body = src.slice(inline[0].length);
  }
  let re: RegExp;
  try {
    re = new RegExp(body, [...flags].join(''));
  } catch (err) {
    throw new SigmaCompileError(`invalid regular expression ${JSON.stringify(src)}: ${(err as Error).message}`);
  }
  return (v) => {
    const s = scalarString(v);
    return s !== undefined && re.test(s);
  };
}

// ---- Numbers ----

function numericPredicate(op: 'gt' | 'gte' | 'lt' | 'lte', value: unknown): ValuePredicate {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new SigmaCompileError(`"${op}" expects a number, got ${JSON.stringify(value)}`);
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  switch (op) {
    case 'gt':
      return (v) => num(v) > n;
    case 'gte':
      return (v) => num(v) >= n;
    case 'lt':
      return (v) => num(v) < n;
    case 'lte':
      return (v) => num(v) <= n;
  }
}

// ---- CIDR ----

/** An address as a 128-bit integer plus its family; IPv4-mapped IPv6 addresses count as IPv4. */
export function parseIp(s: string): { v6: boolean; n: bigint } | undefined {
  const t = s.trim();
  if (t.includes(':')) {
    const zone = t.indexOf('%');
    const n = parseIpv6(zone >= 0 ? t.slice(0, zone) : t);
    if (n === undefined) return undefined;
    if (n >> 32n === 0xffffn) return { v6: false, n: n & 0xffffffffn };
    return { v6: true, n };
  }
  const n = parseIpv4(t);
  return n === undefined ? undefined : { v6: false, n };
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

function parseIpv6(s: string): bigint | undefined {
  let head = s;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (x: string) => (x === '' ? [] : x.split(':'));
  const left = group(halves[0]!);
  const right = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) n = (n & ~0xffffffffn) | tailV4;
  return n;
}

function cidrPredicate(cidr: string): ValuePredicate {
  const slash = cidr.indexOf('/');
  const addr = parseIp(slash >= 0 ? cidr.slice(0, slash) : cidr);
  const bits = addr?.v6 ? 128 : 32;
  const prefix = slash >= 0 ? Number(cidr.slice(slash + 1)) : bits;
  if (!addr || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new SigmaCompileError(`invalid CIDR ${JSON.stringify(cidr)}`);
  const shift = BigInt(bits - prefix);
  const net = addr.n >> shift;
  return (v) => {
    const s = scalarString(v);
    if (s === undefined) return false;
    const ip = parseIp(s);
    return ip !== undefined && ip.v6 === addr.v6 && ip.n >> shift === net;
  };
}
