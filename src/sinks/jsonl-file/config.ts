/** Config schema of the jsonl-file sink: which file alerts are appended to. */
import { z } from 'zod';

export const jsonlFileConfigSchema = z.strictObject({
  /** File alerts are appended to; defaults to `<dataDir>/alerts.jsonl`. Its directory is created. */
  path: z.string().min(1).optional(),
});

export type JsonlFileConfig = z.output<typeof jsonlFileConfigSchema>;
