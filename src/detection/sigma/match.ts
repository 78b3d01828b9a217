/** Sigma value matching: each rule value passes through its field modifiers in the order written, with pySigma's typing, and is compiled once into a predicate. */
import { SaaswatchError, type SecurityEvent } from '../../core/index.js';

/**
 * A compiled test of one scalar field value (string, number, boolean) against a rule value. The
 * event is passed too, for `fieldref`, which compares with another field of the same event.
 */
export type ValuePredicate = (v: unknown, e: SecurityEvent) => boolean;

/** Raised for rule values or modifiers that cannot be compiled; the loader adds the file and field (SigmaRuleError). */
export class SigmaCompileError extends SaaswatchError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, opts);
    this.name = 'SigmaCompileError';
  }
}

/** A value uses an `expand` placeholder (`%name%`) that the configuration does not define. */
export class MissingPlaceholderError extends SigmaCompileError {
  constructor(readonly placeholder: string) {
    super(`placeholder %${placeholder}% is not configured`);
  }
}

export interface FieldMatcherSpec {
  /** Modifiers as written after the field name, e.g. `['contains', 'windash']`. */
  modifiers: string[];
  /** The rule value(s); a list is OR unless `all`. */
  values: unknown[];
  /** A keyword (full-text) search: unless a modifier says how to compare, values match anywhere in a string. */
  keyword?: boolean;
  /** Values of `%name%` placeholders for the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Reads another field of the same event, for `fieldref`. */
  resolveField?: ((name: string) => (e: SecurityEvent) => unknown) | undefined;
}

/**
 * A field's match: `preds` are OR-ed, or AND-ed under `all`. When the field holds a list (Google
 * multiValue, related.ip) a predicate holds if any element satisfies it.
 */
