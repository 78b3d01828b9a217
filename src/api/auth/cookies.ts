/**
 * The two cookies auth sets, read and written by hand: their values are base64url (nothing to
 * encode), and @fastify/cookie's hook would run after the auth hook that needs them.
 */

/** The value of cookie `name` in a Cookie header; the first wins, as browsers send the most specific path first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  sameSite: 'Strict' | 'Lax';
  secure: boolean;
  /** Lifetime in ms; 0 deletes the cookie. */
  maxAgeMs: number;
}

/** A Set-Cookie line, always HttpOnly: no script of the page ever needs these. */
export function cookieLine(name: string, value: string, o: CookieOptions): string {
  return `${name}=${value}; Max-Age=${Math.floor(o.maxAgeMs / 1000)}; Path=${o.path}; HttpOnly${o.secure ? '; Secure' : ''}; SameSite=${o.sameSite}`;
}
