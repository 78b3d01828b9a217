/** The source contract's checks (docs/contracts/source.md), each failing with the clause it enforces; the suite runs them over every registered source. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { pino, type Logger } from 'pino';
import { SaaswatchError, secretForms, type SourceBatch, type SourcePlugin } from '../../src/core/index.js';
import { startEchoUpstream } from './echo-upstream.js';
import type { SourceContractRun } from '../../src/sources/contract-harness.js';

export const CLAUSES = {
  cursor: 'S1 cursor committed with its events',
  watermark: 'S2 watermark',
  abort: 'S3 abort within 1 s, even inside Retry-After',
  secrets: 'S4 no secret in any error or log',
  errors: 'S5 every error a SaaswatchError with a code',
  unreadable: 'S6 unreadable cursor',
} as const;

export class ContractViolation extends Error {
  constructor(clause: keyof typeof CLAUSES, detail: string) {
    super(`source contract §${CLAUSES[clause]} (docs/contracts/source.md): ${detail}`);
    this.name = 'ContractViolation';
  }
}

function violated(clause: keyof typeof CLAUSES, ok: boolean, detail: string): void {
  if (!ok) throw new ContractViolation(clause, detail);
}

export interface Captured {
  logger: Logger;
  lines: string[];
}

export function captureLogs(): Captured {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) }) };
}

const dataDir = mkdtempSync(join(tmpdir(), 'saaswatch-contract-'));

function create(plugin: SourcePlugin<any>, run: SourceContractRun, config: Record<string, unknown>, opts: { logger?: Logger; once?: boolean } = {}) {
  return plugin.create('contract', plugin.configSchema.parse(config), {
    logger: opts.logger ?? pino({ level: 'silent' }),
    dataDir,
    once: opts.once ?? true,
    now: () => run.now,
  });
}

async function drain(plugin: SourcePlugin<any>, run: SourceContractRun, cursor?: string, logger?: Logger): Promise<SourceBatch[]> {
  const out: SourceBatch[] = [];
  for await (const b of create(plugin, run, run.config, logger ? { logger } : {}).batches({ cursor, signal: new AbortController().signal })) out.push(b);
  return out;
}

const when = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

const ids = (bs: SourceBatch[]) => new Set(bs.flatMap((b) => b.events.map((e) => e.event.id)));

/** S1: a batch with events carries the cursor that resumes after it, and a restart from any committed cursor loses nothing. */
export async function checkCursor(plugin: SourcePlugin<any>, run: SourceContractRun): Promise<void> {
  const full = await drain(plugin, run);
  const all = ids(full);
  if (all.size === 0) throw new Error(`the ${plugin.type} contract harness yielded no events: it cannot test anything`);
  const resumable = full.some((b) => b.cursor !== undefined);
  if (!resumable) return;
  const bare = full.findIndex((b) => b.events.length > 0 && b.cursor === undefined);
  violated('cursor', bare < 0, `batch ${bare + 1} has events but no cursor: a restart would read them again or skip past them`);
  const withCursor = full.map((b, i) => [b, i] as const).filter(([b]) => b.cursor !== undefined);
  const [mid, k] = withCursor[Math.floor(withCursor.length / 2)]!;
  const before = ids(full.slice(0, k + 1));
  const after = ids(await drain(plugin, run, mid.cursor));
  const lost = [...all].filter((id) => !before.has(id) && !after.has(id));
  violated('cursor', lost.length === 0, `restarting from the cursor of batch ${k + 1} of ${full.length} lost ${lost.length} of ${all.size} events`);
}

/** S2: the watermark never moves back, and no event that follows a batch is older than that batch's watermark. */
export async function checkWatermark(plugin: SourcePlugin<any>, run: SourceContractRun): Promise<void> {
  const batches = await drain(plugin, run);
  let promised = Number.NEGATIVE_INFINITY;
  batches.forEach((b, i) => {
    for (const e of b.events) {
      const t = Date.parse(e['@timestamp']);
      violated('watermark', t >= promised, `batch ${i + 1} delivers an event at ${e['@timestamp']}, older than the watermark ${when(promised)} promised before it`);
    }
    if (b.watermark !== undefined && !Number.isNaN(b.watermark)) {
      violated('watermark', b.watermark >= promised, `batch ${i + 1} moves the watermark back from ${when(promised)} to ${when(b.watermark)}`);
      promised = b.watermark;
    }
  });
}