export interface CompiledFieldMatch {
  preds: ValuePredicate[];
  all: boolean;
  /** `exists` tests presence rather than a value. */
  exists?: boolean;
  /** `neq`: the field matches when the values do not (applied by the caller of testField). */
  negate?: boolean;
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

/**
 * Evaluates a compiled field match against whatever the field getter returned for event `e`,
 * leaving `negate` to the caller (one test in the compiled closure instead of one per call here).
 */
export function testField(m: CompiledFieldMatch, v: unknown, e: SecurityEvent): boolean {
  // The specification's `exists` is presence: a field holding null or '' exists.
  if (m.exists !== undefined) return v !== undefined === m.exists;
  // Plain loops rather than some/every with arrow functions: this runs per rule per event, and a
  // closure capturing the element would be allocated on every call.
  const preds = m.preds;
  if (Array.isArray(v)) {
    if (m.all) {
      for (const p of preds) if (!anyOf(p, v, e)) return false;
      return true;
    }
    for (const x of v) if (anyPred(preds, x, e)) return true;
    // A null rule value matches an empty list too.
    return v.length === 0 && anyPred(preds, undefined, e);
  }
  if (m.all) {
    for (const p of preds) if (!p(v, e)) return false;
    return true;
  }
  for (const p of preds) if (p(v, e)) return true;
  return false;
}

function anyPred(preds: readonly ValuePredicate[], x: unknown, e: SecurityEvent): boolean {
  for (const p of preds) if (p(x, e)) return true;
  return false;
}

function anyOf(p: ValuePredicate, xs: readonly unknown[], e: SecurityEvent): boolean {
  for (const x of xs) if (p(x, e)) return true;
  return false;
}

// ---- Typed values ----

const WILD_ANY = Symbol('*');
const WILD_ONE = Symbol('?');
/** A command-line flag dash that `windash` lets be any of DASHES. */
const DASH = Symbol('windash');
interface Placeholder {
  ph: string;
}
/** A Sigma string as literal runs, wildcards, windash positions and `expand` placeholders. */
type Part = string | typeof WILD_ANY | typeof WILD_ONE | typeof DASH | Placeholder;
type Pattern = Part[];

type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
type CompareOp = 'gt' | 'gte' | 'lt' | 'lte';

/** pySigma's value types, which decide what each modifier accepts. */
type Val =
  /** `bin`: the literal runs are bytes (one char per byte) after a UTF-16 encoding. */
  | { t: 'str'; p: Pattern; raw: string; cased: boolean; bin: boolean }
  /** Alternatives of one value (base64offset's three shifts); later modifiers apply to each. */
  | { t: 'exp'; items: Val[] }
  | { t: 'num'; text: string; n: number }
  | { t: 'bool'; b: boolean }
  | { t: 'null' }
  | { t: 're'; src: Array<string | Placeholder>; flags: Set<string> }
  | { t: 'ref'; field: string; start: boolean; end: boolean }
  | { t: 'cidr'; cidr: string }
  | { t: 'cmp'; op: CompareOp; n: number }
  | { t: 'exists'; b: boolean }
  | { t: 'ts'; unit: TimePart; n: number };

const TYPE_NAMES: Record<Val['t'], string> = {
  str: 'a string',
  exp: 'a list of alternatives',
  num: 'a number',
  bool: 'a boolean',
  null: 'null',
  re: 'a regular expression',
  ref: 'a field reference',
  cidr: 'a CIDR network',
  cmp: 'a numeric comparison',
  exists: 'an exists test',
  ts: 'a date part',
};

/** Spellings pySigma and the specification accept for the same modifier. */
const ALIASES: Record<string, string> = { utf16le: 'wide', ignorecase: 'i', multiline: 'm', dotall: 's' };
/** Modifiers on the whole value list rather than each value; they may stand anywhere in the chain. */
const LIST_MODIFIERS = new Set(['all', 'neq']);
/** Modifiers that only take a value as written (pySigma: "only applicable to unmodified values"). */
const FIRST_ONLY = new Set(['re', 'cidr', 'exists']);
/** Modifiers that say how a keyword is compared, so a keyword search does not add `contains`. */
const KEYWORD_COMPARISONS = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'fieldref', 'gt', 'gte', 'lt', 'lte', 'minute', 'hour', 'day', 'week', 'month', 'year']);
const TIME_PARTS = new Set<string>(['minute', 'hour', 'day', 'week', 'month', 'year']);
const KNOWN = new Set([
  ...LIST_MODIFIERS, ...TIME_PARTS, 'contains', 'startswith', 'endswith', 'cased', 'windash', 'base64', 'base64offset', 'wide', 'utf16', 'utf16be',
  're', 'i', 'm', 's', 'cidr', 'exists', 'gt', 'gte', 'lt', 'lte', 'fieldref', 'expand',
]);

/** A YAML value as pySigma types it; with `re` in the chain every value is the regular expression's text. */
function initialValue(v: unknown, asText: boolean): Val {
  if (v === null) {
    if (asText) throw new SigmaCompileError('"re" expects a string, got null');
    return { t: 'null' };
  }
  if (typeof v === 'string') return { t: 'str', p: parseWildcards(v), raw: v, cased: false, bin: false };
  if (typeof v === 'number' || typeof v === 'bigint') return asText ? textOf(String(v)) : { t: 'num', text: String(v), n: Number(v) };
  if (typeof v === 'boolean') return asText ? textOf(String(v)) : { t: 'bool', b: v };
  throw new SigmaCompileError(`expected a string, number, boolean or null, got ${JSON.stringify(v)}`);
}

function textOf(s: string): Val {
  return { t: 'str', p: [s], raw: s, cased: false, bin: false };
}

/**
 * Applies one value modifier, as pySigma does: each modifier accepts certain value types (a
 * modifier met by an alternatives list applies to each alternative), so `windash|contains` and
 * `contains|windash` both work while `contains|base64` fails (base64 cannot encode a wildcard).
 * Numbers are accepted where a string is expected, and numeric strings where a number is.
 */
