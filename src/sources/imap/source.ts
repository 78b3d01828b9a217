/**
 * The imap source: polls a reporting mailbox over IMAP (imapflow), reads each new message by UID,
 * and yields it as the same `email_reported` event the Graph mailbox gives. The cursor is the
 * mailbox's UIDVALIDITY and the last UID committed; when UIDVALIDITY changes (the mailbox was
 * rebuilt) the UIDs mean nothing any more, so it reads the mailbox again from its start and dedupe
 * (by event id, which does not depend on the UID) drops what was stored before.
 */
import { isIP } from 'node:net';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';
import { errors, readPem, Redactor, SaaswatchError, type DeadLetterInput, type PluginDeps, type SecurityEvent, type SourcePlugin } from '../../core/index.js';
import { pollerSpec } from '../../pipeline/polling-config.js';
import { PollingSource, pollingOptions, type CursorCodec, type PolledBatch, type PollContext, type PollingSourceOptions } from '../../pipeline/polling.js';
import { imapConfigSchema, type ImapConfig } from './config.js';
import { normalizeReport, parseReport, reportRecord } from './normalize.js';

export { imapConfigSchema, type ImapConfig } from './config.js';

export const TYPE = 'imap';
/** Most of a dead letter's payload: the start of the message, enough to find it in the mailbox. */
const DEAD_LETTER_BYTES = 16 * 1024;

export interface ImapCursor {
  /** UIDVALIDITY of the mailbox the UIDs belong to, as a decimal string (it is a 32-bit unsigned, imapflow gives a bigint); '' before the first poll. */
  uidValidity: string;
  /** Highest UID committed. */
  lastUid: number;
}

export const imapCursor: CursorCodec<ImapCursor> = {
  version: 1,
  read: (d) => (typeof d.uidValidity === 'string' && /^\d*$/.test(d.uidValidity) && Number.isSafeInteger(d.lastUid) && (d.lastUid as number) >= 0 ? { uidValidity: d.uidValidity, lastUid: d.lastUid as number } : undefined),
  write: (s) => ({ uidValidity: s.uidValidity, lastUid: s.lastUid }),
  initial: () => ({ uidValidity: '', lastUid: 0 }),
};

export interface ImapSourceOptions extends PollingSourceOptions {
  /** Where a relative `ca` path is read from (the config file's folder). */
  baseDir?: string;
}

interface ImapError extends Error {
  code?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseStatus?: string;
  responseText?: string;
}

/**
 * What imapflow threw, classified: a refused login or a missing mailbox will not fix themselves
 * (a person must act); the server's "later" (UNAVAILABLE, BYE), refused or lost connections, TLS
 * and timeouts are retried.
 */
export function classifyImapError(raw: unknown, o: { target: string; where: string; mailbox: string }): SaaswatchError {
  if (raw instanceof SaaswatchError) return raw;
  const err = (raw instanceof Error ? raw : errors.internal({ problem: `imapflow threw a non-error: ${String(raw)}` })) as ImapError;
  const said = typeof err.responseText === 'string' ? err.responseText.replace(/\s*\[vm:[^\]]*\]\s*$/, '').slice(0, 300) : '';
  const details = { ...(err.serverResponseCode ? { imapCode: err.serverResponseCode } : {}), ...(err.code ? { imapError: err.code } : {}) };
  if (err.authenticationFailed && err.serverResponseCode !== 'UNAVAILABLE') {
    return new SaaswatchError('HTTP_REJECTED', `${o.target} refused the login${said ? `: ${said}` : ''} (check ${o.where}.username and ${o.where}.password; some providers need an app password or IMAP enabled for the account)`, {
      retryable: false,
      details,
      cause: err,
    });
  }
  if (err.serverResponseCode === 'NONEXISTENT' || (err.responseStatus === 'NO' && /select|examine/i.test(String((err as { executedCommand?: string }).executedCommand ?? '')))) {
    return errors.configInvalid({ path: `${o.where}.mailbox`, problem: `${o.target} has no mailbox ${JSON.stringify(o.mailbox)}${said ? ` (${said})` : ''}`, fix: 'name a folder of the reporting account, such as INBOX', cause: err });
  }
  if (err.responseStatus === 'NO' || err.responseStatus === 'BAD') {
    return new SaaswatchError('HTTP_RETRYABLE', `${o.target} answered ${err.responseStatus}${said ? `: ${said}` : ''}`, { retryable: true, details, cause: err });
  }
  if (err.code === 'ETIMEDOUT' || err.code === 'CONNECT_TIMEOUT' || err.code === 'GREETING_TIMEOUT') return errors.timeout({ target: o.target, cause: err });
  const tls = /certificate|self[- ]signed|altnames|TLS|SSL|STARTTLS/i.test(err.message);
  return errors.network({ target: o.target, problem: tls ? `TLS failed: ${err.message.slice(0, 200)} (a private CA goes in ${o.where}.ca)` : (err.code ?? err.message), cause: err });
}

