/** Config schema of the imap source: the reporting mailbox (server, TLS, credentials, folder) and the shared polling fields. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { zDuration, zSecret, zStrictObject } from '../../core/index.js';
import { zPollInterval, zRetry } from '../../pipeline/polling-config.js';

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export const imapConfigSchema = zStrictObject(
  {
    host: z
      .string()
      .refine((h) => HOSTNAME.test(h) || isIP(h.replace(/^\[|\]$/g, '')) !== 0, { message: 'expected a host name such as imap.example.com or an IP address' })
      .describe('IMAP server of the reporting mailbox.'),
    port: z.number().int().min(1).max(65535).optional().describe('Default 993 with `tls: true`, else 143 (STARTTLS).'),
    tls: z.boolean().default(true).describe('Implicit TLS (993). `false`: plain IMAP upgraded with STARTTLS, which is required: the login never crosses in the clear.'),
    username: z.string().min(1).describe('Login of the reporting mailbox.'),
    password: zSecret.describe('Its password or app password (use ${ENV_VAR}); never logged.'),
    mailbox: z.string().min(1).default('INBOX').describe('Folder the reports arrive in.'),
    ca: z.string().min(1).optional().describe('A private CA the server certificate chains to: a PEM text or the path of a PEM file (relative to the config file).'),
    reject_unauthorized: z.boolean().default(true).describe('Verify the server certificate and host name. Turn off only for a test server.'),
    page_size: z.number().int().min(1).max(500).default(50).describe('Messages fetched and committed per batch.'),
    max_message_size: z.number().int().min(1024).default(25 * 1024 * 1024).describe('Larger reports (bytes) are not downloaded: they become dead letters.'),
    poll_interval: zPollInterval('1m').describe('Time between polls of the mailbox.'),
    settle: zDuration
      .prefault('5m')
      .describe('The watermark each poll promises lags its start by this much: reports that reach the mailbox with an older arrival time than that are late for windowed rules.'),
    timeout: zDuration.prefault('60s').describe('Connect, greeting and idle-socket timeout.'),
    retry: zRetry(5),
  },
  'imap source config',
).transform((c) => ({ ...c, port: c.port ?? (c.tls ? 993 : 143) }));

export type ImapConfig = z.output<typeof imapConfigSchema>;
