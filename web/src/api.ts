/** The one way the dashboard talks to the API: same-origin fetch, the CSRF token on every state change, 401 back to the login page. */
import type { Session } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrf: string | undefined;
let onUnauthenticated: () => void = () => undefined;

export function setCsrf(token: string | undefined): void {
  csrf = token;
}

/** Called when any request answers 401 (session ended): the app shows the login page. */
export function whenUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'The server could not be reached. Is saaswatch still running?');
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = (data as { error?: { message?: string; code?: string; field?: string } } | undefined)?.error;
    // The login call itself answers 401 for a wrong password: that is an error to show, not a lost session.
    if (res.status === 401 && path !== '/api/auth/login') onUnauthenticated();
    throw new ApiError(res.status, e?.message ?? `${res.status} ${res.statusText}`, e?.code, e?.field);
  }
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** A query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function login(email: string, password: string): Promise<Session> {
  const s = await post<Session>('/api/auth/login', { email, password });
  setCsrf(s.csrf_token);
  return s;
}

export async function restoreSession(): Promise<Session | undefined> {
  try {
    const s = await get<Session>('/api/auth/session');
    setCsrf(s.csrf_token);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}
