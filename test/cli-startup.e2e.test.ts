/** `--help` and `version` load only the CLI's own light modules; the app, SDKs, demo and fakes load when a command runs. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SAMPLE, SAMPLE_SOURCE, SOURCE_BIN, tempDir, writeConfig } from './helpers.js';

const HOOK = join(ROOT, 'test/fixtures/trace-modules.mjs');

/** Runs the real CLI with the module tracer preloaded; returns its exit code, stdout and the modules it resolved. */
function traced(args: string[]): Promise<{ code: number | null; stdout: string; modules: string[] }> {
  const trace = join(tempDir('sw-trace-'), 'modules.txt');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', HOOK, SOURCE_BIN, ...args], {
      cwd: tempDir('sw-cwd-'),
      env: { ...process.env, SAASWATCH_LOG_LEVEL: 'warn', TRACE_FILE: trace },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const modules = existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n') : [];
      resolve({ code, stdout, modules: [...new Set(modules)] });
    });
  });
}

/** Modules whose loading made `--help` take seconds: the app and everything it wires, SDKs, databases. */
const HEAVY = [
  /\/src\/app\.ts$/,
  /\/src\/registry\.ts$/,
  /\/src\/demo\//,
  /\/src\/fakes\//,
  /\/src\/sources\//,
  /\/src\/detection\//,
  /\/src\/storage\//,
  /\/node_modules\/zod\//,
  /\/node_modules\/pino\//,
  /\/node_modules\/@googleapis\//,
  /\/node_modules\/googleapis-common\//,
  /\/node_modules\/dropbox\//,
  /\/node_modules\/@microsoft\//,
  /\/node_modules\/better-sqlite3\//,
  /\/node_modules\/pg\//,
];
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((h) => h.test(m)));

describe('CLI start-up', () => {
  it('--help and version load no heavy module', async () => {
    for (const args of [['--help'], ['version'], ['alerts', '--help']]) {
      const r = await traced(args);
      expect(r.code, args.join(' ')).toBe(0);
      // The tracer saw the CLI itself, so an empty list below means "not loaded", not "not traced".
      expect(r.modules.some((m) => m.endsWith('/src/cli/main.ts'))).toBe(true);
      expect(heavyIn(r.modules), args.join(' ')).toEqual([]);
    }
  });

  it('a command that needs the app still loads it (the tracer can see heavy modules)', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, { data_dir: join(dir, 'data'), sources: [{ ...SAMPLE_SOURCE, path: SAMPLE }] });
    const r = await traced(['config', 'check', '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': OK');
    const heavy = heavyIn(r.modules);
    expect(heavy.some((m) => m.endsWith('/src/registry.ts'))).toBe(true);
    expect(heavy.some((m) => m.includes('/node_modules/zod/'))).toBe(true);
    // The PII analyzer (an NLP lexicon, phone metadata) loads only with `pii:` configured.
    expect(r.modules.filter((m) => /\/node_modules\/(compromise|libphonenumber-js)\//.test(m))).toEqual([]);
  });
});
