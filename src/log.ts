/** One pino logger for the process: quiet by default, secrets redacted by path. */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  '*.secret', '*.token', '*.password', '*.authorization', '*.Authorization', 'headers.authorization',
  '*.apiKey', '*.api_key', '*.clientSecret', '*.client_secret',
];

export function createLogger(opts: { level?: string; destination?: number } = {}): Logger {
  return pino(
    {
      // The environment wins over the config file: it is how one run is made louder or quieter.
      level: process.env.SAASWATCH_LOG_LEVEL ?? opts.level ?? 'info',
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    // Logs go to stderr so stdout stays free for command output and pipes.
    pino.destination({ fd: opts.destination ?? 2, sync: true }),
  );
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
