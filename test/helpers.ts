/** Shared helpers for end-to-end tests: temp dirs, running the real CLI, a local webhook receiver. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/saaswatch.js');
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

export interface ReceivedRequest {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers with `respond`. */
export async function startReceiver(respond: (req: ReceivedRequest, n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })) {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: ReceivedRequest = { url: req.url ?? '', headers: req.headers, body, json };
      requests.push(r);
      const { status, headers } = respond(r, requests.length);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}