function applyModifier(mod: string, v: Val, prev: string | undefined): Val {
  if (v.t === 'exp') return { t: 'exp', items: v.items.map((x) => applyModifier(mod, x, prev)) };
  const wrong = (hint = ''): never => {
    throw new SigmaCompileError(`modifier "${mod}" cannot apply to ${TYPE_NAMES[v.t]}${prev ? ` (what "${prev}" made of the value)` : ''}${hint}`);
  };
  const str = (): Extract<Val, { t: 'str' }> => {
    if (v.t === 'str') return v;
    if (v.t === 'num' || v.t === 'bool') {
      const text = v.t === 'num' ? v.text : String(v.b);
      return { t: 'str', p: [text], raw: text, cased: false, bin: false };
    }
    return wrong();
  };
  const num = (): number => {
    if (v.t === 'num') return v.n;
    if (v.t === 'str' && v.raw.trim() !== '' && Number.isFinite(Number(v.raw)) && literalOf(v.p) !== undefined) return Number(v.raw);
    return wrong(': it expects a number');
  };
  switch (mod) {
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (v.t === 're') return v; // Regular expressions search anywhere already.
      if (v.t === 'ref') return { ...v, start: v.start || mod !== 'endswith', end: v.end || mod !== 'startswith' };
      const s = str();
      const p = [...s.p];
      if (mod !== 'startswith' && p[0] !== WILD_ANY) p.unshift(WILD_ANY);
      if (mod !== 'endswith' && p[p.length - 1] !== WILD_ANY) p.push(WILD_ANY);
      return { ...s, p };
    }
    case 'cased':
      return { ...str(), cased: true };
    case 'windash':
      return { ...str(), p: windash(str().p) };
    case 'base64':
    case 'base64offset': {
      const s = str();
      const variants = expandDashes(s.p).map((p) => {
        const lit = literalOf(p);
        if (lit === undefined) {
          const what = p.some(isPlaceholder) ? 'an expand placeholder' : 'wildcards';
          return wrong(`: it cannot encode ${what}${prev === 'contains' || prev === 'startswith' || prev === 'endswith' ? `; write ${mod}|${prev} (encode first)` : ''}`);
        }
        return Buffer.from(lit, s.bin ? 'latin1' : 'utf8');
      });
      const encoded = variants.flatMap((bytes) => (mod === 'base64' ? [bytes.toString('base64')] : base64OffsetVariants(bytes)));
      const items: Val[] = encoded.map((x) => ({ t: 'str', p: [x], raw: x, cased: false, bin: false }));
      return items.length === 1 ? items[0]! : { t: 'exp', items };
    }
    case 'wide':
    case 'utf16':
    case 'utf16be': {
      const s = str();
      const items: Val[] = expandDashes(s.p).map((p) => {
        if (p.some(isPlaceholder)) wrong(': it cannot encode an expand placeholder');
        const enc = p.map((x) => (typeof x === 'string' ? utf16(x, mod === 'utf16be') : x));
        // The byte order mark leads the encoded value, before any leading wildcard (as pySigma writes it).
        if (mod === 'utf16') enc.unshift('\xff\xfe');
        return { ...s, p: enc, bin: true };
      });
      return items.length === 1 ? items[0]! : { t: 'exp', items };
    }
    case 're':
      return { t: 're', src: [str().raw], flags: new Set() };
    case 'i':
    case 'm':
    case 's':
      if (v.t !== 're') return wrong(`: it is a sub-modifier of "re", write re|${mod}`);
      return { ...v, flags: new Set([...v.flags, mod]) };
    case 'cidr':
      return { t: 'cidr', cidr: str().raw };
    case 'exists':
      if (v.t !== 'bool') return wrong(': it takes true or false');
      return { t: 'exists', b: v.b };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { t: 'cmp', op: mod, n: num() };
    case 'fieldref': {
      const s = str();
      const field = literalOf(s.p);
      if (field === undefined) return wrong(': a field name has no wildcards');
      return { t: 'ref', field, start: false, end: false };
    }
    case 'expand': {
      if (v.t === 're') return { ...v, src: v.src.flatMap((x) => (typeof x === 'string' ? splitPlaceholders(x) : [x])) };
      const s = str();
      return { ...s, p: s.p.flatMap((x): Part[] => (typeof x === 'string' ? splitPlaceholders(x) : [x])) };
    }
    default:
      if (TIME_PARTS.has(mod)) return { t: 'ts', unit: mod as TimePart, n: num() };
      throw new SigmaCompileError(`unknown modifier "${mod}"`);
  }
}

