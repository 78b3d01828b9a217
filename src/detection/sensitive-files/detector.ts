/**
 * Sensitive files: a file whose last scan classified it medium or above (cards, national ids,
 * secrets) that is made public, shared outside the organisation or with a personal mailbox, or
 * taken in a burst of downloads, is one high alert per file and exposure, naming what the file
 * holds ("CREDIT_CARD ×120, US_SSN ×3") — whichever comes first, the share or the scan.
 *
 * What it knows of a file comes from the scanner's `file_classified` events (level, counts, and the
 * masked samples of the stored classification, which the event carries as `raw`), else from the
 * level the file-sensitivity enricher stamped on the event (counts only: the enricher keeps no
 * samples). Alerts carry masked samples and counts, never a value.
 */
import type { Logger } from 'pino';
import { eventTime, isSensitivity, sensitivityRank, type Detector, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent, type Sensitivity } from '../../core/index.js';
import { FILE_CLASSIFIED, fileKeyOfEvent } from '../../enrich/file-sensitivity.js';
import { EventClock, EventQueue, watermarkOf } from '../event-order.js';
import type { ExposureKind, SensitiveFilesConfig } from './config.js';

export const SENSITIVE_FILES_RULE = 'sensitive-files';
const STATE_KEY = 'sensitive-files';
const STATE_VERSION = 1;
/** Entity types kept per file (the most frequent), and masked samples per type. */
const MAX_TYPES = 12;
const MAX_SAMPLE_TYPES = 5;
const MAX_SAMPLES = 3;
const NAME_CHARS = 200;

/** Visibilities (Reports', the Drive inventory's, Dropbox's) that mean anyone with the link or anyone at all. */
const PUBLIC = new Set(['people_with_link', 'public_on_the_web', 'anyone_with_link', 'public']);
/** Visibilities that mean someone outside the organisation. */
const EXTERNAL = new Set(['shared_externally', 'external']);
/** Actions that read a whole file out. */
const DOWNLOADS = new Set(['download', 'file_download', 'file_downloaded']);

/** What the scan found, as the detector keeps it. */
interface Known {
  s: Sensitivity;
  /** Counts per entity type (at most MAX_TYPES). */
  c: Record<string, number>;
  /** Masked samples per type (at most MAX_SAMPLE_TYPES × MAX_SAMPLES), when a classified event carried them. */
  m?: Record<string, string[]>;
  /** The classified event's id and time, when the level came from one. */
  id?: string;
  t?: number;
}

/** One exposure of a file: when it was first seen, by whom, and whether it was reported. */
interface Exposure {
  t: number;
  /** Event ids of the first sighting (and the classified event, once reported): the evidence. */
  ev: string[];
  actor?: string;
  target?: string;
  visibility?: string;
  /** Downloads in the burst, for mass-download. */
  n?: number;
  reported?: true;
}

interface FileState {
  name?: string;
  known?: Known;
  x: Partial<Record<ExposureKind, Exposure>>;
}

/** What is queued per event until the watermark passes it. */
type Item =
  | { k: 'classified'; known: Known; name?: string; visibility?: string }
  | { k: 'exposure'; kind: ExposureKind; actor?: string; target?: string; visibility?: string; name?: string; known?: Known }
  | { k: 'download'; user: string; name?: string; known?: Known };

interface Saved {
  v: number;
  k: ReturnType<EventClock['toJSON']>;
  o?: number;
  f: Array<[string, FileState]>;
  u: Array<[string, Array<[number, string, string]>]>;
}

/** "CREDIT_CARD ×120, US_SSN ×3": most frequent first, at most `max` types named. */
export function entitySummary(counts: Record<string, number>, max = 5): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const named = entries.slice(0, max).map(([t, n]) => `${t} ×${n}`);
  if (entries.length > max) named.push(`${entries.length - max} more types`);
  return named.join(', ') || 'no entities';
}

/**
 * A sample fit to be stored and sent: what the analyzer masked keeps at most four characters of a
 * value. A run of five digits or more means it was not masked (a bug upstream), so it is dropped
 * rather than passed on.
 */
function safeSample(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 80 && !/\d{5}/.test(v.replace(/[\s-]/g, ''));
}

