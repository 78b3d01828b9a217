/** The harness itself: a fresh database per test on each dialect, counted from the tables the CLI wrote. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, SAMPLE_SOURCE } from '../helpers.js';
import { describeEachDialect } from './harness.js';

describeEachDialect('hostile harness', (fresh) => {
  it('counts what the real CLI stored, and a rerun stores nothing new', async () => {
    const db = await fresh();
    const cfg = db.config({ sources: [{ ...SAMPLE_SOURCE, path: undefined }] });
    const file = join(db.dir, 'in.jsonl');
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify({ time: `2026-03-02T09:00:0${i}Z`, user: `u${i}@example.com`, src_ip: '198.51.100.1', action: 'login', result: 'success' }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const first = await runCli(['-c', cfg, 'ingest', file, '--no-progress'], { env: { SAASWATCH_NOW: '2026-03-02T10:00:00Z' } });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await db.count('events')).toBe(3);
    await runCli(['-c', cfg, 'ingest', file, '--no-progress'], { env: { SAASWATCH_NOW: '2026-03-02T10:00:00Z' } });
    expect(await db.count('events')).toBe(3);
    expect(Number((await db.rows<{ n: number }>('select count(*) as n from events where user_email = ?', ['u1@example.com']))[0]!.n)).toBe(1);
  });
});
