/**
 * A real SMTP server on 127.0.0.1 (`smtp-server`, in process): STARTTLS or implicit TLS with a
 * certificate from a private CA made at start, AUTH PLAIN/LOGIN for one account, every accepted
 * message recorded (envelope, raw bytes, parsed), and refusals on request (421, 550, 535).
 * Used by the email sink's tests and by `saaswatch demo`.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { makeTestTls, type TestTls } from './cert.js';

export interface SmtpFakeOptions {
  /** The one account AUTH accepts. */
  username?: string;
  password?: string;
  /** `true`: TLS from the first byte (port 465 style); default: plain, upgraded with STARTTLS. */
  implicitTls?: boolean;
  /** Refuse MAIL FROM until the client is on TLS and authenticated (default true), as a submission server does. */
  requireAuth?: boolean;
  /** Certificates to serve; default a fresh private CA and a certificate for 127.0.0.1/localhost. */
  tls?: TestTls;
  port?: number;
}

/** One message the server accepted. */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The DATA exactly as received (dot-unstuffed). */
  raw: Buffer;
  parsed: ParsedMail;
  /** Who authenticated, if anyone. */
  user: string | undefined;
  /** Whether the session was on TLS when the message came. */
  secure: boolean;
}

/** Where in the session a refusal answers. */
export type SmtpStage = 'connect' | 'auth' | 'mail' | 'rcpt' | 'data';

export interface SmtpRefusal {
  /** 421 (service not available: later), 451/452 (temporary), 550/554 (permanent), 535 (bad credentials); ignored with `hang`. */
  code: number;
  /** Default: auth for 535, rcpt for 55x, mail for the rest. */
  at?: SmtpStage;
  message?: string;
  /** Quote what the client sent at that stage back in the reply (the AUTH credentials at `auth`), as some servers do. */
  echo?: boolean;
  /** Never answer at that stage (a server that stalls): the client's timeout must end it. */
  hang?: boolean;
}

export interface SmtpFake {
  host: string;
  port: number;
  /** The CA the server's certificate chains to, PEM: the client's `ca`. */
  ca: string;
  messages: ReceivedMail[];
  /** Every refusal the server sent, in order. */
  refusals: Array<{ code: number; at: SmtpStage }>;
  /** Authentications tried, with their outcome (passwords never kept). */
  auths: Array<{ method: string; username: string; ok: boolean }>;
  /** The next `n` sessions that reach the refusal's stage are refused with it. */
  failNext(n: number, refusal: SmtpRefusal): void;
  close(): Promise<void>;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  421: '4.3.2 Service not available, try again later',
  451: '4.3.0 Temporary local problem, try again later',
  452: '4.3.1 Insufficient system storage',
  535: '5.7.8 Authentication credentials invalid',
  550: '5.1.1 Mailbox unavailable: no such user here',
  554: '5.7.1 Message rejected as spam',
};

function stageOf(r: SmtpRefusal): SmtpStage {
  if (r.at) return r.at;
  if (r.code === 535) return 'auth';
  return r.code >= 550 ? 'rcpt' : 'mail';
}

export async function startSmtpFake(opts: SmtpFakeOptions = {}): Promise<SmtpFake> {
  const tls = opts.tls ?? makeTestTls();
  const username = opts.username ?? 'saaswatch';
  const password = opts.password ?? 'smtp-test-password';
  const requireAuth = opts.requireAuth ?? true;
  const messages: ReceivedMail[] = [];
  const refusals: SmtpFake['refusals'] = [];
  const auths: SmtpFake['auths'] = [];
  const pending: SmtpRefusal[] = [];

  /** The pending refusal for `stage`, taken, as an error smtp-server sends with its code. */
  const refuse = (stage: SmtpStage, echo: () => string): Error | 'hang' | undefined => {
    const r = pending[0];
    if (!r || stageOf(r) !== stage) return undefined;
    pending.shift();
    if (r.hang) return 'hang';
    refusals.push({ code: r.code, at: stage });
    const text = `${r.message ?? DEFAULT_MESSAGES[r.code] ?? 'refused'}${r.echo ? ` (you sent: ${echo()})` : ''}`;
    return Object.assign(new Error(text), { responseCode: r.code });
  };

  const authed = (session: SMTPServerSession) => !requireAuth || session.user !== undefined;

  const server = new SMTPServer({
    secure: opts.implicitTls === true,
    key: tls.key,
    cert: tls.cert,
    name: 'smtp.saaswatch.test',
    banner: 'saaswatch SMTP fake',
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH only once the session is on TLS: a password never crosses in the clear.
    allowInsecureAuth: false,
    authOptional: !requireAuth,
    size: 10 * 1024 * 1024,
    logger: false,
    closeTimeout: 200,
    onConnect(session, callback) {
      const refused = refuse('connect', () => session.remoteAddress);
      if (refused !== 'hang') callback(refused ?? null);
    },
    onAuth(auth, session, callback) {
      const refused = refuse('auth', () => `${auth.method} ${auth.username ?? ''} ${auth.password ?? ''}`);
      if (refused === 'hang') return;
      const ok = !refused && auth.username === username && auth.password === password;
      auths.push({ method: auth.method, username: auth.username ?? '', ok });
      if (refused) return callback(refused);
      if (!ok) return callback(Object.assign(new Error(DEFAULT_MESSAGES[535]!), { responseCode: 535 }));
      callback(null, { user: username });
    },
    onMailFrom(address, session, callback) {
      if (!authed(session)) return callback(Object.assign(new Error('5.7.0 Authentication required'), { responseCode: 530 }));
      const refused = refuse('mail', () => address.address);
      if (refused !== 'hang') callback(refused ?? null);
    },
    onRcptTo(address, _session, callback) {
      const refused = refuse('rcpt', () => address.address);
      if (refused !== 'hang') callback(refused ?? null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const refused = refuse('data', () => raw.subarray(0, 200).toString('utf8'));
        if (refused === 'hang') return;
        if (refused) return callback(refused);
        simpleParser(raw, { skipImageLinks: true }).then(
          (parsed) => {
            messages.push({
              envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
              raw,
              parsed,
              user: typeof session.user === 'string' ? session.user : undefined,
              secure: session.secure,
            });
            callback();
          },
          (err: Error) => callback(Object.assign(new Error(`5.6.0 Message could not be parsed: ${err.message}`), { responseCode: 554 })),
        );
      });
    },
  });
  // A client that drops the connection mid-session is not the fake's failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    ca: tls.ca,
    messages,
    refusals,
    auths,
    failNext(n, refusal) {
      for (let i = 0; i < n; i++) pending.push(refusal);
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Sessions left hanging on purpose would hold close() for its whole closeTimeout.
        for (const c of (server as unknown as { connections?: Set<{ close?: () => void }> }).connections ?? []) c.close?.();
        server.close(() => resolve());
      }),
  };
}
