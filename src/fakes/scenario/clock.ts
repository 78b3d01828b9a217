/** Local-time arithmetic for IANA time zones via Intl, so working hours follow each user's zone and its DST. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday. */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localParts(tz: string, utcMs: number): LocalParts {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(utcMs)) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    weekday: WEEKDAYS[out.weekday ?? 'Sun'] ?? 0,
  };
}

/** Offset of `tz` from UTC at `utcMs`, in milliseconds (positive east of Greenwich). */
export function offsetMs(tz: string, utcMs: number): number {
  const p = localParts(tz, utcMs);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return asUtc - Math.floor(utcMs / 60_000) * 60_000;
}

/** The UTC instant of local midnight of the given local calendar day in `tz`. */
export function localMidnight(tz: string, year: number, month: number, day: number): number {
  const naive = Date.UTC(year, month - 1, day);
  // Midday's offset is the day's offset for every zone that changes DST in the small hours.
  return naive - offsetMs(tz, naive + 12 * 3_600_000);
}

/** Local hour of day as a fraction (13.5 = 13:30). */
export function localHour(tz: string, utcMs: number): number {
  const p = localParts(tz, utcMs);
  return p.hour + p.minute / 60;
}
