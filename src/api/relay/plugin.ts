/**
 * The CTIM relay Cisco XDR queries, mounted on saaswatch's server under `relay.prefix`: health,
 * observe (saaswatch's own sightings beside Microsoft Graph's), refer, respond, version and watchdog,
 * each authenticated by the relay token itself and answering in Cisco's relay convention.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MicrosoftGraphConfig } from '../../sources/microsoft-graph/config.js';
import { VERSION } from '../../version.js';
import type { ApiApp, ApiContext } from '../context.js';
import type { ServerPlugin } from '../server.js';
import { RelayAuth, type RelayPrincipal } from './auth.js';
import { TOKEN_KEY_CLAIM, type RelayConfig } from './config.js';
import { authError, relayError, RELAY_CODES, RelayFailure, toRelayError } from './errors.js';
import { createGraphSightings } from './graph/index.js';
import { ownSightings, REQUEST_FILE_SCAN_PAGES } from './own.js';
import { referLinks } from './refer.js';
import { respondActions, triggerAction } from './respond.js';
import { OBSERVABLE_TYPES, type CtimSighting, type GraphCredentials, type GraphSightings, type Observable, type RelayError } from './types.js';

export interface RelayDeps {
  /** The Graph half; default: createGraphSightings from relay.graph_url / login_url / legacy_alerts, made at its first use. */
  graph?: GraphSightings;
  /** For the JWKS requests (and the default Graph half). */
  fetch?: typeof fetch;
  /** How long one request may take before the observables not yet answered are given up. Default 25 s (XDR waits about 30). */
  deadlineMs?: number;
}

/** Most observables in one request's body (of any CTIM type): bounds the parsing. */
export const MAX_OBSERVABLES = 1000;
/** Most observables of the types the relay answers, per request: each may cost store reads and Graph calls. */
export const MAX_ANSWERED = 100;
const DEADLINE_MS = 25_000;
/** Observables worked on at once. */
const CONCURRENCY = 4;

/**
 * CTIM's other observable types (ctim.schemas.vocabularies). XDR sends every observable of an
 * investigation to every module, so these are skipped, as Cisco's own modules do; a type outside
 * CTIM's vocabulary is a malformed request.
 */
const OTHER_CTIM_TYPES = new Set([
  'acudid', 'amp_computer_guid', 'certificate_common_name', 'certificate_issuer', 'certificate_serial', 'cisco_cm_id', 'cisco_mid', 'cisco_uc_id',
  'cortex_agent_id', 'crowdstrike_id', 'cvm_id', 'cybereason_id', 'darktrace_id', 'device', 'email_messageid', 'email_subject', 'imei', 'imsi',
  'mac_address', 'md5', 'meraki_network_id', 'meraki_node_sn', 'meraki_org_id', 'ms_machine_id', 'mutex', 'ngfw_id', 'ngfw_name', 'odns_identity',
  'odns_identity_label', 'orbital_node_id', 'pki_serial', 'process_args', 'process_hash', 'process_name', 'process_path', 'process_uid',
  'process_username', 'processor_id', 'registry_key', 'registry_name', 'registry_path', 's1_agent_id', 'serial_number', 'sha1', 'swc_device_id',
  'trend_micro_id', 'user_agent',
]);
const ANSWERED = new Set<string>(OBSERVABLE_TYPES);

const observablesSchema = z
  .array(
    z.object({
      type: z
        .string({ error: 'expected a string' })
        .refine((t) => ANSWERED.has(t) || OTHER_CTIM_TYPES.has(t), { error: `expected a CTIM observable type: one of ${OBSERVABLE_TYPES.join(', ')} (others of CTIM's are ignored)` }),
      value: z.string({ error: 'expected a string' }).trim().min(1, 'expected a non-empty value').max(2048, 'expected at most 2048 characters'),
    }),
    { error: 'expected a JSON array of {"type", "value"} observables' },
  )
  .max(MAX_OBSERVABLES, `expected at most ${MAX_OBSERVABLES} observables`)
  // Those of the types the relay answers for, each once, in the order given (Cisco's modules do the same).
  .transform((os) => unique(os.filter((o): o is Observable => ANSWERED.has(o.type))));

