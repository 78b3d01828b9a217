/** Config schema of the email sink: the SMTP server (TLS, credentials, private CA), the addresses, and the shared retry and network settings. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { zHttpUrl, zSecret } from '../../core/index.js';
import { sinkHttpShape } from '../http-config.js';
import { ALLOW_FIELD, NetGuard } from '../ssrf.js';

/** A DNS name (letters, digits, hyphens, dots) or an IP literal: nothing else may reach a socket or a TLS servername. */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** One plain address (`soc@example.com`): no display name, no line break, so no header can be smuggled in. */
export const zAddress = z.email({ error: 'expected one email address such as soc@example.com (no display name, no line breaks)' });

/** Text that goes into a header: one line. */
const zHeaderText = z.string().refine((s) => !/[\r\n\0]/.test(s), { message: 'must be one line (no line breaks)' });

export const smtpConfigSchema = z
  .strictObject({
    host: z
      .string()
      .refine((h) => HOSTNAME.test(h) || isIP(h.replace(/^\[|\]$/g, '')) !== 0, { message: 'expected a host name such as smtp.example.com or an IP address' })
      .describe('SMTP server to submit mail to.'),
    port: z.number().int().min(1).max(65535).optional().describe('Default 465 with `tls: true`, else 587 (submission).'),
    starttls: z.boolean().optional().describe('Upgrade the connection with STARTTLS and refuse to go on without it. Default true unless `tls` is set.'),
    tls: z.boolean().default(false).describe('Implicit TLS from the first byte (port 465).'),
    username: z.string().min(1).optional().describe('AUTH PLAIN/LOGIN user; absent: no authentication (an internal relay).'),
    password: zSecret.optional().describe('AUTH password (use ${ENV_VAR}); never logged.'),
    ca: z
      .string()
      .min(1)
      .optional()
      .describe('A private CA the server certificate chains to: a PEM text or the path of a PEM file (relative to the config file).'),
    reject_unauthorized: z.boolean().default(true).describe('Verify the server certificate and host name. Turn off only for a test server, never in production.'),
  })
  .superRefine((s, ctx) => {
    if (s.tls && s.starttls === true) ctx.addIssue({ code: 'custom', path: ['starttls'], message: 'set either tls (implicit TLS, port 465) or starttls (port 587), not both' });
    if ((s.username === undefined) !== (s.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [s.username === undefined ? 'username' : 'password'], message: 'username and password go together: set both, or neither for a relay without AUTH' });
    }
    if (s.password !== undefined && !s.tls && s.starttls === false) {
      ctx.addIssue({ code: 'custom', path: ['starttls'], message: 'a password would cross the network in the clear: set starttls: true or tls: true' });
    }
  })
  .transform((s) => ({ ...s, starttls: s.starttls ?? !s.tls, port: s.port ?? (s.tls ? 465 : 587) }));

export const emailConfigSchema = z
  .strictObject({
    smtp: smtpConfigSchema.describe('The SMTP server and how to reach it.'),
    from: zAddress.describe('Envelope sender and From: address.'),
    to: z.array(zAddress).min(1, 'give at least one recipient').describe('Recipients.'),
    cc: z.array(zAddress).default([]).describe('Copy recipients.'),
    subject_prefix: zHeaderText.default('[saaswatch]').describe('Put before every subject, so mail rules can file alerts.'),
    charts: z.boolean().default(true).describe('Show the alert\'s chart inline (the same PNG the Slack sink posts).'),
    dashboard_url: zHttpUrl('https://saaswatch.example.com').optional().describe('Base URL of the dashboard: each mail links to `<dashboard_url>/alerts/<id>`.'),
    ...sinkHttpShape,
  })
  .superRefine((c, ctx) => {
    // An IP literal or a metadata name is refused here, at config check; names are checked after DNS, at each connect.
    const refused = new NetGuard(c.allow_networks, 'sink', { allowPrivate: c.allow_private_networks }).checkHost(c.smtp.host);
    if (refused) ctx.addIssue({ code: 'custom', path: ['smtp', 'host'], message: refused.message.replace(/^sink\.url: /, '').replace(/sink\.allow_networks/, ALLOW_FIELD) });
  });

export type EmailConfig = z.output<typeof emailConfigSchema>;
export type SmtpConfig = EmailConfig['smtp'];
