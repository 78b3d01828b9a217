/** HTTP bodies we handle ourselves: a response read never past a cap (an endless or huge body must not grow memory), and fetch's request and response over node:http. */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface CappedBody {
  /** The first `min(size, maxBytes)` bytes. */
  bytes: Uint8Array;
  /** Bytes received: at most `maxBytes` plus one chunk, however long the body was. */
  received: number;
  /** Whether the body went on past `maxBytes` (the rest was cancelled, not read). */
  truncated: boolean;
}

/**
 * Reads at most `maxBytes` of `res`'s body and cancels the rest, so the connection is released and
 * nothing more is buffered. A body that fails mid-way keeps what arrived unless `rethrow` is set.
 */
export async function readCapped(res: Response, maxBytes: number, opts: { rethrow?: boolean } = {}): Promise<CappedBody> {
  if (!res.body) return { bytes: new Uint8Array(0), received: 0, truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let received = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      const room = maxBytes - kept;
      if (value.byteLength > room) {
        if (room > 0) chunks.push(value.subarray(0, room));
        kept = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(value);
      kept += value.byteLength;
    }
  } catch (err) {
    if (opts.rethrow) throw err;
  } finally {
    // Cancelling ends the transfer: the server stops being read and its connection is freed.
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(kept);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, received, truncated };
}

/** The capped body as UTF-8 text; a character cut at the cap becomes U+FFFD. */
export async function readCappedText(res: Response, maxBytes: number, opts: { rethrow?: boolean } = {}): Promise<{ text: string; received: number; truncated: boolean }> {
  const { bytes, received, truncated } = await readCapped(res, maxBytes, opts);
  return { text: new TextDecoder().decode(bytes), received, truncated };
}

/**
 * A fetch `init`'s headers and body as node:http takes them. FormData, URLSearchParams and Blob (SDKs
 * send them) are serialised the way fetch would, their content type included.
 */
export async function nodeRequestParts(init: RequestInit): Promise<{ headers: Record<string, string>; body: string | Uint8Array | undefined }> {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => (headers[k] = v));
  let body: string | Uint8Array | undefined;
  if (typeof init.body === 'string' || init.body instanceof Uint8Array) body = init.body;
  else if (init.body !== undefined && init.body !== null) {
    const encoded = new Request('http://body.invalid/', { method: 'POST', body: init.body });
    body = new Uint8Array(await encoded.arrayBuffer());
    const type = encoded.headers.get('content-type');
    if (type && !('content-type' in headers)) headers['content-type'] = type;
  }
  return { headers, body };
}

// Statuses whose responses have no body: a Response built with one would throw.
const NULL_BODY = new Set([101, 204, 205, 304]);

/** node:http's answer as the fetch Response it stands for: headers as sent, the body streamed (none for HEAD and bodiless statuses). */
export function toFetchResponse(res: IncomingMessage, method: string | undefined): Response {
  const h = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 500;
  const stream = NULL_BODY.has(status) || method === 'HEAD' ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  if (!stream) res.resume();
  return new Response(stream, { status, statusText: res.statusMessage ?? '', headers: h });
}
