/** One file: its sharing, who accessed it and its recent events. */
import { qs } from '../api';
import type { ActionRecord, FileItem } from '../types';
import { Card, Empty, Show, Table, Time, UserLink, num, useApi } from '../ui';
import type { SecurityEvent } from '../types';
import { EventsTable } from './events';
import { ActionRecordView, ResponseCard } from './response';

interface FileDetail extends FileItem {
  accessed_by: Array<{ user: string; count: number; last: string }>;
  events: SecurityEvent[];
}

/** The actions taken on the file so far (by hand or by policy), newest first. */
function FileResponses({ fileId, actions }: { fileId: string; actions: ReturnType<typeof useApi<{ items: ActionRecord[] }>> }) {
  const items = [...(actions.data?.items ?? [])].reverse();
  return (
    <Card title="Responses">
      {items.length === 0 ? (
        <Empty>No response actions on {fileId}.</Empty>
      ) : (
        <ul class="plain">
          {items.map((x) => (
            <li key={x.id}>
              <ActionRecordView rec={x} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export default function FilePage({ params }: { params: string[] }) {
  const r = useApi<FileDetail>(`/api/files/${encodeURIComponent(params[0]!)}`);
  const fileId = r.data?.file_id;
  const actions = useApi<{ items: ActionRecord[] }>(fileId ? `/api/actions${qs({ target: fileId, limit: 500 })}` : null);
  return (
    <Show r={r}>
      {(f) => (
        <>
          <p class="crumbs">
            <a href="/files">Files</a> /
          </p>
          <h1 class="with-badges">
            {f.name ?? f.file_id} <span class={`badge vis-${f.visibility ?? 'unknown'}`}>{f.visibility ?? 'unknown'}</span>
          </h1>
          <dl class="facts">
            <dt>Owner</dt>
            <dd><UserLink user={f.owner} /></dd>
            <dt>Service</dt>
            <dd>{f.provider} <span class="mono muted small">{f.file_id}</span></dd>
            <dt>External shares</dt>
            <dd>{f.external_shares.length ? f.external_shares.join(', ') : '—'}</dd>
            <dt>Downloads</dt>
            <dd>{num(f.downloads)}</dd>
            <dt>Sensitivity</dt>
            <dd>{f.sensitivity ?? <span class="muted">not scanned</span>}</dd>
            <dt>Updated</dt>
            <dd><Time iso={f.updated_at} /></dd>
          </dl>
          <div class="grid">
            <Card title="Accessed by">
              {f.accessed_by.length === 0 ? <Empty>Nobody, lately.</Empty> : (
                <Table label="Accessed by">
                  <thead><tr><th>User</th><th class="num">Events</th><th>Last</th></tr></thead>
                  <tbody>
                    {f.accessed_by.map((a) => (
                      <tr key={a.user}><td><UserLink user={a.user} /></td><td class="num">{num(a.count)}</td><td><Time iso={a.last} /></td></tr>
                    ))}
                  </tbody>
                </Table>
              )}
            </Card>
            <ResponseCard targets={[{ id: f.file_id, label: `File ${f.name ?? f.file_id}` }]} onDone={actions.reload} />
            <FileResponses fileId={f.file_id} actions={actions} />
            <Card title="Events" class="span-2">
              <EventsTable events={f.events} label="File events" />
            </Card>
          </div>
        </>
      )}
    </Show>
  );
}