/** `1,2,5` for imapflow's UID ranges. */
const rangeOf = (uids: number[]) => uids.join(',');

export class ImapSource extends PollingSource<ImapCursor> {
  constructor(name: string, config: ImapConfig, opts: ImapSourceOptions = {}) {
    const redactor = new Redactor([config.password]);
    const target = `IMAP ${config.host}:${config.port}`;
    const where = `sources.${name}`;
    const classify = (err: unknown) => classifyImapError(err, { target, where, mailbox: config.mailbox });
    const ca = readPem(config.ca, `sources.${name}.ca`, opts.baseDir);
    super({
      name,
      type: TYPE,
      label: 'IMAP',
      cursor: imapCursor,
      classify,
      redact: redactor,
      ...pollerSpec({ ...config, min_poll_interval: 0 }, opts),
      open: () => ({
        pollOnce: (state, ctx) => pollMailbox(state, ctx, { name, config, ca, redactor, classify, logger: opts.logger, target }),
      }),
    });
  }
}

interface PollDeps {
  name: string;
  config: ImapConfig;
  ca: string | undefined;
  redactor: Redactor;
  classify: (err: unknown) => SaaswatchError;
  logger: Logger | undefined;
  target: string;
}

function connectOptions(config: ImapConfig, ca: string | undefined): ImapFlowOptions {
  const host = config.host.replace(/^\[|\]$/g, '');
  return {
    host,
    port: config.port,
    secure: config.tls,
    // Without implicit TLS, STARTTLS is required: the login never goes out in the clear.
    ...(config.tls ? {} : { doSTARTTLS: true }),
    ...(isIP(host) ? {} : { servername: host }),
    auth: { user: config.username, pass: config.password.reveal() },
    tls: { rejectUnauthorized: config.reject_unauthorized, minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) },
    connectionTimeout: config.timeout,
    greetingTimeout: config.timeout,
    socketTimeout: config.timeout,
    // Its own log would print the IMAP dialogue; the login is sent as AUTHENTICATE PLAIN.
    logger: false,
    disableAutoIdle: true,
  } as ImapFlowOptions;
}

/** One poll: connect, open the mailbox read-only, read every UID above the cursor in pages, log out. */
async function* pollMailbox(state: ImapCursor, ctx: PollContext, d: PollDeps): AsyncGenerator<PolledBatch<ImapCursor>> {
  const { config } = d;
  const startedAt = ctx.now();
  const { ImapFlow: Client } = await import('imapflow');
  const client = await ctx.retry('connect', async () => {
    const c = new Client(connectOptions(config, d.ca));
    // A dropped connection is reported through the command that fails; the event must not crash the process.
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  });
  const onAbort = () => client.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const box = await ctx.retry('open mailbox', () => client.mailboxOpen(config.mailbox, { readOnly: true }));
    const uidValidity = String(box.uidValidity);
    let lastUid = state.lastUid;
    if (state.uidValidity !== '' && state.uidValidity !== uidValidity) {
      d.logger?.warn({ mailbox: config.mailbox, was: state.uidValidity, now: uidValidity, lastUid }, 'IMAP mailbox UIDVALIDITY changed; reading it again from its start (reports already stored are dropped as duplicates).');
      lastUid = 0;
    }
    // `N:*` also answers the highest UID when it is below N: keep only what is new.
    const found = box.exists === 0 ? [] : ((await ctx.retry('search', () => client.search({ uid: `${lastUid + 1}:*` }, { uid: true }))) || []);
    const uids = found.filter((u) => u > lastUid).sort((a, b) => a - b);
    let done = 0;
    for (let i = 0; i < uids.length; i += config.page_size) {
      if (ctx.signal.aborted) return;
      const page = uids.slice(i, i + config.page_size);
      const { events, deadLetters } = await readPage(client, page, ctx, d);
      done += page.length;
      lastUid = page[page.length - 1]!;
      const last = i + config.page_size >= uids.length;
      yield {
        events,
        deadLetters,
        state: { uidValidity, lastUid },
        progress: { done, total: uids.length, unit: 'records' },
        // Reports arrive in UID order, close to their arrival time: the poll's start, less settle, is a promise it can keep.
        ...(last ? { watermark: startedAt - config.settle } : {}),
      };
    }
    if (uids.length === 0 && uidValidity !== state.uidValidity) yield { events: [], deadLetters: [], state: { uidValidity, lastUid }, watermark: startedAt - config.settle };
    else if (uids.length === 0) yield { events: [], deadLetters: [], watermark: startedAt - config.settle };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await client.logout().catch(() => client.close());
  }
}

