/** Removes the secret values an outbound client sends (in every encoding an upstream may echo them) from errors and text before they leave the client. */
import { SaaswatchError } from './errors.js';
import { Secret } from './secret.js';

export const REDACTED = '[redacted]';

/**
 * Shorter values are not searched for: a two-letter "secret" would shred every message, and a
 * credential that short protects nothing anyway. Encoded fragments (a JWT segment, the middle of
 * a shifted base64) below this are skipped for the same reason.
 */
const MIN_CHARS = 4;
/** Causes deeper than this are dropped: nobody reads them and each one is another place to leak. */
const MAX_CAUSE_DEPTH = 4;
/** Details are small records; anything nested deeper is replaced, not walked. */
const MAX_DETAIL_DEPTH = 6;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The parts of base64(anything + value + anything) that depend only on `value`: one per byte
 * alignment (0, 1 or 2 bytes before it), without the edge characters its neighbours also shape.
 * So `Basic base64(user:pass)` or a token base64-encoded inside a larger echoed body is found too.
 */
function base64Cores(bytes: Buffer): string[] {
  const out: string[] = [];
  for (const lead of [0, 1, 2]) {
    const enc = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64').replace(/=+$/, '');
    const start = lead === 0 ? 0 : lead === 1 ? 2 : 3;
    const end = (lead + bytes.length) % 3 === 0 ? enc.length : enc.length - 1;
    if (end - start >= MIN_CHARS) out.push(enc.slice(start, end));
  }
  return out;
}

/** Every form in which `value` may come back in an upstream's echo of the request. */
export function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const bytes = Buffer.from(value, 'utf8');
  for (const b64 of base64Cores(bytes)) {
    forms.add(b64);
    forms.add(b64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  forms.add(bytes.toString('hex'));
  forms.add(encodeURIComponent(value));
  // application/x-www-form-urlencoded: what a token request body holds, and what an echo repeats.
  forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  forms.add(JSON.stringify(value).slice(1, -1));
  // An echo of a JSON body inside another JSON string escapes twice.
  forms.add(JSON.stringify(JSON.stringify(value).slice(1, -1)).slice(1, -1));
  forms.add(encodeURIComponent(JSON.stringify(value).slice(1, -1)));
  return [...forms].filter((f) => f.length >= MIN_CHARS);
}

/** The values that stand for `value` on their own: itself, the credential of `Bearer x`/`Basic x`, what basic auth encodes, each segment of a JWT. */
function parts(value: string): string[] {
  const out = [value];
  const scheme = /^(Bearer|Basic|Token|Bot|SSWS|Splunk|ApiKey|Key)\s+(\S.*)$/i.exec(value);
  const cred = scheme ? scheme[2]! : value;
  if (scheme) out.push(cred);
  if (scheme && scheme[1]!.toLowerCase() === 'basic') {
    const decoded = Buffer.from(cred, 'base64').toString('utf8');
    if (Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') === cred.replace(/=+$/, '')) {
      out.push(decoded);
      const colon = decoded.indexOf(':');
      if (colon >= 0 && decoded.length - colon - 1 >= MIN_CHARS) out.push(decoded.slice(colon + 1));
    }
  }
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(cred)) {
    for (const seg of cred.split('.')) if (seg.length >= MIN_CHARS * 2) out.push(seg);
  }
  // A PEM key is echoed line by line as often as whole: each body line is secret on its own.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(cred)) {
    for (const line of cred.split(/\r?\n|\\n/)) if (line.length >= MIN_CHARS * 4 && !line.startsWith('-----')) out.push(line.trim());
  }
  return out;
}

/**
 * The secret values one outbound client sends: configured credentials, and what it obtains while
 * running (access tokens, signed assertions). Everything that leaves the client as an error goes
 * through `error()`; text it quotes from an upstream goes through `text()`.
 */
export class Redactor {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;
  #forms: string[] = [];

  constructor(values: Iterable<Secret | string | undefined> = []) {
    for (const v of values) this.add(v);
  }

