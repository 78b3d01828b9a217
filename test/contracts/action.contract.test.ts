/**
 * The action contract suite (docs/contracts/action.md): every source plugin with `actions`, against
 * the fake its folder's fixtures/actions.ts starts, through every check. A new connector needs that
 * harness and its plugin's `actions`, no test code of its own.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ActionContractHarness } from '../../src/actions/testing.js';
import { registry } from '../../src/registry.js';
import { ACTION_CHECKS, ACTION_CLAUSES, type ActionSubject } from './action-checks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function subject(type: string): Promise<ActionSubject> {
  const path = join(ROOT, 'src/sources', type, 'fixtures/actions.ts');
  if (!existsSync(path)) throw new Error(`source ${type} offers actions but has no harness: add ${relative(ROOT, path)} exporting actionHarness (see docs/contracts/action.md)`);
  const mod = (await import(path)) as { actionHarness?: ActionContractHarness };
  if (!mod.actionHarness) throw new Error(`${relative(ROOT, path)} does not export actionHarness`);
  return { type, harness: mod.actionHarness, plugin: registry.sources.get(type)! };
}

const acting = [...registry.sources.values()].filter((p) => p.actions).map((p) => p.type);

describe('action contract', () => {
  it('covers at least one connector', () => {
    // Until a source offers actions this fails on purpose: a suite over nothing proves nothing.
    expect(acting.length).toBeGreaterThan(0);
  });
});

describe.each(acting)('action contract: %s', (type) => {
  it.each(ACTION_CHECKS.map(([clause, check]) => [`${clause} ${ACTION_CLAUSES[clause]}`, check] as const))('%s', async (_, check) => {
    expect(await check(await subject(type))).toEqual([]);
  }, 60_000);
});