async function readPage(client: ImapFlow, page: number[], ctx: PollContext, d: PollDeps): Promise<{ events: SecurityEvent[]; deadLetters: DeadLetterInput[] }> {
  const { config } = d;
  const events: SecurityEvent[] = [];
  const deadLetters: DeadLetterInput[] = [];
  const ingested = new Date(ctx.now()).toISOString();
  const sizes = await ctx.retry('fetch sizes', () => client.fetchAll(rangeOf(page), { uid: true, size: true, internalDate: true }, { uid: true }));
  const meta = new Map(sizes.map((m) => [m.uid, m]));
  const wanted = page.filter((uid) => (meta.get(uid)?.size ?? 0) <= config.max_message_size);
  for (const uid of page) {
    const size = meta.get(uid)?.size ?? 0;
    if (size > config.max_message_size) {
      deadLetters.push({ source: d.name, code: 'INPUT_TOO_LARGE', reason: `${config.mailbox} UID ${uid}: ${size} bytes is over max_message_size (${config.max_message_size})`, payload: '', position: { page: `uid ${uid}` } });
    }
  }
  const bodies = wanted.length ? await ctx.retry('fetch messages', () => client.fetchAll(rangeOf(wanted), { uid: true, source: true }, { uid: true })) : [];
  const byUid = new Map(bodies.map((m) => [m.uid, m.source]));
  for (const uid of wanted) {
    const source = byUid.get(uid);
    const where = `${config.mailbox} UID ${uid}`;
    const position = { page: `uid ${uid}` };
    if (!source) {
      // Expunged between the search and the fetch: nothing to read, nothing lost.
      continue;
    }
    const payload = source.subarray(0, DEAD_LETTER_BYTES).toString('utf8');
    let parsed: Awaited<ReturnType<typeof parseReport>>;
    try {
      parsed = await parseReport(source);
    } catch (err) {
      deadLetters.push({ source: d.name, code: 'INPUT_MALFORMED', reason: `${where}: the message cannot be parsed (${(err as Error).message.slice(0, 200)})`, payload, position });
      continue;
    }
    const internal = meta.get(uid)?.internalDate;
    const receivedMs = internal === undefined ? undefined : new Date(internal).getTime();
    const r = normalizeReport(reportRecord(config.mailbox, parsed), parsed, Number.isFinite(receivedMs) ? receivedMs : undefined, ingested);
    if (r.ok) events.push(r.event);
    else deadLetters.push({ source: d.name, code: r.code, reason: `${where}: ${r.reason}`, payload, position });
  }
  return { events, deadLetters };
}

export const imapPlugin: SourcePlugin<ImapConfig> = {
  type: TYPE,
  description: 'A reporting mailbox over IMAP: each reported message becomes an email_reported event (as the Graph mailbox gives)',
  configSchema: imapConfigSchema,
  create(name: string, config: ImapConfig, deps: PluginDeps): ImapSource {
    return new ImapSource(name, config, { ...pollingOptions(deps), ...(deps.baseDir ? { baseDir: deps.baseDir } : {}) });
  },
};
