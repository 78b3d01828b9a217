/** Config schema of the jsonl-file sink: which file alerts are appended to. */
import { z } from 'zod';

export const jsonlFileConfigSchema = z.strictObject({
  path: z.string().min(1).optional().describe('File alerts are appended to; defaults to `<dataDir>/alerts.jsonl`. Its directory is created.'),
});

export type JsonlFileConfig = z.output<typeof jsonlFileConfigSchema>;
