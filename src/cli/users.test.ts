import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretHash } from '../api/auth/secrets.js';
import { verifyPassword } from '../api/auth/password.js';
import { failureOf } from '../core/testing.js';
import { withStore } from './alerts.js';
import { main } from './main.js';
import * as users from './users.js';

const NOW = Date.parse('2026-03-02T09:00:00.000Z');
const now = () => NOW;
let dir: string;
let config: string;

/** A terminal whose stdin holds `input` and whose output is kept. */
function io(input = '') {
  const lines: string[] = [];
  return { lines, readStdin: async () => input, print: (l: string) => void lines.push(l), printJson: (v: unknown) => void lines.push(JSON.stringify(v)) };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'saaswatch-users-'));
  config = join(dir, 'saaswatch.yml');
  writeFileSync(config, 'data_dir: .\nsinks: []\ndetection: []\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stored = <T>(fn: Parameters<typeof withStore<T>>[2]) => withStore(config, now, fn);

describe('saaswatch user', () => {
  it('adds the first admin with a generated password shown once, or one read from stdin, audited as cli:<name>', async () => {
    const t = io();
    expect(await users.add('Root@X.io', { config, role: 'admin', by: 'ops' }, now, t)).toBe(0);
    expect(t.lines[0]).toBe('added root@x.io (admin)');
    const generated = /^password \(shown once\): ([\w-]{24})$/.exec(t.lines[1]!)![1]!;
    const piped = io('a passphrase from a pipe\nignored second line\n');
    expect(await users.add('ana@x.io', { config, role: 'analyst', passwordStdin: true, json: true }, now, piped)).toBe(0);
    expect(JSON.parse(piped.lines[0]!)).toEqual({ account: { email: 'ana@x.io', role: 'analyst', disabled: false, password: true, created_at: '2026-03-02T09:00:00.000Z', last_login_at: null } });
    await stored(async (store) => {
      expect(await verifyPassword(generated, (await store.getAccount('root@x.io'))!.passwordHash)).toBe(true);
      expect(await verifyPassword('a passphrase from a pipe', (await store.getAccount('ana@x.io'))!.passwordHash)).toBe(true);
      const audit = await store.listAudit();
      expect(audit.map((e) => [e.actor, e.action, e.details.password])).toEqual([['cli:' + (process.env.USER || process.env.LOGNAME || 'cli'), 'account-add', 'given'], ['cli:ops', 'account-add', 'generated']]);
      expect(JSON.stringify(audit)).not.toContain(generated);
    });
    const twice = await failureOf(users.add('root@x.io', { config, role: 'viewer' }, now, io()));
    expect(twice.code).toBe('CONFLICT');
    expect((await failureOf(users.add('b@x.io', { config, role: 'viewer', passwordStdin: true }, now, io('short\n')))).message).toMatch(/12 to 1024/);
    expect((await failureOf(users.add('b@x.io', { config, role: 'viewer', passwordStdin: true }, now, io('')))).message).toMatch(/no password on standard input/);
  });

  it('prints a token once, alone on its line, kept only as its hash, with an expiry in days', async () => {
    await users.add('ana@x.io', { config, role: 'analyst' }, now, io());
    const t = io();
    expect(await users.token('ana@x.io', { config, name: 'siem', expires: 30 }, now, t)).toBe(0);
    const token = t.lines[0]!;
    expect(token).toMatch(/^sw_[\w-]{43}$/);
    await stored(async (store) => {
      expect(await store.findToken(secretHash(token))).toMatchObject({ name: 'siem', email: 'ana@x.io', expiresAt: '2026-04-01T09:00:00.000Z' });
      expect(JSON.stringify(await store.listAudit())).not.toContain(token);
    });
    expect((await failureOf(users.token('nobody@x.io', { config }, now, io()))).code).toBe('NOT_FOUND');
    const listed = io();
    await users.tokens('ANA@x.io', { config, json: true }, now, listed);
    const { id, ...rest } = JSON.parse(listed.lines[0]!) as { id: string };
    expect(rest).toEqual({ name: 'siem', email: 'ana@x.io', created_at: '2026-03-02T09:00:00.000Z', last_used_at: null, expires_at: '2026-04-01T09:00:00.000Z' });
    const revoked = io();
    expect(await users.revoke(id, { config, by: 'ops' }, now, revoked)).toBe(0);
    expect(revoked.lines).toEqual([`revoked ${id} (siem, ana@x.io)`]);
    expect((await failureOf(users.revoke(id, { config }, now, io()))).code).toBe('NOT_FOUND');
    const none = io();
    await users.tokens(undefined, { config }, now, none);
    expect(none.lines).toEqual(['no API tokens']);
  });

  it('lists, changes the role of, sets the password of and removes accounts; the last admin stays', async () => {
    await users.add('root@x.io', { config, role: 'admin' }, now, io());
    await users.add('ana@x.io', { config, role: 'viewer', oidcOnly: true }, now, io());
    await users.token('ana@x.io', { config }, now, io());
    const l = io();
    await users.list({ config }, now, l);
    expect(l.lines).toEqual(['ana@x.io  viewer  [no password]  last login never  1 token', 'root@x.io  admin  last login never  0 tokens']);
    const r = io();
    expect(await users.setRole('ana@x.io', 'analyst', { config }, now, r)).toBe(0);
    expect(r.lines).toEqual(['ana@x.io is now analyst (its sessions ended)']);
    const p = io('new passphrase here\n');
    expect(await users.passwd('ana@x.io', { config, passwordStdin: true }, now, p)).toBe(0);
    expect((await failureOf(users.setRole('root@x.io', 'viewer', { config }, now, io()))).code).toBe('CONFLICT');
    expect((await failureOf(users.remove('root@x.io', { config }, now, io()))).code).toBe('CONFLICT');
    expect(await users.remove('ana@x.io', { config }, now, io())).toBe(0);
    await stored(async (store) => {
      expect((await store.listAccounts()).map((a) => a.email)).toEqual(['root@x.io']);
      expect(await store.listTokens()).toEqual([]);
      expect((await store.listAudit()).map((e) => e.action).reverse()).toEqual(['account-add', 'account-add', 'token-create', 'account-change', 'account-password', 'account-remove']);
    });
  });

  it('unlocks an account locked by wrong passwords, audited, so a lockout cannot keep an admin out', async () => {
    await users.add('root@x.io', { config, role: 'admin' }, now, io());
    await stored(async (store) => {
      for (let i = 0; i < 3; i++) await store.reserveLogin('root@x.io', { maxFailures: 3, until: NOW + 900_000 });
      expect(await store.reserveLogin('root@x.io', { maxFailures: 3, until: NOW + 900_000 })).toMatchObject({ reserved: false });
    });
    const t = io();
    expect(await users.unlock('Root@x.io', { config, by: 'ops' }, now, t)).toBe(0);
    expect(t.lines).toEqual(['root@x.io unlocked (was locked until 2026-03-02T09:15:00.000Z)']);
    await stored(async (store) => {
      const a = await store.getAccount('root@x.io');
      expect([a?.lockedUntil, a?.failedLogins]).toEqual([undefined, 0]);
      expect(await store.reserveLogin('root@x.io', { maxFailures: 3, until: NOW + 900_000 })).toMatchObject({ reserved: true });
      expect((await store.listAudit())[0]).toMatchObject({ actor: 'cli:ops', action: 'account-unlock', details: { email: 'root@x.io', locked_until: '2026-03-02T09:15:00.000Z' } });
    });
    const cli = (...args: string[]) => main(['node', 'saaswatch', 'user', ...args, '-c', config], { now });
    expect(await cli('unlock', 'nobody@x.io')).toBe(1);
    expect(await cli('unlock', 'root@x.io')).toBe(0);
  });

  it('is wired into the command line: options checked, the store of the config changed', async () => {
    const cli = (...args: string[]) => main(['node', 'saaswatch', 'user', ...args, '-c', config], { now });
    expect(await cli('add', 'x@x.io')).toBe(2); // --role is required
    expect(await cli('add', 'x@x.io', '--role', 'boss')).toBe(2);
    expect(await cli('token', 'x@x.io', '--expires', '0')).toBe(2);
    expect(await cli('set-role', 'x@x.io', 'boss')).toBe(1);
    expect(await cli('remove', 'nobody@x.io')).toBe(1);
    await users.add('root@x.io', { config, role: 'admin' }, now, io());
    await users.add('ana@x.io', { config, role: 'viewer' }, now, io());
    expect(await cli('set-role', 'ana@x.io', 'admin', '--by', 'ops')).toBe(0);
    await stored(async (store) => {
      expect((await store.getAccount('ana@x.io'))?.role).toBe('admin');
      expect((await store.listAudit())[0]).toMatchObject({ actor: 'cli:ops', action: 'account-change', details: { email: 'ana@x.io', role: 'admin', was: 'viewer' } });
    });
  });
});
