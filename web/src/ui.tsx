/** Small shared pieces: data loading, badges, times, tables, toasts and the reason dialog every action asks through. */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from './api';
import type { AlertStatus, Role, Severity } from './types';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (null: nothing yet) and again whenever it changes or reload() is called. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    get<T>(path).then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ error: errorText(err), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export const errorText = (err: unknown): string => (err instanceof ApiError || err instanceof Error ? err.message : String(err));

// ------------------------------------------------------------------ toasts

type Toast = { id: number; text: string; kind: 'ok' | 'error' };
let toastId = 0;
let pushToast: (t: Toast) => void = () => undefined;

export function toast(text: string, kind: Toast['kind'] = 'ok'): void {
  pushToast({ id: ++toastId, text, kind });
}

/** The one live region: screen readers hear each outcome once. */
export function Toasts() {
  const [items, setItems] = useState<Toast[]>([]);
  useEffect(() => {
    pushToast = (t) => {
      setItems((xs) => [...xs.slice(-3), t]);
      setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), t.kind === 'error' ? 8000 : 4000);
    };
  }, []);
  return (
    <div class="toasts" aria-live="polite" role="status">
      {items.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

/** Runs a state change, toasts its outcome; returns whether it worked. */
export async function act(what: string, fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    toast(what);
    return true;
  } catch (err) {
    toast(errorText(err), 'error');
    return false;
  }
}

// ------------------------------------------------------------------ small views

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
export const STATUSES: AlertStatus[] = ['open', 'acknowledged', 'closed'];

export function Sev({ s }: { s: Severity | null | undefined }) {
  if (!s) return <span class="muted">—</span>;
  return <span class={`badge sev-${s}`}>{s}</span>;
}

export function Status({ s }: { s: string }) {
  return <span class={`badge status-${s}`}>{s}</span>;
}

const RTF = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const d = (Date.parse(iso) - now) / 1000;
  const a = Math.abs(d);
  if (a < 60) return RTF.format(Math.round(d), 'second');
  if (a < 3600) return RTF.format(Math.round(d / 60), 'minute');
  if (a < 86400) return RTF.format(Math.round(d / 3600), 'hour');
  return RTF.format(Math.round(d / 86400), 'day');
}

export const fmtTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—');

export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={fmtTime(iso)}>
      {fmtTime(iso).slice(0, 16)}
    </time>
  );
}

const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' });

/** A country's English name from its ISO code ("US" → "United States"), or the code when unknown. */
export function countryName(code: string | null | undefined): string {
  if (!code) return '—';
  try {
    return REGIONS.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

export const num = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toLocaleString('en'));

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function UserLink({ user }: { user: string | undefined | null }) {
  if (!user) return <span class="muted">—</span>;
  return <a href={`/users/${encodeURIComponent(user)}`}>{user}</a>;
}

export function Loading() {
  return (
    <p class="muted" aria-busy="true">
      Loading…
    </p>
  );
}

export function ErrorBox({ error }: { error: string }) {
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** Loading, error, or the content once the data is there. */
export function Show<T>({ r, children }: { r: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (r.error) return <ErrorBox error={r.error} />;
  if (r.data === undefined) return <Loading />;
  return <>{children(r.data)}</>;
}

export function Card({ title, children, class: cls, actions }: { title?: string; children: ComponentChildren; class?: string; actions?: ComponentChildren }) {
  return (
    <section class={`card ${cls ?? ''}`}>
      {(title || actions) && (
        <header class="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>;
}

/** A table that scrolls on its own in a narrow window instead of widening the page. */
export function Table({ children, label }: { children: ComponentChildren; label: string }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}

export function roleAllows(has: Role | undefined, needs: Role): boolean {
  const rank = { viewer: 1, analyst: 2, admin: 3 } as const;
  return has !== undefined && rank[has] >= rank[needs];
}

// ------------------------------------------------------------------ dialog

export interface DialogField {
  name: string;
  label: string;
  type?: 'text' | 'number' | 'select' | 'textarea';
  options?: string[];
  required?: boolean;
  value?: string;
  placeholder?: string;
}

/** A modal form (native <dialog>: focus is trapped and Escape closes it). */
export function FormDialog(props: { title: string; fields: DialogField[]; submit: string; onSubmit: (v: Record<string, string>) => Promise<boolean>; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const submit = async (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const values = Object.fromEntries([...new FormData(e.currentTarget).entries()].map(([k, v]) => [k, String(v)]));
    setBusy(true);
    const ok = await props.onSubmit(values);
    setBusy(false);
    if (ok) props.onClose();
  };
  return (
    <dialog ref={ref} class="dialog" onClose={props.onClose} aria-labelledby="dialog-title">
      <form onSubmit={submit}>
        <h2 id="dialog-title">{props.title}</h2>
        {props.fields.map((f) => (
          <label key={f.name} class="field">
            <span>{f.label}</span>
            {f.type === 'select' ? (
              <select name={f.name} value={f.value}>
                {f.options?.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.type === 'textarea' ? (
              <textarea name={f.name} required={f.required} placeholder={f.placeholder} rows={3}>
                {f.value}
              </textarea>
            ) : (
              <input name={f.name} type={f.type ?? 'text'} required={f.required} value={f.value} placeholder={f.placeholder} min={f.type === 'number' ? 0 : undefined} />
            )}
          </label>
        ))}
        <div class="row end">
          <button type="button" class="btn" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={busy}>
            {props.submit}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** Pages through a cursor list: the cursors seen so far, so Previous works too. */
export function usePager(): { cursor: string | undefined; page: number; next: (c: string) => void; prev: () => void; reset: () => void } {
  const [stack, setStack] = useState<string[]>([]);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length + 1,
    next: (c) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack([]),
  };
}

export function Pager({ pager, nextCursor }: { pager: ReturnType<typeof usePager>; nextCursor: string | null | undefined }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button class="btn" disabled={pager.page === 1} onClick={pager.prev}>
        ← Previous
      </button>
      <span class="muted">page {pager.page}</span>
      <button class="btn" disabled={!nextCursor} onClick={() => nextCursor && pager.next(nextCursor)}>
        Next →
      </button>
    </nav>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}
