/**
 * A real IMAP server for tests and the demo: Debian's dovecot, started as a child process on
 * 127.0.0.1 with a generated config in a temporary folder (its own base_dir, passwd-file users,
 * maildirs), STARTTLS and implicit TLS with a certificate from a private CA made at start. The
 * system's dovecot service is neither needed nor touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { makeTestTls } from '../smtp/cert.js';

export const DOVECOT_BIN = process.env.SAASWATCH_DOVECOT ?? '/usr/sbin/dovecot';

/** Whether dovecot can be started here (tests skip without it, except in CI where they must fail). */
export function dovecotAvailable(): boolean {
  return existsSync(DOVECOT_BIN);
}

export interface DovecotOptions {
  /** Accounts, user name → password. Default one: `reports` / `reports-password`. */
  users?: Record<string, string>;
}

export interface Dovecot {
  host: string;
  /** IMAP with STARTTLS (plaintext login refused before it). */
  port: number;
  /** IMAP over implicit TLS. */
  tlsPort: number;
  /** The private CA the server certificate chains to, PEM. */
  ca: string;
  users: Record<string, string>;
  /** Puts a message into a user's mailbox (created if missing), as a mail delivery would; returns its UID. */
  append(user: string, mailbox: string, raw: string | Buffer, opts?: { date?: Date }): Promise<number | undefined>;
  /** Puts several messages in, in order, over one connection. */
  appendMany(user: string, mailbox: string, messages: Array<{ raw: string | Buffer; date?: Date }>): Promise<void>;
  /** Deletes and recreates a mailbox: it comes back empty under a new UIDVALIDITY. */
  recreate(user: string, mailbox: string): Promise<void>;
  /** The UIDVALIDITY of a mailbox. */
  uidValidity(user: string, mailbox: string): Promise<bigint>;
  /** Stops the server; the maildirs stay until close(). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and maildirs (a restart of the mail server). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Two free loopback ports, held open together while they are read: probed one after the other, the kernel may hand
 * out the same port twice, and dovecot refuses a config with a duplicate listener.
 */
async function freePorts(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return [ports[0]!, ports[1]!];
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** uid and gid of a system account, from /etc/passwd. */
function account(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<Dovecot> {
  if (!dovecotAvailable()) throw new Error(`dovecot is not installed at ${DOVECOT_BIN}: apt-get install dovecot-imapd (or set SAASWATCH_DOVECOT)`);
  const users = opts.users ?? { reports: 'reports-password' };
  const dir = mkdtempSync(join(tmpdir(), 'saaswatch-dovecot-'));
  const tls = makeTestTls();
  let [port, tlsPort] = await freePorts();

  // dovecot refuses to run its login processes as root, and mail processes as uid 0: as root it
  // uses the accounts its package made; as anyone else, that user for everything.
  const root = process.getuid?.() === 0;
  const me = userInfo();
  const mailOwner = root ? account('dovecot') : { uid: me.uid, gid: me.gid };
  if (!mailOwner) throw new Error('dovecot runs as root here but its `dovecot` account is missing: reinstall dovecot-core');
  const internalUser = root ? 'dovecot' : me.username;
  const loginUser = root ? 'dovenull' : me.username;

  const mail = join(dir, 'mail');
  // The auth and mail processes run as dovecot's own accounts: they must reach into the folder.
  chmodSync(dir, 0o755);
  mkdirSync(mail);
  mkdirSync(join(dir, 'run'));
  if (root) chownSync(mail, mailOwner.uid, mailOwner.gid);
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
  writeFileSync(join(dir, 'users'), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}::::::\n`).join(''), { mode: 0o640 });
  if (root) chownSync(join(dir, 'users'), 0, mailOwner.gid);
  const log = join(dir, 'dovecot.log');
  const writeConfig = () =>
    writeFileSync(
    join(dir, 'dovecot.conf'),
    `# Generated for one test run; nothing here is read from /etc/dovecot.
base_dir = ${dir}/run
state_dir = ${dir}/run/state
log_path = ${log}
info_log_path = ${log}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Tests of a refused login should not wait out the default 2 s penalty.
auth_failure_delay = 0
default_internal_user = ${internalUser}
default_login_user = ${loginUser}
first_valid_uid = ${Math.min(mailOwner.uid, 1)}
mail_location = maildir:${mail}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${mailOwner.uid} gid=${mailOwner.gid} home=${mail}/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
}
service anvil {
  chroot =
}
`,
  );
  writeConfig();

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn(DOVECOT_BIN, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // A test runner that exits without close() must not leave a mail server behind.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.removeListener('exit', reap));
    let output = '';
    proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = performance.now() + 15_000;
    while (!(await accepts(port)) || !(await accepts(tlsPort))) {
      const tail = () => `${output}\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`;
      if (exited) throw new Error(`dovecot exited at start:\n${tail()}`);
      if (performance.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`dovecot did not listen on 127.0.0.1:${port} within 15 s:\n${tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    // The listeners close with the master; wait until the port is free for a restart.
    for (let i = 0; i < 100 && (await accepts(port)); i++) await new Promise((r) => setTimeout(r, 20));
  };

  const session = async <T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const pass = users[user];
    if (pass === undefined) throw new Error(`no dovecot user ${user}`);
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass }, tls: { ca: tls.ca }, logger: false });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.logout().catch(() => undefined);
    }
  };
  const ensure = async (c: ImapFlow, mailbox: string) => {
    if (mailbox.toUpperCase() === 'INBOX') return;
    const list = await c.list();
    if (!list.some((m) => m.path === mailbox)) await c.mailboxCreate(mailbox);
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      // Another process took a port between our probe and dovecot's bind: new ports, once or twice.
      if (attempt < 3 && /Address already in use/.test((err as Error).message)) {
        [port, tlsPort] = await freePorts();
        writeConfig();
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    ca: tls.ca,
    users,
    append: (user, mailbox, raw, o = {}) =>
      session(user, async (c) => {
        await ensure(c, mailbox);
        const res = await c.append(mailbox, raw, [], o.date);
        return res && typeof res === 'object' && 'uid' in res && typeof res.uid === 'number' ? res.uid : undefined;
      }),
    appendMany: (user, mailbox, messages) =>
      session(user, async (c) => {
        await ensure(c, mailbox);
        for (const m of messages) await c.append(mailbox, m.raw, [], m.date);
      }),
    recreate: (user, mailbox) =>
      session(user, async (c) => {
        if (mailbox.toUpperCase() === 'INBOX') throw new Error('INBOX cannot be deleted; use another mailbox to change UIDVALIDITY');
        await ensure(c, mailbox);
        await c.mailboxDelete(mailbox);
        await c.mailboxCreate(mailbox);
      }),
    uidValidity: (user, mailbox) =>
      session(user, async (c) => {
        const s = await c.status(mailbox, { uidValidity: true });
        return (s && s.uidValidity) || 0n;
      }),
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
