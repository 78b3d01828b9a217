/** The bounds text extraction keeps to (config `pii.limits`): what a hostile or huge file may cost in bytes, time and memory. */
import { z } from 'zod';
import { zDuration, zStrictObject } from '../../core/config-types.js';

const MiB = 1024 * 1024;
const bytes = () => z.number().int().min(1);

export const extractLimitsSchema = zStrictObject(
  {
    max_bytes: bytes().default(50 * MiB).describe('Largest file read, in bytes; a larger one is dead-lettered (input too large).'),
    max_text_chars: bytes()
      .default(20_000_000)
      .describe('Characters of text kept per file; the rest is not scanned and the file is marked truncated.'),
    max_pages: bytes().default(500).describe('PDF pages read per file; later pages are skipped and the file is marked truncated.'),
    max_sheets: bytes().default(50).describe('Spreadsheet sheets read per workbook (xlsx, ods); later sheets are skipped and the file is marked truncated.'),
    max_rows: bytes()
      .default(200_000)
      .describe('Rows read per sheet (xlsx, ods) or CSV file; later rows are skipped and the file is marked truncated.'),
    max_expanded_bytes: bytes()
      .default(200 * MiB)
      .describe('Bytes a zip-based file (docx, xlsx, pptx, odt) may inflate to, counted while inflating whatever the headers declare; past it the file is dead-lettered as a zip bomb.'),
    max_entries: bytes().default(10_000).describe('Entries a zip-based file may hold; more and it is dead-lettered before anything is inflated.'),
    max_ratio: bytes()
      .default(1_000)
      .describe('Largest expansion ratio (inflated to compressed bytes) of a zip entry over 1 MiB; past it the file is dead-lettered as a zip bomb.'),
    timeout: zDuration.prefault('30s').describe('Time allowed to extract one file; past it the file is dead-lettered.'),
  },
  'pii.limits',
);

export type ExtractLimits = z.output<typeof extractLimitsSchema>;

export const DEFAULT_LIMITS: Readonly<ExtractLimits> = Object.freeze(extractLimitsSchema.parse({}));
