/** Saves detectors' open windows (Sigma correlations, brute-force) as a log of segments, so a restart continues every burst while each save writes only what changed. */
import type { Logger } from 'pino';
import { canonicalJson, sha256Hex, type Finding } from '../core/index.js';
import type { StateStore } from './state.js';

/** Bumped whenever the manifest or segment layout changes; state of another version is discarded. */
export const WINDOW_LOG_VERSION = 1;

/** A segment whose live copies fall below this share is rewritten, bounding stale copies to about 4× the live state. */
const COMPACT_BELOW = 0.25;
/** Small segments are left alone: rewriting a few records to save a few records is not worth a write. */
const COMPACT_MIN_RECORDS = 16;

/** The log's bookkeeping on a detector's per-group state object (a Sigma group, a brute-force entity). */
export interface LoggedGroup {
  readonly key: string;
  /** Segment holding the group's latest saved copy; 0 when none does. */
  seg: number;
  /** Changed since the last save: set by the part when it queues the group, cleared by the log. */
  changed: boolean;
}

/** Index of a string in the segment's string table: event ids recur across rules fed by the same events, and are most of a record. */
export type Intern = (s: string) => number;
/** The string at an index of the segment's table; undefined when the index is not one. */
export type Resolve = (n: unknown) => string | undefined;

/**
 * One independently versioned slice of a detector's state (a correlation rule, a brute-force entity
 * field). Its records are opaque to the log apart from `k`, the group key.
 */
export interface LogPart<G extends LoggedGroup = LoggedGroup> {
  readonly name: string;
  /** Hash of whatever decides what the state means (rule logic, window, threshold); saved state under another hash is discarded. */
  readonly hash: string;
  /** Groups queued as changed since the last call (each once: the part checks `changed` before queueing). */
  takeChanged(): G[];
  /** Queues a group as changed (used by compaction and resynchronisation). */
  markChanged(g: G): void;
  /** Whether the group is still the one the part holds under its key (it may have been dropped since it changed). */
  holds(g: G): boolean;
  groups(): Iterable<G>;
  /** Compact JSON of the group, with `k` set to its key; other strings go through `intern`. */
  encode(g: G, intern: Intern): { k: string };
  /** Undefined when the record is unusable: the whole part then starts afresh. */
  decode(rec: unknown, resolve: Resolve): G | undefined;
  /** Part-wide state (watermark, sweep schedule, pending reports); undefined while the part has seen nothing. */
  meta(): unknown;
  /**
   * Adopts saved state: the part's meta and the latest copy of each group (any order). Returns the
   * groups it keeps, or undefined when the meta is unusable. It must leave out copies of groups its
   * last sweep dropped (the meta says which: see WindowLog), and any beyond its caps.
   */
  restore(meta: unknown, groups: G[]): G[] | undefined;
}

export interface WindowLogOptions {
  store: StateStore;
  /** Keys are `<prefix>#windows` (the manifest) and `<prefix>#windows:<n>` (segments). */
  prefix: string;
  parts: readonly LogPart[];
  logger?: Logger | undefined;
  /** Detector-wide meta, saved with every manifest. */
  meta?: () => unknown;
  /** Restores detector-wide meta before the parts; false when it is unusable (everything is then discarded). */
  restoreMeta?: (meta: unknown) => boolean;
  /** Runs after every part is restored, to rebuild what spans parts (the order of pending reports). */
  afterRestore?: () => void;
  /** Runs when a save starts encoding, synchronously with it, so what it captures matches what is encoded. */
  beforeSave?: () => void;
}

export interface WindowLogStats {
  segments: number;
  /** Groups whose latest copy is in the store. */
  liveCopies: number;
  /** Records written, including stale copies not yet compacted away. */
  storedRecords: number;
  saves: number;
  /** Groups written by the last save. */
  lastSaveRecords: number;
  /** Groups restored by the last restore. */
  restored: number;
}

interface Segment {
  written: number;
  live: number;
}

