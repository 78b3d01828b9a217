/** Shared helpers for end-to-end tests: temp dirs, running the real CLI, a local webhook receiver. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..');
/** The CLI as a checkout runs it: the TypeScript sources through tsx. */
export const SOURCE_BIN = join(ROOT, 'bin/saaswatch.js');
/**
 * The CLI the end-to-end tests run. `npm test` compiles dist/ just before the suite and sets
 * SAASWATCH_TEST_DIST=1: the compiled CLI starts in half the CPU time of tsx, and the suite spawns it
 * hundreds of times. A bare `npx vitest` (no fresh build to trust) runs the sources.
 */
export const BIN = process.env.SAASWATCH_TEST_DIST === '1' ? join(ROOT, 'test/fixtures/dist-cli.mjs') : SOURCE_BIN;
export const SAMPLE = join(ROOT, 'examples/sample-auth.jsonl');
export const ATTACKER_IP = '203.0.113.77';

export function tempDir(prefix = 'sw-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The field mapping of the shipped sample, as the README's example config has it. */
export const SAMPLE_SOURCE = {
  name: 'auth-logs',
  type: 'json-logs',
  format: 'jsonl',
  fields: { timestamp: 'time', user: 'user', ip: 'src_ip', action: 'action', outcome: 'result', user_agent: 'user_agent' },
};

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'saaswatch.yml');
  writeFileSync(file, stringify(config));
  return file;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, SAASWATCH_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();
  const done = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

export { startReceiver, type ReceivedRequest } from '../src/sinks/testing.js';

/** The sample's attack once a week for `copies` weeks before its own, timestamps moving forward as a real log's would. */
export function weeklySample(copies: number, dir: string): { file: string; lines: number } {
  const week = 7 * 86_400_000;
  const base = readFileSync(SAMPLE, 'utf8').trim().split('\n');
  const out: string[] = [];
  for (let c = 0; c < copies; c++) {
    for (const line of base) {
      const rec = JSON.parse(line) as { time: string };
      rec.time = new Date(Date.parse(rec.time) - (copies - c) * week).toISOString();
      out.push(JSON.stringify(rec));
    }
  }
  const file = join(dir, `sample-x${copies}.jsonl`);
  writeFileSync(file, `${out.join('\n')}\n`);
  return { file, lines: out.length };
}
