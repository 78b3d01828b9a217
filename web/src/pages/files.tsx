/** Files shared publicly or outside the organisation, and the most downloaded ones. */
import { qs } from '../api';
import { navigate, withQuery, type Loc } from '../router';
import type { FileItem, List } from '../types';
import { Empty, Pager, Show, Table, Time, UserLink, num, useApi, usePager } from '../ui';
import { useEffect } from 'preact/hooks';

const VIEWS: Record<string, { label: string; q: Record<string, string> }> = {
  public: { label: 'Public links', q: { visibility: 'public,anyone_with_link' } },
  external: { label: 'Shared externally', q: { external: 'true' } },
  all: { label: 'All files', q: {} },
};

export default function Files({ loc }: { loc: Loc }) {
  const view = VIEWS[loc.query.get('view') ?? ''] ? (loc.query.get('view') as string) : 'public';
  const pager = usePager();
  useEffect(() => pager.reset(), [view]);
  const r = useApi<List<FileItem>>(`/api/files${qs({ ...VIEWS[view]!.q, limit: 50, cursor: pager.cursor })}`);
  return (
    <>
      <h1>Files</h1>
      <div class="tabs" role="tablist" aria-label="Which files">
        {Object.entries(VIEWS).map(([k, v]) => (
          <button key={k} role="tab" aria-selected={k === view} class={`tab ${k === view ? 'active' : ''}`} onClick={() => navigate(withQuery(loc, { view: k }), { replace: true })}>
            {v.label}
          </button>
        ))}
      </div>
      <Show r={r}>
        {(d) => {
          // Most downloaded first where the API counted downloads.
          const items = [...d.items].sort((a, b) => (b.downloads ?? 0) - (a.downloads ?? 0));
          return items.length === 0 ? (
            <Empty>No files here.</Empty>
          ) : (
            <>
              <Table label="Files">
                <thead>
                  <tr><th>Name</th><th>Owner</th><th>Visibility</th><th>External shares</th><th class="num">Downloads</th><th>Sensitivity</th><th>Updated</th></tr>
                </thead>
                <tbody>
                  {items.map((f) => (
                    <tr key={f.key}>
                      <td><a href={`/files/${encodeURIComponent(f.key)}`}>{f.name ?? f.file_id}</a><div class="muted small">{f.provider}</div></td>
                      <td><UserLink user={f.owner} /></td>
                      <td><span class={`badge vis-${f.visibility ?? 'unknown'}`}>{f.visibility ?? '—'}</span></td>
                      <td class="small">{f.external_shares.length ? f.external_shares.map((s) => (typeof s === 'string' ? s : JSON.stringify(s))).join(', ') : '—'}</td>
                      <td class="num">{num(f.downloads)}</td>
                      <td>{f.sensitivity ?? <span class="muted">not scanned</span>}</td>
                      <td><Time iso={f.updated_at} /></td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager pager={pager} nextCursor={d.next_cursor} />
            </>
          );
        }}
      </Show>
    </>
  );
}
