/** File sensitivity enrichment: remembers what the last scan of each file found (level and counts, never values) and stamps it on every event that touches the file, so rules can ask `file.sensitivity`. */
import { isSensitivity, sensitivityRank, type FileQuery, type FileRecord, type Inventory, type SecurityEvent, type Sensitivity } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';

/** What the enricher keeps per file: small and value-free, so a big map stays cheap. */
export interface KnownSensitivity {
  sensitivity: Sensitivity;
  /** Findings per entity type (Presidio names). */
  counts: Record<string, number>;
}

/** The scanner's event (API.md): one per scanned version of a file. */
export const FILE_CLASSIFIED = 'file_classified';

/**
 * The inventory key of the file an event touches: `google-drive:<id>` for Drive (as the Google
 * inventory writes it), `dropbox:<id:...>` for Dropbox, `<provider>:<id>` otherwise; undefined
 * when the event names no file id.
 */
export function fileKeyOfEvent(e: SecurityEvent): string | undefined {
  const id = e.file?.id;
  if (typeof id !== 'string' || id === '') return undefined;
  return e.event.provider === 'google-workspace' ? `google-drive:${id}` : `${e.event.provider}:${id}`;
}

/** Counts as a plain object of non-negative integers; anything else in a record is dropped. */
function cleanCounts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) if (typeof n === 'number' && Number.isInteger(n) && n > 0) out[k] = n;
  return out;
}

export interface FileSensitivityOptions {
  /** Files remembered; the least recently touched are forgotten first (default 100,000). */
  maxFiles?: number;
}

/**
 * A bounded LRU of file key → what its last scan found, and the synchronous enricher over it.
 * Files classified `none` are not kept (the absence says the same), so the map holds only what a
 * rule can act on.
 */
export class FileSensitivityMap {
  readonly #max: number;
  /** Map order is recency: a touch re-inserts at the end; the first entry is forgotten first. */
  readonly #files = new Map<string, KnownSensitivity>();

  constructor(opts: FileSensitivityOptions = {}) {
    this.#max = Math.max(1, opts.maxFiles ?? 100_000);
  }

  get size(): number {
    return this.#files.size;
  }

  get(key: string): KnownSensitivity | undefined {
    const v = this.#files.get(key);
    if (v) {
      this.#files.delete(key);
      this.#files.set(key, v);
    }
    return v;
  }

  set(key: string, sensitivity: Sensitivity, counts: Record<string, number>): void {
    this.#files.delete(key);
    if (sensitivity === 'none') return;
    this.#files.set(key, { sensitivity, counts });
    if (this.#files.size > this.#max) this.#files.delete(this.#files.keys().next().value!);
  }

  /** Takes a stored file's classification, if it has one. */
  learn(f: Pick<FileRecord, 'key' | 'classification'>): void {
    const c = f.classification;
    if (!c || !isSensitivity(c.sensitivity)) return;
    this.set(f.key, c.sensitivity, cleanCounts(c.entities?.counts));
  }

  /**
   * The enricher: a `file_classified` event updates the map (a newer scan replaces the older,
   * whatever it found); any other event naming a known file gets its level and counts, unless its
   * source already set them.
   */
  readonly enrich: Enricher = (e) => {
    const key = fileKeyOfEvent(e);
    if (key === undefined) return;
    if (e.event.action === FILE_CLASSIFIED) {
      const s = e.file?.sensitivity;
      if (isSensitivity(s)) this.set(key, s, cleanCounts(e.file?.pii));
      return;
    }
    if (e.file?.sensitivity !== undefined) return;
    const known = this.get(key);
    if (!known) return;
    e.file!.sensitivity = known.sensitivity;
    e.file!.pii = { ...known.counts };
  };
}

/** Files read per listFiles page while preloading. */
const PRELOAD_PAGE = 1_000;

/** The least level worth remembering (FileQuery.sensitivity means that level and above): `none` files are not kept. */
const PRELOAD_FROM: Sensitivity = 'low';

/**
 * Reads every classified file of the inventory into the map, a page at a time, before the run: a
 * share of a file scanned in an earlier run is then enriched from the first event. Returns how
 * many files it took. Asks the store for classified files only (FileQuery.sensitivity where the
 * store has it) and checks each record itself, so a store without that filter gives the same.
 */
export async function preloadFileSensitivity(inventory: Pick<Inventory, 'listFiles'>, map: FileSensitivityMap, opts: { limit?: number } = {}): Promise<number> {
  let afterKey: string | undefined;
  let taken = 0;
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  for (;;) {
    const q: FileQuery = { limit: PRELOAD_PAGE, sensitivity: PRELOAD_FROM, ...(afterKey !== undefined ? { afterKey } : {}) };
    const page = await inventory.listFiles(q);
    for (const f of page) {
      const level = f.classification?.sensitivity;
      if (!isSensitivity(level) || sensitivityRank(level) < sensitivityRank(PRELOAD_FROM)) continue;
      map.learn(f);
      if (++taken >= limit) return taken;
    }
    const last = page.at(-1);
    if (page.length < PRELOAD_PAGE || !last) return taken;
    afterKey = last.key;
  }
}

/** The enricher for a run: preloaded from the inventory when one is given. */
export async function createFileSensitivityEnricher(opts: FileSensitivityOptions & { inventory?: Pick<Inventory, 'listFiles'> } = {}): Promise<{ enricher: Enricher; map: FileSensitivityMap; preloaded: number }> {
  const map = new FileSensitivityMap(opts);
  const preloaded = opts.inventory ? await preloadFileSensitivity(opts.inventory, map, { limit: opts.maxFiles ?? 100_000 }) : 0;
  return { enricher: map.enrich, map, preloaded };
}