interface Manifest {
  v: number;
  next: number;
  /** [segment, records written]; in write order, which is also precedence order. */
  segs: Array<[number, number]>;
  /** Segments no longer listed but perhaps not yet deleted (a crash between the manifest and the delete). */
  garbage: number[];
  meta?: unknown;
  parts: Record<string, { h: string; m: unknown }>;
}

interface SegmentValue {
  v: number;
  /** String table the records' string references index. */
  s: string[];
  parts: Record<string, { h: string; r: Array<{ k: string }> }>;
}

/** Short content hash for LogPart.hash. */
export function stateHash(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}

/**
 * Why a log rather than one key per group or one blob per detector: a key per group costs a row
 * written per changed group per batch and a read per group on restore (tens of thousands for a pack
 * of correlations), and one blob rewrites every quiet group per batch. Here a
 * save writes the groups changed since the last one into a new segment, then the manifest (the
 * commit point: a crash before it leaves the previous save intact), then deletes segments that no
 * longer hold any group's latest copy. A restore applies the listed segments in order, so a later
 * copy of a group replaces an earlier one.
 *
 * Copies are never updated in place, so nothing is written when a sweep drops idle groups: the part
 * saves what its last sweep went by (its clock and creation counter), and its restore leaves out
 * every copy that sweep would have dropped, which is exactly the groups it did drop. A group that
 * leaves memory any other way (evicted by a cap) gets its segment compacted: the segment's remaining
 * live groups are rewritten, so it can be deleted.
 */
export class WindowLog {
  readonly #store: StateStore;
  readonly #prefix: string;
  readonly #parts: readonly LogPart[];
  readonly #logger: Logger | undefined;
  readonly #meta: (() => unknown) | undefined;
  readonly #restoreMeta: ((meta: unknown) => boolean) | undefined;
  readonly #afterRestore: (() => void) | undefined;
  readonly #beforeSave: (() => void) | undefined;
  /** Segments the current manifest lists, in write order. */
  readonly #segs = new Map<number, Segment>();
  readonly #garbage = new Set<number>();
  readonly #compact = new Set<number>();
  #next = 1;
  #loaded = false;
  /** A save failed half-way: the next one rewrites everything into a fresh segment. */
  #resync = false;
  #lastManifest = '';
  #chain: Promise<void> = Promise.resolve();
  #saves = 0;
  #lastSaveRecords = 0;
  #restored = 0;

  constructor(opts: WindowLogOptions) {
    this.#store = opts.store;
    this.#prefix = opts.prefix;
    this.#parts = opts.parts;
    this.#logger = opts.logger;
    this.#meta = opts.meta;
    this.#restoreMeta = opts.restoreMeta;
    this.#afterRestore = opts.afterRestore;
    this.#beforeSave = opts.beforeSave;
  }

  get manifestKey(): string {
    return `${this.#prefix}#windows`;
  }

  segmentKey(id: number): string {
    return `${this.#prefix}#windows:${id}`;
  }

  /**
   * The group is leaving memory. The restore filter leaves out what a sweep drops, judging by the
   * copy; anything else (`swept` false), or a copy older than the state the sweep judged, has its
   * segment compacted at the next save, so the copy disappears.
   */
  release(g: LoggedGroup, swept: boolean): void {
    if (g.seg === 0) return;
    const s = this.#segs.get(g.seg);
    if (s) {
      s.live--;
      if (!swept || g.changed) this.#compact.add(g.seg);
    }
    g.seg = 0;
  }

