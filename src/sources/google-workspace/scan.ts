/** Turns Drive files the source sees created, edited or shared into content scan jobs: Docs and Slides exported as text, Sheets as xlsx, other files downloaded. */
import type { drive_v3 } from '@googleapis/drive';
import type { SecurityEvent } from '../../core/index.js';
import { SaaswatchError, errors } from '../../core/index.js';
import type { ScanJob } from '../../pii/scanner.js';
import { classifySharing, fileKey } from './inventory.js';
import { PROVIDER } from './normalize.js';
import { withRetry, type RetryOptions } from './request.js';
import type { DriveChangeLike, DriveFileLike } from './wire.js';

/** Docs Editors files and the form Drive exports each as (Sheets as xlsx: a CSV export holds the first sheet only). */
export const EXPORT_AS: Readonly<Record<string, string>> = {
  'application/vnd.google-apps.document': 'text/plain',
  'application/vnd.google-apps.spreadsheet': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.google-apps.presentation': 'text/plain',
};

/** Reports drive events after which a file's content or exposure is new: its content is (re)scanned. */
export const SCAN_ACTIONS = new Set(['create', 'upload', 'edit', 'change_document_visibility', 'change_user_access', 'change_document_access_scope', 'rename', 'move', 'add_to_folder']);

/** What a scan needs of a file, for files.get. */
export const SCAN_FILE_FIELDS = 'id,name,mimeType,size,md5Checksum,sha256Checksum,headRevisionId,modifiedTime,trashed,owners(emailAddress),permissions(id,type,role,emailAddress,domain,allowFileDiscovery,deleted)';

export interface DriveScanContext {
  drive: drive_v3.Drive;
  retry: RetryOptions;
  orgDomain: string;
  /** Source instance name, for dead letters. */
  source: string;
}

/** The reason in Google's error envelope (`fileNotDownloadable`, `exportSizeLimitExceeded`), also when the body came back as bytes. */
function googleReason(err: unknown): string | undefined {
  let data = (err as { response?: { data?: unknown } })?.response?.data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) data = Buffer.from(data as ArrayBuffer).toString('utf8');
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  const reason = (data as { error?: { errors?: Array<{ reason?: unknown }> } } | undefined)?.error?.errors?.[0]?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

const bytesOf = (data: unknown): Uint8Array => {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw errors.inputMalformed({ where: 'Drive download', problem: 'answered without the file bytes' });
};

/**
 * A scan job for a Drive file, or undefined when it has no content to scan (a folder, a shortcut,
 * a form, a trashed file). Drive's sha256 (else md5) is the content hash of binary files; Docs
 * Editors files have none, and the scanner hashes their export.
 */
