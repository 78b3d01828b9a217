/** The root `pii:` config section: whether sources scan file content, with the analyzer's and the extractor's settings and the scanner's own bounds. */
import { z } from 'zod';
import { zDuration, zSecret, zStrictObject } from '../core/config-types.js';
import { analyzerConfigSchema } from './config.js';
import { extractLimitsSchema } from './extract/limits.js';

const MiB = 1024 * 1024;

export const piiSettingsSchema = zStrictObject(
  {
    enabled: z
      .boolean()
      .default(false)
      .describe('Scan file content for PII and secrets when Drive and Dropbox files are created, edited or shared (needs content read scopes: Drive `drive.readonly`, Dropbox `files.content.read`).'),
    analyzer: analyzerConfigSchema.prefault({}).describe('Recognizers: languages, allow and deny lists, custom patterns.'),
    limits: extractLimitsSchema.prefault({}).describe('Bounds of text extraction (bytes, pages, sheets, zip expansion, time).'),
    min_score: z.number().min(0).max(1).default(0.5).describe('Findings scored below this are not counted.'),
    concurrency: z.number().int().min(1).max(64).default(2).describe('Files scanned at once.'),
    queue_size: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('Files waiting for a scan; when full a new file is refused (counted, and picked up by the next inventory or change).'),
    max_file_bytes: z.number().int().min(1).default(25 * MiB).describe('Largest file downloaded for a scan; a larger one is dead-lettered unread (by its reported size when known).'),
    timeout: zDuration.prefault('2m').describe('Time allowed for one file: download, extraction and analysis.'),
    key: zSecret.optional().describe('Key for keyed hashes of findings (HMAC-SHA256), usually `${SAASWATCH_PII_KEY}`; absent: no keyed hashes are kept.'),
  },
  'pii',
).describe('Content scanning of files for PII and secrets (sensitivity levels on the file inventory).');

export type PiiSettings = z.output<typeof piiSettingsSchema>;
export type PiiSettingsInput = z.input<typeof piiSettingsSchema>;
