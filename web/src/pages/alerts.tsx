/** The triage queue: filters in the URL, j/k to move, enter to open, x to select, a to acknowledge, bulk acknowledge. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { post, qs } from '../api';
import { navigate, withQuery, type Loc } from '../router';
import { useSession } from '../session';
import type { Alert, List } from '../types';
import { Empty, Pager, SEVERITIES, STATUSES, Sev, Show, Status, Table, Time, act, roleAllows, useApi, usePager } from '../ui';

export default function Alerts({ loc }: { loc: Loc }) {
  const session = useSession();
  const canTriage = roleAllows(session?.user.role, 'analyst');
  const f = { status: loc.query.get('status') ?? '', severity: loc.query.get('severity') ?? '', rule: loc.query.get('rule') ?? '', entity: loc.query.get('q') ?? '' };
  const pager = usePager();
  const filterKey = JSON.stringify(f);
  useEffect(() => pager.reset(), [filterKey]);
  const r = useApi<List<Alert>>(`/api/alerts${qs({ ...f, limit: 50, cursor: pager.cursor })}`);
  const [cur, setCur] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const rows = useRef<HTMLTableSectionElement>(null);
  const items = r.data?.items ?? [];
  useEffect(() => {
    setCur(0);
    setSelected(new Set());
  }, [r.data]);

  const focusRow = (i: number) => {
    const n = Math.max(0, Math.min(items.length - 1, i));
    setCur(n);
    (rows.current?.querySelectorAll('tr')[n] as HTMLElement | undefined)?.focus();
  };
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const ackIds = async (ids: string[]) => {
    if (ids.length === 0) return;
    const ok = await act(`${ids.length} alert${ids.length === 1 ? '' : 's'} acknowledged`, () => (ids.length === 1 ? post(`/api/alerts/${encodeURIComponent(ids[0]!)}/ack`, {}) : post('/api/alerts/ack', { ids })));
    if (ok) r.reload();
  };
  const onKey = (e: JSX.TargetedKeyboardEvent<HTMLElement>) => {
    if ((e.target as HTMLElement).closest('input,select,textarea,button,a') && e.key !== 'Enter') return;
    const a = items[cur];
    if (e.key === 'j' || e.key === 'ArrowDown') focusRow(cur + 1);
    else if (e.key === 'k' || e.key === 'ArrowUp') focusRow(cur - 1);
    else if (e.key === 'Enter' && a && (e.target as HTMLElement).tagName === 'TR') navigate(`/alerts/${encodeURIComponent(a.id)}`);
    else if (e.key === 'x' && a) toggle(a.id);
    else if (e.key === 'a' && canTriage) void ackIds(selected.size ? [...selected] : a && a.status === 'open' ? [a.id] : []);
    else return;
    e.preventDefault();
  };
  const set = (k: string) => (e: JSX.TargetedEvent<HTMLSelectElement | HTMLInputElement>) => navigate(withQuery(loc, { [k]: e.currentTarget.value }), { replace: true });
  return (
    <>
      <h1>Alerts</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          <span>Status</span>
          <select value={f.status} onChange={set('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Severity</span>
          <select value={f.severity} onChange={set('severity')}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Rule</span>
          <input value={f.rule} onChange={set('rule')} placeholder="rule id" />
        </label>
        <label class="field grow">
          <span>Entity</span>
          <input type="search" value={f.entity} onChange={set('q')} placeholder="a user, IP or file exactly, or type:value" />
        </label>
      </form>
      <div class="toolbar">
        <p class="muted small" id="keys-help">
          Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> open, <kbd>x</kbd> select{canTriage && <>, <kbd>a</kbd> acknowledge</>}.
        </p>
        {canTriage && (
          <button class="btn" disabled={selected.size === 0} onClick={() => void ackIds([...selected])}>
            Acknowledge {selected.size || ''} selected
          </button>
        )}
      </div>
      <Show r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No alerts match.</Empty>
          ) : (
            <>
              <Table label="Alerts">
                <thead>
                  <tr>
                    <th>
                      <span class="sr-only">Select</span>
                    </th>
                    <th>Severity</th>
                    <th>Alert</th>
                    <th>Entity</th>
                    <th>Status</th>
                    <th>When</th>
                  </tr>
                </thead>
                <tbody ref={rows} onKeyDown={onKey} aria-describedby="keys-help">
                  {d.items.map((a, i) => (
                    <tr key={a.id} tabIndex={i === cur ? 0 : -1} class={`${i === cur ? 'current' : ''} ${selected.has(a.id) ? 'selected' : ''}`} onFocus={() => setCur(i)} aria-selected={selected.has(a.id)}>
                      <td>
                        <input type="checkbox" checked={selected.has(a.id)} onChange={() => toggle(a.id)} aria-label={`Select ${a.title}`} tabIndex={-1} />
                      </td>
                      <td>
                        <Sev s={a.severity} />
                      </td>
                      <td>
                        <a href={`/alerts/${encodeURIComponent(a.id)}`} tabIndex={-1}>
                          {a.title}
                        </a>
                        <div class="muted small">
                          {a.rule}
                          {a.muted && ' · muted'}
                          {a.assignee && ` · ${a.assignee}`}
                        </div>
                      </td>
                      <td class="mono small">
                        {a.entity.type}: {a.entity.value}
                      </td>
                      <td>
                        <Status s={a.status} />
                      </td>
                      <td>
                        <Time iso={a.window_end} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager pager={pager} nextCursor={d.next_cursor} />
            </>
          )
        }
      </Show>
    </>
  );
}
