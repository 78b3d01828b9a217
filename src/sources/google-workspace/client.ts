/** Builds the official Reports and Drive SDK clients on a service-account JWT, pointed at Google or at a fake. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { admin, type admin_reports_v1 } from '@googleapis/admin';
import { drive, type drive_v3 } from '@googleapis/drive';
import { JWT } from 'google-auth-library';
import { errorMessage, errors, Redactor } from '../../core/index.js';
import type { GoogleWorkspaceConfig } from './config.js';

export const REPORTS_SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';
/** Metadata only: saaswatch watches who shares what; file contents only when the PII scanner is on (below). */
export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive.metadata.readonly';
/** Read-only content (and metadata), asked for instead of DRIVE_SCOPE only when `pii.enabled`: downloads and exports need it. */
export const DRIVE_CONTENT_SCOPE = 'https://www.googleapis.com/auth/drive.readonly';
/** Alert Center's only scope: alerts.list needs it (read and write are one scope). */
export const ALERTS_SCOPE = 'https://www.googleapis.com/auth/apps.alerts';
const ALERT_CENTER_URL = 'https://alertcenter.googleapis.com';
/** The endpoint google-auth-library (gtoken) always posts to; the token_url override rewrites it. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface GoogleClients {
  reports: admin_reports_v1.Admin;
  drive: drive_v3.Drive;
  auth: JWT;
  /**
   * Alert Center, when `alert_center.enabled`: a client of its own, so a scope not yet granted
   * fails the alerts stream's token alone, never the Reports poll's; the source skips that stream
   * for the pass and the others go on (source.ts, `isolate`).
   */
  alerts?: { auth: JWT; root: string };
}

/**
 * Where alerts.list goes: alert_center.base_url, else Google's. Not the top-level base_url: that is
 * the Reports and Drive root (a proxy for googleapis.com, say), and Alert Center is another host;
 * the fake, the demo and the tests set alert_center.base_url themselves.
 */
export function alertCenterRoot(config: GoogleWorkspaceConfig): string {
  const root = config.alert_center.base_url ?? ALERT_CENTER_URL;
  return root.endsWith('/') ? root.slice(0, -1) : root;
}

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
}

/** Reads and checks the service-account JSON; the message never includes the key. */
export async function loadServiceAccount(config: GoogleWorkspaceConfig, baseDir?: string): Promise<ServiceAccountKey> {
  let text: string;
  let where: string;
  if (config.credentials !== undefined) {
    text = config.credentials.reveal();
    where = 'credentials';
  } else {
    const path = resolve(baseDir ?? '.', config.credentials_file!);
    where = `credentials_file ${path}`;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw errors.configInvalid({ path: 'google-workspace', problem: `cannot read ${where}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, cause: err });
    }
  }
  let json: Partial<ServiceAccountKey & { type: string }>;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // Not the parse error's text: it quotes the input, which is a private key.
    throw errors.configInvalid({ path: 'google-workspace', problem: `${where} is not JSON`, fix: 'expected a service-account key file' });
  }
  if (json.type !== 'service_account' || typeof json.client_email !== 'string' || typeof json.private_key !== 'string') {
    throw errors.configInvalid({ path: 'google-workspace', problem: `${where} is not a service-account key`, fix: 'needs type service_account, client_email, private_key' });
  }
  return { client_email: json.client_email, private_key: json.private_key };
}

/**
 * A JWT client that signs assertions as the service account for `subject` with `scopes`.
 * google-auth-library has no token URL option, so a request interceptor redirects its token call
 * when `token_url` is set. Its built-in retries are switched off: retry.ts is the one retry policy,
 * and two stacked policies would multiply attempts.
 */
export function createJwt(
  config: GoogleWorkspaceConfig,
  key: ServiceAccountKey,
  redactor: Redactor,
  grant: { subject: string; scopes: string[] },
): JWT {
  redactor.add(key.private_key);
  const auth = new JWT({ email: key.client_email, key: key.private_key, subject: grant.subject, scopes: grant.scopes });
  const tokenUrl = config.token_url;
  auth.transporter.interceptors.request.add({
    resolved: async (opts) => {
      // Whatever credential this request carries is registered before it is sent: the signed
      // assertion (token request), the access token (API calls), a channel's token (channels.watch).
      redactor.add(opts.headers instanceof Headers ? opts.headers.get('authorization') : undefined);
      if (opts.data instanceof URLSearchParams) redactor.add(opts.data.get('assertion'));
      else if (opts.data && typeof opts.data === 'object') redactor.add((opts.data as { token?: string }).token);
      if (tokenUrl !== undefined && String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(tokenUrl);
      opts.retry = false;
      opts.retryConfig = { ...opts.retryConfig, retry: 0 };
      opts.timeout ??= config.timeout;
      return opts;
    },
  });
  return auth;
}

/** What every SDK client built on `auth` shares: no SDK retries, the timeout, and base_url as the root. */
export function sdkOptions(config: GoogleWorkspaceConfig, auth: JWT): { auth: JWT; retry: false; timeout: number; rootUrl?: string } {
  return {
    auth,
    retry: false,
    timeout: config.timeout,
    ...(config.base_url ? { rootUrl: config.base_url.endsWith('/') ? config.base_url : `${config.base_url}/` } : {}),
  };
}

/** The poller's clients: Reports, and Drive read-only metadata when a Drive feature is on (read-only content when `content`: the PII scanner), as `subject`. */
export function createClients(config: GoogleWorkspaceConfig, key: ServiceAccountKey, redactor = new Redactor(), content = false): GoogleClients {
  const driveScopes = content ? [DRIVE_CONTENT_SCOPE] : config.drive.changes || config.drive.watch || config.drive.inventory ? [DRIVE_SCOPE] : [];
  const auth = createJwt(config, key, redactor, {
    subject: config.subject,
    scopes: [REPORTS_SCOPE, ...driveScopes],
  });
  const common = sdkOptions(config, auth);
  return {
    auth,
    reports: admin({ version: 'reports_v1', ...common }),
    drive: drive({ version: 'v3', ...common }),
    ...(config.alert_center.enabled
      ? { alerts: { auth: createJwt(config, key, redactor, { subject: config.subject, scopes: [ALERTS_SCOPE] }), root: alertCenterRoot(config) } }
      : {}),
  };
}