export function driveScanJob(f: DriveFileLike, ctx: DriveScanContext): ScanJob | undefined {
  if (typeof f.id !== 'string' || f.id === '' || typeof f.mimeType !== 'string' || f.trashed) return undefined;
  const fileId = f.id;
  const exportAs = EXPORT_AS[f.mimeType];
  if (!exportAs && f.mimeType.startsWith('application/vnd.google-apps.')) return undefined;
  // Media carry no text saaswatch reads: not worth a download.
  if (/^(image|video|audio)\//.test(f.mimeType)) return undefined;
  const name = typeof f.name === 'string' ? f.name : undefined;
  const owner = f.owners?.[0]?.emailAddress ?? undefined;
  const size = exportAs || f.size === undefined || f.size === null ? undefined : Number(f.size);
  const hash = f.sha256Checksum ? `sha256:${f.sha256Checksum}` : f.md5Checksum ? `md5:${f.md5Checksum}` : undefined;
  const where = name ?? fileId;
  const fetch = async (signal: AbortSignal, maxBytes?: number): Promise<Uint8Array> => {
    const retry: RetryOptions = { ...ctx.retry, signal: AbortSignal.any([ctx.retry.signal, signal]) };
    // gaxios refuses a body whose Content-Length is over the cap before reading it.
    const cap = maxBytes !== undefined ? { maxContentLength: maxBytes } : {};
    const call = async () => {
      try {
        const res = exportAs
          ? await ctx.drive.files.export({ fileId, mimeType: exportAs }, { responseType: 'arraybuffer', signal: retry.signal, ...cap })
          : await ctx.drive.files.get({ fileId, alt: 'media', supportsAllDrives: true }, { responseType: 'arraybuffer', signal: retry.signal, ...cap });
        const data = bytesOf(res.data);
        if (maxBytes !== undefined && data.length > maxBytes) throw errors.inputTooLarge({ where, size: `${data.length} bytes`, limit: `${maxBytes} bytes (pii.max_file_bytes)` });
        return data;
      } catch (err) {
        if (err instanceof SaaswatchError) throw err;
        if (maxBytes !== undefined && /Content-Length` is over the limit|max-size/i.test(String((err as { message?: unknown })?.message ?? ''))) {
          throw errors.inputTooLarge({ where, size: 'the download', limit: `${maxBytes} bytes (pii.max_file_bytes)` });
        }
        // What Drive says about the content itself is final: the scanner dead-letters it and does not fetch it again unchanged.
        const reason = googleReason(err);
        if (reason === 'exportSizeLimitExceeded') throw errors.inputTooLarge({ where, size: 'the export', limit: "Drive's 10 MB export limit" });
        if (reason === 'fileNotDownloadable' || reason === 'cannotDownloadAbusiveFile') throw errors.fileUnreadable({ file: where, problem: `Drive refused the download (${reason})` });
        throw err;
      }
    };
    return withRetry(exportAs ? 'Drive files.export' : 'Drive files.get media', call, retry);
  };
  const visibility = Array.isArray(f.permissions) ? classifySharing(f.permissions, ctx.orgDomain).visibility : undefined;
  return {
    key: fileKey(fileId),
    provider: PROVIDER,
    fileId,
    source: ctx.source,
    ...(name !== undefined ? { name } : {}),
    mimeType: exportAs ?? f.mimeType,
    ...(size !== undefined && Number.isFinite(size) ? { size } : {}),
    ...(hash ? { contentHash: hash } : {}),
    ...(owner ? { owner } : {}),
    ...(visibility ? { visibility } : {}),
    fetch,
  };
}

/** True when an error means the file is gone or not ours to read: skipped, not retried. */
const skippable = (err: unknown): boolean => err instanceof SaaswatchError && !err.retryable;

/**
 * Jobs for the files a batch of events touched: Drive changes carry the file's new state; Reports
 * drive events name the file, whose metadata (hashes, type) one files.get reads. One job per file,
 * from its newest event.
 */
export async function scanJobsForEvents(events: readonly SecurityEvent[], ctx: DriveScanContext): Promise<ScanJob[]> {
  const changed = new Map<string, DriveFileLike>();
  const named = new Set<string>();
  for (const e of events) {
    const id = e.file?.id;
    if (!id) continue;
    if (e.event.dataset === `${PROVIDER}.drive_changes` && e.event.action === 'drive.file_changed') {
      const file = (e.raw as DriveChangeLike | undefined)?.file;
      if (file && typeof file.id === 'string') changed.set(id, file);
    } else if (e.event.dataset === `${PROVIDER}.drive` && SCAN_ACTIONS.has(e.event.action)) named.add(id);
  }
  for (const id of changed.keys()) named.delete(id);
  const jobs: ScanJob[] = [];
  for (const f of changed.values()) {
    const j = driveScanJob(f, ctx);
    if (j) jobs.push(j);
  }
  for (const fileId of named) {
    if (ctx.retry.signal.aborted) break;
    try {
      const res = await withRetry('Drive files.get', () => ctx.drive.files.get({ fileId, supportsAllDrives: true, fields: SCAN_FILE_FIELDS }, { signal: ctx.retry.signal }), ctx.retry);
      const j = driveScanJob(res.data, ctx);
      if (j) jobs.push(j);
    } catch (err) {
      if (!skippable(err)) throw err;
    }
  }
  return jobs;
}
