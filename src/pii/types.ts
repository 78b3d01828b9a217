/** The analyzer's contract: entity types (Presidio's names), what a recognizer returns, and how a finding explains itself. */

/** Presidio's entity names for what saaswatch recognizes; secrets are `SECRET_<KIND>`. */
export const ENTITY_TYPES = [
  'CREDIT_CARD',
  'IBAN_CODE',
  'SWIFT_CODE',
  'US_SSN',
  'US_ITIN',
  'US_PASSPORT',
  'ABA_ROUTING_NUMBER',
  'UK_NHS',
  'UK_NINO',
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'IP_ADDRESS',
  'CRYPTO',
  'URL',
  'DATE_TIME',
  'PERSON',
  'LOCATION',
  'SECRET_AWS_ACCESS_KEY',
  'SECRET_AWS_SECRET_KEY',
  'SECRET_GOOGLE_API_KEY',
  'SECRET_SLACK_TOKEN',
  'SECRET_GITHUB_TOKEN',
  'SECRET_STRIPE_KEY',
  'SECRET_JWT',
  'SECRET_PRIVATE_KEY',
  'SECRET_HIGH_ENTROPY',
] as const;

/** A built-in type, or a custom recognizer's own (config `pii.analyzer.custom[].type`, upper snake case). */
export type EntityType = (typeof ENTITY_TYPES)[number] | (string & {});

/** Why a span was reported: enough for a reviewer to trust or tune it, never the value itself. */
export interface Explanation {
  /** Recognizer id, e.g. `credit-card`, `aws-keys`, `custom:employee-id`. */
  recognizer: string;
  /** The pattern's name within the recognizer, e.g. `visa-16`. */
  pattern?: string;
  /** The checksum or rule that accepted it, e.g. `luhn`, `mod97`, `base58check`. */
  validator?: string;
  /** Context words found near the span that raised its score. */
  context?: string[];
  /** Score before context enhancement. */
  baseScore: number;
}

/** One span of text recognized as an entity. Offsets are UTF-16 code units into the analyzed text (JS string indexes). */
export interface RecognizerResult {
  type: EntityType;
  start: number;
  end: number;
  /** 0..1, after context enhancement. */
  score: number;
  explanation: Explanation;
}

/** What a recognizer is given besides the text. */
export interface RecognizeContext {
  /** Context-word languages in use (ISO 639-1), e.g. ['en', 'de']. */
  languages: readonly string[];
}

/**
 * One recognizer: finds candidate spans of its entity types. It MUST be linear in the text's length
 * (no pattern that backtracks catastrophically) and MUST NOT keep the text or its matches.
 */
export interface Recognizer {
  id: string;
  entities: readonly EntityType[];
  /**
   * Short realistic texts in which this recognizer MUST find one of its entities (documented test
   * values); the contract suite runs them (docs/contracts/recognizer.md).
   */
  examples?: readonly string[];
  /** Context words per language that make a nearby match more likely (the analyzer applies them). */
  context?: Readonly<Record<string, readonly string[]>>;
  /** The results, explanations included, become the analyzer's: it raises scores and adds context words in place. */
  recognize(text: string, ctx: RecognizeContext): RecognizerResult[];
}

export interface AnalyzeOptions {
  /** Only these entity types (default: all the analyzer knows). */
  entities?: readonly EntityType[];
  /** Drop findings scored below this (default 0: keep all). */
  minScore?: number;
}

/** Recognizers, context enhancement, allow/deny lists and overlap resolution over one text. */
export interface Analyzer {
  /** Every entity type it can report. */
  readonly entities: readonly EntityType[];
  /** Findings sorted by start, overlaps resolved (the higher score wins a shared span). */
  analyze(text: string, opts?: AnalyzeOptions): RecognizerResult[];
}
