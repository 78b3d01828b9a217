/** The ground every Google Workspace source test stands on: a service-account key, the fake Google, SQLite stores, torn down after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Store } from '../../core/index.js';
import { createServiceAccountKey, startFakeGoogle, type FakeGoogle, type FakeGoogleOptions, type ServiceAccountKey } from '../../fakes/google/index.js';
import type { Logger } from 'pino';
import { silentLogger } from '../../log.js';
import { Pipeline, type IngestStats } from '../../pipeline/pipeline.js';
import { openStore } from '../../storage/index.js';
import { googleWorkspaceConfigSchema, type GoogleWorkspaceConfig, type GoogleWorkspaceConfigInput } from './config.js';
import { createGoogleWorkspaceSource } from './source.js';

export interface GoogleTestBed {
  /** The service account the fake trusts unless a test starts it with others. */
  readonly key: ServiceAccountKey;
  /** The fake of the running test; a test that has not started one has a bug, and is told so. */
  readonly fake: FakeGoogle;
  /** A temporary folder, removed after the file's last test. */
  readonly dir: string;
  /** Starts this test's fake, trusting `key` unless `serviceAccounts` says otherwise. */
  start(opts?: Partial<FakeGoogleOptions>): Promise<FakeGoogle>;
  /** A new SQLite store in `dir` (at `file`, when the test reads the database file itself), closed after the test. */
  store(now?: () => number, file?: string): Promise<Store>;
  /** The source's config against this test's fake, as the admin `subject`, with the test's own settings over it. */
  config(over?: Partial<GoogleWorkspaceConfigInput>): GoogleWorkspaceConfig;
  /** One pass of a fresh source (a restart each time) through the real pipeline into `store` at `now`, with the retry waits it asked for (recorded, not slept). */
  pass(store: Store, cfg: GoogleWorkspaceConfig, opts?: { now?: number; logger?: Logger }): Promise<{ stats: IngestStats; delays: number[] }>;
}

/** Registers the hooks in the calling test file; `name` prefixes its temporary folder and databases. */
export function googleTestBed(name: string, defaults: { subject?: string; now?: () => number } = {}): GoogleTestBed {
  const dir = mkdtempSync(join(tmpdir(), `saaswatch-${name}-`));
  let key: ServiceAccountKey | undefined;
  let fake: FakeGoogle | undefined;
  const stores: Store[] = [];
  let count = 0;
  beforeAll(() => {
    key = createServiceAccountKey();
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    for (const s of stores.splice(0)) await s.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bed: GoogleTestBed = {
    get key() {
      if (!key) throw new TypeError('the key is made in beforeAll: read it inside a test');
      return key;
    },
    get fake() {
      if (!fake) throw new TypeError('this test has not started the fake Google (bed.start)');
      return fake;
    },
    dir,
    async start(opts = {}) {
      fake = await startFakeGoogle({ serviceAccounts: [bed.key], ...opts });
      return fake;
    },
    async store(now = defaults.now ?? (() => 0), file) {
      const s = await openStore({ dialect: 'sqlite', path: join(dir, file ?? `${name}-${++count}.db`), now });
      stores.push(s);
      return s;
    },
    config(over = {}) {
      return googleWorkspaceConfigSchema.parse({
        credentials: JSON.stringify(bed.key.json),
        subject: defaults.subject ?? 'admin@example.com',
        base_url: bed.fake.url,
        token_url: bed.fake.tokenUrl,
        ...over,
      });
    },
    async pass(store, cfg, opts = {}) {
      const now = opts.now ?? (defaults.now ?? (() => 0))();
      const delays: number[] = [];
      const source = createGoogleWorkspaceSource('gw', cfg, {
        once: true,
        now: () => now,
        ...(opts.logger ? { logger: opts.logger } : {}),
        backoff: { initialMs: 10, maxMs: 50 },
        sleep: async (ms) => void delays.push(ms),
      });
      const pipeline = new Pipeline({ store, detectors: [], sinkNames: [], logger: silentLogger, now: () => now });
      const stats = await pipeline.ingest(source, { signal: new AbortController().signal });
      return { stats, delays };
    },
  };
  return bed;
}
