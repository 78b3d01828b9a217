/** User-agent parsing (browser family, OS, device class) with ua-parser-js, cached by agent string because parsing costs tens of microseconds. */
import { UAParser } from 'ua-parser-js';
import type { SecurityEvent } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';
import { RecentCache } from './ip.js';

export interface ParsedAgent {
  /** Browser family (`Chrome`, `Mobile Safari`), else the first product token of a tool (`curl`, `python-requests`). */
  name?: string;
  os?: string;
  /** Device class first, then vendor and model when known: `desktop`, `mobile Apple iPhone`, `tablet Apple iPad`. */
  device?: string;
}

/** First product token (`python-requests/2.32.3` → `python-requests`): scripts and API clients name themselves this way. */
const PRODUCT = /^([A-Za-z][\w.-]{0,63})\//;

export function parseUserAgent(ua: string): ParsedAgent {
  const r = new UAParser(ua).getResult();
  const out: ParsedAgent = {};
  // ua-parser-js knows browsers; curl, SDKs and scripts come back empty, and for a security monitor
  // "a script logged in" is exactly the signal worth keeping. "Mozilla" is only the browser preamble.
  const name = r.browser.name ?? PRODUCT.exec(ua)?.[1];
  if (name && name !== 'Mozilla') out.name = name;
  if (r.os.name) out.os = r.os.name;
  // Chrome's reduced agent on Android reports the model as a placeholder "K": no information there.
  const model = r.device.model && r.device.model !== 'K' ? r.device.model : undefined;
  const type = r.device.type ?? (r.browser.name || r.os.name ? 'desktop' : undefined);
  // ua-parser-js leaves the type empty for PCs; a device is only called a desktop when a browser or
  // OS was recognised, so an unknown tool is not passed off as one.
  if (type) out.device = [type, r.device.vendor, model].filter(Boolean).join(' ');
  return out;
}

/** Fills user_agent.name, os.name and device.name from user_agent.original. */
export function createUserAgentEnricher(opts: { cacheSize?: number } = {}): Enricher {
  const cache = new RecentCache<ParsedAgent>(opts.cacheSize ?? 20_000);
  return (event: SecurityEvent) => {
    const ua = event.user_agent?.original;
    if (!ua) return;
    let p = cache.get(ua);
    if (p === undefined) {
      p = parseUserAgent(ua);
      cache.set(ua, p);
    }
    const target = event.user_agent!;
    if (p.name) target.name = p.name;
    if (p.os) target.os = { name: p.os };
    if (p.device) target.device = { name: p.device };
  };
}
