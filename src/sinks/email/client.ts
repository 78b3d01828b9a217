/**
 * The SMTP side of the email sink: resolves the server through the SSRF guard, submits one message
 * with nodemailer over the checked address (TLS verified against the configured name), and turns
 * SMTP replies and socket failures into classified SaaswatchErrors without the credentials.
 */
import { isIP } from 'node:net';
import type { SendMailOptions } from 'nodemailer';
import { errors, SaaswatchError, type Redactor } from '../../core/index.js';
import type { NetGuard } from '../ssrf.js';
import type { SmtpConfig } from './config.js';

/** How much of a server's reply we quote: enough to see why it refused. */
const REPLY_CHARS = 300;

/** The addresses the guard let through for `host`, in DNS order; throws its refusal (CONFIG_INVALID) or a NETWORK error. */
export async function checkedAddresses(guard: NetGuard, host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const early = guard.checkHost(bare);
  if (early) throw early;
  if (isIP(bare)) return [bare];
  return new Promise<string[]>((resolve, reject) => {
    guard.lookup(bare, { all: true }, (err: unknown, addresses?: Array<{ address: string }>) => {
      if (err instanceof SaaswatchError) return reject(err);
      if (err) return reject(errors.network({ target: `SMTP ${host}`, problem: (err as NodeJS.ErrnoException).code ?? 'DNS lookup failed', cause: err }));
      resolve((addresses ?? []).map((a) => a.address));
    });
  });
}

export interface SmtpClientOptions {
  guard: NetGuard;
  /** Connection, greeting and idle-socket timeout, ms. */
  timeoutMs: number;
  /** PEM of the private CA, read from config. */
  ca?: string;
  redactor: Redactor;
  /** How errors name the server (`SMTP smtp.example.com:587`). */
  target: string;
  /** Config path of this sink (`sinks.mail`), for the fix in an error. */
  where: string;
}

export interface SentInfo {
  messageId: string;
  response: string;
  accepted: string[];
  /** Recipients the server refused while it took the message for the others. */
  rejected: string[];
}

/** One SMTP submission per send(): a fresh connection each time, so every connection is checked by the guard. */
export class SmtpClient {
  constructor(
    private readonly config: SmtpConfig,
    private readonly opts: SmtpClientOptions,
  ) {}

  async send(message: SendMailOptions, signal: AbortSignal): Promise<SentInfo> {
    const { config, opts } = this;
    try {
      const addresses = await checkedAddresses(opts.guard, config.host);
      if (addresses.length === 0) throw errors.network({ target: opts.target, problem: 'ENOTFOUND (no address)' });
      // Each checked address in turn while the connection itself is refused (a name with an IPv6
      // address the server does not listen on); once a server has answered, its answer stands.
      for (let i = 0; ; i++) {
        try {
          return await this.#sendTo(addresses[i]!, message, signal);
        } catch (err) {
          if (i + 1 >= addresses.length || signal.aborted || !unreachable(err)) throw err;
        }
      }
    } catch (err) {
      throw opts.redactor.error(classifySmtpError(err, { target: opts.target, where: opts.where, redactor: opts.redactor, timeoutMs: opts.timeoutMs }));
    }
  }

  async #sendTo(address: string, message: SendMailOptions, signal: AbortSignal): Promise<SentInfo> {
    const { config, opts } = this;
    const name = config.host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
    // The socket goes to the address the guard checked; TLS still verifies the configured name.
    const servername = isIP(name) ? undefined : name;
    // Loaded on first use: nodemailer costs a noticeable part of start-up for every command that loads the registry.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: address,
      port: config.port,
      secure: config.tls,
      requireTLS: config.starttls,
      ignoreTLS: !config.tls && !config.starttls,
      ...(servername ? { servername } : {}),
      tls: {
        rejectUnauthorized: config.reject_unauthorized,
        minVersion: 'TLSv1.2',
        ...(servername ? { servername } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      ...(config.username && config.password ? { auth: { user: config.username, pass: config.password.reveal() } } : {}),
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
      dnsTimeout: opts.timeoutMs,
      // nodemailer's own logging would print the SMTP dialogue, AUTH included.
      logger: false,
      debug: false,
      // The message is built from alerts: nothing in it may make nodemailer read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    try {
      const sending = transport.sendMail(message);
      const aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(new DOMException('delivery aborted', 'AbortError'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        void sending.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
      });
      const info = await Promise.race([sending, aborted]);
      return { messageId: info.messageId, response: String(info.response ?? ''), accepted: (info.accepted ?? []).map(String), rejected: (info.rejected ?? []).map(String) };
    } finally {
      transport.close();
    }
  }
}