/** Compiles a field's modifiers and values into predicates, applying the modifiers left to right. */
export function compileFieldMatch(spec: FieldMatcherSpec): CompiledFieldMatch {
  const mods = spec.modifiers.map((m) => ALIASES[m] ?? m);
  for (const m of mods) if (!KNOWN.has(m)) throw new SigmaCompileError(`unknown modifier "${m}" (Sigma's modifiers: ${[...KNOWN, ...Object.keys(ALIASES)].sort().join(', ')})`);
  if (spec.keyword && !mods.some((m) => KEYWORD_COMPARISONS.has(m))) mods.push('contains');
  let all = false;
  let negate = false;
  const asText = mods.includes('re');
  if (spec.values.length === 0) {
    if (spec.keyword) throw new SigmaCompileError('empty keyword list');
    // pySigma: a field with an empty value list means the field is null.
    return { preds: [isEmptyValue], all: false, ...(mods.includes('neq') ? { negate: true } : {}) };
  }
  let values = spec.values.map((v) => initialValue(v, asText));
  let prev: string | undefined;
  for (const mod of mods) {
    if (mod === 'all') all = true;
    else if (mod === 'neq') negate = true;
    else {
      if (FIRST_ONLY.has(mod) && prev !== undefined) throw new SigmaCompileError(`modifier "${mod}" only applies to the value as written, so it must come before "${prev}"`);
      values = values.map((v) => applyModifier(mod, v, prev));
      prev = mod;
    }
  }
  const negated = negate ? { negate: true } : {};

  const exists = values.filter((v) => v.t === 'exists');
  if (exists.length) {
    if (values.length !== 1) throw new SigmaCompileError('"exists" takes a single true or false');
    if (spec.keyword) throw new SigmaCompileError('"exists" needs a field');
    return { preds: [], all: false, exists: exists[0]!.b, ...negated };
  }
  const ctx: Ctx = { placeholders: spec.placeholders ?? {}, resolveField: spec.resolveField };
  const compiled = values.map((v) => compileValue(v, ctx));
  const out: CompiledFieldMatch = { preds: compiled.map((c) => c.pred), all, ...negated };
  if (!all && !negate && compiled.every((c) => c.eqs)) out.equalities = compiled.flatMap((c) => c.eqs!);
  return out;
}

interface Ctx {
  placeholders: Readonly<Record<string, readonly string[]>>;
  resolveField: FieldMatcherSpec['resolveField'];
}

interface CompiledValue {
  pred: ValuePredicate;
  /** Set when the value is plain case-insensitive equality with these (lower-cased) strings. */
  eqs?: string[];
}

function orOf(preds: ValuePredicate[]): ValuePredicate {
  if (preds.length === 1) return preds[0]!;
  return (v, e) => {
    for (const p of preds) if (p(v, e)) return true;
    return false;
  };
}