/** S3: stopped during a long Retry-After wait, the source ends within a second. */
export async function checkAbort(plugin: SourcePlugin<any>, run: SourceContractRun): Promise<void> {
  if (!run.rateLimit) return;
  run.rateLimit(1_000, 60);
  const ac = new AbortController();
  const src = create(plugin, run, run.config, { once: false });
  const draining = (async () => {
    for await (const _ of src.batches({ cursor: undefined, signal: ac.signal })) void _;
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const stoppedAt = performance.now();
  ac.abort();
  const ended = await Promise.race([draining.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]);
  violated('abort', ended, `still running ${Math.round(performance.now() - stoppedAt)} ms after the stop, inside a 60 s Retry-After`);
}

/** S4 and S5: a refused credential ends the source with a non-retryable SaaswatchError with a code, and no secret shows in it or in any log line. */
export async function checkRefusedCredential(plugin: SourcePlugin<any>, run: SourceContractRun): Promise<void> {
  if (!run.badCredential) return;
  const { logger, lines } = captureLogs();
  let err: unknown;
  try {
    for await (const _ of create(plugin, run, run.badCredential, { logger, once: false }).batches({ cursor: undefined, signal: AbortSignal.timeout(20_000) })) void _;
  } catch (e) {
    err = e;
  }
  violated('errors', err instanceof SaaswatchError && typeof err.code === 'string', `a refused credential ended the source with ${err === undefined ? 'nothing (it kept polling)' : `a ${(err as Error)?.name ?? typeof err} that is not a SaaswatchError with a code`}`);
  violated('errors', !(err as SaaswatchError).retryable, `a refused credential is marked retryable (${(err as SaaswatchError).code}): it will not fix itself`);
  const seen = [String((err as Error).message), String((err as Error).stack), JSON.stringify(err), JSON.stringify((err as SaaswatchError).details ?? {}), ...lines].join('\n');
  for (const s of run.secrets) violated('secrets', !seen.includes(s), `a secret (${s.slice(0, 4)}…) appears in the error or a log line`);
}

/** Which request is echoed (0: the first, a token request where there is one; 1: the first API call after it) and with which status. */
export const ECHO_CASES = [0, 1].flatMap((at) => [401, 400, 500, 429].map((status) => ({ at, status })));

/**
 * S4 against an upstream that echoes: the chosen request is answered with its own headers, body and
 * query quoted back (raw, base64, base64url, URL-encoded). No configured secret, nor any credential
 * the client sent or was given (access tokens, signed assertions), may show in any encoding in the
 * error the source ends with (message, stack, JSON, util.inspect, details, causes) or any log line.
 */
export async function checkEchoedSecrets(plugin: SourcePlugin<any>, run: SourceContractRun): Promise<void> {
  for (const { at, status } of ECHO_CASES) {
    const up = await startEchoUpstream(run.config);
    try {
      // A source that calls nothing over HTTP has no upstream to echo.
      if (JSON.stringify(up.config) === JSON.stringify(run.config)) return;
      up.echoAt(at, status);
      const { logger, lines } = captureLogs();
      let err: unknown;
      const config = { ...up.config, retry: { max_attempts: 3, initial_backoff: '10ms', max_backoff: '20ms' } };
      try {
        for await (const _ of create(plugin, run, config, { logger, once: true }).batches({ cursor: undefined, signal: AbortSignal.timeout(20_000) })) void _;
      } catch (e) {
        err = e;
      }
      if (up.echoed() !== 1) throw new Error(`the ${plugin.type} harness made fewer than ${at + 1} requests: the echo of request ${at} was never served`);
      const e = err as (Error & { details?: unknown }) | undefined;
      const seen = [
        ...(e ? [String(e.message), String(e.stack), JSON.stringify(e), JSON.stringify(e.details ?? {}), inspect(e, { depth: 10 })] : []),
        ...lines,
      ].join('\n').toLowerCase();
      for (const secret of [...run.secrets, ...up.learned]) {
        for (const form of secretForms(secret)) {
          violated('secrets', !seen.includes(form.toLowerCase()), `request ${at} answered ${status} with the request echoed: a credential (${secret.slice(0, 4)}…) shows ${form === secret ? 'as sent' : 'encoded'} in the error or a log line`);
        }
      }
    } finally {
      await up.close();
    }
  }
}

/** S6: an unreadable saved cursor is warned about with the error, and the source reads from its look-back as if it had none. */
export async function checkUnreadableCursor(plugin: SourcePlugin<any>, run: SourceContractRun): Promise<void> {
  const fresh = await drain(plugin, run);
  if (!fresh.some((b) => b.cursor !== undefined)) return;
  const { logger, lines } = captureLogs();
  let got: SourceBatch[];
  try {
    got = await drain(plugin, run, '{"v":999,"not":"this source\'s"', logger);
  } catch (e) {
    throw new ContractViolation('unreadable', `an unreadable cursor made the source fail (${(e as Error).message}) instead of resuming from its look-back`);
  }
  const warned = lines.map((l) => JSON.parse(l) as { level: number; err?: unknown }).some((l) => l.level === 40 && l.err !== undefined);
  violated('unreadable', warned, 'an unreadable cursor was not logged at warn with the error');
  const want = ids(fresh);
  const have = ids(got);
  violated('unreadable', [...want].every((id) => have.has(id)), `after an unreadable cursor the source read ${have.size} of the ${want.size} events a fresh start reads`);
}

export const CHECKS = [
  ['cursor', checkCursor],
  ['watermark', checkWatermark],
  ['abort', checkAbort],
  ['refused credential', checkRefusedCredential],
  ['echoing upstream', checkEchoedSecrets],
  ['unreadable cursor', checkUnreadableCursor],
] as const;
