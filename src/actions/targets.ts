/** Who and what an action is done to: canonical users across services, files by service, and the targets an alert names. */
import type { ActionTarget, Alert, SecurityEvent } from '../core/index.js';

/** The `enrich.identities` rules, as far as actions need them: source identity → canonical email. */
export type IdentityRules = Record<string, { user_domain?: string; user_map?: Record<string, string> }>;

/**
 * The canonical identity of a user as typed by an analyst or found in an alert: the mapped email when
 * a rule maps it (so one person is blocked across services), else the lowercased address.
 */
export function canonicalUser(user: string, rules: IdentityRules = {}): string {
  const u = user.trim().toLowerCase();
  for (const rule of Object.values(rules)) {
    for (const [from, to] of Object.entries(rule.user_map ?? {})) {
      if (from.trim().toLowerCase() === u) return withDomain(to.trim(), rule.user_domain).toLowerCase();
    }
  }
  return u;
}

/**
 * The identity a service knows a canonical user by: the source identity an `enrich.identities` rule
 * for that connection (or its type) maps to them, when that identity is an email; else the canonical one.
 */
export function serviceUser(canonical: string, source: string, service: string, rules: IdentityRules = {}): string {
  for (const key of [source, service]) {
    const rule = rules[key];
    if (!rule) continue;
    for (const [from, to] of Object.entries(rule.user_map ?? {})) {
      if (withDomain(to.trim(), rule.user_domain).toLowerCase() !== canonical) continue;
      const id = withDomain(from.trim(), rule.user_domain);
      if (id.includes('@')) return id.toLowerCase();
    }
  }
  return canonical;
}

function withDomain(id: string, domain: string | undefined): string {
  const d = domain?.trim().replace(/^@/, '');
  return !id.includes('@') && d ? `${id}@${d}` : id;
}

/** A target typed on the command line: an email is a user; `service:id` or a bare id is a file. */
export interface ParsedTarget {
  kind: 'user' | 'file';
  id: string;
  /** For a file given as `service:id` (or `source:id`): which service or source. */
  where?: string;
}

export function parseTarget(text: string, known: ReadonlySet<string>): ParsedTarget {
  const t = text.trim();
  if (/^[^@\s:]+@[^@\s]+$/.test(t)) return { kind: 'user', id: t };
  const colon = t.indexOf(':');
  if (colon > 0 && known.has(t.slice(0, colon))) return { kind: 'file', id: t.slice(colon + 1), where: t.slice(0, colon) };
  return { kind: 'file', id: t };
}

/** A file an alert's evidence names, with the service whose event named it. */
export interface AlertFile {
  provider: string;
  target: ActionTarget;
}

/** Most files: a mass share is remedied by hand, after a look. */
const MAX_FILES = 20;

/**
 * The user an alert is about: its entity when it is a user, else the `user.email` its detector
 * named. Never the users of its evidence: behind an alert on an address (a password spray) they
 * are the victims, and a policy must not suspend them.
 */
export function alertUsers(alert: Alert): string[] {
  if (alert.entity.type === 'user') return [alert.entity.value];
  const detail = alert.details?.['user.email'];
  return typeof detail === 'string' && detail.includes('@') ? [detail] : [];
}

/** The files an alert's evidence events name, each with its owner when the event says (or its actor). */
export function alertFiles(evidence: readonly SecurityEvent[]): AlertFile[] {
  const out = new Map<string, AlertFile>();
  for (const e of evidence) {
    const id = e.file?.id;
    if (!id) continue;
    const key = `${e.event.provider}:${id}`;
    if (out.has(key)) continue;
    const owner = e.file?.owner ?? e.user?.email;
    out.set(key, { provider: e.event.provider, target: { kind: 'file', id, ...(owner ? { owner: owner.toLowerCase() } : {}) } });
    if (out.size >= MAX_FILES) break;
  }
  return [...out.values()];
}
