import { describe, expect, it } from 'vitest';
import { readCapped, readCappedText } from './http-body.js';

/** A body that never ends, counting the chunks it was asked for. */
function endless(chunkBytes: number): { res: Response; pulled: () => number; cancelled: () => boolean } {
  let pulled = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(chunkBytes).fill(120));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { res: new Response(stream), pulled: () => pulled, cancelled: () => cancelled };
}

describe('readCapped', () => {
  it('reads an endless body only up to the cap plus one chunk, keeps exactly the cap, and cancels the rest', async () => {
    const e = endless(1000);
    const got = await readCapped(e.res, 16 * 1024);
    expect(got.truncated).toBe(true);
    expect(got.bytes.byteLength).toBe(16 * 1024);
    expect(got.received).toBeLessThanOrEqual(16 * 1024 + 1000);
    // The stream's own read-ahead may ask for a chunk or two more; an unbounded read would ask forever.
    expect(e.pulled()).toBeLessThanOrEqual(Math.ceil((16 * 1024) / 1000) + 2);
    expect(e.cancelled()).toBe(true);
  });

  it('reads a short body whole, untruncated', async () => {
    const got = await readCappedText(new Response('{"ok":true}'), 1024);
    expect(got).toEqual({ text: '{"ok":true}', received: 11, truncated: false });
  });

  it('a body exactly at the cap is not truncated', async () => {
    const got = await readCapped(new Response('x'.repeat(64)), 64);
    expect(got.truncated).toBe(false);
    expect(got.bytes.byteLength).toBe(64);
  });

  it('keeps what arrived when the body fails mid-way, unless asked to rethrow', async () => {
    const failing = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode('partial'));
            c.error(new Error('connection reset'));
          },
        }),
      );
    // The error may arrive before the enqueued chunk is read; either way nothing throws.
    expect((await readCappedText(failing(), 1024)).truncated).toBe(false);
    await expect(readCappedText(failing(), 1024, { rethrow: true })).rejects.toThrow('connection reset');
  });

  it('a response without a body reads as empty', async () => {
    expect(await readCapped(new Response(null, { status: 204 }), 10)).toEqual({ bytes: new Uint8Array(0), received: 0, truncated: false });
  });
});
