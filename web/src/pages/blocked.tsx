/** Who is blocked, a form to block someone, and unblock. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useSession } from '../session';
import type { Block, List } from '../types';
import { Card, Empty, FormDialog, Show, Table, Time, UserLink, roleAllows, useApi } from '../ui';
import { SCOPES, block, unblock } from './block';

export default function Blocked() {
  const r = useApi<List<Block>>('/api/blocked');
  const session = useSession();
  const canBlock = roleAllows(session?.user.role, 'analyst');
  const [target, setTarget] = useState<string>();
  const submit = async (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const v = Object.fromEntries([...new FormData(form).entries()].map(([k, x]) => [k, String(x)]));
    if (await block(v['user']!, v)) {
      form.reset();
      r.reload();
    }
  };
  return (
    <>
      <h1>Blocked users</h1>
      {canBlock && (
        <Card title="Block a user">
          <form class="filters" onSubmit={submit}>
            <label class="field grow"><span>User</span><input name="user" type="text" required placeholder="alice@example.com" /></label>
            <label class="field grow"><span>Reason</span><input name="reason" required placeholder="why (goes to the audit log)" /></label>
            <label class="field"><span>Scope</span><select name="scope">{SCOPES.map((s) => <option key={s}>{s}</option>)}</select></label>
            <label class="field"><span>Hours</span><input name="hours" type="number" min={1} placeholder="until unblocked" /></label>
            <button class="btn danger" type="submit">Block</button>
          </form>
        </Card>
      )}
      <Show r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>Nobody is blocked.</Empty>
          ) : (
            <Table label="Blocked users">
              <thead>
                <tr><th>User</th><th>Scope</th><th>Reason</th><th>By</th><th>Since</th><th>Until</th>{canBlock && <th><span class="sr-only">Actions</span></th>}</tr>
              </thead>
              <tbody>
                {d.items.map((b) => (
                  <tr key={b.user}>
                    <td><UserLink user={b.user} /></td>
                    <td>{b.scope}</td>
                    <td>{b.reason}{b.alert_id && <div class="small"><a href={`/alerts/${encodeURIComponent(b.alert_id)}`}>alert</a></div>}</td>
                    <td class="small">{b.blocked_by}</td>
                    <td><Time iso={b.blocked_at} /></td>
                    <td>{b.expires_at ? <Time iso={b.expires_at} /> : <span class="muted">unblocked by hand</span>}</td>
                    {canBlock && <td><button class="btn" onClick={() => setTarget(b.user)}>Unblock</button></td>}
                  </tr>
                ))}
              </tbody>
            </Table>
          )
        }
      </Show>
      {target && (
        <FormDialog
          title={`Unblock ${target}`}
          fields={[{ name: 'reason', label: 'Reason', required: true, placeholder: 'why (goes to the audit log)' }]}
          submit="Unblock"
          onClose={() => setTarget(undefined)}
          onSubmit={async (v) => {
            const ok = await unblock(target, v['reason'] ?? '');
            if (ok) r.reload();
            return ok;
          }}
        />
      )}
    </>
  );
}
