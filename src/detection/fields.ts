/** Event accessors the detectors share: entity keys from config paths, authentication outcome, duplicate weight. */
import { getField, type SecurityEvent } from '../core/index.js';

/** Reads one entity (an IP, a user, ...) out of an event, as named by a config path. */
export interface EntityField {
  /** The config spelling, e.g. `source.ip` or `user`. */
  path: string;
  /** Entity type in findings: `ip`, `user`, or the path itself for anything else. */
  type: string;
  read(e: SecurityEvent): string | undefined;
}

/** Best identity of the acting user: sources fill different user fields, and email is the one people read. */
export function userOf(e: SecurityEvent): string | undefined {
  const u = e.user;
  if (!u) return undefined;
  return u.email || u.id || u.name || undefined;
}

export function ipOf(e: SecurityEvent): string | undefined {
  return e.source?.ip || undefined;
}

/**
 * `user` means whichever user field is set (see userOf); `source.ip` and `user.*` get the readable
 * entity types `ip` and `user`; any other dotted path is read with getField and typed by its path.
 */
export function entityField(path: string): EntityField {
  if (path === 'user') return { path, type: 'user', read: userOf };
  if (path === 'source.ip') return { path, type: 'ip', read: ipOf };
  const type = path.startsWith('user.') ? 'user' : path;
  return {
    path,
    type,
    read(e) {
      const v = getField(e, path);
      if (typeof v === 'string') return v === '' ? undefined : v;
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      return undefined;
    },
  };
}

export function isAuthentication(e: SecurityEvent): boolean {
  return e.event.category.includes('authentication');
}

/** How many raw records the event stands for: duplicate compression folds repeats into `count`. */
export function eventWeight(e: SecurityEvent): number {
  const c = e.event.count;
  return c !== undefined && Number.isFinite(c) && c > 0 ? c : 1;
}

const LOGOUT = /log_?out|log_?off|sign_?out|sign_?off/i;

/**
 * Failed authentications that are no password guess: a client's token refresh or a workload's own
 * credential failing (Microsoft Graph's non-interactive, service-principal and managed-identity
 * sign-ins). Retried every few seconds, they would read as a brute force.
 */
export const NOT_PASSWORD_GUESS: ReadonlySet<string> = new Set(['token_refresh', 'service_principal_sign_in', 'managed_identity_sign_in']);

/** Authentication events that are attempts to get in: logouts share the category but prove nothing, and neither do token refreshes. */
export function isLoginAttempt(e: SecurityEvent): boolean {
  return isAuthentication(e) && !LOGOUT.test(e.event.action) && !NOT_PASSWORD_GUESS.has(e.event.action);
}
