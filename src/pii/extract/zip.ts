/**
 * A bounded zip reader for Office and OpenDocument files: the central directory is checked (entry count,
 * declared sizes and ratios) before anything is inflated, and inflation streams with a running count,
 * since a hostile file's declared sizes may lie.
 */
import { Inflate } from 'fflate';
import { formatBytes, type ExtractContext } from './context.js';

const MiB = 1024 * 1024;
/** Compressed bytes fed to the inflater at once: at DEFLATE's best ratio (1032:1) that is ~16 MB out between checks. */
const CHUNK = 16 * 1024;
/** An entry may inflate a little past its declared size (none should); past that its header lied. */
const DECLARED_SLACK = 64 * 1024;

interface Entry {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const u16 = (d: Uint8Array, at: number) => d[at]! | (d[at + 1]! << 8);
const u32 = (d: Uint8Array, at: number) => (d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) >>> 0;

export const isZip = (d: Uint8Array) => d.length >= 4 && d[0] === 0x50 && d[1] === 0x4b && ((d[2] === 3 && d[3] === 4) || (d[2] === 5 && d[3] === 6));

export class ZipArchive {
  private readonly entries = new Map<string, Entry>();
  private expanded = 0;

  private constructor(
    private readonly data: Uint8Array,
    private readonly ctx: ExtractContext,
  ) {}

  /** Reads and checks the central directory; inflates nothing. */
  static open(data: Uint8Array, ctx: ExtractContext): ZipArchive {
    const zip = new ZipArchive(data, ctx);
    zip.readDirectory();
    return zip;
  }

  private corrupt(problem: string): never {
    throw this.ctx.unreadable(`not a readable zip (${problem}): the file is corrupt or truncated`, 'open and save it again in its application, then scan it again');
  }

  private readDirectory(): void {
    const d = this.data;
    const { limits } = this.ctx;
    let eocd = -1;
    for (let i = d.length - 22; i >= Math.max(0, d.length - 22 - 0xffff); i--) {
      if (d[i] === 0x50 && d[i + 1] === 0x4b && d[i + 2] === 5 && d[i + 3] === 6) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.corrupt('no end of central directory');
    const count = u16(d, eocd + 10);
    const cdSize = u32(d, eocd + 12);
    const cdOffset = u32(d, eocd + 16);
    if (count === 0xffff || cdOffset === 0xffffffff) throw this.ctx.unreadable('a zip64 archive, which saaswatch does not read', 'save it again in its application (Office files are never zip64 below 4 GB)');
    if (count > limits.max_entries) {
      throw this.ctx.unreadable(`${count.toLocaleString('en-US')} zip entries is over the limit of ${limits.max_entries.toLocaleString('en-US')} (pii.limits.max_entries)`, 'raise pii.limits.max_entries if the file is genuine');
    }
    if (cdOffset + cdSize > eocd) this.corrupt('the central directory runs past its end');
    let at = cdOffset;
    let declared = 0;
    for (let i = 0; i < count; i++) {
      if (at + 46 > eocd || u32(d, at) !== 0x02014b50) this.corrupt('a broken central directory entry');
      const nameLen = u16(d, at + 28);
      const e: Entry = {
        flags: u16(d, at + 8),
        method: u16(d, at + 10),
        compressedSize: u32(d, at + 20),
        size: u32(d, at + 24),
        offset: u32(d, at + 42),
        name: new TextDecoder().decode(d.subarray(at + 46, at + 46 + nameLen)),
      };
      at += 46 + nameLen + u16(d, at + 30) + u16(d, at + 32);
      declared += e.size;
      if (e.size > MiB && e.size / Math.max(1, e.compressedSize) > limits.max_ratio) {
        throw this.ctx.overLimit(`zip entry ${e.name}'s declared expansion ratio of ${Math.round(e.size / Math.max(1, e.compressedSize))}:1`, 'max_ratio', `${limits.max_ratio}:1`);
      }
      if (!this.entries.has(e.name)) this.entries.set(e.name, e);
    }
    if (declared > limits.max_expanded_bytes) throw this.ctx.overLimit(`the declared expanded size of ${formatBytes(declared)}`, 'max_expanded_bytes', formatBytes(limits.max_expanded_bytes));
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** An entry's bytes, inflated under the expansion limits; undefined when there is no such entry. */
  read(name: string): Uint8Array | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    const d = this.data;
    const { limits } = this.ctx;
    if (e.flags & 1) throw this.ctx.unreadable(`zip entry ${name} is encrypted`, 'remove the password, then scan it again');
    if (e.offset + 30 > d.length || u32(d, e.offset) !== 0x04034b50) this.corrupt(`no local header for ${name}`);
    const start = e.offset + 30 + u16(d, e.offset + 26) + u16(d, e.offset + 28);
    if (start + e.compressedSize > d.length) this.corrupt(`${name} runs past the end of the file`);
    const packed = d.subarray(start, start + e.compressedSize);
    if (e.method === 0) {
      this.count(packed.length, e);
      return packed;
    }
    if (e.method !== 8) throw this.ctx.unreadable(`zip entry ${name} uses compression method ${e.method}, which saaswatch does not read`, 'save it again in its application');

    const out: Uint8Array[] = [];
    let n = 0;
    let over: Error | undefined;
    const inflater = new Inflate((chunk) => {
      if (over) return;
      n += chunk.length;
      try {
        this.count(chunk.length, e, n);
        out.push(chunk);
      } catch (err) {
        over = err as Error;
      }
    });
    try {
      for (let i = 0; i < packed.length && !over; i += CHUNK) {
        inflater.push(packed.subarray(i, i + CHUNK), i + CHUNK >= packed.length);
        this.ctx.check();
      }
      if (packed.length === 0) inflater.push(new Uint8Array(0), true);
    } catch (err) {
      if (over) throw over;
      if ((err as { code?: unknown }).code === 'FILE_UNREADABLE') throw err;
      this.corrupt(`${name} does not inflate`);
    }
    if (over) throw over;
    const whole = new Uint8Array(n);
    let at = 0;
    for (const c of out) {
      whole.set(c, at);
      at += c.length;
    }
    return whole;
  }

  /** Counts inflated bytes against the entry's declared size, the ratio and the archive's total, as they come. */
  private count(bytes: number, e: Entry, entrySoFar = bytes): void {
    const { limits } = this.ctx;
    this.expanded += bytes;
    if (this.expanded > limits.max_expanded_bytes) throw this.ctx.overLimit(`the expanded size (more than ${formatBytes(limits.max_expanded_bytes)})`, 'max_expanded_bytes', formatBytes(limits.max_expanded_bytes));
    if (entrySoFar > e.size + DECLARED_SLACK) {
      throw this.ctx.unreadable(`zip entry ${e.name} inflates past its declared size of ${formatBytes(e.size)}: a zip bomb or a corrupt file`, 'open and save it again in its application if it is genuine');
    }
    if (entrySoFar > MiB && entrySoFar / Math.max(1, e.compressedSize) > limits.max_ratio) {
      throw this.ctx.overLimit(`zip entry ${e.name}'s expansion ratio`, 'max_ratio', `${limits.max_ratio}:1`);
    }
  }

  /** An entry as UTF-8 text (undefined when absent). */
  readText(name: string): string | undefined {
    const b = this.read(name);
    return b === undefined ? undefined : new TextDecoder().decode(b);
  }
}
