/** How integrations plug in: each folder exports one plugin object, and the registry lists them. */
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { ActionConnector } from './action.js';
import type { Detector } from './alert.js';
import type { Clock } from './clock.js';
import type { SecurityEvent } from './event.js';
import type { Sink } from './sink.js';
import type { DetectorState, Inventory } from './store.js';
import type { Source } from './source.js';
import type { FileScanner } from '../pii/scanner.js';

export interface PluginDeps {
  logger: Logger;
  /** Directory for files a plugin writes (alerts.jsonl, ...). */
  dataDir: string;
  /** Directory that relative paths in config resolve against (the config file's directory). */
  baseDir?: string;
  /** Pollers read up to the present once and finish, instead of polling forever (cron jobs, backfills). */
  once?: boolean;
  /** The file inventory, for sources that list files and their sharing (absent in unit tests that need none). */
  files?: Inventory;
  /** Small keyed JSON state that survives restarts (detector models and windows). */
  state?: DetectorState;
  /** The run's clock: what pollers read "now" from (default the system clock). */
  now?: Clock;
  /**
   * The one content scanner of the run (src/pii/scanner.ts), present when `pii.enabled`: sources that
   * can read file content (google-workspace, dropbox) submit the files they see created, edited or
   * shared, and emit the `file_classified` events it returns in their batches.
   */
  scanner?: FileScanner;
}

interface PluginBase<C> {
  /** kebab-case id: the folder name, the config `type`, the log field. */
  type: string;
  description: string;
  /** Validates this plugin's config section (without the common `type`/`name` keys). */
  configSchema: ZodType<C>;
}

export interface SourcePlugin<C = unknown> extends PluginBase<C> {
  create(name: string, config: C, deps: PluginDeps): Source;
  /**
   * Turns one vendor record of a rule example (`<rule>.tests.yml`, under this plugin's type) into
   * events through the source's own normalizer, stamped with `time`. Throws, saying what is wrong,
   * when the record cannot be used.
   */
  example?(record: Record<string, unknown>, time: string): SecurityEvent[];
  /**
   * The response actions this source's service offers (suspend a user, remove a public link, ...),
   * through the same credentials and official SDK as its poller, in its folder's `actions.ts`.
   * Absent: the source only watches. Called only by commands that act; must not start polling.
   */
  actions?(name: string, config: C, deps: PluginDeps): ActionConnector;
}

export interface DetectorPlugin<C = unknown> extends PluginBase<C> {
  create(config: C, deps: PluginDeps): Detector;
}

export interface SinkPlugin<C = unknown> extends PluginBase<C> {
  create(name: string, config: C, deps: PluginDeps): Sink;
}
