/** `saaswatch user` through the real command line: a password piped on stdin, a token printed alone on stdout for `$(...)`. */
import { expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from './helpers.js';

it('adds an admin with a password from stdin, prints a token alone, and lists them', async () => {
  const dir = tempDir('sw-users-');
  const cfg = writeConfig(dir, { data_dir: '.', sinks: [], detection: [] });
  const env = { env: { SAASWATCH_NOW: '2026-03-02T09:00:00Z', USER: 'ops-user' } };
  let r = await runCli(['-c', cfg, 'user', 'add', 'Root@Example.com', '--role', 'admin', '--password-stdin'], { ...env, input: 'a long piped passphrase\n' });
  expect([r.code, r.stdout], r.stderr).toEqual([0, 'added root@example.com (admin)\n']);
  r = await runCli(['-c', cfg, 'user', 'token', 'root@example.com', '--name', 'siem'], env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^sw_[\w-]{43}\n$/);
  r = await runCli(['-c', cfg, 'user', 'list'], env);
  expect(r.stdout).toBe('root@example.com  admin  last login never  1 token\n');
  r = await runCli(['-c', cfg, 'audit', '--json'], env);
  expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { actor: string; action: string }).action)).toEqual(['token-create', 'account-add']);
  expect(r.stdout).toContain('cli:ops-user');
  expect(r.stdout).not.toContain('a long piped passphrase');
});