function compileValue(v: Val, ctx: Ctx): CompiledValue {
  switch (v.t) {
    case 'exp': {
      // Alternatives of one value stay one value, even under `all`.
      const items = v.items.map((x) => compileValue(x, ctx));
      const out: CompiledValue = { pred: orOf(items.map((c) => c.pred)) };
      if (items.every((c) => c.eqs)) out.eqs = items.flatMap((c) => c.eqs!);
      return out;
    }
    case 'str': {
      const patterns = resolvePlaceholders(v.p, ctx.placeholders);
      const pred = orOf(patterns.map((p) => patternPredicate(p, v.cased)));
      const lits = patterns.map(literalOf);
      if (v.cased || v.bin || lits.some((l) => l === undefined)) return { pred };
      return { pred, eqs: (lits as string[]).map((l) => l.toLowerCase()) };
    }
    case 'num':
    case 'bool': {
      // Numbers and booleans are compared as written ("403" matches 403); they carry no wildcards.
      const text = v.t === 'num' ? v.text : String(v.b);
      return { pred: patternPredicate([text], false), eqs: [text.toLowerCase()] };
    }
    case 'null':
      return { pred: isEmptyValue };
    case 're': {
      const sources = resolvePlaceholders(v.src, ctx.placeholders, true).map((p) => (p as string[]).join(''));
      return { pred: orOf(sources.map((s) => regexPredicate(s, v.flags))) };
    }
    case 'ref':
      if (!ctx.resolveField) throw new SigmaCompileError('"fieldref" needs a field to compare');
      return { pred: refPredicate(ctx.resolveField(v.field), v.start, v.end) };
    case 'cidr':
      return { pred: cidrPredicate(v.cidr) };
    case 'cmp':
      return { pred: numericPredicate(v.op, v.n) };
    case 'ts':
      return { pred: timePartPredicate(v.unit, v.n) };
    case 'exists':
      throw new SigmaCompileError('"exists" takes a single true or false');
  }
}

// ---- Wildcard patterns ----

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

function literalOf(p: readonly Part[]): string | undefined {
  let s = '';
  for (const x of p) {
    if (typeof x !== 'string') return undefined;
    s += x;
  }
  return s;
}

