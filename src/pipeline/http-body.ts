/** HTTP bodies we handle ourselves: a response read never past a cap (an endless or huge body must not grow memory), and a fetch request's body as node:http sends it. */

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
