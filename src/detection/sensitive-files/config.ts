/** Config schema of the sensitive-files detector: which exposures of a scanned file raise an alert, from which sensitivity, and the mass-download window. */
import { z } from 'zod';
import { SENSITIVITIES, zDuration, zSeverity } from '../../core/index.js';

export const EXPOSURE_KINDS = ['public-link', 'external-share', 'personal-email-share', 'mass-download'] as const;
export type ExposureKind = (typeof EXPOSURE_KINDS)[number];

/**
 * Consumer mailbox domains: a share to one of them leaves every company control. The same list as
 * rules/google-workspace/personal-email-share.yml (a test keeps them equal).
 */
export const PERSONAL_EMAIL_DOMAINS: readonly string[] = [
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'ymail.com',
  'icloud.com', 'me.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.de', 'web.de', 'yandex.ru', 'mail.ru',
];

export const sensitiveFilesConfigSchema = z.strictObject({
  severity: zSeverity.default('high').describe('Severity of an exposed sensitive file.'),
  min_sensitivity: z.enum(SENSITIVITIES).default('medium').describe('The least sensitivity (as the last scan classified the file) whose exposure raises an alert.'),
  exposures: z.array(z.enum(EXPOSURE_KINDS)).min(1).default([...EXPOSURE_KINDS]).describe('Which exposures are watched: public-link (anyone with the link, public on the web), external-share (outside the organisation), personal-email-share (to a consumer mailbox), mass-download (the file among a burst of downloads by one user).'),
  personal_domains: z.array(z.string().min(3)).default([...PERSONAL_EMAIL_DOMAINS]).describe('Consumer mailbox domains for personal-email-share.'),
  mass_download: z
    .strictObject({
      threshold: z.number().int().min(2).default(20).describe('Downloads by one user within the window that make a burst.'),
      window: zDuration.prefault('15m').describe('How close together the downloads of a burst are.'),
    })
    .prefault({})
    .describe('What counts as a mass download of a sensitive file.'),
  max_files: z.number().int().min(1).default(50_000).describe('Files remembered (sensitivity, exposures, what was reported); the least recently touched go first.'),
  max_users: z.number().int().min(1).default(20_000).describe('Users whose recent downloads are remembered for mass-download; the least recently active go first.'),
});

export type SensitiveFilesConfig = z.output<typeof sensitiveFilesConfigSchema>;
