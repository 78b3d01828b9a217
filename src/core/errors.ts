/**
 * The error catalogue: every error saaswatch raises has a stable code from here, with whether
 * retrying helps, the CLI exit code and the HTTP status it maps to, and one constructor that words
 * it. docs/errors.md documents each code (a test keeps the two in step).
 */

export interface ErrorSpec {
  /** One line for docs and `--help`: what went wrong. */
  summary: string;
  /** Whether trying the same thing again can succeed; a constructor may say otherwise for one case. */
  retryable: boolean;
  /** Process exit code when the error ends a CLI command (2: the user must change something first). */
  exitCode: 1 | 2;
  /** Status when the error answers an HTTP request. */
  httpStatus: number;
  /** One sentence for the user after the message: what to do about it (the CLI prints it). */
  fix: string;
}

export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { summary: 'A configuration value (or a rule file) is invalid.', retryable: false, exitCode: 2, httpStatus: 400, fix: 'Correct each named field, then run `saaswatch config check` again.' },
  CONFIG_NOT_FOUND: { summary: 'The configuration file does not exist.', retryable: false, exitCode: 2, httpStatus: 404, fix: 'Pass `-c FILE`, or create `saaswatch.yml` in the working folder.' },
  UNKNOWN_PLUGIN: { summary: 'A source, detector or sink `type` that no plugin provides.', retryable: false, exitCode: 2, httpStatus: 400, fix: 'Correct the `type`; the known types are listed in the message.' },
  INPUT_MALFORMED: { summary: 'Input that cannot be read as what it should be (a record, a file, a request).', retryable: false, exitCode: 1, httpStatus: 400, fix: 'Correct the input at the place the message names.' },
  INPUT_TOO_LARGE: { summary: 'Input over a configured size limit.', retryable: false, exitCode: 1, httpStatus: 413, fix: 'Split the input, or raise the limit that the message names.' },
  FILE_UNREADABLE: { summary: 'A file whose text cannot be extracted: encrypted, corrupt, over a page/sheet/expansion limit, or a format saaswatch does not read.', retryable: false, exitCode: 1, httpStatus: 422, fix: 'Nothing to retry: the file is dead-lettered with the reason; decrypt or convert it, or raise the `pii.limits` value the message names.' },
  TIMESTAMP_INVALID: { summary: 'A record whose timestamp is missing or cannot be parsed.', retryable: false, exitCode: 1, httpStatus: 400, fix: "Check the source's `timestamp` mapping, `timestamp_format` and `timezone`." },
  FIELD_MISSING: { summary: 'A record without a field its mapping requires.', retryable: false, exitCode: 1, httpStatus: 400, fix: "Check the source's field mapping, or add the field to the records." },
  FIELD_TYPE: { summary: 'A record field of the wrong type.', retryable: false, exitCode: 1, httpStatus: 400, fix: "Check the source's field mapping against the records' values." },
  STORAGE: { summary: 'The store (or an output file) failed an operation.', retryable: true, exitCode: 1, httpStatus: 500, fix: 'Check the free space and permissions of `data_dir` (or the database), then run the command again.' },
  STORAGE_UNAVAILABLE: { summary: 'The store cannot be reached or opened.', retryable: true, exitCode: 1, httpStatus: 503, fix: 'Check that the database is running and `storage.url` (or `data_dir`) is right, then run the command again.' },
  HTTP_RETRYABLE: { summary: 'A remote service answered "later" (5xx, 408, 429), maybe with Retry-After.', retryable: true, exitCode: 1, httpStatus: 502, fix: 'Run the command again later; a running saaswatch retries on its own.' },
  HTTP_REJECTED: { summary: 'A remote service refused the request (4xx, unfollowed redirect).', retryable: false, exitCode: 1, httpStatus: 502, fix: 'Check the URL, the credentials and their permissions for that service.' },
  NETWORK: { summary: 'A remote service could not be reached (refused, reset, DNS, TLS).', retryable: true, exitCode: 1, httpStatus: 502, fix: 'Check the URL, DNS, proxy and TLS settings, and that the service is reachable from this machine.' },
  TIMEOUT: { summary: 'A remote service did not answer in time.', retryable: true, exitCode: 1, httpStatus: 504, fix: 'Run the command again, or raise the `timeout` of that source or sink.' },
  INTERNAL: { summary: 'A bug: saaswatch broke one of its own invariants.', retryable: false, exitCode: 1, httpStatus: 500, fix: 'This is a bug: please report it with the log line (`SAASWATCH_LOG_LEVEL=debug` for more).' },
  UNAUTHENTICATED: { summary: 'A request without valid credentials (no session, an expired one, a revoked or unknown token, a wrong password).', retryable: false, exitCode: 2, httpStatus: 401, fix: 'Log in again (`POST /api/auth/login`), or send a valid token as `Authorization: Bearer <token>` (`saaswatch user token EMAIL`).' },
  FORBIDDEN: { summary: 'A request the caller may not make: its role does not allow it, or its CSRF token is missing or wrong.', retryable: false, exitCode: 2, httpStatus: 403, fix: 'Ask an admin for a role that allows it (viewer reads; analyst triages and blocks; admin manages users and tokens), or send the session\'s `X-CSRF-Token`.' },
  NOT_FOUND: { summary: 'A request for something that does not exist (an alert, a user, a route).', retryable: false, exitCode: 1, httpStatus: 404, fix: 'Check the id or path; list what exists first (`GET /api/alerts`, `saaswatch alerts`).' },
  CONFLICT: { summary: 'A request that clashes with what exists (an account that already exists, a change to something changed meanwhile).', retryable: false, exitCode: 2, httpStatus: 409, fix: 'Read the current state, then make the change against it.' },
  RATE_LIMITED: { summary: 'Too many requests from one client (or failed logins for one account) in a short time.', retryable: true, exitCode: 1, httpStatus: 429, fix: 'Wait for the time in Retry-After, then try again.' },
  ACTION_REFUSED: { summary: 'A response action that configuration or policy does not allow (not enabled, protected account, rate limit, no such action).', retryable: false, exitCode: 2, httpStatus: 403, fix: 'Do what the message says: enable the action in `response.execute`, pick an action `saaswatch actions` lists, or act by hand.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export interface ErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class SaaswatchError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Server-requested delay before the next attempt (Retry-After), when known. */
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SaaswatchError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }

  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exitCode;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].httpStatus;
  }

  /** What the user can do about an error of this code (the catalogue's `fix`). */
  get fix(): string {
    return ERROR_CATALOGUE[this.code].fix;
  }
}

