/** Turns the timestamp forms found in real logs into epoch milliseconds, reading zone-less times in a configured zone. */
import { errors } from '../../core/index.js';

export type TimestampFormat = 'auto' | 'epoch_s' | 'epoch_ms' | 'epoch_us';

export interface TimestampOptions {
  /** Zone for times written without one: `UTC`, an IANA name (`Europe/Paris`) or a fixed offset (`+02:00`). */
  timezone?: string;
  /** Unit of numeric timestamps; `auto` guesses seconds/ms/µs/ns from the magnitude. */
  format?: TimestampFormat;
  /** Clock (epoch ms) for the future check and the year of syslog times; tests pin it. */
  now?: () => number;
}

export type TimestampResult =
  | {
      ok: true;
      ms: number;
      /** ISO-8601 UTC with milliseconds, the `@timestamp` form. */
      iso: string;
    }
  | { ok: false; error: string };

/** Anything earlier is a unit mix-up or a placeholder (epoch 0), not a SaaS log. */
export const MIN_TIMESTAMP_MS = Date.UTC(1990, 0, 1);
/** Clock skew tolerance: later than now + this is a broken clock or a wrong unit. */
export const MAX_FUTURE_MS = 86_400_000;

/** A time zone resolved once, at config time. */
export type Zone =
  | { kind: 'fixed'; offsetMs: number; name: string }
  | { kind: 'iana'; name: string; fmt: Intl.DateTimeFormat; cache: Map<number, number> };

const FIXED_OFFSET = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/** Resolves a zone name; undefined when it is neither a fixed offset nor an IANA zone this runtime knows. */
export function resolveZone(name: string): Zone | undefined {
  const trimmed = name.trim();
  const upper = trimmed.toUpperCase();
  if (upper === 'UTC' || upper === 'Z' || upper === 'GMT' || upper === 'ETC/UTC' || upper === 'ETC/GMT') {
    return { kind: 'fixed', offsetMs: 0, name: 'UTC' };
  }
  const m = FIXED_OFFSET.exec(trimmed);
  if (m) {
    const h = Number(m[2]);
    const min = m[3] === undefined ? 0 : Number(m[3]);
    if (h > 23 || min > 59) return undefined;
    return { kind: 'fixed', offsetMs: (m[1] === '-' ? -1 : 1) * (h * 3_600_000 + min * 60_000), name: trimmed };
  }
  try {
    const fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: trimmed,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    return { kind: 'iana', name: trimmed, fmt, cache: new Map() };
  } catch {
    return undefined;
  }
}

/** The zone's offset from UTC (ms) at instant `t`. */
function zoneOffsetAt(zone: Zone, t: number): number {
  if (zone.kind === 'fixed') return zone.offsetMs;
  // Offsets only change on quarter-hour boundaries, and Intl formatting costs microseconds per call.
  const key = Math.floor(t / 900_000);
  const hit = zone.cache.get(key);
  if (hit !== undefined) return hit;
  const p: Record<string, number> = {};
  for (const part of zone.fmt.formatToParts(key * 900_000)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  const offset = wall - key * 900_000;
  if (zone.cache.size > 4096) zone.cache.clear();
  zone.cache.set(key, offset);
  return offset;
}

/** UTC instant of a wall-clock time (given as if it were UTC) in `zone`. */
function wallToUtc(zone: Zone, wallAsUtc: number): number {
  if (zone.kind === 'fixed') return wallAsUtc - zone.offsetMs;
  // Two passes settle on the right side of a DST change for all but the skipped/repeated hour.
  const first = wallAsUtc - zoneOffsetAt(zone, wallAsUtc);
  return wallAsUtc - zoneOffsetAt(zone, first);
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/** RFC 2822 / RFC 822 zone names; other abbreviations are ambiguous worldwide, so they are refused. */
const ZONE_NAMES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0,
  EST: -5, EDT: -4, CST: -6, CDT: -5, MST: -7, MDT: -6, PST: -8, PDT: -7,
};

function daysInMonth(y: number, m: number): number {
  return m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Wall-clock fields as if UTC, or NaN when any field is out of range (Date.UTC would silently roll over). */
function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  // A leap second (:60) is kept inside its minute rather than pushed into the next.
  return Date.UTC(y, mo - 1, d, h, mi, s === 60 ? 59 : s, s === 60 ? 999 : ms);
}

/** Milliseconds from a fraction-of-second digit string (`5` → 500, `123456` → 123). */
function fractionMs(frac: string | undefined): number {
  if (frac === undefined || frac === '') return 0;
  return frac.length >= 3 ? Number(frac.slice(0, 3)) : Number(frac) * (frac.length === 1 ? 100 : 10);
}

/** Offset in ms from `Z`, `+02:00`, `-0700`, `+02`, `UTC`, `GMT`, `PST`...; undefined when unknown. */
function parseOffset(text: string): number | undefined {
  const c = text.charCodeAt(0);
  if (c === 43 || c === 45) {
    const m = /^[+-](\d{2}):?(\d{2})?$/.exec(text);
    if (!m) return undefined;
    const h = Number(m[1]);
    const min = m[2] === undefined ? 0 : Number(m[2]);
    if (h > 23 || min > 59) return undefined;
    return (c === 45 ? -1 : 1) * (h * 3_600_000 + min * 60_000);
  }
  const hours = ZONE_NAMES[text.toUpperCase()];
  return hours === undefined ? undefined : hours * 3_600_000;
}

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

function num2(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

const ISO_LOOSE =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const CLF = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}))?$/i;
const RFC2822 =
  /^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2}|\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?(?:\s+([A-Za-z]{1,5}|[+-]\d{2}:?\d{2}))?(?:\s+\([^)]*\))?$/;
