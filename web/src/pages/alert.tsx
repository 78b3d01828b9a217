/** One alert: why it fired (observed against expected), the events behind it, where they came from, and what to do about it. */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { post } from '../api';
import { Chart, geoOption, type ChartColors } from '../chart';
import { useSession } from '../session';
import type { ActionRecord, AlertDetail, GeoPoint } from '../types';
import { Card, Empty, FormDialog, Json, Sev, Show, Status, Table, Time, UserLink, act, fmtTime, roleAllows, useApi, type DialogField } from '../ui';
import { EventsTable } from './events';
import { ActionRecordView, ResponseCard, type ResponseTarget } from './response';

function observedOption(d: AlertDetail) {
  const { observed, expected } = d.explanation;
  // Horizontal bars: the keys are long (`peak_window_distinct_user`) and read best as row labels.
  const keys = [...new Set([...Object.keys(observed), ...Object.keys(expected)])].reverse();
  return (c: ChartColors) => ({
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, itemGap: 16, textStyle: { color: c.text } },
    grid: { left: 8, right: 48, top: 32, bottom: 8, containLabel: true },
    yAxis: { type: 'category', data: keys, axisLabel: { color: c.text }, axisLine: { lineStyle: { color: c.grid } } },
    xAxis: { type: 'value', axisLabel: { color: c.muted, hideOverlap: true }, splitLine: { lineStyle: { color: c.grid } } },
    series: [
      { name: 'observed', type: 'bar', data: keys.map((k) => observed[k] ?? null), itemStyle: { color: c.sev[d.alert.severity] }, label: { show: true, position: 'right', color: c.text } },
      { name: 'expected', type: 'bar', data: keys.map((k) => expected[k] ?? null), itemStyle: { color: c.muted }, label: { show: true, position: 'right', color: c.muted } },
    ],
  });
}

/**
 * The person an alert is about: its entity when that is a user, else the one its facts name. Never
 * guessed from the evidence: an address's brute force names many users, none of them the attacker.
 */
export function alertUser(d: AlertDetail): string | undefined {
  if (d.alert.entity.type === 'user') return d.alert.entity.value;
  const fromDetails = d.alert.details?.['user.email'];
  return typeof fromDetails === 'string' ? fromDetails : undefined;
}

/**
 * What the Response card acts on: the files the alert is about (its entity, a file id its facts name,
 * or its evidence's files, as the response policies find them), then its user.
 */
export function alertTargets(d: AlertDetail): ResponseTarget[] {
  const files = new Map<string, string>();
  if (d.alert.entity.type === 'file') files.set(d.alert.entity.value, d.alert.entity.value);
  for (const k of ['file.id', 'doc_id']) {
    const v = d.alert.details?.[k];
    if (typeof v === 'string' && v) files.set(v, v);
  }
  for (const e of d.evidence) if (e.file?.id && files.size < 5) files.set(e.file.id, e.file.name ?? files.get(e.file.id) ?? e.file.id);
  const user = alertUser(d);
  return [
    ...[...files].map(([id, name]) => ({ id, label: `File ${name === id ? id : `${name} (${id})`}` })),
    ...(user ? [{ id: user, label: `User ${user}` }] : []),
  ];
}

/** Consecutive points at the same place and address as one line: a burst from one place is one stop. */
function stops(points: GeoPoint[]): Array<{ p: GeoPoint; last: string; count: number }> {
  const out: Array<{ p: GeoPoint; last: string; count: number }> = [];
  for (const p of [...points].sort((x, y) => Date.parse(x.time) - Date.parse(y.time))) {
    const prev = out[out.length - 1];
    if (prev && prev.p.lat === p.lat && prev.p.lon === p.lon && prev.p.ip === p.ip) {
      prev.last = p.time;
      prev.count++;
    } else out.push({ p, last: p.time, count: 1 });
  }
  return out;
}

type Action = { title: string; path: string; fields: DialogField[]; done: string; body?: (v: Record<string, string>) => unknown };

