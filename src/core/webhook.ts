/** Inbound HTTP webhooks: a source exposes routes, the API server hosts them. */
import type { Source } from './source.js';

export interface WebhookRequest {
  method: string;
  /** Path without the query string, e.g. `/webhooks/dropbox`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The raw body, exactly as received: signatures are computed over these bytes. */
  body: Buffer;
  remoteAddress?: string;
}

export interface WebhookResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface WebhookRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Larger bodies are refused with 413 before the handler runs (default 1 MiB). */
  maxBodyBytes?: number;
  handle(req: WebhookRequest): Promise<WebhookResponse>;
}

/**
 * A source that also receives pushes (change notifications). A verified push only asks for a poll,
 * which the polling runtime coalesces (one per min_poll_interval), so a push storm costs no more
 * than one poll per interval; see docs/contracts/source.md, "Webhooks".
 */
export interface WebhookSource extends Source {
  webhookRoutes(): WebhookRoute[];
}

export function isWebhookSource(s: Source): s is WebhookSource {
  return typeof (s as Partial<WebhookSource>).webhookRoutes === 'function';
}
