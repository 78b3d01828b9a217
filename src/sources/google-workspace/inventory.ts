/** Keeps the Drive file inventory: a full paged listing of every file with its sharing, and deletions and sharing changes taken from Reports drive events. */
import type { drive_v3 } from '@googleapis/drive';
import type { Logger } from 'pino';
import type { FileRecord, Inventory, SecurityEvent } from '../../core/index.js';
import { SaaswatchError } from '../../core/index.js';
import { PROVIDER } from './normalize.js';
import { withRetry, type RetryOptions } from './request.js';
import type { DriveFileLike } from './wire.js';

/** How far a file is exposed, most exposed first in EXPOSURE below. */
export type Visibility = 'public' | 'anyone_with_link' | 'external' | 'domain' | 'private';

const EXPOSURE: Record<Visibility, number> = { private: 0, domain: 1, external: 2, anyone_with_link: 3, public: 4 };

export const fileKey = (fileId: string): string => `google-drive:${fileId}`;

type Permission = drive_v3.Schema$Permission;

const PERMISSION_FIELDS = 'id,type,role,emailAddress,domain,allowFileDiscovery,deleted';
/** Sharing metadata only; driveId tells shared-drive items, whose permissions files.list leaves out. */
const LIST_FIELDS = `nextPageToken,incompleteSearch,files(id,name,mimeType,driveId,owners(emailAddress),permissions(${PERMISSION_FIELDS}),modifiedTime,size,trashed,md5Checksum,sha256Checksum,headRevisionId)`;

export interface Sharing {
  visibility: Visibility;
  /** Domains outside the organisation that hold a permission, sorted. */
  externalDomains: string[];
  sharedWithAnyone: boolean;
}

function domainOf(p: Permission): string | undefined {
  const d = p.type === 'domain' ? p.domain : p.emailAddress?.split('@')[1];
  return typeof d === 'string' && d !== '' ? d.toLowerCase() : undefined;
}

/**
 * Classifies a file's permissions against the organisation's domain. `domain` means shared beyond
 * the owner but only inside the organisation (the whole domain or named colleagues): calling a file
 * that colleagues can open `private` would understate who sees it.
 */
export function classifySharing(permissions: Permission[], orgDomain: string): Sharing {
  const active = permissions.filter((p) => !p.deleted);
  const anyone = active.filter((p) => p.type === 'anyone');
  const externalDomains = [...new Set(active.filter((p) => p.type !== 'anyone').map(domainOf).filter((d): d is string => d !== undefined && d !== orgDomain))].sort();
  let visibility: Visibility;
  if (anyone.some((p) => p.allowFileDiscovery)) visibility = 'public';
  else if (anyone.length) visibility = 'anyone_with_link';
  else if (externalDomains.length) visibility = 'external';
  else if (active.some((p) => p.type === 'domain' || p.role !== 'owner')) visibility = 'domain';
  else visibility = 'private';
  return { visibility, externalDomains, sharedWithAnyone: anyone.length > 0 };
}

/** Reports' visibility vocabulary in the inventory's; undefined for `unknown` and anything new. */
export function fromReportsVisibility(v: string | undefined): Visibility | undefined {
  switch (v) {
    case 'public_on_the_web':
      return 'public';
    case 'people_with_link':
      return 'anyone_with_link';
    case 'shared_externally':
      return 'external';
    case 'public_in_the_domain':
    case 'people_within_domain_with_link':
    case 'shared_internally':
      return 'domain';
    case 'private':
      return 'private';
    default:
      return undefined;
  }
}

export interface InventoryContext {
  files: Inventory;
  retry: RetryOptions;
  now: () => number;
  /** Domain of the impersonated admin: grantees outside it are external. */
  orgDomain: string;
  logger?: Logger | undefined;
  /**
   * Told of each listed file (with its permissions, when known) and its record before this listing,
   * so the PII scanner can pick the files whose content is new or changed. Absent: no scanning.
   */
  onFile?: ((f: DriveFileLike, previous: FileRecord | undefined) => void) | undefined;
}

export interface InventoryResult {
  files: number;
  pages: number;
  /** permissions.list calls made for files whose listing carried no permissions. */
  permissionLookups: number;
  /** Drive said a page may have left files out (it does so with corpora=allDrives). */
  incomplete: boolean;
}