function topCounts(v: unknown): Record<string, number> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return {};
  const entries = Object.entries(v as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isInteger(e[1]) && e[1] > 0);
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return Object.fromEntries(entries.slice(0, MAX_TYPES));
}

/** Masked samples from the classification the scanner put in the event's `raw` (API.md), bounded. */
function samplesOf(raw: unknown, counts: Record<string, number>): Record<string, string[]> | undefined {
  const samples = (raw as { entities?: { samples?: unknown } } | null)?.entities?.samples;
  if (samples === null || typeof samples !== 'object' || Array.isArray(samples)) return undefined;
  const out: Record<string, string[]> = {};
  for (const type of Object.keys(counts)) {
    const list = (samples as Record<string, unknown>)[type];
    if (!Array.isArray(list)) continue;
    const kept = list.filter(safeSample).slice(0, MAX_SAMPLES);
    if (kept.length) out[type] = kept;
    if (Object.keys(out).length >= MAX_SAMPLE_TYPES) break;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The level an enricher stamped on a non-scan event, as a Known without samples. */
function enrichedKnown(e: SecurityEvent): Known | undefined {
  const s = e.file?.sensitivity;
  return isSensitivity(s) ? { s, c: topCounts(e.file?.pii) } : undefined;
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1);

export interface SensitiveFilesDeps {
  state?: PluginDeps['state'];
  logger?: Logger;
}

export class SensitiveFilesDetector implements Detector {
  readonly id = SENSITIVE_FILES_RULE;
  readonly #c: SensitiveFilesConfig;
  readonly #state: PluginDeps['state'];
  readonly #logger: Logger | undefined;
  readonly #personal: Set<string>;
  readonly #watched: Set<ExposureKind>;
  readonly #min: number;
  readonly #time = new EventClock();
  readonly #queue = new EventQueue<string, Item>();
  /** Map order is recency: the first entry goes first at max_files. */
  readonly #files = new Map<string, FileState>();
  /** Per user, the last `threshold` downloads: [time, file key, event id]. */
  readonly #downloads = new Map<string, Array<[number, string, string]>>();
  /** Sharing events observed and not judged yet, per file: a scan that finds the file exposed is dated by them, not by its own time. */
  readonly #pending = new Map<string, Array<{ t: number; id: string; item: Extract<Item, { k: 'exposure' }> }>>();
  #out: Finding[] = [];
  #changed = false;
  #resumeFrom: number | undefined;

  constructor(config: SensitiveFilesConfig, deps: SensitiveFilesDeps = {}) {
    this.#c = config;
    this.#state = deps.state;
    this.#logger = deps.logger;
    this.#personal = new Set(config.personal_domains.map((d) => d.trim().replace(/^@/, '').toLowerCase()));
    this.#watched = new Set(config.exposures);
    this.#min = sensitivityRank(config.min_sensitivity);
  }

  async restore(): Promise<void> {
    const saved = (await this.#state?.getState(STATE_KEY)) as Saved | undefined;
    if (!saved || saved.v !== STATE_VERSION || !Array.isArray(saved.f) || !Array.isArray(saved.u) || !this.#time.load(saved.k)) {
      if (saved) this.#logger?.warn({ detector: this.id }, 'sensitive-files state unreadable; starting afresh');
      return;
    }
    for (const [k, s] of saved.f) this.#files.set(k, s);
    for (const [u, w] of saved.u) this.#downloads.set(u, w);
    this.#resumeFrom = typeof saved.o === 'number' ? Math.max(saved.o, this.#time.frontier) : undefined;
  }

  resumeFrom(): number | undefined {
    return this.#resumeFrom;
  }

  /** Queues a stored event again after a restart, unless it was judged before the save. */
  replay(e: SecurityEvent): void {
    const t = eventTime(e);
    if (!this.#time.heldAtSave(t, this.#resumeFrom)) return;
    this.observe(e);
  }

  observe(e: SecurityEvent): Finding[] {
    const t = eventTime(e);
    const key = fileKeyOfEvent(e);
    if (key === undefined || !Number.isFinite(t)) return [];
    const item = this.#read(e);
    if (!item) return [];
    this.#changed = true;
    if (item.k === 'classified') {
      // Applied at once: a scan is our own record, complete when emitted, and stamped with the
      // scan's wall time, which the sources' watermark (their vendors' lateness) may not pass for
      // hours. Which of two scans wins is decided by their times, not by arrival.
      this.#classified(t, e.event.id, key, item);
      const out = this.#out;
      this.#out = [];
      return out;
    }
    // Queued: which share or download came first must not depend on arrival order.
    this.#queue.add(t, e.event.id, key, item);
    if (item.k === 'exposure') {
      const list = this.#pending.get(key);
      if (list) list.push({ t, id: e.event.id, item });
      else this.#pending.set(key, [{ t, id: e.event.id, item }]);
    }
    return [];
  }

  flush(opts: FlushOptions): Finding[] {
    const time = this.#time;
    time.advance(watermarkOf(opts));
    this.#queue.takeDue(time.frontier, (t, id, key, item) => {
      time.applied(t);
      if (item.k === 'exposure') this.#unpend(key, id);
      this.#apply(t, id, key, item);
    });
    time.tick();
    const out = this.#out;
    this.#out = [];
    return out;
  }

  async persist(): Promise<void> {
    if (!this.#state || !this.#changed) return;
    const saved: Saved = { v: STATE_VERSION, k: this.#time.toJSON(), f: [...this.#files], u: [...this.#downloads] };
    const oldest = this.#queue.oldest();
    if (oldest !== undefined) saved.o = oldest;
    await this.#state.putState(STATE_KEY, saved);
    this.#changed = false;
  }

  /** What an event says about its file: a scan, an exposure, a download, or nothing. */
  #read(e: SecurityEvent): Item | undefined {
    const name = e.file?.name?.slice(0, NAME_CHARS);
    const base = name !== undefined ? { name } : {};
    if (e.event.action === FILE_CLASSIFIED) {
      const s = e.file?.sensitivity;
      if (!isSensitivity(s)) return undefined;
      const c = topCounts(e.file?.pii);
      const m = samplesOf(e.raw, c);
      const visibility = e.share?.visibility?.toLowerCase();
      return { k: 'classified', known: { s, c, ...(m ? { m } : {}) }, ...base, ...(visibility ? { visibility } : {}) };
    }
    const known = enrichedKnown(e);
    const withKnown = known ? { ...base, known } : base;
    const actor = e.user?.email?.toLowerCase();
    if (DOWNLOADS.has(e.event.action)) {
      return actor && this.#watched.has('mass-download') ? { k: 'download', user: actor, ...withKnown } : undefined;
    }
    const kind = this.#exposureOf(e);
    if (!kind || !this.#watched.has(kind)) return undefined;
    const target = e.target?.user?.email?.toLowerCase();
    const visibility = e.share?.visibility?.toLowerCase();
    return { k: 'exposure', kind, ...withKnown, ...(actor ? { actor } : {}), ...(target ? { target } : {}), ...(visibility ? { visibility } : {}) };
  }

  /**
   * The exposure a sharing event makes. Only sharing events count: Drive stamps every view and
   * download with the file's current visibility, and viewing a public file does not expose it again.
   */
  #exposureOf(e: SecurityEvent): ExposureKind | undefined {
    const action = e.event.action;
    const provider = e.event.provider;
    const sharing = provider === 'google-workspace' ? e.labels?.event_type === 'acl_change' : provider === 'dropbox' ? /^(shared_|sf_)/.test(action) : /share|visibility|public_link|permission/.test(action);
    if (!sharing) return undefined;
    // Taking access away (Drive's new_value none) exposes nothing.
    if (e.labels?.new_value === 'none') return undefined;
    const target = e.target?.user?.email?.toLowerCase();
    if (target?.includes('@') && this.#personal.has(domainOf(target))) return 'personal-email-share';
    const v = e.share?.visibility?.toLowerCase();
    if (v !== undefined && PUBLIC.has(v)) return 'public-link';
    if (action === 'file_public_link_created') return 'public-link';
    if (v !== undefined && EXTERNAL.has(v)) return 'external-share';
    if (e.labels?.visibility_change === 'external' && target) return 'external-share';
    return undefined;
  }

  #unpend(key: string, id: string): void {
    const list = this.#pending.get(key);
    if (!list) return;
    const i = list.findIndex((p) => p.id === id);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#pending.delete(key);
  }

  #file(key: string): FileState {
    let f = this.#files.get(key);
    if (f) this.#files.delete(key);
    else f = { x: {} };
    this.#files.set(key, f);
    while (this.#files.size > this.#c.max_files) this.#files.delete(this.#files.keys().next().value!);
    return f;
  }

  #sensitive(f: FileState): boolean {
    return f.known !== undefined && sensitivityRank(f.known.s) >= this.#min;
  }

  #apply(t: number, id: string, key: string, item: Item): void {
    this.#changed = true;
    if (item.k === 'download') {
      // Only files known to be sensitive are remembered for a download: every other file downloaded would fill the map.
      const known = this.#files.get(key);
      if (known || item.known) {
        const f = this.#file(key);
        if (item.name !== undefined) f.name = item.name;
        this.#enriched(t, f, item.known);
      }
      this.#download(t, id, key, item.user);
      return;
    }
    if (item.k === 'classified') return this.#classified(t, id, key, item);
    const f = this.#file(key);
    if (item.name !== undefined) f.name = item.name;
    switch (item.k) {
      case 'exposure': {
        this.#enriched(t, f, item.known);
        const x = f.x[item.kind];
        if (!x) {
          f.x[item.kind] = {
            t,
            ev: [id],
            ...(item.actor ? { actor: item.actor } : {}),
            ...(item.target ? { target: item.target } : {}),
            ...(item.visibility ? { visibility: item.visibility } : {}),
          };
        } else if (x.actor === undefined && item.actor) {
          // Seen first through the scan's visibility: the sharing event, judged later, names who did
          // it. A reported alert is raised again with the name (same window, so the same alert).
          if (x.ev.length < 10) x.ev.push(id);
          x.actor = item.actor;
          if (item.target) x.target = item.target;
          if (x.reported && f.known) {
            this.#out.push(this.#finding(key, f, item.kind, x, f.known, t));
            return;
          }
        }
        if (this.#sensitive(f)) this.#report(key, f, item.kind, t);
        return;
      }
    }
  }

  /**
   * The level the enricher stamped on an event at `t` replaces what the detector holds when that is
   * older than the event: the enricher saw every scan the pipeline passed, including one the
   * pipeline then dropped as a duplicate, so it may know a newer level (a revert to earlier content).
   * It carries no scan time, so a scan event judged later still replaces it.
   */
  #enriched(t: number, f: FileState, known: Known | undefined): void {
    if (!known) return;
    const prev = f.known;
    if (!prev || ((prev.t === undefined || prev.t < t) && prev.s !== known.s)) f.known = known;
  }

  #classified(t: number, id: string, key: string, item: Extract<Item, { k: 'classified' }>): void {
    const f = this.#file(key);
    if (item.name !== undefined) f.name = item.name;
    const prev = f.known;
    // A newer scan replaces what an older one found, whatever it found; an older one arriving late changes nothing.
    if (prev?.t !== undefined && (prev.t > t || (prev.t === t && (prev.id ?? '') >= id))) return;
    f.known = { ...item.known, id, t };
    // The inventory's visibility at scan time: a file already exposed when its scan finishes.
    const v = item.visibility;
    const kind: ExposureKind | undefined = v && PUBLIC.has(v) ? 'public-link' : v && EXTERNAL.has(v) ? 'external-share' : undefined;
    // The shares that explain that visibility: shared outside is what a share to a personal mailbox does too.
    const kinds: ExposureKind[] = kind === 'public-link' ? ['public-link'] : kind === 'external-share' ? ['external-share', 'personal-email-share'] : [];
    if (kind && this.#watched.has(kind) && !kinds.some((k) => f.x[k])) {
      // A sharing event already observed but not yet judged (the watermark has not passed it) is
      // the exposure the scan sees: dated and attributed by it, so the alert is the one the share
      // alone would raise, whichever of the scan and the watermark comes first.
      const share = (this.#pending.get(key) ?? [])
        .filter((p) => p.t <= t && kinds.includes(p.item.kind) && this.#watched.has(p.item.kind))
        .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1))[0];
      if (share) {
        const p = share.item;
        f.x[p.kind] = { t: share.t, ev: [share.id], ...(p.actor ? { actor: p.actor } : {}), ...(p.target ? { target: p.target } : {}), ...(p.visibility ? { visibility: p.visibility } : {}) };
      } else {
        f.x[kind] = { t, ev: [], visibility: v! };
      }
    }
    if (this.#sensitive(f)) for (const k of Object.keys(f.x).sort() as ExposureKind[]) this.#report(key, f, k, t);
  }

  /** Keeps the user's last `threshold` downloads; a full window within `window` is a burst, and every sensitive file in it is reported. */
  #download(t: number, id: string, key: string, user: string): void {
    const { threshold, window } = this.#c.mass_download;
    let w = this.#downloads.get(user);
    if (w) this.#downloads.delete(user);
    else w = [];
    this.#downloads.set(user, w);
    while (this.#downloads.size > this.#c.max_users) this.#downloads.delete(this.#downloads.keys().next().value!);
    w.push([t, key, id]);
    while (w.length > threshold || (w.length > 0 && w[0]![0] <= t - window)) w.shift();
    if (w.length < threshold) return;
    for (const [, k, eid] of w) {
      const f = this.#files.get(k);
      if (!f || !this.#sensitive(f) || f.x['mass-download']?.reported) continue;
      f.x['mass-download'] = { t: w[0]![0], ev: [eid], actor: user, n: w.length };
      this.#report(k, f, 'mass-download', t);
    }
  }

  #report(key: string, f: FileState, kind: ExposureKind, now: number): void {
    const x = f.x[kind];
    const known = f.known;
    if (!x || x.reported || !known) return;
    x.reported = true;
    if (known.id && !x.ev.includes(known.id)) x.ev.push(known.id);
    this.#out.push(this.#finding(key, f, kind, x, known, now));
  }

  #finding(key: string, f: FileState, kind: ExposureKind, x: Exposure, known: Known, now: number): Finding {
    const name = f.name ?? key;
    const summary = entitySummary(known.c);
    const samples = Object.entries(known.m ?? {}).flatMap(([type, vs]) => vs.map((v) => `${type} ${v}`));
    const who = x.actor ?? 'someone';
    const what: Record<ExposureKind, { title: string; did: string }> = {
      'public-link': { title: 'Sensitive file made public', did: `${who} made it readable by ${x.visibility === 'public_on_the_web' || x.visibility === 'public' ? 'anyone on the web' : 'anyone with the link'}` },
      'external-share': { title: 'Sensitive file shared outside the organisation', did: `${who} shared it${x.target ? ` with ${x.target}` : ' outside the organisation'}` },
      'personal-email-share': { title: 'Sensitive file shared with a personal mailbox', did: `${who} shared it with ${x.target ?? 'a personal address'}` },
      'mass-download': { title: 'Sensitive file in a mass download', did: `${who} downloaded it among ${x.n ?? this.#c.mass_download.threshold} files within ${Math.round(this.#c.mass_download.window / 60_000)} minutes` },
    };
    const details: NonNullable<Finding['details']> = {
      'file.id': key,
      'file.name': name,
      'file.sensitivity': known.s,
      'file.pii': summary,
      exposure: kind,
    };
    if (samples.length) details['file.pii.samples'] = samples;
    if (x.actor) details['user.email'] = x.actor;
    if (x.target) details['target.user.email'] = x.target;
    if (x.visibility) details['share.visibility'] = x.visibility;
    const late = known.t !== undefined && known.t > x.t;
    return {
      rule: `${SENSITIVE_FILES_RULE}/${kind}`,
      title: `${what[kind].title}: "${name}" (${summary})`,
      severity: this.#c.severity,
      entity: { type: 'file', value: key },
      windowStart: x.t,
      windowEnd: kind === 'mass-download' ? Math.max(x.t, now) : Math.max(x.t, known.t ?? x.t),
      evidence: [...x.ev],
      description: `"${name}" holds ${summary} (sensitivity ${known.s}${samples.length ? `; masked samples ${samples.slice(0, 3).join(', ')}` : ''}); ${what[kind].did}${late ? ', before its scan found this' : ''}.`,
      observed: { ...known.c, ...(x.n !== undefined ? { downloads: x.n } : {}) },
      tags: ['pii', 'data-exposure', `exposure:${kind}`],
      details,
    };
  }
}
