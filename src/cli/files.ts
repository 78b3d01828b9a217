/** `saaswatch files`: the file inventory with each file's sensitivity and entity counts (never a value), filtered by level. */
import type { Clock, FileRecord, Sensitivity } from '../core/index.js';
import { withStore } from './alerts.js';
import { EXIT } from './options.js';
import { out, outJson } from './terminal.js';

export interface FilesOptions {
  config?: string;
  /** Only files scanned at this level or above. */
  sensitivity?: Sensitivity;
  visibility?: string;
  limit?: number;
  json?: boolean;
}

export interface FilesIo {
  print(line: string): void;
  printJson(value: unknown): void;
}

const terminalIo: FilesIo = { print: out, printJson: outJson };

/** `CREDIT_CARD×120 US_SSN×3`, most found first. */
export function entityText(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([t, n]) => `${t}×${n}`)
    .join(' ');
}

function fileJson(f: FileRecord): Record<string, unknown> {
  const c = f.classification;
  return {
    key: f.key,
    name: f.name ?? null,
    owner: f.owner ?? null,
    visibility: f.visibility ?? null,
    sensitivity: c?.sensitivity ?? null,
    pii: c ? { counts: c.entities.counts, samples: c.entities.samples } : null,
    scanned_at: c?.scannedAt ?? null,
    scan_error: c?.error?.message ?? null,
  };
}

function fileLine(f: FileRecord): string {
  const c = f.classification;
  const level = c ? (c.error ? 'unreadable' : c.sensitivity) : 'unscanned';
  const found = c?.error ? c.error.code : c ? entityText(c.entities.counts) : '';
  return [f.key, f.name ?? '-', f.owner ?? '-', f.visibility ?? '-', level, found].join('  ').trimEnd();
}

/** Pages through the inventory by key: listFiles is cursor-paged, and a big inventory must not be read at once. */
export async function listFiles(o: FilesOptions, now: Clock, io: FilesIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const limit = o.limit ?? Number.POSITIVE_INFINITY;
    let shown = 0;
    let afterKey: string | undefined;
    for (;;) {
      const want = Math.min(500, limit - shown);
      const page = await store.listFiles({
        ...(o.sensitivity ? { sensitivity: o.sensitivity } : {}),
        ...(o.visibility ? { visibility: o.visibility.split(',').map((v) => v.trim()).filter(Boolean) } : {}),
        ...(afterKey !== undefined ? { afterKey } : {}),
        limit: want,
      });
      for (const f of page) {
        if (o.json) io.printJson(fileJson(f));
        else io.print(fileLine(f));
      }
      shown += page.length;
      if (page.length < want || shown >= limit) break;
      afterKey = page.at(-1)!.key;
    }
    if (shown === 0 && !o.json) io.print(o.sensitivity ? `no files scanned at ${o.sensitivity} or above` : 'no files in the inventory');
    return EXIT.ok;
  });
}
