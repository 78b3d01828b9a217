/**
 * The sink contract suite (docs/contracts/sink.md): every sink in the registry, against the
 * destination its folder's fixtures/contract.ts starts (a local server, a temporary folder), through
 * every check. A new sink needs that harness and its registry line, no test code of its own.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/registry.js';
import type { SinkContractHarness } from '../../src/sinks/testing.js';
import { SINK_CHECKS, SINK_CLAUSES, type SinkSubject } from './sink-checks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function subject(type: string): Promise<SinkSubject> {
  const path = join(ROOT, 'src/sinks', type, 'fixtures/contract.ts');
  if (!existsSync(path)) throw new Error(`sink ${type} has no contract harness: add ${relative(ROOT, path)} exporting contractHarness (see docs/contracts/sink.md)`);
  const mod = (await import(path)) as { contractHarness?: SinkContractHarness };
  if (!mod.contractHarness) throw new Error(`${relative(ROOT, path)} does not export contractHarness`);
  return { type, harness: mod.contractHarness, plugin: registry.sinks.get(type)! };
}

describe.each([...registry.sinks.keys()])('sink contract: %s', (type) => {
  it.each(SINK_CHECKS.map(([clause, check]) => [`${clause} ${SINK_CLAUSES[clause]}`, check] as const))('%s', async (_, check) => {
    expect(await check(await subject(type))).toEqual([]);
  });
});
