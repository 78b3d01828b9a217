/**
 * `saaswatch user`: the accounts of the API and dashboard from the command line (the first admin is
 * made here), and API tokens for scripts. Passwords and tokens are printed once and never stored.
 */
import { addAccount, changeAccount, issueToken, removeAccount, revokeToken, setPassword, unlockAccount } from '../api/auth/accounts.js';
import { errors, type Account, type AccountRole, type Clock } from '../core/index.js';
import { actorOf, withStore } from './alerts.js';
import { EXIT } from './options.js';
import { out, outJson } from './terminal.js';

/** Where a command reads a password and writes its answer: the terminal, or a test's buffers. */
export interface UserIo {
  readStdin(): Promise<string>;
  print(line: string): void;
  printJson(value: unknown): void;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

export const terminalIo: UserIo = { readStdin: () => readAll(process.stdin), print: out, printJson: outJson };

interface Common {
  config?: string;
  by?: string;
  json?: boolean;
}

/** `cli:<name>`: who did it, for the audit log. */
const cliActor = (by: string | undefined): string => `cli:${actorOf(by)}`;

/** The first line of stdin: `printf '%s\n' "$PW" | saaswatch user add ... --password-stdin` gives the password without its newline. */
async function passwordFrom(io: UserIo): Promise<string> {
  const text = await io.readStdin();
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw errors.inputMalformed({ where: 'stdin', problem: 'no password on standard input', fix: "pipe it in: printf '%s\\n' \"$PASSWORD\" | saaswatch user ... --password-stdin" });
  return line;
}

const accountJson = (a: Account) => ({ email: a.email, role: a.role, disabled: a.disabled, password: a.passwordHash !== undefined, created_at: a.createdAt, last_login_at: a.lastLoginAt ?? null });

export async function add(email: string, o: Common & { role: AccountRole; passwordStdin?: boolean; oidcOnly?: boolean }, now: Clock, io: UserIo = terminalIo): Promise<number> {
  const password = o.passwordStdin ? await passwordFrom(io) : undefined;
  return withStore(o.config, now, async (store) => {
    const made = await addAccount(store, { email, role: o.role, ...(password === undefined ? {} : { password }), ...(o.oidcOnly ? { oidcOnly: true } : {}) }, cliActor(o.by));
    if (o.json) io.printJson({ account: accountJson(made.account), ...(made.password ? { password: made.password } : {}) });
    else {
      io.print(`added ${made.account.email} (${made.account.role})`);
      if (made.password) io.print(`password (shown once): ${made.password}`);
    }
    return EXIT.ok;
  });
}

export async function token(email: string, o: Common & { name?: string; expires?: number }, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const made = await issueToken(store, { email, name: o.name ?? 'cli', now: now(), ...(o.expires === undefined ? {} : { expiresDays: o.expires }) }, cliActor(o.by));
    if (o.json) io.printJson({ id: made.record.id, token: made.token, email: made.record.email, expires_at: made.record.expiresAt ?? null });
    // The token alone on stdout, so `TOKEN=$(saaswatch user token ...)` works; what it is goes to the line before only with --json.
    else io.print(made.token);
    return EXIT.ok;
  });
}

export async function list(o: Common, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const accounts = await store.listAccounts();
    if (o.json) for (const a of accounts) io.printJson(accountJson(a));
    else if (accounts.length === 0) io.print('no accounts: add the first admin with `saaswatch user add EMAIL --role admin`');
    else {
      const tokens = await store.listTokens();
      for (const a of accounts) {
        const n = tokens.filter((t) => t.email === a.email).length;
        io.print(`${a.email}  ${a.role}${a.disabled ? '  [disabled]' : ''}${a.passwordHash ? '' : '  [no password]'}  last login ${a.lastLoginAt ?? 'never'}  ${n} token${n === 1 ? '' : 's'}`);
      }
    }
    return EXIT.ok;
  });
}

export async function remove(email: string, o: Common, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const gone = await removeAccount(store, email, cliActor(o.by));
    io.print(`removed ${gone.email} with its tokens and sessions`);
    return EXIT.ok;
  });
}

export async function setRole(email: string, role: AccountRole, o: Common, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const a = await changeAccount(store, email, { role }, cliActor(o.by));
    io.print(`${a.email} is now ${a.role} (its sessions ended)`);
    return EXIT.ok;
  });
}

export async function passwd(email: string, o: Common & { passwordStdin?: boolean }, now: Clock, io: UserIo = terminalIo): Promise<number> {
  const password = o.passwordStdin ? await passwordFrom(io) : undefined;
  return withStore(o.config, now, async (store) => {
    const made = await setPassword(store, email, password, cliActor(o.by));
    io.print(`password of ${made.account.email} changed (its sessions ended)`);
    if (made.password) io.print(`password (shown once): ${made.password}`);
    return EXIT.ok;
  });
}

export async function unlock(email: string, o: Common, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const { account, wasLockedUntil } = await unlockAccount(store, email, cliActor(o.by));
    const locked = wasLockedUntil !== undefined && Date.parse(wasLockedUntil) > now();
    io.print(locked ? `${account.email} unlocked (was locked until ${wasLockedUntil})` : `${account.email} was not locked; its failed logins are cleared`);
    return EXIT.ok;
  });
}

export async function tokens(email: string | undefined, o: Common, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const list = await store.listTokens(email === undefined ? {} : { email });
    const json = (t: (typeof list)[number]) => ({ id: t.id, name: t.name, email: t.email, created_at: t.createdAt, last_used_at: t.lastUsedAt ?? null, expires_at: t.expiresAt ?? null });
    if (o.json) for (const t of list) io.printJson(json(t));
    else if (list.length === 0) io.print('no API tokens');
    else for (const t of list) io.print(`${t.id}  ${t.email}  ${t.name}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}  ${t.expiresAt ? `expires ${t.expiresAt}` : 'no expiry'}`);
    return EXIT.ok;
  });
}

export async function revoke(id: string, o: Common, now: Clock, io: UserIo = terminalIo): Promise<number> {
  return withStore(o.config, now, async (store) => {
    const t = await revokeToken(store, id, cliActor(o.by));
    io.print(`revoked ${t.id} (${t.name}, ${t.email})`);
    return EXIT.ok;
  });
}