/** Every page of a file's permissions, or why Drive refused them for this file. */
async function listPermissions(drive: drive_v3.Drive, fileId: string, ctx: InventoryContext): Promise<Permission[] | { error: string }> {
  const out: Permission[] = [];
  let pageToken: string | undefined;
  try {
    do {
      const params: drive_v3.Params$Resource$Permissions$List = {
        fileId,
        supportsAllDrives: true,
        pageSize: 100,
        fields: `nextPageToken,permissions(${PERMISSION_FIELDS})`,
        ...(pageToken ? { pageToken } : {}),
      };
      const res = await withRetry('Drive permissions.list', () => drive.permissions.list(params, { signal: ctx.retry.signal }), ctx.retry);
      out.push(...(res.data.permissions ?? []));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  } catch (err) {
    // One file the subject may not inspect (403, or 404 after it vanished) must not sink the
    // whole inventory; a throttled or failing API must, so the next interval starts over.
    if (err instanceof SaaswatchError && !err.retryable && !ctx.retry.signal.aborted) return { error: err.message };
    throw err;
  }
  return out;
}

function fileRecord(f: DriveFileLike & { id: string }, permissions: Permission[] | { error: string }, listedAt: string, orgDomain: string): Omit<FileRecord, 'updatedAt'> {
  const sharing = Array.isArray(permissions) ? classifySharing(permissions, orgDomain) : undefined;
  const size = f.size === undefined || f.size === null ? undefined : Number(f.size);
  const owner = f.owners?.[0]?.emailAddress ?? undefined;
  return {
    key: fileKey(f.id),
    provider: PROVIDER,
    fileId: f.id,
    ...(typeof f.name === 'string' ? { name: f.name } : {}),
    ...(owner ? { owner } : {}),
    ...(sharing ? { visibility: sharing.visibility } : {}),
    // Drive still lists trashed files; a trash event marks them deleted too, and the two must agree.
    deleted: f.trashed === true,
    data: {
      mimeType: f.mimeType ?? undefined,
      size: Number.isFinite(size) ? size : undefined,
      modifiedTime: f.modifiedTime ?? undefined,
      // Not Drive's sha256/md5 of the content: the scan's hash (keyed when pii.key is set) is the only
      // one stored, and an unkeyed digest of a small file gives its content away by guessing.
      ...(f.headRevisionId ? { headRevisionId: f.headRevisionId } : {}),
      trashed: f.trashed === true,
      ...(f.driveId ? { driveId: f.driveId } : {}),
      ...(sharing
        ? { permissions, externalDomains: sharing.externalDomains, sharedWithAnyone: sharing.sharedWithAnyone }
        : { permissionsError: (permissions as { error: string }).error }),
      listedAt,
    },
  };
}

/**
 * Lists every file the subject can see, all pages, and upserts each with its sharing. A file
 * missing from the listing is left as it is: pages can be incomplete, and a deletion is known
 * only from its event. Throws when a request fails beyond its retries; files already stored stay.
 */
export async function runInventory(drive: drive_v3.Drive, ctx: InventoryContext): Promise<InventoryResult> {
  const result: InventoryResult = { files: 0, pages: 0, permissionLookups: 0, incomplete: false };
  let pageToken: string | undefined;
  do {
    if (ctx.retry.signal.aborted) return result;
    const params: drive_v3.Params$Resource$Files$List = {
      corpora: 'allDrives',
      includeItemsFromAllDrives: true,
      supportsAllDrives: true,
      pageSize: 1000,
      fields: LIST_FIELDS,
      ...(pageToken ? { pageToken } : {}),
    };
    const res = await withRetry('Drive files.list', () => drive.files.list(params, { signal: ctx.retry.signal }), ctx.retry);
    // The page's time, not the run's: events after it may change what it showed (see applyFileEvents).
    const listedAt = new Date(ctx.now()).toISOString();
    result.pages++;
    if (res.data.incompleteSearch) result.incomplete = true;
    for (const f of res.data.files ?? []) {
      if (ctx.retry.signal.aborted) return result;
      if (typeof f.id !== 'string' || f.id === '') continue;
      let permissions: Permission[] | { error: string };
      if (Array.isArray(f.permissions)) permissions = f.permissions;
      else {
        // Absent for shared-drive items and files the subject may not share: ask for them.
        result.permissionLookups++;
        permissions = await listPermissions(drive, f.id, ctx);
      }
      const record = fileRecord(f as DriveFileLike & { id: string }, permissions, listedAt, ctx.orgDomain);
      // Read before the upsert replaces it: the scanner compares the content's version with the last one.
      const previous = ctx.onFile ? await ctx.files.getFile(record.key) : undefined;
      await ctx.files.upsertFile(record);
      ctx.onFile?.({ ...f, permissions: Array.isArray(permissions) ? permissions : undefined }, previous);
      result.files++;
    }
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken);
  ctx.logger?.info(result, 'Google Drive inventory complete.');
  return result;
}

/** Drive's `delete` is the permanent deletion; `trash` moves to the bin, `untrash` brings back. */
const DELETE_ACTIONS = new Set(['delete', 'trash']);
const RESTORE_ACTIONS = new Set(['untrash']);
const SHARING_ACTIONS = new Set(['change_document_visibility', 'change_user_access']);

/** Epoch ms of a stored ISO time; -Infinity when absent, so Math.max ignores it (NaN would poison it). */
const timeOf = (v: unknown): number => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : -Infinity;
};