  /** Registers a value the client sends; a Secret is read here, once, and never kept as text elsewhere. */
  add(value: Secret | string | undefined | null): this {
    const v = value instanceof Secret ? value.reveal() : value;
    if (typeof v !== 'string' || v.trim().length < MIN_CHARS) return this;
    const before = this.#values.size;
    for (const p of parts(v.trim())) this.#values.add(p);
    if (v !== v.trim()) this.#values.add(v);
    if (this.#values.size !== before) this.#pattern = undefined;
    return this;
  }

  /** Whether any value is registered (a client with no credential has nothing to remove). */
  get empty(): boolean {
    return this.#values.size === 0;
  }

  #regex(): RegExp | undefined {
    if (this.#values.size === 0) return undefined;
    if (!this.#pattern) {
      const forms = new Set<string>();
      for (const v of this.#values) for (const f of encodedForms(v)) forms.add(f);
      // Longest first, so a value is removed whole rather than leaving the tail of a longer form.
      this.#forms = [...forms].sort((a, b) => b.length - a.length);
      const alternatives = this.#forms.map(escapeRegExp);
      // Case-insensitive: percent-encoding and hex come in both cases; removing a near-miss costs nothing.
      this.#pattern = new RegExp(alternatives.join('|'), 'gi');
    }
    return this.#pattern;
  }

  /**
   * `s` without any registered value. `cut`: `s` is the start of a longer text (a body read up to a
   * limit), so a value may have been cut in two at its end; a tail that begins any value goes too.
   */
  text(s: string, opts: { cut?: boolean } = {}): string {
    const re = this.#regex();
    if (!re) return s;
    const out = s.replace(re, REDACTED);
    return opts.cut ? this.#dropCutTail(out) : out;
  }

  #dropCutTail(s: string): string {
    const lower = s.toLowerCase();
    let keep = s.length;
    for (const f of this.#forms) {
      const fl = f.toLowerCase();
      for (let k = Math.min(fl.length - 1, s.length); k >= MIN_CHARS && s.length - k < keep; k--) {
        if (lower.endsWith(fl.slice(0, k))) {
          keep = s.length - k;
          break;
        }
      }
    }
    return keep === s.length ? s : `${s.slice(0, keep)}${REDACTED}`;
  }

  /** Strings anywhere in a small record (error details), copied; the input is not changed. */
  value(v: unknown, depth = 0): unknown {
    if (typeof v === 'string') return this.text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DETAIL_DEPTH) return REDACTED;
    if (Array.isArray(v)) return v.map((x) => this.value(x, depth + 1));
    if (v instanceof Secret) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.value(x, depth + 1);
    return out;
  }

  /**
   * The error as it may leave the client: message, stack and details without any registered value,
   * and its causes reduced to name, code and message (also redacted). An SDK's own error object is
   * never kept as a cause: they carry the request (headers, body) and the raw response, which pino
   * and util.inspect would print whole.
   */
  error(err: SaaswatchError): SaaswatchError {
    return this.#error(err, 0);
  }

  #error(err: SaaswatchError, depth: number): SaaswatchError {
    const cause = this.#cause((err as { cause?: unknown }).cause, depth + 1);
    const out = new SaaswatchError(err.code, this.text(err.message), {
      retryable: err.retryable,
      ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
      ...(err.details === undefined ? {} : { details: this.value(err.details) as Record<string, unknown> }),
      ...(cause === undefined ? {} : { cause }),
    });
    if (err.stack !== undefined) out.stack = this.text(err.stack);
    return out;
  }

  #cause(c: unknown, depth: number): Error | undefined {
    if (c === undefined || c === null || depth > MAX_CAUSE_DEPTH) return undefined;
    if (c instanceof SaaswatchError) return this.#error(c, depth);
    if (!(c instanceof Error)) return undefined;
    const inner = this.#cause((c as { cause?: unknown }).cause, depth + 1);
    const out = new RedactedCause(this.text(c.message), inner === undefined ? undefined : { cause: inner });
    out.name = this.text(c.name);
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') (out as Error & { code?: unknown }).code = typeof code === 'string' ? this.text(code) : code;
    // The stack names the frames, which help; its first line is the message, already redacted above.
    if (c.stack !== undefined) out.stack = this.text(c.stack);
    return out;
  }
}

/** What an SDK's error becomes as a cause: its name, code and message (redacted), and none of the request or response it carried. */
export class RedactedCause extends Error {}

/** Every string that would give `value` (or a part of it that stands alone) away: what a leak check looks for. */
export function secretForms(value: string): string[] {
  return [...new Set(parts(value.trim()).flatMap(encodedForms))];
}

/** Shorthand for one-off text: `redactText(body, [token, secret])`. */
export function redactText(text: string, values: Iterable<Secret | string | undefined>): string {
  return new Redactor(values).text(text);
}
