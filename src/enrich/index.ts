/** Builds the enrichers the pipeline runs before detection (identity, GeoIP, ASN, user agent, file sensitivity) and the `enrich:` config section that selects them. */
import { z } from 'zod';
import type { GeoInfo, Inventory } from '../core/index.js';
import type { Enricher } from '../pipeline/pipeline.js';
import { AsnTable, createAsnEnricher, type AsnInfo } from './asn.js';
import { createFileSensitivityEnricher } from './file-sensitivity.js';
import { createGeoIpEnricher, GeoIpDatabase } from './geoip.js';
import { createIdentityEnricher, type IdentityRule } from './identity.js';
import { parseCidr } from './ip.js';
import { createUserAgentEnricher } from './user-agent.js';

export { AsnTable, createAsnEnricher, type AsnInfo, type AsnTableStats } from './asn.js';
export { createGeoIpEnricher, GeoIpDatabase, countryName, ESTIMATED_RADIUS_KM } from './geoip.js';
export { createFileSensitivityEnricher, FileSensitivityMap, fileKeyOfEvent, preloadFileSensitivity, FILE_CLASSIFIED, type KnownSensitivity } from './file-sensitivity.js';
export { createIdentityEnricher, type IdentityRule } from './identity.js';
export { createUserAgentEnricher, parseUserAgent, type ParsedAgent } from './user-agent.js';

export interface EnrichOptions {
  geoip?: boolean;
  asn?: boolean;
  userAgent?: boolean;
  /** Keyed by source name (json-logs), dataset (`google-workspace.login`) or provider (`dropbox`). */
  identities?: Record<string, IdentityRule>;
  /** CIDR or single-address keys; they win over the databases and apply to special ranges too, so synthetic addresses (198.18.0.0/15) can be placed. */
  overrides?: { geo?: Record<string, GeoInfo>; asn?: Record<string, AsnInfo> };
  /** `lazy` reads the IPv6 ASN table on the first IPv6 address instead of at start-up. */
  asnIpv6?: 'eager' | 'lazy';
  /** Stamp file.sensitivity / file.pii on events touching a scanned file (default on). */
  fileSensitivity?: boolean;
  /** Where the file sensitivity enricher preloads earlier scans from (the store's inventory). */
  files?: Pick<Inventory, 'listFiles'>;
}

/**
 * Opens the databases once (the only asynchronous part) and returns synchronous enrichers.
 * Identity runs first so that later stages and detectors see canonical users; it is always on,
 * because lowercasing emails alone already merges `Alice@` and `alice@`.
 */
export async function createEnrichers(opts: EnrichOptions = {}): Promise<Enricher[]> {
  const { geoip = true, asn = true, userAgent = true, fileSensitivity = true, overrides = {} } = opts;
  // Overrides are validated before the slow loads, so a typo fails fast.
  for (const cidr of [...Object.keys(overrides.geo ?? {}), ...Object.keys(overrides.asn ?? {})]) parseCidr(cidr);
  const [geoDb, asnTable, files] = await Promise.all([
    geoip ? GeoIpDatabase.open() : undefined,
    asn ? AsnTable.load({ ipv6: opts.asnIpv6 ?? 'eager' }) : undefined,
    fileSensitivity ? createFileSensitivityEnricher(opts.files ? { inventory: opts.files } : {}) : undefined,
  ]);
  const out: Enricher[] = [createIdentityEnricher(opts.identities)];
  // A disabled database still honours overrides: the demo places synthetic addresses without loading anything.
  if (geoip || overrides.geo) out.push(createGeoIpEnricher(geoDb, { overrides: overrides.geo ?? {} }));
  if (asn || overrides.asn) out.push(createAsnEnricher(asnTable, { overrides: overrides.asn ?? {} }));
  if (userAgent) out.push(createUserAgentEnricher());
  if (files) out.push(files.enricher);
  return out;
}

const domain = /^@?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export const identityRuleSchema = z
  .strictObject({
    user_domain: z.string().regex(domain, 'expected a domain such as example.com').optional(),
    user_map: z.record(z.string().min(1), z.string().min(1)).optional(),
  })
  .superRefine((rule, ctx) => {
    for (const [from, to] of Object.entries(rule.user_map ?? {})) {
      if (!to.includes('@') && !rule.user_domain) {
        ctx.addIssue({ code: 'custom', path: ['user_map', from], message: `"${to}" is not an email; map to an email or set user_domain` });
      }
    }
  });

/**
 * The `enrich:` config section. Example:
 *
 *   enrich:
 *     user_agent: false
 *     identities:
 *       web-auth: { user_domain: example.com }
 *       slack: { user_map: { U024BE7LH: alice@example.com } }
 */
export const enrichConfigSchema = z.strictObject({
  geoip: z.boolean().default(true),
  asn: z.boolean().default(true),
  user_agent: z.boolean().default(true),
  file_sensitivity: z.boolean().default(true).describe('Stamp each event that touches a scanned file with its sensitivity and entity counts (file.sensitivity, file.pii), for rules and detectors.'),
  identities: z.record(z.string().min(1), identityRuleSchema).default({}),
});

export type EnrichConfig = z.output<typeof enrichConfigSchema>;

/** Maps the snake_case config section to createEnrichers options. */
export function enrichOptionsFromConfig(c: EnrichConfig): EnrichOptions {
  return { geoip: c.geoip, asn: c.asn, userAgent: c.user_agent, fileSensitivity: c.file_sensitivity, identities: c.identities };
}