export default function AlertPage({ params }: { params: string[] }) {
  const id = params[0]!;
  const r = useApi<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`);
  const session = useSession();
  const canTriage = roleAllows(session?.user.role, 'analyst');
  const [dialog, setDialog] = useState<Action>();
  const reason: DialogField = { name: 'reason', label: 'Reason', placeholder: 'why (goes to the audit log)' };
  const actions = (d: AlertDetail): Action[] => {
    const user = alertUser(d);
    const base = `/api/alerts/${encodeURIComponent(d.alert.id)}`;
    return [
      { title: 'Acknowledge', path: `${base}/ack`, fields: [reason], done: 'Alert acknowledged' },
      { title: 'Close', path: `${base}/close`, fields: [reason], done: 'Alert closed' },
      {
        title: 'False positive',
        path: `${base}/false-positive`,
        fields: [reason, { name: 'mute_days', label: 'Mute alike alerts for days (0: do not mute)', type: 'number', value: '30' }],
        done: 'Marked false positive',
        body: (v) => ({ ...(v['reason'] ? { reason: v['reason'] } : {}), ...(Number(v['mute_days']) > 0 ? { mute_days: Number(v['mute_days']) } : {}) }),
      },
      { title: 'Mute', path: `${base}/mute`, fields: [{ ...reason, required: true }, { name: 'days', label: 'Days', type: 'number', value: '7' }], done: 'Alike alerts muted', body: (v) => ({ reason: v['reason'], ...(v['days'] ? { days: Number(v['days']) } : {}) }) },
      {
        title: 'Assign',
        path: `${base}/assign`,
        fields: [{ name: 'assignee', label: 'Assignee (empty: nobody)', value: d.alert.assignee ?? session?.user.email ?? '' }],
        done: 'Alert assigned',
        body: (v) => ({ assignee: v['assignee'] || null }),
      },
      ...(user
        ? [
            {
              title: `Block ${user}`,
              path: '/api/blocked',
              fields: [
                { ...reason, required: true, value: `${d.alert.title} (alert ${d.alert.id})` },
                { name: 'scope', label: 'Scope', type: 'select', options: ['all', 'login', 'download', 'upload', 'share', 'delete'] },
                { name: 'hours', label: 'Hours (empty: until unblocked)', type: 'number' },
              ] as DialogField[],
              done: `${user} blocked`,
              body: (v: Record<string, string>) => ({ user, reason: v['reason'], scope: v['scope'], alert_id: d.alert.id, ...(v['hours'] ? { hours: Number(v['hours']) } : {}) }),
            },
          ]
        : []),
    ];
  };
  return (
    <Show r={r}>
      {(d) => {
        const a = d.alert;
        const user = alertUser(d);
        const hasChart = Object.keys(d.explanation.observed).length + Object.keys(d.explanation.expected).length > 0;
        const geo = d.travel.filter((p): p is typeof p & { lat: number; lon: number } => typeof p.lat === 'number' && typeof p.lon === 'number');
        return (
          <>
            <p class="crumbs">
              <a href="/alerts">Alerts</a> /
            </p>
            <h1 class="with-badges">
              <Sev s={a.severity} /> {a.title} <Status s={a.status} />
              {a.muted && <span class="badge">muted</span>}
            </h1>
            <dl class="facts">
              <dt>Entity</dt>
              <dd class="mono">{a.entity.type === 'user' ? <UserLink user={a.entity.value} /> : `${a.entity.type}: ${a.entity.value}`}</dd>
              <dt>Rule</dt>
              <dd class="mono">{a.rule}</dd>
              <dt>Window</dt>
              <dd>
                {fmtTime(a.window_start)} – {fmtTime(a.window_end)}
              </dd>
              <dt>Source</dt>
              <dd>{a.source ?? '—'}</dd>
              <dt>Assignee</dt>
              <dd>{a.assignee ?? '—'}</dd>
              {user && a.entity.type !== 'user' && (
                <>
                  <dt>User</dt>
                  <dd>
                    <UserLink user={user} />
                  </dd>
                </>
              )}
            </dl>
            {canTriage && (
              <div class="actions" role="group" aria-label="Actions">
                {actions(d).map((x) => (
                  <button key={x.title} class={`btn ${x.path === '/api/blocked' ? 'danger' : ''}`} onClick={() => setDialog(x)}>
                    {x.title}
                  </button>
                ))}
              </div>
            )}
            <div class="grid">
              <Card title="Why it fired" class={hasChart ? '' : 'span-2'}>
                <p class="explanation">{d.explanation.text || a.description}</p>
                {a.score != null && <p>Model score: {a.score.toFixed(2)}</p>}
                {a.features && a.features.length > 0 && (
                  <Table label="Features">
                    <thead>
                      <tr>
                        <th>Feature</th>
                        <th class="num">Value</th>
                        <th class="num">Contribution</th>
                      </tr>
                    </thead>
                    <tbody>
                      {a.features.map((f) => (
                        <tr key={f.name}>
                          <td class="mono">{f.name}</td>
                          <td class="num">{f.value}</td>
                          <td class="num">{f.contribution.toFixed(2)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                )}
                {a.details && Object.keys(a.details).length > 0 && (
                  <dl class="facts">
                    {Object.entries(a.details).map(([k, v]) => (
                      <Fragment key={k}>
                        <dt class="mono">{k}</dt>
                        <dd>{Array.isArray(v) ? v.join(', ') : String(v)}</dd>
                      </Fragment>
                    ))}
                  </dl>
                )}
              </Card>
              {hasChart && (
                <Card title="Observed vs expected">
                  <Chart data={d} option={observedOption(d)} height={60 + 34 * new Set([...Object.keys(d.explanation.observed), ...Object.keys(d.explanation.expected)]).size} label="Observed against expected counts" />
                </Card>
              )}
              {geo.length > 0 && (
                <Card title={new Set(geo.map((p) => `${p.lat},${p.lon}`)).size > 1 ? 'Travel' : 'Where'} class="span-2">
                  <Chart data={d} map option={(c) => geoOption(geo, c)} height={340} label={`Map of ${geo.length} places, with lines between consecutive ones`} />
                  <ol class="travel">
                    {stops(geo).map(({ p, last, count }) => (
                      <li key={p.time + p.ip}>
                        <Time iso={p.time} />
                        {count > 1 && <> – <Time iso={last} /></>} {[p.city, p.country].filter(Boolean).join(', ') || '?'} <span class="mono muted">{p.ip}</span>
                        {count > 1 && <span class="muted"> ×{count}</span>}
                      </li>
                    ))}
                  </ol>
                </Card>
              )}
              <Card title={`Evidence (${d.evidence.length} events)`} class="span-2">
                <EventsTable events={d.evidence} label="Evidence events" />
              </Card>
              <ResponseCard targets={alertTargets(d)} alertId={a.id} onDone={r.reload} />
              <Card title="Responses">
                {d.responses.length === 0 ? (
                  <Empty>No response actions.</Empty>
                ) : (
                  <ul class="plain">
                    {(d.responses as unknown as ActionRecord[]).map((x) => (
                      <li key={x.id}>
                        <ActionRecordView rec={x} />
                      </li>
                    ))}
                  </ul>
                )}
              </Card>
              <Card title="History">
                {d.audit.length === 0 ? (
                  <Empty>Nobody has acted on it yet.</Empty>
                ) : (
                  <ul class="plain">
                    {d.audit.map((x) => (
                      <li key={x.id}>
                        <Time iso={x.at} /> <strong>{x.action}</strong> by {x.actor}
                        {typeof x.details['reason'] === 'string' && <span class="muted"> — {x.details['reason']}</span>}
                      </li>
                    ))}
                  </ul>
                )}
                {d.mute && (
                  <>
                    <h3>Mute</h3>
                    <Json value={d.mute} />
                  </>
                )}
              </Card>
            </div>
            {dialog && (
              <FormDialog
                title={dialog.title}
                fields={dialog.fields}
                submit={dialog.title.startsWith('Block') ? 'Block' : dialog.title}
                onClose={() => setDialog(undefined)}
                onSubmit={async (v) => {
                  const body = dialog.body ? dialog.body(v) : v['reason'] ? { reason: v['reason'] } : {};
                  const ok = await act(dialog.done, () => post(dialog.path, body));
                  if (ok) r.reload();
                  return ok;
                }}
              />
            )}
          </>
        );
      }}
    </Show>
  );
}
