/** Per-user detector state held in a bounded LRU in memory and saved to the store between batches and runs. */
import { eventTime, type Detector, type Finding, type FlushOptions, type PluginDeps, type SecurityEvent } from '../core/index.js';
import { EventClock, EventQueue, watermarkOf } from './event-order.js';

export type StateStore = NonNullable<PluginDeps['state']>;

/** How a detector creates, updates and (de)serializes one user's state. */
export interface UserStateModel<S, E> {
  create(user: string): S;
  /** Compact JSON form; detectors keep it under 2 KB per user. */
  encode(state: S): unknown;
  /** Undefined when the stored value is unusable (old format, corrupt): the user starts afresh. */
  decode(value: unknown): S | undefined;
  /** Applies one event to the user's state, in event order; may produce findings. */
  apply(user: string, state: S, event: E): Finding[];
  /** The state is leaving memory (it is saved first if changed): report what depends on it being there. */
  evict?(user: string, state: S): void;
}

export interface UserStatesOptions {
  /** Keys are `<prefix>:<user>`; the warm-up index is `<prefix>#index`, which no user key can equal. */
  prefix: string;
  /** Users kept in memory; the least recently active are saved and dropped beyond it. */
  maxUsers: number;
  /** Events queued per user while the user's saved state is being loaded. */
  maxQueued?: number;
  store?: StateStore | undefined;
  /**
   * Receives findings of replayed events instead of drain(), for detectors that keep one ordered
   * output list (a later report of the same alert must come after the earlier one).
   */
  onReplayed?: (findings: Finding[]) => void;
}

export interface UserStatesStats {
  users: number;
  loading: number;
  evicted: number;
  saved: number;
  loaded: number;
  /** Events dropped because a loading user's queue was full. */
  droppedQueued: number;
}

/**
 * observe() is synchronous and the store is not, so a user absent from memory cannot be read on the
 * spot. With a store, that user's events wait in a queue until the next persist() (after the batch)
 * reads the saved state, or finds none, and replays them in order; their findings come out of the
 * next drain(). The state after the replay is exactly what an uninterrupted run would hold, which a
 * fresh state (starting over the learning period, then overwriting the saved one) would not be.
 * restore() preloads the users that were in memory at the last save, so a restart queues nobody but
 * users who were evicted or are new. Without a store (unit tests, in-memory runs) nothing is queued.
 */
export class UserStates<S, E> {
  readonly #model: UserStateModel<S, E>;
  readonly #prefix: string;
  readonly #maxUsers: number;
  readonly #maxQueued: number;
  readonly #store: StateStore | undefined;
  readonly #onReplayed: ((findings: Finding[]) => void) | undefined;
  /** Map order is recency order: a touch re-inserts at the end, the first entry is the LRU victim. */
  readonly #mem = new Map<string, S>();
  readonly #dirty = new Set<string>();
  /** Changed states pushed out of memory before they were saved; persist() writes them. */
  readonly #evictedDirty = new Map<string, S>();
  readonly #queue = new Map<string, E[]>();
  #ready: Finding[] = [];
  #indexChanged = false;
  #evicted = 0;
  #saved = 0;
  #loaded = 0;
  #droppedQueued = 0;

  constructor(model: UserStateModel<S, E>, opts: UserStatesOptions) {
    this.#model = model;
    this.#prefix = opts.prefix;
    this.#maxUsers = Math.max(1, opts.maxUsers);
    this.#maxQueued = opts.maxQueued ?? 10_000;
    this.#store = opts.store;
    this.#onReplayed = opts.onReplayed;
  }

  key(user: string): string {
    return `${this.#prefix}:${user}`;
  }

  get indexKey(): string {
    return `${this.#prefix}#index`;
  }

