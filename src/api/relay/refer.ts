/** Refer: per observable, links that open the saaswatch dashboard on it (Cisco's refer shape: id, title, description, categories, url). */
import type { Observable } from './types.js';

export interface Reference {
  id: string;
  title: string;
  description: string;
  categories: string[];
  url: string;
}

const CATEGORIES = ['Search', 'saaswatch'];
const NAMES: Partial<Record<Observable['type'], string>> = { ip: 'IP', ipv6: 'IPv6', email: 'email', user: 'user', file_name: 'file name', file_path: 'file path' };

/** The dashboard pages that can show something of the observable; none for types saaswatch holds nothing of. */
export function referLinks(o: Observable, link: (path: string) => string): Reference[] {
  const name = NAMES[o.type];
  if (!name) return [];
  const v = o.type === 'file_path' ? (o.value.trim().split(/[\\/]/).pop() ?? o.value.trim()) : o.value.trim();
  const q = encodeURIComponent(v);
  const id = (what: string) => `ref-saaswatch-${what}-${o.type}-${encodeURIComponent(o.value)}`;
  const out: Reference[] = [];
  if (o.type === 'email' || o.type === 'user') {
    const user = o.type === 'email' || v.includes('@') ? v.toLowerCase() : v;
    out.push({ id: id('user'), title: `Open this ${name} in saaswatch`, description: `The ${name}'s risk, logins, activity, alerts and timeline in the saaswatch dashboard`, categories: CATEGORIES, url: link(`/users/${encodeURIComponent(user)}`) });
  }
  out.push({ id: id('search'), title: `Search for this ${name}`, description: `Lookup this ${name} in saaswatch's alerts`, categories: CATEGORIES, url: link(`/alerts?q=${q}`) });
  out.push({ id: id('audit'), title: `Audit log entries for this ${name}`, description: `Blocks, responses and triage in saaswatch that mention this ${name}`, categories: CATEGORIES, url: link(`/audit?subject=${q}`) });
  return out;
}
