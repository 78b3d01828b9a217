/** Turns Dropbox team_log events about files added, edited or shared into content scan jobs, downloaded as the acting member. */
import type { SecurityEvent } from '../../core/index.js';
import type { FileScanner, ScanJob } from '../../pii/scanner.js';
import type { PolledBatch } from '../../pipeline/polling.js';
import type { DropboxContentClient } from './content.js';
import { PROVIDER } from './normalize.js';

/** team_log event types after which a file's content or exposure is new: its content is (re)scanned. */
export const SCAN_ACTIONS = new Set([
  'file_add', 'file_edit', 'file_copy', 'file_restore', 'file_revert', 'file_rename', 'file_move',
  'shared_link_create', 'shared_link_change_visibility', 'shared_content_add_member', 'shared_content_add_invitees', 'shared_content_change_member_role',
]);

export interface DropboxScanContext {
  content: DropboxContentClient;
  /** Source instance name, for dead letters. */
  source: string;
  logger?: { warn(obj: object, msg: string): void } | undefined;
}

/**
 * One job per file a batch's events touched (the newest event naming it), acting as the event's
 * team member: files/get_metadata first, so unchanged content (same content_hash) is never
 * downloaded, and a file that is gone or not a file is skipped.
 */
export async function dropboxScanJobs(events: readonly SecurityEvent[], ctx: DropboxScanContext): Promise<ScanJob[]> {
  const latest = new Map<string, SecurityEvent>();
  for (const e of events) {
    const id = e.file?.id;
    if (id && id.startsWith('id:') && SCAN_ACTIONS.has(e.event.action) && e.user?.id?.startsWith('dbmid:') && e.labels?.asset_type !== 'folder') {
      const prev = latest.get(id);
      if (!prev || prev['@timestamp'] <= e['@timestamp']) latest.set(id, e);
    }
  }
  const entries = [...latest];
  const found: Array<ScanJob | undefined> = new Array(entries.length);
  // A few metadata reads at once: one by one, a busy batch's hundreds of files held its source for seconds.
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < entries.length; i = next++) found[i] = await jobFor(entries[i]![0], entries[i]![1], ctx);
  };
  await Promise.all(Array.from({ length: Math.min(METADATA_CONCURRENCY, entries.length) }, worker));
  return found.filter((j): j is ScanJob => j !== undefined);
}

const METADATA_CONCURRENCY = 8;

async function jobFor(fileId: string, e: SecurityEvent, ctx: DropboxScanContext): Promise<ScanJob | undefined> {
  const member = e.user!.id!;
  let meta;
  try {
    meta = await ctx.content.metadata(fileId, member);
  } catch (err) {
    // One file's failure (a member who left, a throttled call) must not hold back the others; its next event retries it.
    ctx.logger?.warn({ err, fileId }, 'Could not read Dropbox file metadata for a PII scan; its next change retries it.');
    return undefined;
  }
  if (!meta) return undefined;
  const visibility = e.share?.visibility;
  return {
    key: `${PROVIDER}:${fileId}`,
    provider: PROVIDER,
    fileId,
    source: ctx.source,
    name: meta.name,
    size: meta.size,
    ...(meta.contentHash ? { contentHash: `dropbox:${meta.contentHash}` } : {}),
    ...(visibility && visibility !== 'link' ? { visibility } : {}),
    // The revision get_metadata named: the bytes its content_hash is of, whatever was uploaded since.
    fetch: async (signal, maxBytes) => (await ctx.content.download(meta.rev ? `rev:${meta.rev}` : fileId, member, signal, maxBytes)).data,
  };
}

/** Yields each batch, then the classified events of the files it touched as a batch of their own (no cursor: a lost scan only waits for the next change). */
export async function* withScans<S>(batches: AsyncIterable<PolledBatch<S>>, scanner: FileScanner | undefined, ctx: DropboxScanContext, signal: AbortSignal): AsyncGenerator<PolledBatch<S>> {
  for await (const batch of batches) {
    yield batch;
    if (!scanner || signal.aborted || batch.events.length === 0) continue;
    const jobs = await dropboxScanJobs(batch.events, ctx);
    if (!jobs.length) continue;
    const out = await scanner.scanAll(jobs);
    if (out.events.length || out.deadLetters.length) {
      yield { events: out.events, deadLetters: out.deadLetters, ...(batch.watermark !== undefined ? { watermark: batch.watermark } : {}) };
    }
  }
}
