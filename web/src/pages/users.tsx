/** The riskiest users first. */
import type { List, RiskyUser } from '../types';
import { Empty, Sev, Show, Table, UserLink, ago, useApi } from '../ui';

export default function Users() {
  const r = useApi<List<RiskyUser>>('/api/users?limit=200');
  return (
    <>
      <h1>Users</h1>
      <Show r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No users seen yet.</Empty>
          ) : (
            <Table label="Users by risk">
              <thead>
                <tr><th>User</th><th class="num">Risk</th><th class="num">Open alerts</th><th>Worst</th><th>Last seen</th></tr>
              </thead>
              <tbody>
                {d.items.map((u) => (
                  <tr key={u.user}><td><UserLink user={u.user} /></td><td class="num">{u.risk}</td><td class="num">{u.open_alerts}</td><td><Sev s={u.max_severity} /></td><td>{ago(u.last_seen)}</td></tr>
                ))}
              </tbody>
            </Table>
          )
        }
      </Show>
    </>
  );
}