  /** Routes one event to its user's state (see the class comment for users not in memory). */
  observe(user: string, event: E): Finding[] {
    let s = this.#mem.get(user);
    if (s !== undefined) {
      this.#mem.delete(user);
      this.#mem.set(user, s);
    } else {
      s = this.#evictedDirty.get(user);
      if (s !== undefined) {
        this.#evictedDirty.delete(user);
        this.#insert(user, s);
      } else {
        const q = this.#queue.get(user);
        if (q) {
          if (q.length < this.#maxQueued) q.push(event);
          else this.#droppedQueued++;
          return [];
        }
        if (this.#store) {
          this.#queue.set(user, [event]);
          return [];
        }
        s = this.#model.create(user);
        this.#insert(user, s);
      }
    }
    this.#dirty.add(user);
    return this.#model.apply(user, s, event);
  }

  /** Findings from replayed queued events, handed over by the detector's flush(). */
  drain(): Finding[] {
    const out = this.#ready;
    this.#ready = [];
    return out;
  }

  get(user: string): S | undefined {
    return this.#mem.get(user) ?? this.#evictedDirty.get(user);
  }

  users(): string[] {
    return [...this.#mem.keys()];
  }

  stats(): UserStatesStats {
    return {
      users: this.#mem.size,
      loading: this.#queue.size,
      evicted: this.#evicted,
      saved: this.#saved,
      loaded: this.#loaded,
      droppedQueued: this.#droppedQueued,
    };
  }

  /** Loads the users that were in memory at the last save, most recently active last, up to the cap. */
  async restore(): Promise<void> {
    if (!this.#store) return;
    const index = await this.#store.getState(this.indexKey);
    if (!Array.isArray(index)) return;
    const users = index.filter((u): u is string => typeof u === 'string').slice(-this.#maxUsers);
    for (const user of users) {
      if (this.#mem.has(user) || this.#queue.has(user)) continue;
      const s = this.#model.decode(await this.#store.getState(this.key(user)));
      if (s === undefined) continue;
      this.#loaded++;
      this.#insert(user, s);
    }
    this.#indexChanged = false;
  }

  /**
   * Loads the users whose events are queued and replays those events, so what they find comes out
   * of the next flush. Safe against observe() running between awaits (sources run side by side):
   * each await is followed by a synchronous re-read of what it depends on.
   */
  async settle(): Promise<void> {
    const store = this.#store;
    if (!store) return;
    for (const user of [...this.#queue.keys()]) {
      const stored = await store.getState(this.key(user));
      // load() may have brought the user in, and replayed their queue, during the await.
      if (!this.#queue.has(user)) continue;
      const s = this.#fromStored(user, stored);
      this.#insert(user, s);
      this.#replayQueued(user, s);
    }
  }

  /**
   * Brings a user's state into memory (the saved one, else a fresh one), replaying any events queued
   * for them first, so the next observe() for the user applies at once. What releases many held
   * events calls this before each user's first one: the loading queue is bounded, the held events are not.
   */
  async load(user: string): Promise<void> {
    const store = this.#store;
    if (!store || this.#mem.has(user) || this.#evictedDirty.has(user)) return;
    const stored = await store.getState(this.key(user));
    // Re-read after the await: the user may have been brought in meanwhile.
    if (this.#mem.has(user) || this.#evictedDirty.has(user)) return;
    const s = this.#fromStored(user, stored);
    this.#insert(user, s);
    this.#replayQueued(user, s);
  }

  /** The user's saved state, or a fresh one when none is saved or it cannot be read. */
  #fromStored(user: string, stored: unknown): S {
    const s = stored === undefined ? undefined : this.#model.decode(stored);
    if (s === undefined) return this.#model.create(user);
    this.#loaded++;
    return s;
  }

  /** Applies the events queued while the user's state was loading, in the order they were queued. */
  #replayQueued(user: string, s: S): void {
    const events = this.#queue.get(user);
    if (!events) return;
    this.#queue.delete(user);
    this.#dirty.add(user);
    for (const e of events) {
      const found = this.#model.apply(user, s, e);
      if (found.length === 0) continue;
      if (this.#onReplayed) this.#onReplayed(found);
      else this.#ready.push(...found);
    }
  }

  /**
   * Settles (see settle()), then saves every state changed since the last save (and the index when
   * membership changed). A failed write leaves the user dirty for the next call.
   */
  async persist(): Promise<void> {
    const store = this.#store;
    if (!store) return;
    await this.settle();
    for (const [user, s] of [...this.#evictedDirty]) {
      await store.putState(this.key(user), this.#model.encode(s));
      if (this.#evictedDirty.get(user) === s) this.#evictedDirty.delete(user);
      this.#saved++;
    }
    for (const user of [...this.#dirty]) {
      const s = this.#mem.get(user);
      this.#dirty.delete(user);
      if (s === undefined) continue;
      try {
        await store.putState(this.key(user), this.#model.encode(s));
        this.#saved++;
      } catch (err) {
        this.#dirty.add(user);
        throw err;
      }
    }
    if (this.#indexChanged) {
      this.#indexChanged = false;
      try {
        await store.putState(this.indexKey, [...this.#mem.keys()]);
      } catch (err) {
        this.#indexChanged = true;
        throw err;
      }
    }
  }

  #insert(user: string, s: S): void {
    this.#mem.set(user, s);
    this.#indexChanged = true;
    while (this.#mem.size > this.#maxUsers) {
      const [victim, vs] = this.#mem.entries().next().value as [string, S];
      this.#mem.delete(victim);
      this.#evicted++;
      this.#model.evict?.(victim, vs);
      // Unsaved changes must reach the store before the state is forgotten; a clean one is there already.
      if (this.#dirty.delete(victim) && this.#store) this.#evictedDirty.set(victim, vs);
    }
  }
}

/** An event as a per-user detector keeps it while it waits: everything but the raw record, which is most of its size. */
function slim(e: SecurityEvent): SecurityEvent {
  const { raw: _raw, ...rest } = e;
  return { ...rest, raw: undefined };
}

/**
 * Users' events held until the watermark passes them, then handed over in (time, id) order, so
 * what a per-user detector concludes (a first-seen place, the login before this one, a bucket's
 * count) does not depend on the order the events arrive in. The clock and where the held events
 * begin are saved under `<prefix>#order`; the events themselves are in the store, and come back
 * through replay() after a restart (see Detector.resumeFrom).
 */
export class HeldEvents {
  readonly #time = new EventClock();
  readonly #queue = new EventQueue<string, SecurityEvent>();
  readonly #key: string;
  readonly #store: StateStore | undefined;
  #resumeFrom: number | undefined;
  #saved = '';
  #late = 0;

  constructor(prefix: string, store: StateStore | undefined) {
    this.#key = `${prefix}#order`;
    this.#store = store;
  }

  get size(): number {
    return this.#queue.size;
  }

  get late(): number {
    return this.#late;
  }

  hold(user: string, e: SecurityEvent): void {
    const t = eventTime(e);
    if (t < this.#time.frontier) this.#late++;
    this.#queue.add(t, e.event.id, user, slim(e));
  }

  /** Whether a stored event is one this detector held at its last save (see Detector.replay). */
  held(e: SecurityEvent): boolean {
    const t = eventTime(e);
    return this.#time.heldAtSave(t, this.#resumeFrom);
  }

  resumeFrom(): number | undefined {
    return this.#resumeFrom;
  }

  /** Hands over every held event before the watermark, in (time, id) order. */
  release(watermark: number, apply: (user: string, e: SecurityEvent) => void): void {
    this.#time.advance(watermark);
    this.#queue.takeDue(this.#time.frontier, (t, _id, user, e) => {
      this.#time.applied(t);
      apply(user, e);
    });
    this.#time.tick();
  }

  /** release(), for an apply that must wait (loading the user's state first). */
  async releaseAsync(watermark: number, apply: (user: string, e: SecurityEvent) => Promise<void>): Promise<void> {
    this.#time.advance(watermark);
    const due: Array<[number, string, SecurityEvent]> = [];
    this.#queue.takeDue(this.#time.frontier, (t, _id, user, e) => due.push([t, user, e]));
    for (const [t, user, e] of due) {
      this.#time.applied(t);
      await apply(user, e);
    }
    this.#time.tick();
  }

  async restore(): Promise<void> {
    const saved = (await this.#store?.getState(this.#key)) as { k?: unknown; o?: unknown } | undefined;
    if (!saved || !this.#time.load(saved.k)) return;
    const o = saved.o;
    this.#resumeFrom = typeof o === 'number' && Number.isFinite(o) ? Math.max(o, this.#time.frontier) : undefined;
  }

  async persist(): Promise<void> {
    if (!this.#store) return;
    const oldest = this.#queue.oldest();
    const value = { k: this.#time.toJSON(), ...(oldest !== undefined ? { o: oldest } : {}) };
    const json = JSON.stringify(value);
    if (json === this.#saved) return;
    await this.#store.putState(this.#key, value);
    this.#saved = json;
  }
}

export interface PerUserStats extends UserStatesStats {
  /** Events waiting for the watermark. */
  held: number;
  /** Events that arrived after the watermark had passed their time (later than their source promised). */
  late: number;
}

/**
 * A detector whose whole state is per user: the UserStates plumbing (replayed findings out at the
 * next flush, restore, persist, stats) and the event-time order (HeldEvents) written once.
 * Subclasses say which events count and for whom (accept), and apply them in order (applyEvent).
 */
export abstract class PerUserDetector<S> implements Detector {
  abstract readonly id: string;
  protected readonly users: UserStates<S, SecurityEvent>;
  readonly #held: HeldEvents;
  #replayed: Finding[] = [];

  constructor(model: Omit<UserStateModel<S, SecurityEvent>, 'apply' | 'evict'>, opts: Omit<UserStatesOptions, 'onReplayed'>) {
    this.users = new UserStates<S, SecurityEvent>(
      // Late-bound: subclass fields the handlers use exist by the time the first event arrives.
      { ...model, apply: (user, state, e) => this.applyEvent(user, state, e), evict: (user, state) => this.onEvict(user, state) },
      { ...opts, onReplayed: (f) => this.#replayed.push(...f) },
    );
    this.#held = new HeldEvents(opts.prefix, opts.store);
  }

  /** The user an event counts for, or undefined when it does not count. */
  protected abstract accept(e: SecurityEvent): string | undefined;

  /** Applies one of the user's events to their state, in event order. */
  protected abstract applyEvent(user: string, state: S, e: SecurityEvent): Finding[];

  /** The user's state is leaving memory; drop whatever is derived from it. */
  protected onEvict(_user: string, _state: S): void {}

  observe(e: SecurityEvent): Finding[] {
    const user = this.accept(e);
    if (user !== undefined) this.#held.hold(user, e);
    return [];
  }

  resumeFrom(): number | undefined {
    return this.#held.resumeFrom();
  }

  replay(e: SecurityEvent): void {
    if (this.#held.held(e)) this.observe(e);
  }

  #release(watermark: number): void {
    this.#held.release(watermark, (user, e) => {
      const found = this.users.observe(user, e);
      if (found.length) this.#replayed.push(...found);
    });
  }

  flush(opts: FlushOptions): Finding[] {
    this.#release(watermarkOf(opts));
    const out = this.#replayed;
    this.#replayed = [];
    return out;
  }

  async restore(): Promise<void> {
    await this.users.restore();
    await this.#held.restore();
  }

  /**
   * Hands over what the watermark has passed before the flush, loading each user's saved state
   * before their events (however many a release holds), and replays what was queued for users
   * still loading, so the flush reports everything.
   */
  async settle(opts: { watermark?: number } = {}): Promise<void> {
    if (opts.watermark !== undefined) {
      await this.#held.releaseAsync(opts.watermark, async (user, e) => {
        await this.users.load(user);
        const found = this.users.observe(user, e);
        if (found.length) this.#replayed.push(...found);
      });
    }
    await this.users.settle();
  }

  async persist(): Promise<void> {
    await this.users.persist();
    await this.#held.persist();
  }

  stats(): PerUserStats {
    return { ...this.users.stats(), held: this.#held.size, late: this.#held.late };
  }
}
