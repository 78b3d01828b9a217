/** Each source's last poll, lag, cursor and the records it could not read. */
import type { List, SourceHealth } from '../types';
import { Card, Empty, Json, Show, ago, duration, fmtTime, useApi } from '../ui';

export default function Sources() {
  const r = useApi<List<SourceHealth>>('/api/sources');
  return (
    <>
      <h1>Sources</h1>
      <Show r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No sources configured.</Empty>
          ) : (
            <div class="grid">
              {d.items.map((s) => (
                <Card key={s.name} title={s.name}>
                  <dl class="facts">
                    <dt>Type</dt><dd>{s.type}</dd>
                    <dt>Last poll</dt><dd title={fmtTime(s.last_poll_at)}>{ago(s.last_poll_at)}</dd>
                    <dt>Last event</dt><dd title={fmtTime(s.last_event_at)}>{ago(s.last_event_at)}</dd>
                    <dt>Lag</dt><dd>{duration(s.lag_ms)}</dd>
                    <dt>Cursor</dt>
                    <dd class="mono small break">{s.cursor && s.cursor.length > 60 ? <details><summary>{s.cursor.slice(0, 40)}…</summary>{s.cursor}</details> : (s.cursor ?? '—')}</dd>
                    <dt>Dead letters</dt><dd class={s.dead_letters ? 'warn-text' : ''}>{s.dead_letters}</dd>
                  </dl>
                  {s.recent_dead_letters && s.recent_dead_letters.length > 0 && (
                    <details>
                      <summary>Recent dead letters</summary>
                      <Json value={s.recent_dead_letters} />
                    </details>
                  )}
                </Card>
              ))}
            </div>
          )
        }
      </Show>
    </>
  );
}
