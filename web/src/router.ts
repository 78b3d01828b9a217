/** History routing without a library: the server answers index.html for every page path, so a reload or a pasted link lands on the same page. */
import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'saaswatch:navigate';

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
  window.scrollTo(0, 0);
}

export interface Loc {
  path: string;
  query: URLSearchParams;
}

const current = (): Loc => ({ path: location.pathname, query: new URLSearchParams(location.search) });

export function useLocation(): Loc {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const on = () => setLoc(current());
    window.addEventListener('popstate', on);
    window.addEventListener(CHANGE, on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener(CHANGE, on);
    };
  }, []);
  return loc;
}

/** Same-origin link clicks go through pushState; modified clicks (new tab) keep the browser's behaviour. */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/api/')) return;
  e.preventDefault();
  navigate(href);
}

/** The page's query with some keys changed (empty values removed), as a path to navigate to. */
export function withQuery(loc: Loc, changes: Record<string, string | undefined>): string {
  const q = new URLSearchParams(loc.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return loc.path + (s ? `?${s}` : '');
}
