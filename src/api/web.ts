/** Serves the dashboard (dist/web) from the API's own server: hashed assets cached for good, index.html for every page path. */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { errors } from '../core/errors.js';
import type { Logger } from '../log.js';
import type { ApiApp, RouteModule } from './context.js';
import { errorBody } from './errors.js';

/** The checkout or package root: two levels up from both src/api/web.ts and dist/api/web.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Paths that never fall back to the page: the API, the health check and the webhooks answer for themselves. */
const NOT_PAGES = /^\/(api(\/|$)|healthz$|webhooks(\/|$))/;

/** Vite names every asset under /assets/ by its content hash, so a cached copy can never be stale. */
const IMMUTABLE_PREFIX = 'assets/';

export interface WebUiOptions {
  /** The built dashboard (default: dist/web of this package). */
  dir?: string;
  logger?: Logger;
}

/**
 * The dashboard's routes: `GET /*` answers a file of the build when one matches, else index.html (the
 * page routes itself). Public: the page holds no data; every API call it makes needs a session.
 */
export async function webUi(app: ApiApp, opts: WebUiOptions = {}): Promise<void> {
  const dir = opts.dir ?? join(PACKAGE_ROOT, 'dist', 'web');
  await app.register(fastifyStatic, { root: dir, serve: false });
  app.get('/*', { config: { role: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    // The app's own not-found answer (which may ask strangers under /api to authenticate first).
    if (NOT_PAGES.test(path)) return reply.callNotFound();
    if (!existsSync(join(dir, 'index.html'))) {
      return reply.status(503).type('text/plain').send('The dashboard is not built: run `npm run build` (or `npm run build:web`) and reload.');
    }
    const rel = normalize(path.slice(1));
    // A file of the build; normalize() plus the prefix check keep ../ from leaving it.
    if (rel !== '' && rel !== '.' && !rel.startsWith('..') && isFile(join(dir, rel)) && join(dir, rel).startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
      const hashed = rel.startsWith(IMMUTABLE_PREFIX);
      return reply.sendFile(rel, { maxAge: hashed ? '365d' : '1h', immutable: hashed });
    }
    // A missing asset is a 404, not the page: a stale tab asking for an old chunk must see it fail.
    if (rel.startsWith(IMMUTABLE_PREFIX)) return reply.status(404).send(errorBody('NOT_FOUND', `no file ${path}`));
    // The page is tiny and names the current hashed assets: always revalidated, so a new build shows at once.
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
}

/** webUi as a route module for createHttpApp's `routes` list. */
export const webUiRoutes: RouteModule = (app, ctx) => webUi(app, { logger: ctx.logger });

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Newest modification time of any file under `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const building = new Map<string, Promise<string>>();

/**
 * In a source checkout (src/ and web/ next to dist/), builds dist/web with Vite when it is missing or
 * older than the newest file under web/, so `saaswatch serve` from a clone never serves a stale page.
 * An installed package ships dist/web and no web/: nothing to do. Returns the built directory.
 */
export function ensureWebBuilt(o: { logger?: Logger; root?: string } = {}): Promise<string> {
  const root = o.root ?? PACKAGE_ROOT;
  const out = join(root, 'dist', 'web');
  const web = join(root, 'web');
  if (!existsSync(join(root, 'src')) || !existsSync(web)) return Promise.resolve(out);
  const index = join(out, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(web)) return Promise.resolve(out);
  let job = building.get(root);
  if (!job) {
    job = buildWeb(root, out, o.logger).finally(() => building.delete(root));
    building.set(root, job);
  }
  return job;
}

async function buildWeb(root: string, out: string, logger: Logger | undefined): Promise<string> {
  logger?.info({ dir: out }, 'Building the dashboard: web/ is newer than dist/web.');
  // vite is a devDependency, present in a checkout; the package never gets here.
  const { build } = await import('vite');
  // Built beside and swapped in, so a server already serving dist/web never sees it half-written.
  const tmp = `${out}.build-${process.pid}`;
  await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
  const old = `${out}.old-${process.pid}`;
  try {
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
  } catch (err) {
    // Another process (a second `serve`, a parallel test) swapped its build in first: keep that one.
    if (!existsSync(join(out, 'index.html'))) throw errors.storage({ operation: 'building the dashboard', problem: `cannot move the build into ${out}`, cause: err });
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  return out;
}