type Extra = Pick<ErrorOptions, 'cause' | 'details'>;

function make(code: ErrorCode, message: string, extra: ErrorOptions = {}): SaaswatchError {
  return new SaaswatchError(code, message, { retryable: ERROR_CATALOGUE[code].retryable, ...extra });
}

/** `where: problem (fix)`: errors a user fixes name the place and the fix. */
const located = (where: string, problem: string, fix?: string) => `${where ? `${where}: ` : ''}${problem}${fix ? ` (${fix})` : ''}`;

/** One constructor per code, each with its message template. */
export const errors = {
  /** `<path>: <problem> (<fix>)`, e.g. `sources.google.page_size: must be at least 1 (set a number from 1 to 1000)`. */
  configInvalid: (o: { path: string; problem: string; fix?: string } & Extra) => make('CONFIG_INVALID', located(o.path, o.problem, o.fix), withDetails(o, { path: o.path })),
  /** `config file not found: <path> (<fix>)`. */
  configNotFound: (o: { path: string; fix?: string } & Extra) => make('CONFIG_NOT_FOUND', located('', `config file not found: ${o.path}`, o.fix), withDetails(o, { path: o.path })),
  /** `<path>: unknown <kind> type "<type>" (known: a, b, c)`. */
  unknownPlugin: (o: { kind: 'source' | 'detector' | 'sink'; type: string; known: readonly string[]; path?: string; suggestion?: string } & Extra) =>
    make(
      'UNKNOWN_PLUGIN',
      located(o.path ?? '', `unknown ${o.kind} type ${JSON.stringify(o.type)}`, `${o.suggestion ? `did you mean ${JSON.stringify(o.suggestion)}? ` : ''}known: ${o.known.join(', ')}`),
      withDetails(o, { kind: o.kind, type: o.type }),
    ),
  /** `<where>: <problem>`, e.g. `asn.csv:12: expected a number and a comma`; retryable when a remote API sent it (the next answer may be whole). */
  inputMalformed: (o: { where: string; problem: string; fix?: string; retryable?: boolean } & Extra) =>
    make('INPUT_MALFORMED', located(o.where, o.problem, o.fix), { ...withDetails(o, { where: o.where }), ...(o.retryable === undefined ? {} : { retryable: o.retryable }) }),
  /** `<where>: <size> is over the limit of <limit>`. */
  inputTooLarge: (o: { where: string; size: string; limit: string } & Extra) => make('INPUT_TOO_LARGE', located(o.where, `${o.size} is over the limit of ${o.limit}`), withDetails(o, { where: o.where })),
  /** `<file>: <problem> (<fix>)`, e.g. `report.pdf: the PDF is encrypted (decrypt it, then scan it again)`. */
  fileUnreadable: (o: { file: string; problem: string; fix?: string } & Extra) => make('FILE_UNREADABLE', located(o.file, o.problem, o.fix), withDetails(o, { file: o.file })),
  /** `<where>: <problem>`. */
  timestampInvalid: (o: { where: string; problem: string } & Extra) => make('TIMESTAMP_INVALID', located(o.where, o.problem), withDetails(o, { where: o.where })),
  /** `<where>: missing field <field>`. */
  fieldMissing: (o: { where: string; field: string } & Extra) => make('FIELD_MISSING', located(o.where, `missing field ${o.field}`), withDetails(o, { field: o.field })),
  /** `<where>: <field> should be <expected>`. */
  fieldType: (o: { where: string; field: string; expected: string } & Extra) => make('FIELD_TYPE', located(o.where, `${o.field} should be ${o.expected}`), withDetails(o, { field: o.field })),
  /** `storage error during <operation>: <problem>`. */
  storage: (o: { operation: string; problem: string; retryable?: boolean } & Extra) =>
    make('STORAGE', `storage error during ${o.operation}: ${o.problem}`, { ...withDetails(o, { operation: o.operation }), ...(o.retryable === undefined ? {} : { retryable: o.retryable }) }),
  /** `storage unavailable: <problem>`. */
  storageUnavailable: (o: { problem: string } & Extra) => make('STORAGE_UNAVAILABLE', `storage unavailable: ${o.problem}`, withDetails(o, {})),
  /** `<target> responded <status>[: <detail>]`. */
  httpRetryable: (o: { target: string; status: number; detail?: string; retryAfterMs?: number } & Extra) =>
    make('HTTP_RETRYABLE', `${o.target} responded ${o.status}${o.detail ? `: ${o.detail}` : ''}`, {
      ...withDetails(o, { status: o.status }),
      ...(o.retryAfterMs === undefined ? {} : { retryAfterMs: o.retryAfterMs }),
    }),
  /** `<target> rejected the request with <status>[<why>][: <detail>]`. */
  httpRejected: (o: { target: string; status: number; why?: string; detail?: string } & Extra) =>
    make('HTTP_REJECTED', `${o.target} rejected the request with ${o.status}${o.why ?? ''}${o.detail ? `: ${o.detail}` : ''}`, withDetails(o, { status: o.status })),
  /** `could not reach <target>: <problem>`. */
  network: (o: { target: string; problem: string } & Extra) => make('NETWORK', `could not reach ${o.target}: ${o.problem}`, withDetails(o, {})),
  /** `<target> did not respond[ after <ms>ms]`. */
  timeout: (o: { target: string; afterMs?: number } & Extra) => make('TIMEOUT', `${o.target} did not respond${o.afterMs === undefined ? '' : ` after ${o.afterMs}ms`}`, withDetails(o, {})),
  /** `<action> on <target>: <problem>`, e.g. `suspend-user on bob@x.io: not enabled for execution (add it to response.execute)`. */
  actionRefused: (o: { action: string; target: string; problem: string; fix?: string } & Extra) =>
    make('ACTION_REFUSED', located(`${o.action} on ${o.target}`, o.problem, o.fix), withDetails(o, { action: o.action, target: o.target })),
  /** `<problem>[ (<fix>)]`: credentials missing, expired or wrong; never says which (that would help a guesser). */
  unauthenticated: (o: { problem: string; fix?: string } & Extra) => make('UNAUTHENTICATED', located('', o.problem, o.fix), withDetails(o, {})),
  /** `<what>: <problem>`, e.g. `POST /api/blocked: needs role analyst; you are viewer`. */
  forbidden: (o: { what: string; problem: string; fix?: string } & Extra) => make('FORBIDDEN', located(o.what, o.problem, o.fix), withDetails(o, { what: o.what })),
  /** `<kind> <id> not found`. */
  notFound: (o: { kind: string; id: string; fix?: string } & Extra) => make('NOT_FOUND', located('', `${o.kind} ${o.id} not found`, o.fix), withDetails(o, { kind: o.kind, id: o.id })),
  /** `<what>: <problem>`. */
  conflict: (o: { what: string; problem: string; fix?: string } & Extra) => make('CONFLICT', located(o.what, o.problem, o.fix), withDetails(o, { what: o.what })),
  /** `<what>: too many <of>; try again in <n> s`. */
  rateLimited: (o: { what: string; of: string; retryAfterMs: number } & Extra) =>
    make('RATE_LIMITED', `${o.what}: too many ${o.of}; try again in ${Math.max(1, Math.ceil(o.retryAfterMs / 1000))} s`, { ...withDetails(o, { what: o.what }), retryAfterMs: o.retryAfterMs }),
  /** `internal error: <problem>`: a broken invariant, worth a bug report. */
  internal: (o: { problem: string } & Extra) => make('INTERNAL', `internal error: ${o.problem}`, withDetails(o, {})),
} satisfies Record<string, (o: never) => SaaswatchError>;

function withDetails(o: Extra, base: Record<string, unknown>): ErrorOptions {
  const details = { ...base, ...o.details };
  return { ...(o.cause === undefined ? {} : { cause: o.cause }), ...(Object.keys(details).length ? { details } : {}) };
}

export function isRetryable(err: unknown): boolean {
  return err instanceof SaaswatchError ? err.retryable : false;
}

/** For text meant for people (CLI output, API bodies, an error wrapping another); logs take the error object itself. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