function isPlaceholder(x: Part): x is Placeholder {
  return typeof x === 'object';
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

const DASH_CLASS = '[-/\u2013\u2014\u2015]';

/** Picks the cheapest test for a pattern: equality, includes/startsWith/endsWith, else one RegExp. */
function patternPredicate(pattern: Pattern, cased: boolean): ValuePredicate {
  // Collapse runs of `*`: `**` means the same as `*` and would only slow the RegExp.
  const p: Pattern = [];
  for (const x of pattern) if (!(x === WILD_ANY && p[p.length - 1] === WILD_ANY)) p.push(x);
  const norm = (s: string) => (cased ? s : s.toLowerCase());
  const lit = literalOf(p);
  if (lit !== undefined) {
    const want = norm(lit);
    // Length first: most values differ in length, which spares lower-casing them. Lower-casing keeps
    // the length of every character but İ (U+0130, which becomes i + U+0307), so a value whose lower
    // case holds no U+0307 can only equal a string of its own length.
    const sameLength = cased || !want.includes('\u0307');
    return (v) => {
      const s = scalarString(v);
      return s !== undefined && (s.length === want.length || !sameLength) && (cased ? s === want : s === want || lowerCached(s) === want);
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
  // Leading and trailing `*` become an unanchored search rather than `^.*` / `.*$`, which backtrack.
  const src = inner.map((x) => (x === WILD_ANY ? '.*' : x === WILD_ONE ? '.' : x === DASH ? DASH_CLASS : escapeRegExp(x as string))).join('');
  const re = new RegExp(`${first === WILD_ANY ? '' : '^'}${src}${last === WILD_ANY ? '' : '$'}`, cased ? 's' : 'is');
  return (v) => {
    const s = scalarString(v);
    return s !== undefined && re.test(s);
  };
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

// ---- Transformations ----

/**
 * The encodings of a value at byte offsets 0, 1 and 2 within a base64 stream, with the
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

/** A string's UTF-16 bytes, one char per byte, so later base64 encodes the bytes themselves. */
function utf16(s: string, bigEndian: boolean): string {
  const buf = Buffer.from(s, 'utf16le');
  if (bigEndian) buf.swap16();
  return buf.toString('latin1');
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** pySigma's `\B[-/]\b`: a dash or slash after a non-word character (or the start) and before a word character. */
const WINDASH_AT = /(?<![\p{L}\p{N}_])[-/](?=[\p{L}\p{N}_])/gu;

/** Marks every command-line flag dash as "any dash or a slash". */
function windash(p: Pattern): Pattern {
  const out: Pattern = [];
  for (const part of p) {
    if (typeof part !== 'string') {
      out.push(part);
      continue;
    }
    let at = 0;
    for (const m of part.matchAll(WINDASH_AT)) {
      if (m.index > at) out.push(part.slice(at, m.index));
      out.push(DASH);
      at = m.index + 1;
    }
    if (at < part.length) out.push(part.slice(at));
  }
  return out;
}

/** Cap on the spellings of one value: 5 dashes per flag grow as 5^flags. */
const MAX_VARIANTS = 5 ** 6;

/** Every concrete spelling of a windash pattern, for encodings that need the exact characters. */
function expandDashes(p: Pattern): Pattern[] {
  let out: Pattern[] = [[]];
  for (const part of p) {
    const choices: Part[] = part === DASH ? DASHES : [part];
    out = out.flatMap((v) => choices.map((c): Pattern => [...v, c]));
    if (out.length > MAX_VARIANTS) throw new SigmaCompileError('"windash" value has too many flags to encode');
  }
  return out.map(mergeLiterals);
}

function mergeLiterals(p: Pattern): Pattern {
  const out: Pattern = [];
  for (const x of p) {
    const last = out[out.length - 1];
    if (typeof x === 'string' && typeof last === 'string') out[out.length - 1] = last + x;
    else if (x !== '') out.push(x);
  }
  return out;
}

// ---- Placeholders (`expand`) ----

/** pySigma's placeholder syntax: `%name%` with a word-character name. */
const PLACEHOLDER = /%(\w+)%/g;

/** Names of the `%name%` placeholders in a rule value, in order of appearance. */
export function placeholderNames(s: string): string[] {
  return [...s.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function splitPlaceholders(s: string): Array<string | Placeholder> {
  const out: Array<string | Placeholder> = [];
  let at = 0;
  for (const m of s.matchAll(PLACEHOLDER)) {
    if (m.index > at) out.push(s.slice(at, m.index));
    out.push({ ph: m[1]! });
    at = m.index + m[0].length;
  }
  if (at < s.length) out.push(s.slice(at));
  return out;
}

/**
 * Every combination of the configured values of a value's placeholders. In strings a configured
 * value keeps its wildcards (pySigma reads it as a Sigma string); in a regular expression it is
 * inserted as regular-expression text.
 */
function resolvePlaceholders<T extends Part>(p: readonly T[], placeholders: Readonly<Record<string, readonly string[]>>, asRegex = false): Array<Array<T | Part>> {
  if (!p.some(isPlaceholder)) return [p as T[]];
  let out: Array<Array<T | Part>> = [[]];
  for (const part of p) {
    if (!isPlaceholder(part)) {
      out = out.map((v) => [...v, part]);
      continue;
    }
    // hasOwn: a placeholder named like an Object property (%constructor%) is still just missing.
    const values = Object.hasOwn(placeholders, part.ph) ? placeholders[part.ph] : undefined;
    if (!values) throw new MissingPlaceholderError(part.ph);
    const parts: Pattern[] = values.map((x) => (asRegex ? [x] : parseWildcards(x)));
    out = out.flatMap((v) => parts.map((x) => [...v, ...x]));
    if (out.length > MAX_VARIANTS) throw new SigmaCompileError(`placeholders of one value give more than ${MAX_VARIANTS} combinations`);
  }
  return out.map((x) => mergeLiterals(x as Pattern));
}

// ---- Field references ----

/**
 * `fieldref`: the field equals (or with contains/startswith/endswith, holds) another field of the
 * same event, case-insensitively like any Sigma string. An absent field equals nothing.
 */
function refPredicate(get: (e: SecurityEvent) => unknown, start: boolean, end: boolean): ValuePredicate {
  const one = (s: string, r: string): boolean => {
    const a = s.toLowerCase();
    const b = r.toLowerCase();
    if (start && end) return a.includes(b);
    if (start) return a.startsWith(b);
    if (end) return a.endsWith(b);
    return a === b;
  };
  return (v, e) => {
    const s = scalarString(v);
    if (s === undefined) return false;
    const ref = get(e);
    if (Array.isArray(ref)) {
      for (const x of ref) {
        const r = scalarString(x);
        if (r !== undefined && one(s, r)) return true;
      }
      return false;
    }
    const r = scalarString(ref);
    return r !== undefined && one(s, r);
  };
}

// ---- Regular expressions ----

/**
 * Rewrites PCRE/Python syntax that SigmaHQ rules use and JavaScript spells differently: inline flag
 * groups such as `(?i)` (applied to the whole expression), `(?P<name>...)`, `\A` and `\Z`.
 */
function translateRegex(src: string, flags: Set<string>): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (!inClass && n === 'A') out += '^';
      else if (!inClass && (n === 'Z' || n === 'z')) out += '$';
      else out += c + (n ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is literal in PCRE and Python; JavaScript reads `[]` as an
      // empty class (and `[^]` as any character), so it is escaped.
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const inline = /^\(\?([imsx]+)\)/.exec(src.slice(i));
      if (inline) {
        for (const f of inline[1]!) {
          if (f === 'x') throw new SigmaCompileError(`regular expression ${JSON.stringify(src)} uses the x (extended) flag, which JavaScript lacks`);
          flags.add(f);
        }
        i += inline[0].length - 1;
        continue;
      }
      if (src.startsWith('(?P<', i)) {
        out += '(?<';
        i += 3;
        continue;
      }
      const backref = /^\(\?P=(\w+)\)/.exec(src.slice(i));
      if (backref) {
        out += `\\k<${backref[1]}>`;
        i += backref[0].length - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function regexPredicate(src: string, mods: Set<string>): ValuePredicate {
  const flags = new Set(mods);
  let re: RegExp;
  try {
    const body = translateRegex(src, flags);
    re = new RegExp(body, [...flags].join(''));
  } catch (err) {
    if (err instanceof SigmaCompileError) throw err;
    throw new SigmaCompileError(`invalid regular expression ${JSON.stringify(src)}: ${(err as Error).message}`);
  }
  return (v) => {
    const s = scalarString(v);
    return s !== undefined && re.test(s);
  };
}

// ---- Numbers and dates ----

const toNumber = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

function numericPredicate(op: CompareOp, n: number): ValuePredicate {
  if (!Number.isFinite(n)) throw new SigmaCompileError(`"${op}" expects a finite number`);
  switch (op) {
    case 'gt':
      return (v) => toNumber(v) > n;
    case 'gte':
      return (v) => toNumber(v) >= n;
    case 'lt':
      return (v) => toNumber(v) < n;
    case 'lte':
      return (v) => toNumber(v) <= n;
  }
}

/** A date field as epoch ms: ISO strings, or epoch numbers in seconds or milliseconds. */
function dateMs(v: unknown): number {
  if (typeof v === 'number') return Math.abs(v) < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^-?\d+(\.\d+)?$/.test(t)) return dateMs(Number(t));
    return Date.parse(t);
  }
  return NaN;
}

/** ISO 8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  return Math.ceil(((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000 + 1) / 7);
}

/** The time modifiers (`hour`, `day`, ...): a part of the field's date, in UTC, equals the value. */
function timePartPredicate(unit: TimePart, n: number): ValuePredicate {
  const part = (d: Date): number => {
    switch (unit) {
      case 'minute':
        return d.getUTCMinutes();
      case 'hour':
        return d.getUTCHours();
      case 'day':
        return d.getUTCDate();
      case 'week':
        return isoWeek(d);
      case 'month':
        return d.getUTCMonth() + 1;
      case 'year':
        return d.getUTCFullYear();
    }
  };
  return (v) => {
    const ms = dateMs(v);
    return Number.isFinite(ms) && part(new Date(ms)) === n;
  };
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
