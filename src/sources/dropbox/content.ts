/** Reads a Dropbox file's metadata and bytes through the official SDK as the team member who holds it, for the content scanner. */
import type { Dropbox, files } from 'dropbox';
import { Redactor, errors } from '../../core/index.js';
import { createDropboxSdk, toSaaswatchError, type DropboxSdkOptions } from './client.js';

const TARGET = 'Dropbox files';

/** What the scanner needs of a file before deciding to download it. */
export interface DropboxFileMeta {
  id: string;
  name: string;
  size: number;
  /** Dropbox's content_hash (see dropboxContentHash in the fake), hex. */
  contentHash?: string;
  rev?: string;
  serverModified?: string;
}

export interface DropboxContentClient {
  /** files/get_metadata as `memberId` (a team_member_id); undefined when it is not a file (a folder) or is gone. */
  metadata(path: string, memberId: string): Promise<DropboxFileMeta | undefined>;
  /**
   * files/download as `memberId`: the bytes, and the metadata Dropbox sent with them. `path` may be
   * `rev:<rev>` (the revision get_metadata named, so the bytes are those its content_hash is of);
   * past `maxBytes` the read stops with INPUT_TOO_LARGE.
   */
  download(path: string, memberId: string, signal?: AbortSignal, maxBytes?: number): Promise<{ meta: DropboxFileMeta; data: Uint8Array }>;
}

function toMeta(m: files.FileMetadata): DropboxFileMeta {
  return {
    id: m.id,
    name: m.name,
    size: m.size,
    ...(m.content_hash ? { contentHash: m.content_hash } : {}),
    ...(m.rev ? { rev: m.rev } : {}),
    ...(m.server_modified ? { serverModified: m.server_modified } : {}),
  };
}

/** True when the SaaswatchError says Dropbox has no such file for that member (`path/not_found`). */
const notFound = (err: unknown): boolean => {
  const d = (err as { details?: { dropbox_error_path?: unknown } }).details;
  return typeof d?.dropbox_error_path === 'string' && d.dropbox_error_path.startsWith('path/not_found');
};

/**
 * One SDK per member (the select-user header is fixed per instance), built on first use. The
 * scope a 401 most likely lacks is files.content.read.
 */
export function createDropboxContentClient(opts: DropboxSdkOptions): DropboxContentClient {
  const redactor = (opts.redactor ?? new Redactor()).add(opts.accessToken);
  const sdks = new Map<string, { sdk: Dropbox; timedOut: { value: boolean } }>();
  const sdkFor = (memberId: string, signal?: AbortSignal, maxBytes?: number) => {
    if (signal || maxBytes !== undefined) {
      const all = signal && opts.signal ? AbortSignal.any([opts.signal, signal]) : (signal ?? opts.signal);
      return createDropboxSdk({ ...opts, selectUser: memberId, ...(all ? { signal: all } : {}), ...(maxBytes !== undefined ? { maxBodyBytes: maxBytes } : {}) });
    }
    let s = sdks.get(memberId);
    if (!s) sdks.set(memberId, (s = createDropboxSdk({ ...opts, selectUser: memberId })));
    return s;
  };
  const fail = (err: unknown, timedOut: boolean) => redactor.error(toSaaswatchError(err, timedOut, redactor, { target: TARGET, scope: 'files.content.read' }));
  return {
    async metadata(path, memberId) {
      const { sdk, timedOut } = sdkFor(memberId);
      timedOut.value = false;
      try {
        const res = await sdk.filesGetMetadata({ path });
        const r = res.result as files.FileMetadataReference | files.FolderMetadataReference | files.DeletedMetadataReference;
        return r['.tag'] === 'file' ? toMeta(r) : undefined;
      } catch (err) {
        const e = fail(err, timedOut.value);
        if (notFound(e)) return undefined;
        throw e;
      }
    },
    async download(path, memberId, signal, maxBytes) {
      const { sdk, timedOut } = sdkFor(memberId, signal, maxBytes);
      timedOut.value = false;
      try {
        const res = await sdk.filesDownload({ path });
        const r = res.result as files.FileMetadata & { fileBinary?: unknown };
        const data = r.fileBinary;
        if (!(data instanceof Uint8Array)) throw errors.inputMalformed({ where: TARGET, problem: 'files/download answered without the file bytes' });
        return { meta: toMeta(r), data };
      } catch (err) {
        throw fail(err, timedOut.value);
      }
    },
  };
}
