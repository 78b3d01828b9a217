import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileClassification } from '../core/pii.js';
import { withStore } from './alerts.js';
import { entityText, listFiles } from './files.js';

const NOW = Date.parse('2026-03-02T09:00:00.000Z');
const now = () => NOW;
let dir: string;
let config: string;

function io() {
  const lines: string[] = [];
  return { lines, print: (l: string) => void lines.push(l), printJson: (v: unknown) => void lines.push(JSON.stringify(v)) };
}

const scan = (over: Partial<FileClassification>): FileClassification => ({
  sensitivity: 'none',
  entities: { counts: {}, samples: {} },
  contentHash: 'sha256:0000',
  scannedAt: '2026-03-02T08:00:00.000Z',
  ...over,
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saaswatch-files-'));
  config = join(dir, 'saaswatch.yml');
  writeFileSync(config, 'data_dir: .\nsinks: []\ndetection: []\n');
  await withStore(config, now, async (store) => {
    await store.upsertFile({ key: 'google-drive:1Cards', provider: 'google-workspace', fileId: '1Cards', name: 'Card export Q3', owner: 'finance@example.com', visibility: 'anyone_with_link', data: {}, deleted: false });
    await store.setClassification(
      { key: 'google-drive:1Cards', provider: 'google-workspace', fileId: '1Cards' },
      scan({ sensitivity: 'critical', entities: { counts: { US_SSN: 3, CREDIT_CARD: 120 }, samples: { CREDIT_CARD: ['************1111'], US_SSN: ['***-**-1120'] } }, contentHash: 'sha256:aa' }),
    );
    await store.setClassification({ key: 'dropbox:id:memo', provider: 'dropbox', fileId: 'id:memo', name: 'memo.txt', owner: 'bob@example.com' }, scan({ sensitivity: 'low', entities: { counts: { EMAIL_ADDRESS: 2 }, samples: {} } }));
    await store.setClassification(
      { key: 'dropbox:id:scan', provider: 'dropbox', fileId: 'id:scan', name: 'statement.pdf' },
      scan({ error: { code: 'FILE_UNREADABLE', message: 'statement.pdf: the PDF is encrypted (decrypt it, then scan it again)' } }),
    );
    await store.upsertFile({ key: 'dropbox:id:plan', provider: 'dropbox', fileId: 'id:plan', name: 'plan.docx', visibility: 'private', data: {}, deleted: false });
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('saaswatch files', () => {
  it('lists key, name, owner, visibility, sensitivity and entity counts, most found first', async () => {
    const t = io();
    expect(await listFiles({ config }, now, t)).toBe(0);
    expect(t.lines).toEqual([
      'dropbox:id:memo  memo.txt  bob@example.com  -  low  EMAIL_ADDRESS×2',
      'dropbox:id:plan  plan.docx  -  private  unscanned',
      'dropbox:id:scan  statement.pdf  -  -  unreadable  FILE_UNREADABLE',
      'google-drive:1Cards  Card export Q3  finance@example.com  anyone_with_link  critical  CREDIT_CARD×120 US_SSN×3',
    ]);
  });

  it('filters by level and above, and prints JSON lines with the masked samples', async () => {
    const t = io();
    await listFiles({ config, sensitivity: 'medium', json: true }, now, t);
    expect(t.lines.map((l) => JSON.parse(l))).toEqual([
      {
        key: 'google-drive:1Cards', name: 'Card export Q3', owner: 'finance@example.com', visibility: 'anyone_with_link', sensitivity: 'critical',
        pii: { counts: { US_SSN: 3, CREDIT_CARD: 120 }, samples: { CREDIT_CARD: ['************1111'], US_SSN: ['***-**-1120'] } },
        scanned_at: '2026-03-02T08:00:00.000Z', scan_error: null,
      },
    ]);
    const low = io();
    await listFiles({ config, sensitivity: 'low', limit: 1 }, now, low);
    expect(low.lines).toEqual(['dropbox:id:memo  memo.txt  bob@example.com  -  low  EMAIL_ADDRESS×2']);
    const none = io();
    await listFiles({ config, sensitivity: 'critical', visibility: 'private' }, now, none);
    expect(none.lines).toEqual(['no files scanned at critical or above']);
  });

  it('writes counts as TYPE×n', () => {
    expect(entityText({ CREDIT_CARD: 120, US_SSN: 3, EMAIL_ADDRESS: 0 })).toBe('CREDIT_CARD×120 US_SSN×3');
  });
});