/**
 * Applies Reports drive events to the inventory: deletions mark the file deleted, sharing changes
 * update its visibility. A file's stored state records when it was last listed and when an event
 * last changed it; an event older than both is skipped, because Reports pages come newest first
 * and the settle window re-reads events that a later listing already reflects.
 * Returns how many files were updated.
 */
export async function applyFileEvents(events: SecurityEvent[], ctx: Pick<InventoryContext, 'files' | 'orgDomain'>): Promise<number> {
  const relevant = events
    .filter((e) => e.event.dataset === `${PROVIDER}.drive` && e.file?.id && (DELETE_ACTIONS.has(e.event.action) || RESTORE_ACTIONS.has(e.event.action) || SHARING_ACTIONS.has(e.event.action)))
    .sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']));
  let updated = 0;
  for (const e of relevant) {
    const fileId = e.file!.id!;
    const at = Date.parse(e['@timestamp']);
    const key = fileKey(fileId);
    const existing = await ctx.files.getFile(key);
    const data = existing?.data ?? {};
    const newest = Math.max(timeOf(data.listedAt), timeOf(data.eventAt));
    if (at < newest) continue;
    const action = e.event.action;
    let visibility = existing?.visibility as Visibility | undefined;
    let deleted = existing?.deleted ?? false;
    const next: Record<string, unknown> = { ...data, eventAt: e['@timestamp'], lastEvent: action };
    if (DELETE_ACTIONS.has(action)) {
      deleted = true;
      next.deletedBy = { action, at: e['@timestamp'], ...(e.user?.email ? { actor: e.user.email } : {}) };
    } else if (RESTORE_ACTIONS.has(action)) {
      deleted = false;
      delete next.deletedBy;
    } else {
      const reported = fromReportsVisibility(e.share?.visibility);
      const target = e.target?.user?.email?.split('@')[1]?.toLowerCase();
      const granted = action === 'change_user_access' && target !== undefined && target !== ctx.orgDomain && e.labels?.new_value !== 'none';
      if (granted) {
        next.externalDomains = [...new Set([...(Array.isArray(data.externalDomains) ? (data.externalDomains as string[]) : []), target])].sort();
      }
      if (reported) visibility = reported;
      else if (granted && (visibility === undefined || EXPOSURE[visibility] < EXPOSURE.external)) visibility = 'external';
      else if (!granted) continue; // nothing this event tells about exposure
      next.sharedWithAnyone = visibility === 'anyone_with_link' || visibility === 'public';
    }
    const name = e.file?.name ?? existing?.name;
    const owner = existing?.owner ?? e.file?.owner;
    await ctx.files.upsertFile({
      key,
      provider: PROVIDER,
      fileId,
      ...(name !== undefined ? { name } : {}),
      ...(owner !== undefined ? { owner } : {}),
      ...(visibility !== undefined ? { visibility } : {}),
      deleted,
      data: next,
    });
    updated++;
  }
  return updated;
}
