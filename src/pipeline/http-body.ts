/** Reading an HTTP response body we fetched ourselves, never more than a cap: an endless or huge body must not grow memory. */

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
