/** The dashboard's shell: session, navigation, theme and the lazily loaded page for the current path. */
import { render, type ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { post, restoreSession, setCsrf, whenUnauthenticated } from './api';
import { navigate, onLinkClick, useLocation, type Loc } from './router';
import { setSession, useSession } from './session';
import { applyTheme, setChoice, useTheme } from './theme';
import { ErrorBox, Loading, Toasts, errorText, roleAllows } from './ui';
import type { Role } from './types';
import './style.css';

type Page = ComponentType<{ loc: Loc; params: string[] }>;
type Loader = () => Promise<{ default: Page }>;

interface Route {
  pattern: RegExp;
  load: Loader;
  title: string;
  role?: Role;
}

// Each page is its own chunk: the first screen does not wait for the code of the others.
const ROUTES: Route[] = [
  { pattern: /^\/$/, load: () => import('./pages/overview'), title: 'Overview' },
  { pattern: /^\/alerts\/?$/, load: () => import('./pages/alerts'), title: 'Alerts' },
  { pattern: /^\/alerts\/([^/]+)$/, load: () => import('./pages/alert'), title: 'Alert' },
  { pattern: /^\/users\/?$/, load: () => import('./pages/users'), title: 'Users' },
  { pattern: /^\/users\/([^/]+)$/, load: () => import('./pages/user'), title: 'User' },
  { pattern: /^\/files\/?$/, load: () => import('./pages/files'), title: 'Files' },
  { pattern: /^\/files\/([^/]+)$/, load: () => import('./pages/file'), title: 'File' },
  { pattern: /^\/sources\/?$/, load: () => import('./pages/sources'), title: 'Sources' },
  { pattern: /^\/rules\/?$/, load: () => import('./pages/rules'), title: 'Rules' },
  { pattern: /^\/blocked\/?$/, load: () => import('./pages/blocked'), title: 'Blocked users' },
  { pattern: /^\/audit\/?$/, load: () => import('./pages/audit'), title: 'Audit log' },
  { pattern: /^\/admin\/?$/, load: () => import('./pages/admin'), title: 'Accounts and tokens', role: 'admin' },
];

const NAV: Array<{ href: string; label: string; role?: Role }> = [
  { href: '/', label: 'Overview' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/users', label: 'Users' },
  { href: '/files', label: 'Files' },
  { href: '/sources', label: 'Sources' },
  { href: '/rules', label: 'Rules' },
  { href: '/blocked', label: 'Blocked' },
  { href: '/audit', label: 'Audit log' },
  { href: '/admin', label: 'Accounts', role: 'admin' },
];

const loaded = new Map<Loader, Page>();

function Lazy({ load, loc, params }: { load: Loader; loc: Loc; params: string[] }) {
  const [page, setPage] = useState<{ load: Loader; C: Page } | undefined>(() => (loaded.has(load) ? { load, C: loaded.get(load)! } : undefined));
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (loaded.has(load)) return setPage({ load, C: loaded.get(load)! });
    let live = true;
    load().then(
      (m) => {
        loaded.set(load, m.default);
        if (live) setPage({ load, C: m.default });
      },
      (err: unknown) => live && setError(`This page could not be loaded (${errorText(err)}); reload to try again.`),
    );
    return () => void (live = false);
  }, [load]);
  if (error) return <ErrorBox error={error} />;
  if (!page || page.load !== load) return <Loading />;
  return <page.C loc={loc} params={params} />;
}

function ThemeToggle() {
  const [theme] = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button class="btn ghost" onClick={() => setChoice(next)} aria-label={`Switch to ${next} theme`} title={`Switch to ${next} theme`}>
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}

function Shell({ loc }: { loc: Loc }) {
  const session = useSession();
  const [open, setOpen] = useState(false);
  const first = useRef(true);
  useEffect(() => {
    setOpen(false);
    // A new page: keyboard and screen reader users start at its content, not at the link they left.
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [loc.path]);
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(loc.path) })).find((x) => x.m);
  useEffect(() => {
    document.title = `${match?.r.title ?? 'Not found'} · saaswatch`;
  }, [match?.r.title]);
  const logout = async () => {
    await post('/api/auth/logout').catch(() => undefined);
    setCsrf(undefined);
    setSession(undefined);
    navigate('/login');
  };
  const active = (href: string) => (href === '/' ? loc.path === '/' : loc.path.startsWith(href));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <button class="btn ghost menu" aria-expanded={open} aria-controls="nav" onClick={() => setOpen(!open)}>
          ☰<span class="sr-only"> Menu</span>
        </button>
        <a href="/" class="brand">
          saaswatch
        </a>
        <span class="spacer" />
        <ThemeToggle />
        <span class="who" title={session?.user.email}>
          {session?.user.email} <span class="muted">({session?.user.role})</span>
        </span>
        <button class="btn ghost" onClick={logout}>
          Sign out
        </button>
      </header>
      <nav id="nav" class={`nav ${open ? 'open' : ''}`} aria-label="Main">
        {NAV.filter((n) => !n.role || roleAllows(session?.user.role, n.role)).map((n) => (
          <a key={n.href} href={n.href} aria-current={active(n.href) ? 'page' : undefined}>
            {n.label}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {!match ? (
          <ErrorBox error={`No page at ${loc.path}.`} />
        ) : match.r.role && !roleAllows(session?.user.role, match.r.role) ? (
          <ErrorBox error={`This page is for the ${match.r.role} role; you are ${session?.user.role}.`} />
        ) : (
          <Lazy load={match.r.load} loc={loc} params={match.m!.slice(1).map((p) => decodeURIComponent(p))} />
        )}
      </main>
      <Toasts />
    </div>
  );
}

const loadLogin = () => import('./pages/login');

function App() {
  const loc = useLocation();
  const session = useSession();
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    whenUnauthenticated(() => {
      setSession(undefined);
      if (location.pathname !== '/login') navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    });
    restoreSession().then(
      (s) => {
        setSession(s);
        setReady(true);
        if (!s && location.pathname !== '/login') navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (!ready) return <Loading />;
  if (!session || loc.path === '/login') {
    return (
      <>
        <Lazy load={loadLogin} loc={loc} params={[]} />
        <Toasts />
      </>
    );
  }
  return <Shell loc={loc} />;
}

applyTheme();
document.addEventListener('click', onLinkClick);
render(<App />, document.getElementById('app')!);
