/** The `relay:` section: the CTIM relay Cisco XDR (SecureX Threat Response) queries, its token checks, limits and Graph settings. */
import { z } from 'zod';
import { zHttpUrl, zSecret, zStrictObject } from '../../core/config-types.js';

/** Cisco's token issuers (US, EU, APJC): the JWKS hosts a relay token may name. */
export const CISCO_JWKS_HOSTS = ['visibility.amp.cisco.com', 'visibility.eu.amp.cisco.com', 'visibility.apjc.amp.cisco.com'] as const;

/**
 * The JWT payload claim that carries `relay.token_key`: the operator adds a field of this name to the
 * module type's configuration in Cisco XDR, and XDR puts its value into every token it signs for us.
 */
export const TOKEN_KEY_CLAIM = 'saaswatch_key';

/** A host name with an optional port, nothing else: the JWKS URL is built from it. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const PREFIX = /^(?:\/[a-z0-9][a-z0-9_-]*)+$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const relaySchema = zStrictObject(
  {
    enabled: z.boolean().default(false).describe('Serve the relay (with `saaswatch serve` and `saaswatch run`, on the same server).'),
    prefix: z
      .string()
      .regex(PREFIX, { error: 'prefix must be a path such as /relay (segments of letters, digits, - and _; no trailing slash)' })
      .refine((p) => !/^\/(api|healthz)(\/|$)/i.test(p), { error: 'prefix must not be /api or /healthz (or under them): those paths are the API\'s' })
      .default('/relay')
      .describe('Path the relay is served under: <prefix>/health, <prefix>/observe/observables, <prefix>/version, ...'),
    audience: z
      .string()
      .min(1)
      .optional()
      .describe('The `aud` every relay token must carry: the URL the module is registered with in Cisco XDR, e.g. https://saaswatch.example.com. Required when enabled.'),
    jwks_hosts: z
      .array(z.string().regex(HOST, { error: 'each JWKS host is a host name, with an optional port: visibility.amp.cisco.com' }).transform((h) => h.toLowerCase()))
      .min(1, 'jwks_hosts must name at least one host (Cisco\'s are visibility.amp.cisco.com, visibility.eu.amp.cisco.com, visibility.apjc.amp.cisco.com)')
      .default([...CISCO_JWKS_HOSTS])
      .describe(
        'Hosts a token\'s `jwks_host` claim may name; its signing keys are read from https://<host>/.well-known/jwks (http for 127.0.0.1, localhost and [::1] only, for tests). A token naming any other host is refused before anything is fetched. Default: Cisco\'s US, EU and APJC hosts (visibility.amp.cisco.com, visibility.eu.amp.cisco.com, visibility.apjc.amp.cisco.com).',
      ),
    entities_limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('At most this many sightings per observable from each place (saaswatch\'s alerts, its events, Graph\'s alert APIs). A token\'s CTR_ENTITIES_LIMIT may lower it for its request, never raise it.'),
    legacy_alerts: z.boolean().default(true).describe('Also query Graph\'s legacy /security/alerts (the v1 schema Cisco\'s module maps) beside /security/alerts_v2.'),
    graph_url: zHttpUrl('https://graph.microsoft.com').default('https://graph.microsoft.com').describe('Microsoft Graph\'s root (a national cloud\'s, or a fake\'s in tests).'),
    login_url: zHttpUrl('https://login.microsoftonline.com').default('https://login.microsoftonline.com').describe('Microsoft Entra authority Graph tokens are requested from.'),
    dashboard_url: zHttpUrl('https://saaswatch.example.com')
      .optional()
      .describe('Root of the saaswatch dashboard that sightings and refer links point to; absent: the scheme and host the relay request came to.'),
    token_key: zSecret
      .optional()
      .describe(
        `Binds relay tokens to this deployment. Any Cisco XDR organisation can get a token signed for our audience; only those whose module configuration carries this value in the \`${TOKEN_KEY_CLAIM}\` claim get saaswatch's own sightings, the Graph credentials of saaswatch's config and (with respond) response actions. Write it as \${ENV_VAR}; use a long random value. Absent: every token gets only Graph sightings read with the credentials it carries itself.`,
      ),
    respond: z
      .boolean()
      .default(false)
      .describe('Offer and run response actions (block, unblock, suspend) for tokens carrying token_key. Needs token_key. Protected accounts (response.protected) are never blocked or suspended from the relay.'),
    credentials: zStrictObject(
      {
        tenant_id: z.string().min(1).describe('Directory (tenant) ID, or a verified domain of the tenant.'),
        client_id: z.string().regex(GUID, { error: 'client_id must be the application (client) ID, a GUID' }).describe('Application (client) ID of the app registration (SecurityAlert.Read.All).'),
        client_secret: zSecret.describe('Client secret of the app registration; write it as ${ENV_VAR}.'),
      },
      'relay.credentials',
    )
      .optional()
      .describe(
        'Graph credentials for tokens that carry none but carry token_key (Cisco\'s module sends tenant_id, application_id and client_secret in the token when configured with them). Absent: those of the first microsoft-graph source; with neither, only saaswatch\'s own sightings are answered.',
      ),
  },
  'relay',
)
  .superRefine((r, ctx) => {
    if (r.enabled && r.audience === undefined) {
      ctx.addIssue({ code: 'custom', path: ['audience'], message: 'audience is required when the relay is enabled: set it to the URL the module is registered with in Cisco XDR' });
    }
    if (r.respond && r.token_key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['respond'], message: `respond needs token_key: without it any Cisco XDR organisation could run saaswatch's response actions (set relay.token_key and the ${TOKEN_KEY_CLAIM} field of the module's configuration)` });
    }
  })
  .describe('The CTIM relay for Cisco XDR / SecureX: sightings of an IP, user, file, ... in saaswatch and Microsoft Graph security alerts, links into the dashboard, and block/unblock responses.');

export type RelayConfig = z.output<typeof relaySchema>;