const triggerSchema = z.object(
  {
    'action-id': z.string({ error: 'expected a string' }).min(1, 'expected an action id'),
    observable_type: z.string({ error: 'expected a string' }).min(1, 'expected email or user'),
    observable_value: z.string({ error: 'expected a string' }).trim().min(1, 'expected a non-empty value').max(2048, 'expected at most 2048 characters'),
  },
  { error: 'expected a JSON object with action-id, observable_type and observable_value' },
);

const invalid = (message: string) => new RelayFailure(relayError(RELAY_CODES.invalid, message));

/** The request body as JSON checked against the schema; `invalid argument` naming the field otherwise. */
function parseBody<T>(raw: unknown, schema: z.ZodType<T>): T {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof raw === 'string' ? raw : '');
  } catch {
    throw invalid('Invalid JSON payload received. The body is not JSON.');
  }
  const r = schema.safeParse(doc);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : 'body';
  throw invalid(`Invalid JSON payload received. ${field}: ${issue.message}`);
}

function unique(os: readonly Observable[]): Observable[] {
  const seen = new Set<string>();
  return os.filter((o) => {
    const k = `${o.type}\u0000${o.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

async function mapLimit<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function uniqueErrors(es: readonly RelayError[]): RelayError[] {
  const seen = new Set<string>();
  return es.filter((e) => {
    const k = `${e.type}\u0000${e.code}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Graph credentials of saaswatch's own config: relay.credentials, else the first microsoft-graph source's. */
export function configCredentials(ctx: Pick<ApiContext, 'config'>, relay: RelayConfig): GraphCredentials | undefined {
  if (relay.credentials) return { tenant_id: relay.credentials.tenant_id, application_id: relay.credentials.client_id, client_secret: relay.credentials.client_secret.reveal() };
  const source = ctx.config.sources.find((s) => s.type === 'microsoft-graph');
  if (!source) return undefined;
  const c = source.config as MicrosoftGraphConfig;
  return { tenant_id: c.tenant_id, application_id: c.client_id, client_secret: c.client_secret.reveal() };
}

/** The relay as a server plugin; `relay.audience` must be set (the config requires it when enabled). */
export function relayPlugin(ctx: ApiContext, relay: RelayConfig, deps: RelayDeps = {}): ServerPlugin {
  const log = ctx.logger.child({ component: 'relay' });
  const auth = new RelayAuth({
    audience: relay.audience ?? '',
    jwksHosts: relay.jwks_hosts,
    clock: ctx.clock,
    logger: log,
    ...(relay.token_key ? { tokenKey: relay.token_key } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  let graph = deps.graph;
  const graphHalf = (): GraphSightings => {
    // Made at its first use, so a relay whose Graph half cannot be built still answers with saaswatch's own sightings.
    graph ??= createGraphSightings({ graphUrl: relay.graph_url, loginUrl: relay.login_url, legacyAlerts: relay.legacy_alerts, now: ctx.clock, logger: log, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    return graph;
  };
  const ownCredentials = configCredentials(ctx, relay);
  /**
   * Cisco signs a token with our audience for any XDR organisation that registers our URL, so a signed
   * token alone gets only what its own credentials read from Graph; saaswatch's data, its Graph
   * credentials and its response actions need the token to carry relay.token_key as well.
   */
  const unbound = relay.token_key
    ? `the token does not carry this deployment's key: set the ${TOKEN_KEY_CLAIM} field of the module's configuration in Cisco XDR to relay.token_key`
    : `relay.token_key is not set: set it, and the ${TOKEN_KEY_CLAIM} field of the module's configuration in Cisco XDR to the same value`;
  const ownOmitted = relayError(RELAY_CODES.auth, `saaswatch's own sightings were left out: ${unbound}`, 'warning');
  const credentialsOf = (p: RelayPrincipal) => p.credentials ?? (p.bound ? ownCredentials : undefined);

  const linkFor = (req: FastifyRequest) => {
    const root = (relay.dashboard_url ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
    return (path: string) => `${root}${path}`;
  };
  const actorOf = (p: RelayPrincipal) => `relay:${typeof p.payload.sub === 'string' && p.payload.sub !== '' ? p.payload.sub : p.jwksHost}`;

  /** Failures as Cisco's body; anything not ours is logged and told without internals. */
  const failure = (err: unknown, extra: Record<string, unknown> = {}) => {
    if (!(err instanceof RelayFailure)) log.error({ err }, 'Relay request failed.');
    return { ...extra, errors: [toRelayError(err)] };
  };

  type Handler = (req: FastifyRequest, p: RelayPrincipal, signal: AbortSignal) => Promise<unknown>;
  /** Token first (nothing about the body is told to a stranger), then the handler; errors answered with HTTP 200 as Cisco's relays do. */
  const authed = (fn: Handler, onError: Record<string, unknown> = {}) => async (req: FastifyRequest, reply: FastifyReply) => {
    let p: RelayPrincipal;
    try {
      p = await auth.verify(req.headers.authorization);
    } catch (err) {
      // A refused token may be probing or forgery: worth a line, with why (never the token).
      if (err instanceof RelayFailure) log.warn({ path: req.url.split('?')[0], remoteAddress: req.ip, reason: err.message }, 'Relay token refused.');
      return reply.send(failure(err, onError));
    }
    // Aborted when the client goes away or the deadline passes: no new store reads or Graph calls start after that.
    const left = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) left.abort();
    };
    reply.raw.once('close', onClose);
    const signal = AbortSignal.any([left.signal, AbortSignal.timeout(deps.deadlineMs ?? DEADLINE_MS)]);
    try {
      return reply.send(await fn(req, p, signal));
    } catch (err) {
      return reply.send(failure(err, onError));
    } finally {
      reply.raw.off('close', onClose);
    }
  };

  /** The observables of the types answered, at most MAX_ANSWERED of them. */
  const answered = (req: FastifyRequest): Observable[] => {
    const os = parseBody(req.body, observablesSchema);
    if (os.length > MAX_ANSWERED) throw invalid(`Invalid JSON payload received. body: expected at most ${MAX_ANSWERED} observables of the types the relay answers (${OBSERVABLE_TYPES.join(', ')}), got ${os.length}; ask in smaller batches`);
    return os;
  };

  async function observe(req: FastifyRequest, p: RelayPrincipal, signal: AbortSignal) {
    const observables = answered(req);
    const fileBudget = { pages: REQUEST_FILE_SCAN_PAGES };
    let unanswered = 0;
    const limit = Math.min(relay.entities_limit, p.limit ?? relay.entities_limit);
    const credentials = credentialsOf(p);
    const link = linkFor(req);
    const now = ctx.clock();
    const results = await mapLimit(observables, CONCURRENCY, async (o) => {
      if (signal.aborted) {
        unanswered++;
        return [];
      }
      const own = p.bound ? ownSightings(ctx.store, o, { limit, now, link, logger: log, signal, fileBudget }) : { sightings: [], errors: [] };
      const fromGraph = credentials
        ? (async () => {
            try {
              return await graphHalf().observe(o, { credentials, limit, signal });
            } catch (err) {
              return { sightings: [], errors: [failure(err).errors[0]!] };
            }
          })()
        : { sightings: [], errors: [] };
      return Promise.all([own, fromGraph]);
    });
    const docs: CtimSighting[] = results.flatMap((rs) => rs.flatMap((r) => r.sightings));
    const late = unanswered
      ? [relayError(RELAY_CODES.unavailable, `${unanswered} of ${observables.length} observables were not looked up: the request ${req.raw.destroyed ? 'was closed' : `ran out of time (${(deps.deadlineMs ?? DEADLINE_MS) / 1000} s)`}; ask again for them, or in smaller batches`)]
      : [];
    const errors = uniqueErrors([...results.flatMap((rs) => rs.flatMap((r) => r.errors)), ...late, ...(p.bound || observables.length === 0 ? [] : [ownOmitted])]);
    const sightings = { count: docs.length, docs };
    if (errors.length === 0) return { data: { sightings } };
    return { ...(docs.length ? { data: { sightings } } : {}), errors };
  }

  async function health(_req: FastifyRequest, p: RelayPrincipal, signal: AbortSignal) {
    try {
      await ctx.store.listAlerts({ limit: 1 });
    } catch (err) {
      log.error({ err }, 'Relay health check: the store failed.');
      return { errors: [relayError(RELAY_CODES.unavailable, 'saaswatch\'s store does not answer')] };
    }
    const credentials = credentialsOf(p);
    if (credentials) {
      const e = await graphHalf().health({ credentials, signal });
      if (e) return { errors: [e] };
    }
    return { data: { status: 'ok' } };
  }

  /** Response actions need relay.respond and a bound token; refused otherwise, naming what to set. */
  const mayRespond = (p: RelayPrincipal) => {
    if (!relay.respond) throw new RelayFailure(relayError(RELAY_CODES.invalid, 'Response actions are off: set relay.respond: true (with relay.token_key) to offer them'));
    if (!p.bound) throw new RelayFailure(authError(`response actions need this deployment's key: ${unbound}`));
  };

  const respondDeps = { responder: ctx.responder, listBlockedUsers: (q: { user: string }) => ctx.store.listBlockedUsers({ user: q.user, activeAt: ctx.clock() }) };

  const routes: Array<{ path: string; method: 'GET' | 'POST'; handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> }> = [
    { path: '/health', method: 'POST', handler: authed(health) },
    { path: '/observe/observables', method: 'POST', handler: authed(observe) },
    {
      path: '/refer/observables',
      method: 'POST',
      handler: authed(async (req) => {
        const link = linkFor(req);
        return { data: parseBody(req.body, observablesSchema).flatMap((o) => referLinks(o, link)) };
      }),
    },
    {
      path: '/respond/observables',
      method: 'POST',
      handler: authed(async (req, p) => {
        const observables = answered(req);
        // Off: a module without response actions, as XDR asks every module for every observable.
        if (!relay.respond) return { data: [] };
        mayRespond(p);
        return { data: await respondActions(observables, respondDeps) };
      }),
    },
    {
      path: '/respond/trigger',
      method: 'POST',
      handler: authed(
        async (req, p) => {
          const b = parseBody(req.body, triggerSchema);
          mayRespond(p);
          const type = OBSERVABLE_TYPES.find((t) => t === b.observable_type);
          if (!type) throw invalid(`Invalid JSON payload received. observable_type: expected one of ${OBSERVABLE_TYPES.join(', ')}`);
          const errors = await triggerAction({ actionId: b['action-id'], observable: { type, value: b.observable_value }, actor: actorOf(p) }, respondDeps);
          return errors.length ? { data: { status: 'failure' }, errors } : { data: { status: 'success' } };
        },
        { data: { status: 'failure' } },
      ),
    },
    // Cisco's modules answer these two without a token: XDR reads them before a module is configured.
    { path: '/version', method: 'POST', handler: async (_req, reply) => reply.send({ version: VERSION }) },
    {
      path: '/watchdog',
      method: 'GET',
      handler: async (req, reply) => {
        const key = req.headers['health-check'];
        if (typeof key !== 'string') return reply.send({ errors: [relayError(RELAY_CODES.health, 'Invalid Health Check')] });
        return reply.send({ data: key });
      },
    },
  ];

  return async (app: ApiApp) => {
    await app.register(
      async (scope) => {
        // The body is read as text and parsed after the token is checked, so a stranger learns nothing from a malformed body.
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
        scope.setErrorHandler(async (err: { statusCode?: number }, _req, reply) => {
          // Fastify's own refusals (a body over the limit, a broken request): in Cisco's shape, with their status.
          const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
          if (status === 500) log.error({ err }, 'Relay request failed.');
          return reply.status(status).send({ errors: [status === 500 ? toRelayError(err) : relayError(RELAY_CODES.invalid, `The request was refused (HTTP ${status})`)] });
        });
        const methods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;
        for (const r of routes) {
          scope.route({ method: r.method, url: r.path, exposeHeadRoute: false, config: { role: 'public' }, schema: { hide: true }, handler: r.handler });
          scope.route({
            method: methods.filter((m) => m !== r.method),
            url: r.path,
            exposeHeadRoute: false,
            config: { role: 'public' },
            schema: { hide: true },
            handler: async (req, reply) =>
              reply.status(405).header('allow', r.method).send({ errors: [relayError(RELAY_CODES.method, `Method ${req.method} is not allowed on ${relay.prefix}${r.path} (allowed: ${r.method})`)] }),
          });
        }
        // Every other path under the prefix, rather than the dashboard's catch-all page.
        const notFound = async (req: FastifyRequest, reply: FastifyReply) =>
          reply.status(404).send({ errors: [relayError(RELAY_CODES.notFound, `No relay route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}`)] });
        for (const url of ['/', '/*']) scope.route({ method: [...methods], url, exposeHeadRoute: false, config: { role: 'public' }, schema: { hide: true }, handler: notFound });
      },
      { prefix: relay.prefix },
    );
  };
}
