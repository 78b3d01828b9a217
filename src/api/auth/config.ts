/** The `server.auth` section: session lifetimes, cookie security, login lockout and rate limit, and optional OIDC. */
import { z } from 'zod';
import { zDuration, zHttpUrl, zSecret, zStrictObject } from '../../core/config-types.js';
import { ROLES } from '../context.js';

export const oidcSchema = zStrictObject(
  {
    name: z.string().min(1).default('single sign-on').describe('What the login page calls the button (e.g. "Okta", "Google").'),
    issuer: zHttpUrl('https://accounts.example.com').describe('The issuer URL; its /.well-known/openid-configuration is read at start. http:// only for 127.0.0.1 (tests).'),
    client_id: z.string().min(1).describe('The client id registered at the issuer.'),
    client_secret: zSecret.describe('The client secret; write it as ${ENV_VAR}.'),
    redirect_uri: zHttpUrl('https://saaswatch.example.com/api/auth/oidc/callback').describe('This server\'s callback as registered at the issuer: https://<host>/api/auth/oidc/callback.'),
    scopes: z.array(z.string()).default(['openid', 'email', 'profile']).describe('Scopes asked for; openid and email are needed.'),
    role_claim: z.string().optional().describe('ID token claim holding the role (admin, analyst or viewer), e.g. "saaswatch_role"; absent: accounts keep their stored role, new ones get default_role.'),
    default_role: z.enum(ROLES).default('viewer').describe('Role of an account created on its first OIDC login when no role claim says otherwise.'),
    trust_unverified_email: z
      .boolean()
      .default(false)
      .describe('Take the ID token\'s email even without email_verified: true. Only for issuers that never send the claim (e.g. Microsoft Entra ID) and whose addresses they control themselves; otherwise anyone who can set an address there takes over the account with that address.'),
    allowed_domains: z
      .array(z.string().min(1).transform((d) => d.toLowerCase().replace(/^@/, '')))
      .optional()
      .describe('Email domains whose people get an account on their first OIDC login; absent: only accounts that exist already (saaswatch user add) may log in.'),
  },
  'server.auth.oidc',
).describe('Login through an OpenID Connect issuer (authorization code with PKCE), beside or instead of passwords.');

export const authSchema = zStrictObject(
  {
    session_idle: zDuration.prefault('30m').refine((ms) => ms >= 60_000, 'session_idle must be at least 1m').describe('A session unused this long ends; at least 1m.'),
    session_max: zDuration.prefault('12h').describe('A session ends this long after login, however active.'),
    secure_cookies: z.boolean().default(false).describe('Mark the session cookie Secure even without TLS here (TLS ends at a reverse proxy); always on when the server runs TLS.'),
    lockout: zStrictObject(
      {
        max_failures: z.number().int().min(1).default(5).describe('Wrong passwords in a row that lock an account.'),
        lock_for: zDuration.prefault('15m').describe('How long a locked account refuses every login, right password or not.'),
      },
      'server.auth.lockout',
    )
      .prefault({})
      .describe('Per-account lockout after repeated wrong passwords.'),
    login_rate_limit: zStrictObject(
      {
        max: z.number().int().min(1).default(10).describe('Login attempts per client address per window.'),
        window: zDuration.prefault('1m').describe('The window the attempts are counted over.'),
      },
      'server.auth.login_rate_limit',
    )
      .prefault({})
      .describe('Per-address rate limit of POST /api/auth/login (429 with Retry-After beyond it).'),
    oidc: oidcSchema.optional(),
  },
  'server.auth',
).describe('Logins to the API and dashboard: sessions, lockout, rate limit, OIDC.');

export type AuthConfig = z.output<typeof authSchema>;
export type OidcConfig = z.output<typeof oidcSchema>;
