/** Suppression: which mute (from the store or the config) holds an alert back from every sink. */
import type { Logger } from 'pino';
import type { Alert, AlertOutbox, Clock, CommitBatch, CommitResult, Entity, EventLog, Mute, MutePattern, Mutes } from '../core/index.js';
import { systemClock } from '../core/index.js';

/** A mute as the config writes it, already parsed (see `alerting.mutes`). */
export interface ConfigMuteRule extends MutePattern {
  until?: number;
  reason: string;
}

/** How long store mutes are trusted before they are read again: a mute made elsewhere takes effect within this. */
export const MUTE_REFRESH_MS = 5_000;

const GLOB_SPECIAL = /[*?\\]/g;

/** `value` written as a glob that matches exactly it: what false-positive feedback mutes, so an entity named `*` mutes itself only. */
export function escapeGlob(value: string): string {
  return value.replace(GLOB_SPECIAL, (c) => `\\${c}`);
}

const globCache = new Map<string, RegExp>();

/** A glob (`*` any run, `?` one character, a backslash escapes the next) as a whole-string, case-blind RegExp. */
function globRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) src += escapeRegExp(glob[++i]!);
    else if (c === '*') src += '[\\s\\S]*';
    else if (c === '?') src += '[\\s\\S]';
    else src += escapeRegExp(c);
  }
  re = new RegExp(`^${src}$`, 'iu');
  // Mutes are few; the cache only spares recompiling them per alert.
  if (globCache.size > 1_000) globCache.clear();
  globCache.set(glob, re);
  return re;
}

const escapeRegExp = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Whether an entity value matches a mute's value: exactly, or as its glob, ignoring case (emails are). */
export function entityMatches(pattern: Entity, entity: Entity): boolean {
  return pattern.type === entity.type && globRegExp(pattern.value).test(entity.value);
}

/** Whether the pattern covers the alert: its rule (exact) and its entity, each where the pattern names one. */
export function patternMatches(p: MutePattern, alert: Pick<Alert, 'rule' | 'entity'>): boolean {
  if (p.rule === undefined && p.entity === undefined) return false;
  if (p.rule !== undefined && p.rule !== alert.rule) return false;
  if (p.entity !== undefined && !entityMatches(p.entity, alert.entity)) return false;
  return true;
}

/** Whether a mute is in force at `at` (epoch ms): not removed by then, and without an end or ending after it. */
export function muteInForce(m: Pick<Mute, 'until' | 'removedAt'>, at: number): boolean {
  if (m.until !== undefined && m.until <= at) return false;
  if (m.removedAt !== undefined && Date.parse(m.removedAt) <= at) return false;
  return true;
}

/** Config mutes as Mutes: negative ids (never a store id), source `config`, in force from the start of time. */
export function configMutes(rules: readonly ConfigMuteRule[]): Mute[] {
  return rules.map((r, i) => ({
    id: -(i + 1),
    ...(r.rule === undefined ? {} : { rule: r.rule }),
    ...(r.entity === undefined ? {} : { entity: { type: r.entity.type, value: r.entity.value } }),
    ...(r.until === undefined ? {} : { until: r.until }),
    reason: r.reason,
    actor: 'config',
    source: 'config',
    createdAt: new Date(0).toISOString(),
  }));
}

export interface MuterOptions {
  /** Where mutes made with the CLI (and later the API) live; absent: config mutes only. */
  store?: Pick<Mutes, 'listMutes'>;
  config?: readonly ConfigMuteRule[];
  now?: Clock;
  /** How long the store's mutes are reused before they are read again (default MUTE_REFRESH_MS). */
  refreshMs?: number;
  logger?: Logger;
}

/**
 * Answers, synchronously and per alert, which mute holds it back. Store mutes are cached and read
 * again at most every refreshMs (in the background once loaded: a slow or failing read keeps the
 * last answer rather than holding detection up); config mutes are fixed for the run.
 */
export class Muter {
  readonly #opts: MuterOptions;
  readonly #config: Mute[];
  readonly #now: Clock;
  #stored: Mute[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  constructor(opts: MuterOptions = {}) {
    this.#opts = opts;
    this.#config = configMutes(opts.config ?? []);
    this.#now = opts.now ?? systemClock;
  }

  /** Reads the store's mutes again (one read at a time; callers meanwhile share it). */
  async refresh(): Promise<void> {
    const store = this.#opts.store;
    if (!store) return;
    this.#loading ??= (async () => {
      try {
        // All of them, removed and expired included: isMuted checks the time itself, and they are few.
        this.#stored = await store.listMutes();
        this.#loadedAt = this.#now();
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /**
   * Reads the store again if the cache is older than refreshMs. Once mutes have been read, a failed
   * read is logged and the last ones read still apply: a blip of the store must not stop detection.
   */
  async refreshIfStale(now = this.#now()): Promise<void> {
    if (!this.#opts.store || now - this.#loadedAt < (this.#opts.refreshMs ?? MUTE_REFRESH_MS)) return;
    try {
      await this.refresh();
    } catch (err) {
      if (!Number.isFinite(this.#loadedAt)) throw err;
      this.#opts.logger?.warn({ err }, 'Mutes could not be read again; the last ones read still apply.');
    }
  }

  /** Every mute known: the config's, then the store's (newest first), as last read. */
  get mutes(): readonly Mute[] {
    return [...this.#config, ...this.#stored];
  }

  /** The mute in force at `now` that holds the alert back, if any (config mutes first). */
  isMuted(alert: Pick<Alert, 'rule' | 'entity'>, now: number = this.#now()): Mute | undefined {
    if (this.#opts.store && !this.#loading && now - this.#loadedAt >= (this.#opts.refreshMs ?? MUTE_REFRESH_MS)) {
      this.refresh().catch((err: unknown) => this.#opts.logger?.warn({ err }, 'Mutes could not be read again; the last ones read still apply.'));
    }
    return this.#config.find((m) => muteInForce(m, now) && patternMatches(m, alert)) ?? this.#stored.find((m) => muteInForce(m, now) && patternMatches(m, alert));
  }

  /**
   * The mute that held a stored alert back when it was raised: one in force at its createdAt that
   * existed by then (a mute made later did not stop its deliveries).
   */
  mutedWhenRaised(alert: Pick<Alert, 'rule' | 'entity' | 'createdAt'>): Mute | undefined {
    const at = Date.parse(alert.createdAt);
    return this.mutes.find((m) => Date.parse(m.createdAt) <= at && muteInForce(m, at) && patternMatches(m, alert));
  }
}