  stats(): WindowLogStats {
    let live = 0;
    let stored = 0;
    for (const s of this.#segs.values()) {
      live += s.live;
      stored += s.written;
    }
    return { segments: this.#segs.size, liveCopies: live, storedRecords: stored, saves: this.#saves, lastSaveRecords: this.#lastSaveRecords, restored: this.#restored };
  }

  /** Loads the saved state into the parts; discards (with one info log) whatever is of another version, rule or config. */
  restore(): Promise<void> {
    return this.#serial(() => this.#restore());
  }

  /** Saves what changed since the last save; see the class comment. Calls are serialised. */
  persist(): Promise<void> {
    return this.#serial(() => this.#persist());
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #restore(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    const raw = await this.#store.getState(this.manifestKey);
    if (raw === undefined) return;
    const m = parseManifest(raw);
    if (!m) {
      this.#forget(raw);
      this.#discarded(`saved state is not format v${WINDOW_LOG_VERSION}`, undefined);
      return;
    }
    this.#next = m.next;
    for (const id of m.garbage) this.#garbage.add(id);
    const all = () => {
      for (const [id] of m.segs) this.#garbage.add(id);
    };
    if (this.#restoreMeta && !this.#restoreMeta(m.meta)) {
      all();
      this.#discarded('saved detector state is unreadable', undefined);
      return;
    }
    const byName = new Map(this.#parts.map((p) => [p.name, p]));
    const latest = new Map<string, Map<string, { seg: number; rec: { k: string }; resolve: Resolve }>>();
    for (const [id] of m.segs) {
      const seg = parseSegment(await this.#store.getState(this.segmentKey(id)));
      if (!seg) {
        // A missing or unreadable segment could hide the latest copy of any group, letting an older one back.
        all();
        this.#discarded(`saved segment ${id} is missing or unreadable`, undefined);
        return;
      }
      const table = seg.s;
      const resolve: Resolve = (n) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < table.length ? table[n] : undefined);
      for (const [name, p] of Object.entries(seg.parts)) {
        const part = byName.get(name);
        if (!part || part.hash !== p.h) continue;
        let copies = latest.get(name);
        if (!copies) latest.set(name, (copies = new Map()));
        for (const rec of p.r) copies.set(rec.k, { seg: id, rec, resolve });
      }
    }
    for (const [id, written] of m.segs) this.#segs.set(id, { written, live: 0 });
    const discarded: string[] = [];
    for (const part of this.#parts) {
      const pm = m.parts[part.name];
      if (!pm) continue;
      if (pm.h !== part.hash) {
        discarded.push(part.name);
        continue;
      }
      const groups: LoggedGroup[] = [];
      let ok = true;
      for (const { seg, rec, resolve } of latest.get(part.name)?.values() ?? []) {
        const g = part.decode(rec, resolve);
        if (!g) {
          ok = false;
          break;
        }
        g.seg = seg;
        groups.push(g);
      }
      const kept = ok ? part.restore(pm.m, groups) : undefined;
      if (!kept) {
        discarded.push(part.name);
        continue;
      }
      for (const g of kept) this.#segs.get(g.seg)!.live++;
      this.#restored += kept.length;
    }
    this.#afterRestore?.();
    if (discarded.length) this.#discarded('saved state belongs to another version of these rules or settings, or is unreadable', discarded);
    this.#logger?.debug({ state: this.#prefix, groups: this.#restored, segments: m.segs.length }, 'Detector windows restored.');
  }

  /** Saved state we cannot read: its segments (if the manifest says which) are deleted at the next save. */
  #forget(raw: unknown): void {
    const o = raw as { segs?: unknown; next?: unknown } | null;
    let max = 0;
    if (o && Array.isArray(o.segs)) {
      for (const s of o.segs) {
        const id = Array.isArray(s) ? s[0] : s;
        if (Number.isSafeInteger(id) && (id as number) > 0) {
          this.#garbage.add(id as number);
          max = Math.max(max, id as number);
        }
      }
    }
    if (o && Number.isSafeInteger(o.next)) max = Math.max(max, (o.next as number) - 1);
    this.#next = max + 1;
  }

  #discarded(reason: string, parts: string[] | undefined): void {
    this.#logger?.info(
      { state: this.#prefix, reason, ...(parts ? { parts: parts.slice(0, 20), count: parts.length } : {}) },
      'Saved detector windows discarded; detection continues from an empty state for them.',
    );
  }

