/** What the local fakes share: an HTTP error answer a route throws, and the request body reader. */
import type { IncomingMessage } from 'node:http';

/** An error answer carrying the vendor's own JSON body; the fake's request handler sends it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly payload: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
