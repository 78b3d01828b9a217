/** One pino logger for the process: quiet by default, secrets redacted by path and scrubbed from error text. */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { safeJsonLine } from './cli/terminal.js';

export type { Logger };

const REDACT = [
  '*.secret', '*.token', '*.password', '*.authorization', '*.Authorization', 'headers.authorization',
  '*.apiKey', '*.api_key', '*.clientSecret', '*.client_secret',
];

/** Query parameters that carry credentials in the URLs of SaaS APIs, webhooks and databases. */
const SECRET_PARAM = /([?&](?:[\w.-]*(?:token|secret|key|password|passwd|pwd|sig|signature|code|auth)[\w.-]*)=)[^&#\s"'<>]+/gi;
/** `scheme://user:password@host`: the password part. */
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'<>]*:)[^@/\s"'<>]+@/gi;

/**
 * Removes credentials that a URL in free text may hold. Sources redact before they throw; this is
 * the second line, for a library's error (or its cause) that quotes a request URL.
 */
export function scrubSecrets(text: string): string {
  return text.replace(USERINFO, '$1[redacted]@').replace(SECRET_PARAM, '$1[redacted]');
}

/** pino's error serializer (code, stack and cause survive), with the message and stack scrubbed. */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  if (out && typeof out === 'object' && out !== err) {
    const o = out as { message?: unknown; stack?: unknown };
    if (typeof o.message === 'string') o.message = scrubSecrets(o.message);
    if (typeof o.stack === 'string') o.stack = scrubSecrets(o.stack);
  }
  return out;
}

/** The options of every saaswatch logger; tests build a logger from them over a memory stream. */
export function loggerOptions(level?: string): LoggerOptions {
  return {
    // The environment wins over the config file: it is how one run is made louder or quieter.
    level: process.env.SAASWATCH_LOG_LEVEL ?? level ?? 'info',
    base: undefined,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError },
    // Log lines quote users, entities and file names from the data: JSON escapes C0 but leaves DEL,
    // C1 and bidi overrides raw, which a terminal showing stderr would act on.
    hooks: { streamWrite: safeJsonLine },
  };
}

export function createLogger(opts: { level?: string; destination?: number } = {}): Logger {
  // Logs go to stderr so stdout stays free for command output and pipes.
  return pino(loggerOptions(opts.level), pino.destination({ fd: opts.destination ?? 2, sync: true }));
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
