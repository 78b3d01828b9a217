/** Who did what: every state change, newest first, filtered by actor, action or subject. */
import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { qs } from '../api';
import { navigate, withQuery, type Loc } from '../router';
import type { AuditEntry, List } from '../types';
import { Empty, Pager, Show, Table, Time, useApi, usePager } from '../ui';

function summary(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' · ');
}

export default function Audit({ loc }: { loc: Loc }) {
  const f = { actor: loc.query.get('actor') ?? '', action: loc.query.get('action') ?? '', subject: loc.query.get('subject') ?? '' };
  const pager = usePager();
  const key = JSON.stringify(f);
  useEffect(() => pager.reset(), [key]);
  const r = useApi<List<AuditEntry>>(`/api/audit${qs({ ...f, limit: 50, cursor: pager.cursor })}`);
  const set = (k: string) => (e: JSX.TargetedEvent<HTMLInputElement>) => navigate(withQuery(loc, { [k]: e.currentTarget.value }), { replace: true });
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="field"><span>Actor</span><input value={f.actor} onChange={set('actor')} placeholder="web:alice@example.com" /></label>
        <label class="field"><span>Action</span><input value={f.action} onChange={set('action')} placeholder="block" /></label>
        <label class="field grow"><span>Subject</span><input type="search" value={f.subject} onChange={set('subject')} placeholder="a user, file or alert id" /></label>
      </form>
      <Show r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No entries.</Empty>
          ) : (
            <>
              <Table label="Audit log">
                <thead>
                  <tr><th>When</th><th>Actor</th><th>Action</th><th>Details</th></tr>
                </thead>
                <tbody>
                  {d.items.map((a) => (
                    <tr key={a.id}>
                      <td><Time iso={a.at} /></td>
                      <td class="small">{a.actor}</td>
                      <td class="mono">{a.action}</td>
                      <td class="small details-cell">
                        {summary(a.details)}
                        <details>
                          <summary>JSON</summary>
                          <pre class="json">{JSON.stringify(a.details, null, 2)}</pre>
                        </details>
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