/** Syslog (`Oct 10 13:55:36`) and ctime (`Tue Oct 10 13:55:36 2000`): optional weekday and year. */
const SYSLOG = /^(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:\s+(\d{4}))?$/;
const NUMERIC = /^[+-]?\d+(?:\.\d+)?$/;

const UNPARSEABLE = 'is not a recognised timestamp';

export class TimestampParser {
  readonly zone: Zone;
  readonly #format: TimestampFormat;
  readonly #now: () => number;

  constructor(opts: TimestampOptions = {}) {
    const zone = resolveZone(opts.timezone ?? 'UTC');
    if (!zone) throw errors.configInvalid({ path: 'timezone', problem: `unknown time zone ${JSON.stringify(opts.timezone)}`, fix: 'use UTC, an IANA name such as Europe/Paris, or an offset such as +02:00' });
    this.zone = zone;
    this.#format = opts.format ?? 'auto';
    this.#now = opts.now ?? Date.now;
  }

  /** Epoch ms of a timestamp value, or why it was refused. */
  parse(value: string | number): TimestampResult {
    const ms = typeof value === 'number' ? this.#fromNumber(value) : this.#fromText(value);
    if (typeof ms === 'string') return { ok: false, error: ms };
    const err = this.#rangeError(ms);
    if (err !== undefined) return { ok: false, error: err };
    // Already `YYYY-MM-DDTHH:MM:SS.sssZ` and valid (else it would not have parsed): reuse it, a
    // Date round trip per record is measurable. A leap second (:60) is the one exception.
    const canonical =
      typeof value === 'string' &&
      value.length === 24 &&
      value.charCodeAt(23) === 90 &&
      value.charCodeAt(19) === 46 &&
      value.charCodeAt(10) === 84 &&
      value.charCodeAt(17) !== 54;
    return { ok: true, ms, iso: canonical ? value : toIsoUtc(ms) };
  }

  #rangeError(ms: number): string | undefined {
    if (Number.isNaN(ms)) return UNPARSEABLE;
    if (ms < MIN_TIMESTAMP_MS) return `is ${isoOrRaw(ms)}, before 1990 (a wrong epoch unit or a placeholder value?)`;
    if (ms > this.#now() + MAX_FUTURE_MS) return `is ${isoOrRaw(ms)}, more than a day in the future (a wrong epoch unit or clock?)`;
    return undefined;
  }

