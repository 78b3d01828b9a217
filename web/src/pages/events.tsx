/** The events table shared by the alert's evidence and the user's timeline. */
import type { SecurityEvent } from '../types';
import { Empty, Table, Time, UserLink } from '../ui';

export function place(e: SecurityEvent): string {
  const g = e.source?.geo;
  return [g?.city_name, g?.country_iso_code].filter(Boolean).join(', ');
}

export function EventsTable({ events, label, showUser = true }: { events: SecurityEvent[]; label: string; showUser?: boolean }) {
  if (events.length === 0) return <Empty>No events.</Empty>;
  return (
    <Table label={label}>
      <thead>
        <tr>
          <th>Time</th>
          {showUser && <th>User</th>}
          <th>Action</th>
          <th>Outcome</th>
          <th>IP</th>
          <th>Where</th>
          <th>File / target</th>
          <th>Source</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.event.id}>
            <td>
              <Time iso={e['@timestamp']} />
            </td>
            {showUser && (
              <td>
                <UserLink user={e.user?.email ?? e.user?.name} />
              </td>
            )}
            <td class="mono">{e.event.action}</td>
            <td>
              <span class={`outcome-${e.event.outcome}`}>{e.event.outcome}</span>
            </td>
            <td class="mono small">{e.source?.ip ?? '—'}</td>
            <td>{place(e) || '—'}</td>
            <td class="small">{e.file?.name ?? e.target?.user?.email ?? (e.share?.visibility ? `share: ${e.share.visibility}` : '—')}</td>
            <td class="muted small">{e.event.dataset}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
