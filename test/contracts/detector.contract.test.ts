/**
 * The detector contract suite (docs/contracts/detector.md): every detector in the registry, on the
 * fixture its folder provides at fixtures/contract.ts, through every check. A new detector needs
 * that fixture and its registry line, no test code of its own.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TempStores, type DetectorContractFixture } from '../../src/detection/restart-testing.js';
import { registry } from '../../src/registry.js';
import { DETECTOR_CHECKS, detectorSubject, type DetectorClause, type DetectorSubject } from './detector-checks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixturePath = (type: string) => join(ROOT, 'src/detection', type, 'fixtures/contract.ts');

/**
 * Violations the suite found in shipped detectors that are not fixed yet. Such a check must still
 * fail: once it passes, the fix has landed and its entry goes.
 */
const KNOWN_VIOLATIONS: Record<string, Partial<Record<DetectorClause, string>>> = {};

const stores = new TempStores();
afterAll(() => stores.cleanup());

async function subject(type: string): Promise<DetectorSubject> {
  const path = fixturePath(type);
  if (!existsSync(path)) throw new Error(`detector ${type} has no contract fixture: add ${relative(ROOT, path)} exporting contractFixture (see docs/contracts/detector.md)`);
  const mod = (await import(path)) as { contractFixture?: DetectorContractFixture };
  if (!mod.contractFixture) throw new Error(`${relative(ROOT, path)} does not export contractFixture`);
  return detectorSubject(registry.detectors.get(type)!, mod.contractFixture);
}

describe.each([...registry.detectors.keys()])('detector contract: %s', (type) => {
  for (const c of DETECTOR_CHECKS) {
    const known = KNOWN_VIOLATIONS[type]?.[c.clause];
    const title = known ? `${c.title}: known violation, ${known}` : c.title;
    it(title, { timeout: c.slow ? 600_000 : 120_000 }, async () => {
      const violations = await c.run(await subject(type), stores);
      if (known) expect(violations.length, 'the known violation is gone: remove it from KNOWN_VIOLATIONS').toBeGreaterThan(0);
      else expect(violations).toEqual([]);
    });
  }
});

describe('detector contract: clock', () => {
  it('no detector module reads the system clock (time comes from events or PluginDeps.now)', () => {
    const dir = join(ROOT, 'src/detection');
    const offenders: string[] = [];
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || /(\.test|testing|bench)\.ts$/.test(file) || file.includes('fixtures')) continue;
      readFileSync(join(dir, file), 'utf8').split('\n').forEach((line, i) => {
        if (/\bDate\.now\(|new Date\(\)|performance\.now\(/.test(line)) offenders.push(`src/detection/${file}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
