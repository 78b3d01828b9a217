/** Detector state writes held back until the batch they belong to commits, so events, alerts and the state that counted them land in one transaction. */
import type { DetectorState, EventLog } from '../core/index.js';

// Why: a crash between committing a batch and saving detector state would resume after the batch
// (its cursor is committed) with state that never counted it: a burst or a baseline quietly short.

/** What staging needs underneath: the state to read through to, and the commit that writes a final flush. */
export type StagedStateStore = DetectorState & Pick<EventLog, 'commitBatch'>;

export class StagedState implements DetectorState {
  readonly #store: StagedStateStore;
  /** JSON text per key, taken when put: detectors may go on changing the objects they saved. */
  #pending = new Map<string, string | undefined>();

  constructor(store: StagedStateStore) {
    this.#store = store;
  }

  /** Reads its own pending writes first, so a detector sees what it saved. */
  async getState(key: string): Promise<unknown> {
    if (this.#pending.has(key)) {
      const json = this.#pending.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as unknown);
    }
    return this.#store.getState(key);
  }

  putState(key: string, value: unknown): Promise<void> {
    this.#pending.set(key, value === undefined ? undefined : JSON.stringify(value));
    return Promise.resolve();
  }

  /** The writes held so far, for the next commit; undefined when there are none. */
  take(): ReadonlyMap<string, string | undefined> | undefined {
    if (this.#pending.size === 0) return undefined;
    const out = this.#pending;
    this.#pending = new Map();
    return out;
  }

  /** Puts back writes whose commit failed, under any written since: the detectors count them as saved. */
  putBack(state: ReadonlyMap<string, string | undefined>): void {
    for (const [k, v] of state) if (!this.#pending.has(k)) this.#pending.set(k, v);
  }

  /** Writes what is held on its own, when no batch is left to carry it (the final flush). */
  async commit(): Promise<void> {
    const state = this.take();
    if (state) await this.#store.commitBatch({ source: 'detectors', events: [], state });
  }
}
