/**
 * A small typed client for the parts of the Archer Platform REST API and Content API the sink uses,
 * holding one session token: reused until Archer answers 401, then renewed once and the call sent once more.
 */
import type { Secret } from '../../core/index.js';
import { errors, Redactor, SaaswatchError } from '../../core/index.js';
import { readCappedText } from '../../pipeline/http-body.js';
import { classifyHttpStatus, classifyRequestError } from '../../pipeline/retry.js';
import { truncate } from '../text.js';

/** Most of a response we read: a record with a long description fits, an endless body does not. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
const ERROR_SNIPPET_CHARS = 300;

/** One field's content as Archer takes and gives it. */
export interface FieldContent {
  Type: number;
  Value: unknown;
  FieldId: number;
}

export interface ArcherContent {
  Id?: number;
  LevelId: number;
  FieldContents: Record<string, FieldContent>;
}

interface Envelope<T> {
  RequestedObject?: T | null;
  IsSuccessful?: boolean;
  ValidationMessages?: Array<{ ResourcedMessage?: string | null; Description?: string | null; MessageKey?: string | null }> | null;
}

export interface ArcherClientOptions {
  baseUrl: string;
  instance: string;
  username: string;
  password: Secret;
  userDomain: string;
  fetch: typeof fetch;
  timeoutMs: number;
  /** How errors name Archer: host only. */
  target: string;
  redactor: Redactor;
  now: () => number;
}

interface CallOpts {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
  /** Send as POST with `X-Http-Method-Override: <method>`, as Archer documents for its GETs. */
  override?: 'GET';
  signal: AbortSignal;
}

export class ArcherClient {
  readonly #o: ArcherClientOptions;
  readonly #base: string;
  #token: string | undefined;

  constructor(opts: ArcherClientOptions) {
    this.#o = opts;
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    opts.redactor.add(opts.password);
  }

  get loggedIn(): boolean {
    return this.#token !== undefined;
  }