  #fromNumber(n: number): number | string {
    if (!Number.isFinite(n) || n < 0) return 'is not a positive finite epoch number';
    switch (this.#format) {
      case 'epoch_s':
        return Math.round(n * 1000);
      case 'epoch_ms':
        return Math.round(n);
      case 'epoch_us':
        return Math.round(n / 1000);
      default:
        // 1e11 s is the year 5138 and 1e11 ms is 1973, so the bands cannot overlap for real log times.
        if (n < 1e11) return Math.round(n * 1000);
        if (n < 1e14) return Math.round(n);
        if (n < 1e17) return Math.round(n / 1e3);
        if (n < 1e20) return Math.round(n / 1e6);
        return 'is too large for an epoch timestamp in s, ms, µs or ns';
    }
  }

  #fromText(raw: string): number | string {
    const fast = this.#fastIso(raw);
    if (fast !== undefined) return fast;
    let s = raw.trim();
    // Apache writes the time inside brackets; people copy it with them.
    if (s.charCodeAt(0) === 91 && s.charCodeAt(s.length - 1) === 93) s = s.slice(1, -1).trim();
    if (s === '') return 'is empty';
    const first = s.charCodeAt(0);
    if ((first >= 48 && first <= 57) || first === 43 || first === 45) {
      if (NUMERIC.test(s)) return this.#fromNumber(Number(s));
      let m = ISO_LOOSE.exec(s);
      if (m) {
        const wall = wallMs(Number(m[1]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0), Number(m[7] ?? 0), fractionMs(m[8]));
        return this.#withZone(wall, m[9]);
      }
      m = CLF.exec(s);
      if (m) {
        const mo = MONTHS[m[2]!.toLowerCase()];
        if (mo === undefined) return `has an unknown month name ${JSON.stringify(m[2])}`;
        const wall = wallMs(Number(m[3]), mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), fractionMs(m[7]));
        return this.#withZone(wall, m[8]);
      }
    }
    let m = RFC2822.exec(s);
    if (m) {
      const mo = MONTHS[m[2]!.toLowerCase()];
      if (mo === undefined) return `has an unknown month name ${JSON.stringify(m[2])}`;
      let y = Number(m[3]);
      // RFC 2822 section 4.3: two-digit years below 50 are 20xx.
      if (m[3]!.length === 2) y += y < 50 ? 2000 : 1900;
      const wall = wallMs(y, mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), fractionMs(m[7]));
      return this.#withZone(wall, m[8]);
    }
    m = SYSLOG.exec(s);
    if (m) {
      const mo = MONTHS[m[1]!.toLowerCase()];
      if (mo === undefined) return `has an unknown month name ${JSON.stringify(m[1])}`;
      const d = Number(m[2]);
      const h = Number(m[3]);
      const mi = Number(m[4]);
      const sec = Number(m[5]);
      const frac = fractionMs(m[6]);
      if (m[7] !== undefined) return this.#withZone(wallMs(Number(m[7]), mo, d, h, mi, sec, frac), undefined);
      return this.#syslogNoYear(mo, d, h, mi, sec, frac);
    }
    return UNPARSEABLE;
  }

  /**
   * Hot path for the common machine forms `YYYY-MM-DDTHH:MM:SS[.f+][Z|±HH:MM]`, by character
   * position: most logs use it, and regexes per record would eat the ingest budget.
   */
  #fastIso(s: string): number | string | undefined {
    const len = s.length;
    if (len < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
      return undefined;
    }
    const sep = s.charCodeAt(10);
    if (sep !== 84 && sep !== 32) return undefined;
    const y = num2(s, 0) * 100 + num2(s, 2);
    const wall0 = wallMs(y, num2(s, 5), num2(s, 8), num2(s, 11), num2(s, 14), num2(s, 17), 0);
    let i = 19;
    let ms = 0;
    if (i < len && (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44)) {
      i++;
      let scale = 100;
      const start = i;
      while (i < len) {
        const d = digit(s, i);
        if (Number.isNaN(d)) break;
        ms += d * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return undefined;
      ms = Math.floor(ms);
    }
    const wall = wall0 + ms;
    if (Number.isNaN(wall)) return undefined;
    if (i === len) return wallToUtc(this.zone, wall);
    const c = s.charCodeAt(i);
    if ((c === 90 || c === 122) && i === len - 1) return wall;
    if (c === 43 || c === 45) {
      const off = parseOffset(s.slice(i));
      return off === undefined ? undefined : wall - off;
    }
    return undefined;
  }

  #withZone(wall: number, zoneText: string | undefined): number | string {
    if (Number.isNaN(wall)) return 'has a date or time field out of range';
    if (zoneText === undefined) return wallToUtc(this.zone, wall);
    const off = parseOffset(zoneText);
    if (off === undefined) return `has an unknown time zone ${JSON.stringify(zoneText)}`;
    return wall - off;
  }

  /** Syslog omits the year: take the latest year that does not put the time in the future. */
  #syslogNoYear(mo: number, d: number, h: number, mi: number, s: number, ms: number): number | string {
    const now = this.#now();
    const yearNow = new Date(now + zoneOffsetAt(this.zone, now)).getUTCFullYear();
    // Eight years back always reaches a leap year, for 29 Feb.
    for (let y = yearNow; y >= yearNow - 8; y--) {
      const wall = wallMs(y, mo, d, h, mi, s, ms);
      if (Number.isNaN(wall)) {
        if (mo === 2 && d === 29) continue;
        return 'has a date or time field out of range';
      }
      const t = wallToUtc(this.zone, wall);
      if (t <= now + MAX_FUTURE_MS) return t;
    }
    return 'has a date or time field out of range';
  }
}

function isoOrRaw(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** ISO-8601 UTC with milliseconds, the `@timestamp` form. */
export function toIsoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
