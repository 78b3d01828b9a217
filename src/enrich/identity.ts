/** Identity resolution: per-source default domain and identity map, so one person is one entity (one lowercase email) across every source. */
import { errors, type SecurityEvent } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';

export interface IdentityRule {
  /** Appended as `@domain` to bare user names (`jdoe` → `jdoe@example.com`). */
  user_domain?: string;
  /** Source identity (email, user name or user id, matched case-insensitively) → canonical email. */
  user_map?: Record<string, string>;
}

interface Compiled {
  domain: string | undefined;
  map: Map<string, string>;
}

/**
 * Resolves which rule applies to an event. A key may name a json-logs source (its events carry the
 * source name as event.dataset), a dataset (`google-workspace.login`), or a provider
 * (`google-workspace`, `dropbox`), because the Google and Dropbox normalizers put the provider, not
 * the connection name, into the dataset. The most specific match wins: dataset, then the dataset's
 * prefix before the first dot, then the provider.
 */
function resolver(rules: Map<string, Compiled>): (e: SecurityEvent) => Compiled | undefined {
  const memo = new Map<string, Map<string, Compiled | null>>();
  // Events come in batches from one source, so the previous answer is almost always the next one.
  let lastDataset = '';
  let lastProvider = '';
  let last: Compiled | null = null;
  return (e) => {
    const { dataset, provider } = e.event;
    if (dataset === lastDataset && provider === lastProvider) return last ?? undefined;
    let byProvider = memo.get(dataset);
    if (!byProvider) memo.set(dataset, (byProvider = new Map()));
    let r = byProvider.get(provider);
    if (r === undefined) {
      const dot = dataset.indexOf('.');
      r = rules.get(dataset) ?? (dot > 0 ? rules.get(dataset.slice(0, dot)) : undefined) ?? rules.get(provider) ?? null;
      byProvider.set(provider, r);
    }
    lastDataset = dataset;
    lastProvider = provider;
    last = r;
    return r ?? undefined;
  };
}

function withDomain(id: string, domain: string | undefined): string {
  return !id.includes('@') && domain ? `${id}@${domain}` : id;
}

/** Validates and normalises the rules; throws naming the source and entry, so a config error is caught at start-up. */
function compile(identities: Record<string, IdentityRule>): Map<string, Compiled> {
  const out = new Map<string, Compiled>();
  for (const [source, rule] of Object.entries(identities)) {
    const domain = rule.user_domain?.trim().replace(/^@/, '').toLowerCase() || undefined;
    const map = new Map<string, string>();
    for (const [from, to] of Object.entries(rule.user_map ?? {})) {
      const canonical = withDomain(to.trim(), domain).toLowerCase();
      if (!canonical.includes('@')) {
        throw errors.configInvalid({ path: `identities.${source}.user_map.${from}`, problem: `"${to}" is not an email; canonical identities are emails`, fix: 'write an email, or set user_domain' });
      }
      map.set(from.trim().toLowerCase(), canonical);
    }
    out.set(source, { domain, map });
  }
  return out;
}

function addRelated(e: SecurityEvent, a: string | undefined, b?: string, c?: string, d?: string): void {
  const list = e.related?.user ?? [];
  let out: string[] | undefined;
  for (const id of [a, b, c, d]) {
    if (!id || list.includes(id) || out?.includes(id)) continue;
    // A new array rather than push: a normalizer may have handed several events the same one.
    (out ??= list.slice()).push(id);
  }
  if (out) (e.related ??= {}).user = out;
}

/**
 * Rewrites user.email to the canonical identity; user.name and user.id stay as the vendor sent them
 * (response actions need the vendor's id) and every identity seen lands in related.user, so a search
 * by Slack id or by email finds the event. Emails are lowercased everywhere, rules or not: vendors
 * disagree on case and `Alice@` must not become a second person.
 */
export function createIdentityEnricher(identities: Record<string, IdentityRule> = {}): Enricher {
  const rules = compile(identities);
  const ruleFor = resolver(rules);
  return (e: SecurityEvent) => {
    const target = e.target?.user;
    if (target?.email) {
      const t = target.email.toLowerCase();
      target.email = ruleFor(e)?.map.get(t) ?? t;
    }
    const user = e.user;
    if (!user) return;
    const rule = ruleFor(e);
    const before = user.email;
    let email = before?.toLowerCase();
    if (rule) {
      const mapped =
        (email && rule.map.get(email)) ||
        (user.name && rule.map.get(user.name.toLowerCase())) ||
        (user.id && rule.map.get(user.id.toLowerCase())) ||
        undefined;
      if (mapped) email = mapped;
      else if (email && !email.includes('@')) email = withDomain(email, rule.domain);
      else if (!email && user.name && rule.domain && !user.name.includes('@') && !/\s/.test(user.name)) {
        // Only a login-like name (no spaces) is a user name; "Alice Smith" is a display name.
        email = `${user.name}@${rule.domain}`.toLowerCase();
      }
    }
    if (email === before) {
      if (email) addRelated(e, email);
      return;
    }
    if (email) user.email = email;
    addRelated(e, email, before?.toLowerCase(), user.name && !user.name.includes(' ') ? user.name : undefined, user.id);
  };
}