  /** Creates a record; its content id. */
  async create(content: ArcherContent, signal: AbortSignal): Promise<number> {
    const r = await this.#authed<{ Id?: unknown }>({ method: 'POST', path: '/platformapi/core/content', body: { Content: content }, signal });
    const id = r?.Id;
    if (typeof id !== 'number') throw errors.httpRejected({ target: this.#o.target, status: 200, why: ' (no content id in the answer)' });
    return id;
  }

  async update(content: ArcherContent & { Id: number }, signal: AbortSignal): Promise<void> {
    await this.#authed({ method: 'PUT', path: '/platformapi/core/content', body: { Content: content }, signal });
  }

  /** The record, or undefined when Archer has no such content (deleted by an analyst). */
  async get(id: number, signal: AbortSignal): Promise<ArcherContent | undefined> {
    try {
      const r = await this.#authed<ArcherContent>({ method: 'GET', override: 'GET', path: `/platformapi/core/content/${id}`, signal });
      return r ?? undefined;
    } catch (err) {
      if (err instanceof SaaswatchError && err.details?.status === 404) return undefined;
      throw err;
    }
  }

  /** Content ids of the level's records whose field `fieldAlias` equals `value`, through the Content API's OData `$filter`. */
  async findBy(levelAlias: string, fieldAlias: string, value: string, signal: AbortSignal): Promise<number[]> {
    const filter = `${fieldAlias} eq '${value.replace(/'/g, "''")}'`;
    const path = `/contentapi/${levelAlias}?$filter=${encodeURIComponent(filter)}&$top=10`;
    const res = await this.#withSession(signal, (token) => this.#send({ method: 'GET', path, signal }, token));
    const body = (await this.#json(res)) as { value?: unknown } | undefined;
    if (!Array.isArray(body?.value)) throw errors.httpRejected({ target: this.#o.target, status: res.status, why: ' (the Content API answer has no value list)' });
    const idKey = `${levelAlias}_Id`;
    return body.value.map((row) => (row as Record<string, unknown>)[idKey]).filter((id): id is number => typeof id === 'number');
  }

  /** Ends the session on Archer, if there is one; failures are the caller's to log. */
  async logout(signal: AbortSignal): Promise<void> {
    const token = this.#token;
    if (!token) return;
    this.#token = undefined;
    const res = await this.#send({ method: 'POST', path: '/platformapi/core/security/logout', body: { Value: token }, signal }, token);
    await readCappedText(res, 4096);
  }

  async #login(signal: AbortSignal): Promise<string> {
    const res = await this.#send(
      { method: 'POST', path: '/platformapi/core/security/login', body: { InstanceName: this.#o.instance, Username: this.#o.username, UserDomain: this.#o.userDomain, Password: this.#o.password.reveal() }, signal },
      undefined,
    );
    const env = await this.#envelope<{ SessionToken?: unknown }>(res, 'login');
    const token = env?.SessionToken;
    if (typeof token !== 'string' || token === '') throw errors.httpRejected({ target: this.#o.target, status: res.status, why: ' (login answered without a session token)' });
    this.#o.redactor.add(token);
    this.#token = token;
    return token;
  }

  /**
   * Runs `send` with the session token, logging in first when there is none. On 401 the token is
   * dropped, a new one obtained and the call sent once more; a second 401 is a refusal, never a loop.
   */
  async #withSession(signal: AbortSignal, send: (token: string) => Promise<Response>): Promise<Response> {
    const first = this.#token ?? (await this.#login(signal));
    const res = await send(first);
    if (res.status !== 401) return res;
    await res.body?.cancel();
    this.#token = undefined;
    const renewed = await this.#login(signal);
    const again = await send(renewed);
    if (again.status === 401) {
      await again.body?.cancel();
      this.#token = undefined;
      throw errors.httpRejected({ target: this.#o.target, status: 401, why: ' (a fresh session was refused too: check the user’s rights and the instance)' });
    }
    return again;
  }

  async #authed<T>(c: CallOpts): Promise<T | null | undefined> {
    const res = await this.#withSession(c.signal, (token) => this.#send(c, token));
    return this.#envelope<T>(res, c.path);
  }

  async #send(c: CallOpts, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'application/json' };
    if (token) headers['Authorization'] = `Archer session-id="${token}"`;
    if (c.override) headers['X-Http-Method-Override'] = c.override;
    const timeout = AbortSignal.timeout(this.#o.timeoutMs);
    try {
      return await this.#o.fetch(`${this.#base}${c.path}`, {
        method: c.override ? 'POST' : c.method,
        headers,
        ...(c.body === undefined ? (c.override ? { body: '' } : {}) : { body: JSON.stringify(c.body) }),
        signal: AbortSignal.any([c.signal, timeout]),
        // A redirect would carry the session token (or the login body) to wherever it points.
        redirect: 'manual',
      });
    } catch (err) {
      throw this.#o.redactor.error(classifyRequestError(err, { timedOut: timeout.aborted && !c.signal.aborted, timeoutMs: this.#o.timeoutMs, target: this.#o.target }));
    }
  }

  async #json(res: Response): Promise<unknown> {
    const read = await readCappedText(res, MAX_RESPONSE_BYTES);
    if (res.status < 200 || res.status >= 300) {
      // Some error bodies quote the request back: redacted before it is cut.
      const snippet = truncate(this.#o.redactor.text(read.text, { cut: read.truncated }), ERROR_SNIPPET_CHARS);
      throw classifyHttpStatus(res.status, res.headers.get('retry-after'), { now: this.#o.now(), target: this.#o.target, ...(snippet ? { detail: snippet } : {}) });
    }
    if (read.truncated) throw errors.httpRejected({ target: this.#o.target, status: res.status, why: ` (answer over ${MAX_RESPONSE_BYTES} bytes)` });
    try {
      return read.text ? (JSON.parse(read.text) as unknown) : undefined;
    } catch {
      throw errors.httpRejected({ target: this.#o.target, status: res.status, why: ' (the answer is not JSON)' });
    }
  }

  /**
   * The envelope's RequestedObject; `IsSuccessful: false` is Archer refusing the request
   * (validation, credentials), permanent, with its messages. A 400 carrying the envelope is read the same way.
   */
  async #envelope<T>(res: Response, what: string): Promise<T | null | undefined> {
    let body: Envelope<T> | undefined;
    if (res.status === 400) {
      const read = await readCappedText(res, MAX_RESPONSE_BYTES);
      try {
        body = JSON.parse(read.text) as Envelope<T>;
      } catch {
        body = undefined;
      }
      if (body?.IsSuccessful !== false) {
        const snippet = truncate(this.#o.redactor.text(read.text, { cut: read.truncated }), ERROR_SNIPPET_CHARS);
        throw errors.httpRejected({ target: this.#o.target, status: 400, ...(snippet ? { detail: snippet } : {}) });
      }
    } else {
      body = (await this.#json(res)) as Envelope<T> | undefined;
    }
    if (body?.IsSuccessful === false) {
      const messages = (body.ValidationMessages ?? []).map((m) => m.ResourcedMessage || m.Description || m.MessageKey).filter((m): m is string => !!m);
      const detail = truncate(this.#o.redactor.text(messages.join('; ') || 'no reason given'), ERROR_SNIPPET_CHARS);
      throw errors.httpRejected({ target: this.#o.target, status: res.status, why: what === 'login' ? ' (login refused)' : ' (validation failed)', detail });
    }
    return body?.RequestedObject;
  }
}

