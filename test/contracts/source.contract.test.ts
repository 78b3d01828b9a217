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
import { CHECKS, CLAUSES, checkAbort, checkCursor, checkEchoedSecrets, checkRefusedCredential, checkUnreadableCursor, checkWatermark } from './source-contract.js';

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

  it('names the secret clause when a source quotes what an echoing upstream sent back', async () => {
    const { createServer } = await import('node:http');
    const { z } = await import('zod');
    const { SaaswatchError } = await import('../../src/core/index.js');
    const server = createServer((_req, res) => res.end('[]'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const KEY = 'leaky-api-key-4c1d';
    const leaky = {
      type: 'echo-leak',
      description: 'quotes the error body it is given',
      configSchema: z.object({ url: z.string(), key: z.string(), retry: z.unknown().optional() }),
      create: (name: string, config: { url: string; key: string }) => ({
        name,
        type: 'echo-leak',
        async *batches() {
          const res = await fetch(config.url, { headers: { 'x-api-key': config.key } });
          if (!res.ok) throw new SaaswatchError('HTTP_REJECTED', `refused: ${await res.text()}`);
          yield { events: [], deadLetters: [] };
        },
      }),
    };
    const address = server.address() as { port: number };
    const run = { config: { url: `http://127.0.0.1:${address.port}/audit`, key: KEY }, secrets: [KEY], now: Date.parse('2026-11-03T10:00:00Z'), close: async () => undefined };
    try {
      await expect(checkEchoedSecrets(leaky as never, run)).rejects.toThrow(`source contract §${CLAUSES.secrets}`);
    } finally {
      server.close();
    }
  });
});
