/** Runs SQLite WAL checkpoints on a worker thread, so the writer never waits for the checkpoint's fsync. */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { errors } from '../core/errors.js';

export interface CheckpointerOptions {
  /** Pause between checkpoint passes when the WAL is fully copied back. */
  idleMs?: number;
  /** Un-checkpointed WAL frames above which the checkpoint blocks writers until done (bounds the WAL). */
  maxFrames?: number;
}

// Plain CommonJS evaluated in the worker: no loader or build step (tsx, vitest, compiled dist) needs to know it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
// Only RESTART waits; PASSIVE passes never invoke the busy handler.
db.pragma('busy_timeout = 10000');
let timer;
let stopped = false;
let prev = { log: -1, checkpointed: -1 };
function pass() {
  timer = undefined;
  if (stopped) return;
  let again = false;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.log > workerData.maxFrames) db.pragma('wal_checkpoint(RESTART)');
    // Frames appended during the pass: go again at once so the WAL can be reset between writes. A reader pinning
    // an old snapshot stops progress; then wait rather than spin.
    again = r.checkpointed >= 0 && r.checkpointed < r.log && (r.log !== prev.log || r.checkpointed !== prev.checkpointed);
    prev = r;
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
  timer = setTimeout(pass, again ? 0 : workerData.idleMs);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  if (timer) clearTimeout(timer);
  db.close();
  parentPort.close();
});
pass();
`;

/** Owns the checkpoint worker of one SQLite file. */
export class Checkpointer {
  readonly #worker: Worker;
  #exited: Promise<void>;
  #failed = false;

  private constructor(worker: Worker, onFailure: (err: unknown) => void) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    const fail = (err: unknown) => {
      if (this.#failed) return;
      this.#failed = true;
      onFailure(err);
    };
    worker.on('error', fail);
    worker.on('message', (m: { error?: string }) => {
      if (m?.error) fail(errors.storage({ operation: 'checkpoint', problem: m.error }));
    });
    worker.once('exit', (code) => {
      if (code !== 0) fail(errors.storage({ operation: 'checkpoint', problem: `the checkpoint worker exited with code ${code}` }));
    });
    // A forgotten close() must not keep the process alive; SQLite recovers from a WAL left behind.
    worker.unref();
  }

  /** Starts the worker; `onFailure` runs once if checkpointing stops, so the caller can fall back to inline checkpoints. */
  static start(path: string, onFailure: (err: unknown) => void, opts: CheckpointerOptions = {}): Checkpointer {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, idleMs: opts.idleMs ?? 200, maxFrames: opts.maxFrames ?? 65_536 },
    });
    return new Checkpointer(worker, onFailure);
  }

  get failed(): boolean {
    return this.#failed;
  }

  async stop(): Promise<void> {
    this.#failed = true; // an exit from here on is expected
    // Awaiting an unref'd worker alone would let Node exit mid-close with an unsettled promise.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
    await Promise.race([this.#exited, timeout]);
    await this.#worker.terminate();
  }
}