  async #persist(): Promise<void> {
    // Saving before any restore (a detector that never restored) must not reuse the ids of segments already stored.
    if (!this.#loaded) {
      this.#loaded = true;
      const raw = await this.#store.getState(this.manifestKey);
      if (raw !== undefined) this.#forget(raw);
    }
    if (this.#resync) {
      this.#resync = false;
      for (const id of this.#segs.keys()) this.#garbage.add(id);
      this.#segs.clear();
      this.#compact.clear();
      for (const part of this.#parts) {
        for (const g of part.groups()) {
          g.seg = 0;
          if (!g.changed) part.markChanged(g);
        }
      }
    }
    for (const [id, s] of this.#segs) if (s.written >= COMPACT_MIN_RECORDS && s.live < s.written * COMPACT_BELOW) this.#compact.add(id);
    if (this.#compact.size) {
      for (const part of this.#parts) for (const g of part.groups()) if (this.#compact.has(g.seg) && !g.changed) part.markChanged(g);
      this.#compact.clear();
    }

    // Everything up to the first await is synchronous, so observe() running between the awaits
    // (sources side by side) only queues changes for the next save.
    this.#beforeSave?.();
    const id = this.#next;
    const segment: SegmentValue = { v: WINDOW_LOG_VERSION, s: [], parts: {} };
    const index = new Map<string, number>();
    const intern: Intern = (str) => {
      let n = index.get(str);
      if (n === undefined) {
        n = segment.s.length;
        segment.s.push(str);
        index.set(str, n);
      }
      return n;
    };
    let records = 0;
    for (const part of this.#parts) {
      const changed = part.takeChanged();
      let out: Array<{ k: string }> | undefined;
      for (const g of changed) {
        g.changed = false;
        if (!part.holds(g)) continue;
        (out ??= []).push(part.encode(g, intern));
        this.#unlink(g);
        g.seg = id;
      }
      if (out) {
        segment.parts[part.name] = { h: part.hash, r: out };
        records += out.length;
      }
    }
    if (records) {
      this.#segs.set(id, { written: records, live: records });
      this.#next++;
    }
    for (const [sid, s] of this.#segs) {
      if (s.live > 0) continue;
      this.#segs.delete(sid);
      this.#garbage.add(sid);
    }
    const manifest: Manifest = { v: WINDOW_LOG_VERSION, next: this.#next, segs: [...this.#segs].map(([sid, s]) => [sid, s.written]), garbage: [...this.#garbage], parts: {} };
    const meta = this.#meta?.();
    if (meta !== undefined) manifest.meta = meta;
    for (const part of this.#parts) {
      const m = part.meta();
      if (m !== undefined) manifest.parts[part.name] = { h: part.hash, m };
    }
    const manifestJson = JSON.stringify(manifest);
    if (records > 0 || manifestJson !== this.#lastManifest) {
      try {
        if (records) await this.#store.putState(this.segmentKey(id), segment);
        await this.#store.putState(this.manifestKey, manifest);
      } catch (err) {
        // The segment may be stored without a manifest naming it; rewrite everything next time.
        if (records) this.#garbage.add(id);
        this.#resync = true;
        this.#lastManifest = '';
        throw err;
      }
      this.#lastManifest = manifestJson;
      this.#saves++;
      this.#lastSaveRecords = records;
    }
    // Only segments a written manifest no longer lists are here, so deleting them cannot lose state.
    for (const sid of [...this.#garbage]) {
      await this.#store.putState(this.segmentKey(sid), undefined);
      this.#garbage.delete(sid);
    }
  }

  #unlink(g: LoggedGroup): void {
    if (g.seg === 0) return;
    const s = this.#segs.get(g.seg);
    if (s) s.live--;
    g.seg = 0;
  }
}

function isPosInt(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) > 0;
}

function parseManifest(raw: unknown): Manifest | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const m = raw as Partial<Manifest>;
  if (m.v !== WINDOW_LOG_VERSION || !isPosInt(m.next) || !Array.isArray(m.segs) || !Array.isArray(m.garbage)) return undefined;
  if (!m.segs.every((s) => Array.isArray(s) && s.length === 2 && isPosInt(s[0]) && isPosInt(s[1]) && s[0] < m.next!)) return undefined;
  if (!m.garbage.every(isPosInt)) return undefined;
  if (!m.parts || typeof m.parts !== 'object') return undefined;
  for (const p of Object.values(m.parts)) if (!p || typeof p !== 'object' || typeof p.h !== 'string') return undefined;
  return m as Manifest;
}

function parseSegment(raw: unknown): SegmentValue | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const s = raw as Partial<SegmentValue>;
  if (s.v !== WINDOW_LOG_VERSION || !strArray(s.s) || !s.parts || typeof s.parts !== 'object') return undefined;
  for (const p of Object.values(s.parts)) {
    if (!p || typeof p !== 'object' || typeof p.h !== 'string' || !Array.isArray(p.r)) return undefined;
    for (const r of p.r) if (!r || typeof r !== 'object' || typeof (r as { k?: unknown }).k !== 'string') return undefined;
  }
  return s as SegmentValue;
}