/** The connection was refused or had no route: nothing reached a server, another address may do. */
function unreachable(err: unknown): boolean {
  const e = err as { code?: string; originalCode?: string; responseCode?: number };
  return e.responseCode === undefined && ['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL'].includes(e.originalCode ?? e.code ?? '');
}

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

function reply(err: NodemailerError, redactor: Redactor): string {
  // The reply is the server's text, which may quote what it was sent (an AUTH line): redacted before it is cut.
  const text = redactor.text(String(err.response ?? '')).replace(/\s+/g, ' ').trim();
  return text.length > REPLY_CHARS ? `${text.slice(0, REPLY_CHARS)}…` : text;
}

/** The SMTP command a failure answered, without its arguments (nodemailer names it `AUTH PLAIN`, `RCPT TO`, ...). */
function commandOf(err: NodemailerError): string | undefined {
  return typeof err.command === 'string' && /^[A-Z][A-Z -]{1,20}$/.test(err.command) ? err.command : undefined;
}

/**
 * SMTP replies: 4xx "later" (retryable), 5xx refused (permanent, the reply quoted); a rejected
 * login (535, 534, or EAUTH without a code) permanent with the fix; no reply at all (refused,
 * reset, DNS, TLS) NETWORK, a timeout TIMEOUT, both retryable.
 */
export function classifySmtpError(raw: unknown, o: { target: string; where: string; redactor: Redactor; timeoutMs: number }): SaaswatchError {
  if (raw instanceof SaaswatchError) return raw;
  const err = (raw instanceof Error ? raw : errors.internal({ problem: `nodemailer threw a non-error: ${String(raw)}` })) as NodemailerError;
  if (err.name === 'AbortError') return errors.network({ target: o.target, problem: 'delivery aborted', cause: err });
  const code = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const command = commandOf(err);
  const said = reply(err, o.redactor);
  const details = { ...(code === undefined ? {} : { smtpCode: code }), ...(command ? { command } : {}) };
  // nodemailer's response is the whole reply line, code first (`535 5.7.8 ...`).
  const answer = said || (code === undefined ? '' : String(code));

  if (err.code === 'EAUTH' && (code === undefined || code >= 500)) {
    return new SaaswatchError('HTTP_REJECTED', `${o.target} refused the login${answer ? ` with ${answer}` : ''} (check ${o.where}.smtp.username and ${o.where}.smtp.password; some providers need an app password or SMTP AUTH enabled for the account)`, {
      retryable: false,
      details,
      cause: err,
    });
  }
  if (code !== undefined && code >= 400 && code < 500) {
    return new SaaswatchError('HTTP_RETRYABLE', `${o.target} answered ${answer}${command ? ` to ${command}` : ''}: it asks to try again later`, { retryable: true, details, cause: err });
  }
  if (code !== undefined && code >= 500) {
    return new SaaswatchError('HTTP_REJECTED', `${o.target} refused the message with ${answer}${command ? ` at ${command}` : ''}`, { retryable: false, details, cause: err });
  }
  if (err.code === 'ETIMEDOUT') return errors.timeout({ target: o.target, afterMs: o.timeoutMs, cause: err });
  const tls = err.code === 'ETLS' || /certificate|self[- ]signed|altnames|TLS|SSL/i.test(err.message);
  const problem = err.originalCode ?? (tls ? `TLS failed: ${o.redactor.text(err.message).slice(0, 200)}` : err.code ?? err.message);
  return errors.network({
    target: o.target,
    problem: tls ? `${problem} (a private CA goes in ${o.where}.smtp.ca)` : problem,
    cause: err,
  });
}
