/** What saaswatch knows of a file's content: its sensitivity level and the kinds of sensitive data in it, never the data itself. */

/** How sensitive a file is, least first; ordered so a level compares by its index. */
export const SENSITIVITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** The rank of a level (none 0 … critical 4), for "medium or above" tests. */
export const sensitivityRank = (s: Sensitivity): number => SENSITIVITIES.indexOf(s);

export const isSensitivity = (v: unknown): v is Sensitivity => typeof v === 'string' && (SENSITIVITIES as readonly string[]).includes(v);

/**
 * The entities found in one file, by Presidio entity type (`CREDIT_CARD`, `US_SSN`,
 * `SECRET_AWS_ACCESS_KEY`, ...). Samples are masked (see src/pii/anonymize.ts): this is the only
 * shape in which findings are stored, logged or sent.
 */
export interface EntitySummary {
  /** Findings per entity type, at or above the scan's minimum score. */
  counts: Record<string, number>;
  /** A few masked values per entity type (at most 3), e.g. `************1111`. */
  samples: Record<string, string[]>;
}

/** The outcome of scanning one version of a file. */
export interface FileClassification {
  sensitivity: Sensitivity;
  entities: EntitySummary;
  /** The content hash the scan read (the vendor's md5/sha256/content_hash where given, else our sha256), `<algo>:<hex>`. */
  contentHash: string;
  /** ISO time of the scan. */
  scannedAt: string;
  /** Only part of the content was read (a size, page or sheet limit). */
  truncated?: boolean;
  /** Why the file could not be read (encrypted, corrupt, too large); sensitivity is then 'none' and entities empty. */
  error?: { code: string; message: string };
}