/** Enough of a Finding to hand a saved pending report back out. */
export function isFinding(x: unknown): x is Finding {
  const f = x as Partial<Finding> | null;
  return !!f && typeof f.rule === 'string' && typeof f.title === 'string' && !!f.entity && typeof f.entity.value === 'string' && num(f.windowStart) !== undefined && Array.isArray(f.evidence);
}

// Record codecs share these readers: a stored value is untrusted until every field checks out.

export function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

export function strArray(x: unknown): string[] | undefined {
  return Array.isArray(x) && x.every((s) => typeof s === 'string') ? (x as string[]) : undefined;
}

export function refs(xs: Iterable<string>, intern: Intern): number[] {
  const out: number[] = [];
  for (const x of xs) out.push(intern(x));
  return out;
}

/** From position `from` on, with null for absent entries (JSON has no undefined). */
export function optRefs(xs: ReadonlyArray<string | undefined>, from: number, intern: Intern): Array<number | null> {
  const out: Array<number | null> = [];
  for (let i = from; i < xs.length; i++) {
    const x = xs[i];
    out.push(x === undefined ? null : intern(x));
  }
  return out;
}

export function derefs(x: unknown, resolve: Resolve): string[] | undefined {
  if (!Array.isArray(x)) return undefined;
  const out: string[] = [];
  for (const n of x) {
    const s = resolve(n);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

export function optDerefs(x: unknown, length: number, resolve: Resolve): Array<string | undefined> | undefined {
  if (!Array.isArray(x) || x.length !== length) return undefined;
  const out: Array<string | undefined> = [];
  for (const n of x) {
    if (n === null) {
      out.push(undefined);
      continue;
    }
    const s = resolve(n);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

/**
 * Sorted window times as the age of the oldest against `newest`, then the gaps: short numbers where
 * epoch ms are thirteen digits.
 */
export function encodeTimes(times: readonly number[], from: number, newest: number): number[] {
  const out: number[] = [];
  for (let i = from; i < times.length; i++) out.push(i === from ? newest - times[i]! : times[i]! - times[i - 1]!);
  return out;
}

export function decodeTimes(x: unknown, newest: number): number[] | undefined {
  if (!Array.isArray(x)) return undefined;
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < x.length; i++) {
    const d = num(x[i]);
    if (d === undefined || d < 0) return undefined;
    t = i === 0 ? newest - d : t + d;
    out.push(t);
  }
  return out;
}

/** Weights are almost always 1; the array is stored only when one is not. */
export function encodeWeights(ws: readonly number[], from: number): number[] | undefined {
  for (let i = from; i < ws.length; i++) if (ws[i] !== 1) return ws.slice(from);
  return undefined;
}

export function decodeWeights(x: unknown, length: number): number[] | undefined {
  if (x === undefined) return new Array<number>(length).fill(1);
  if (!Array.isArray(x) || x.length !== length) return undefined;
  for (const w of x) if (num(w) === undefined || (w as number) <= 0) return undefined;
  return x as number[];
}
