/**
 * The source contract (docs/contracts/source.md) over every registered source, each against its
 * fake through the harness its folder exports in fixtures/contract.ts: a new source that is
 * registered is tested here with no test code of its own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../src/registry.js';
import type { SourceContractHarness, SourceContractRun } from '../../src/sources/contract-harness.js';
import { ROOT } from '../helpers.js';
import { brokenHarness, brokenSourcePlugin } from './fixtures/broken-source.js';
import { CHECKS, CLAUSES, checkAbort, checkCursor, checkRefusedCredential, checkUnreadableCursor, checkWatermark } from './source-contract.js';

const running: SourceContractRun[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function harnessOf(type: string): Promise<SourceContractHarness> {
  const file = join(ROOT, 'src', 'sources', type, 'fixtures', 'contract.ts');
  if (!existsSync(file)) throw new Error(`source ${type} is registered but has no contract harness: export \`harness\` from src/sources/${type}/fixtures/contract.ts`);
  const mod = (await import(file)) as { harness?: SourceContractHarness };
  if (!mod.harness) throw new Error(`src/sources/${type}/fixtures/contract.ts must export \`harness\``);
  return mod.harness;
}

describe.each([...registry.sources.keys()])('source contract: %s', (type) => {
  const plugin = registry.sources.get(type)!;
  it.each(CHECKS.map(([what, check]) => [what, check] as const))('%s', async (_what, check) => {
    const run = await (await harnessOf(type)).start();
    running.push(run);
    await check(plugin, run);
  }, 30_000);
});

describe('the source contract suite rejects a source that breaks it', () => {
  const cases = [
    ['a restart that loses events, and events with no cursor', checkCursor, CLAUSES.cursor],
    ['an event older than the watermark, and a watermark moving back', checkWatermark, CLAUSES.watermark],
    ['a Retry-After wait that ignores the stop', checkAbort, CLAUSES.abort],
    ['a bare Error carrying the secret', checkRefusedCredential, CLAUSES.errors],
    ['failing on an unreadable cursor', checkUnreadableCursor, CLAUSES.unreadable],
  ] as const;
  it.each(cases)('%s', async (_what, check, clause) => {
    const run = await brokenHarness.start();
    running.push(run);
    await expect(check(brokenSourcePlugin, run)).rejects.toThrow(`source contract §${clause} (docs/contracts/source.md)`);
  }, 30_000);

  it('names the secret clause when the error is well-formed but leaks the secret', async () => {
    const { SaaswatchError } = await import('../../src/core/index.js');
    const leaky = {
      ...brokenSourcePlugin,
      create: (name: string) => ({
        name,
        type: 'broken',
        // eslint-disable-next-line require-yield
        async *batches() {
          throw new SaaswatchError('HTTP_REJECTED', 'refused token broken-wrong-token-91c3');
        },
      }),
    };
    const run = await brokenHarness.start();
    await expect(checkRefusedCredential(leaky, run)).rejects.toThrow(`source contract §${CLAUSES.secrets}`);
  });
});
