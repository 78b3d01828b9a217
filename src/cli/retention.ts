/**
 * Retention as the CLI runs it: cut-offs from the config's periods and the run's clock, on demand
 * (`saaswatch purge`) and on a schedule inside `saaswatch run` (at start, then hourly).
 */
import type { Logger } from 'pino';
import type { RetentionPeriods } from '../config/schema.js';
import type { Clock, PurgeCounts, PurgeCutoffs, Retention } from '../core/index.js';

/** How often a long-running `run` purges after the purge at its start. */
export const PURGE_EVERY_MS = 3_600_000;

/** The tables a purge reaches, in the order it reports them, with the config key of each period. */
export const PURGED_TABLES = [
  { count: 'events', period: 'events', cutoff: 'events', what: 'event time' },
  { count: 'deadLetters', period: 'dead_letters', cutoff: 'deadLetters', what: 'stored' },
  { count: 'alerts', period: 'alerts', cutoff: 'alerts', what: 'last updated' },
  { count: 'deliveries', period: 'deliveries', cutoff: 'deliveries', what: 'finished' },
  { count: 'auditLog', period: 'audit_log', cutoff: 'auditLog', what: 'recorded' },
  { count: 'actions', period: 'actions', cutoff: 'actions', what: 'ended' },
] as const satisfies ReadonlyArray<{ count: keyof PurgeCounts; period: keyof RetentionPeriods; cutoff: keyof PurgeCutoffs; what: string }>;

/** Each table's cut-off: the clock's now minus the table's period. */
export function retentionCutoffs(periods: RetentionPeriods, now: number): Required<PurgeCutoffs> {
  const cut = {} as Required<PurgeCutoffs>;
  for (const t of PURGED_TABLES) cut[t.cutoff] = now - periods[t.period];
  return cut;
}

const UNITS: Array<[string, number]> = [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];

/** A period as the config would write it (`90d`, `36h`, `1500ms`). */
export function formatPeriod(ms: number): string {
  for (const [unit, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export const purgedTotal = (c: PurgeCounts): number => c.events + c.deadLetters + c.alerts + c.deliveries + c.auditLog + c.actions;

/**
 * Purges on a schedule: once now (awaited, so a run starts on a trimmed store), then every
 * `everyMs` until stopped. A failed scheduled purge is logged and tried again at the next tick; a
 * tick that finds the previous purge still running skips.
 */
export async function startPurgeSchedule(
  store: Retention,
  periods: RetentionPeriods,
  opts: { now: Clock; logger: Logger; everyMs?: number; once?: boolean },
): Promise<{ stop(): Promise<void> }> {
  const purgeOnce = async () => {
    const counts = await store.purge(retentionCutoffs(periods, opts.now()));
    if (purgedTotal(counts) > 0) opts.logger.info({ removed: counts }, 'purged rows past their retention');
  };
  await purgeOnce();
  if (opts.once) return { stop: async () => undefined };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = purgeOnce()
      .catch((err: unknown) => opts.logger.warn({ err }, 'scheduled purge failed; trying again at the next one'))
      .finally(() => {
        running = undefined;
      });
  }, opts.everyMs ?? PURGE_EVERY_MS);
  // The schedule never keeps the process alive on its own.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // The store closes after this: let a purge in flight finish first.
      await running;
    },
  };
}
