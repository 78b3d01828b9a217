/** One person across services: risk, block state, activity against their baseline, where they log in from, devices, identities, alerts and timeline. */
import { useMemo, useState } from 'preact/hooks';
import { Chart, geoOption, type ChartColors } from '../chart';
import { useSession } from '../session';
import type { UserDetail } from '../types';
import { Card, Empty, FormDialog, SEVERITIES, Sev, Show, Status, Table, Time, ago, countryName, fmtTime, num, roleAllows, useApi } from '../ui';
import { EventsTable } from './events';
import { block, blockFields, unblock } from './block';

function activityOption(a: UserDetail['activity'][number]) {
  return (c: ChartColors) => {
    const b = a.baseline;
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: c.text } },
      grid: { left: 40, right: 64, top: 32, bottom: 28 },
      xAxis: { type: 'time', axisLabel: { color: c.muted }, axisLine: { lineStyle: { color: c.grid } }, splitLine: { show: false } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { color: c.muted }, splitLine: { lineStyle: { color: c.grid } } },
      series: [
        {
          name: a.action,
          type: 'bar',
          data: a.points,
          itemStyle: { color: c.accent },
          ...(b
            ? {
                markLine: { symbol: 'none', silent: true, label: { color: c.muted, formatter: 'baseline' }, lineStyle: { color: c.sev.medium, type: 'dashed' }, data: [{ yAxis: +b.mean.toFixed(2) }] },
                markArea: { silent: true, itemStyle: { color: c.sev.medium, opacity: 0.12 }, data: [[{ yAxis: Math.max(0, b.mean - b.std) }, { yAxis: b.mean + b.std }]] },
              }
            : {}),
        },
      ],
    };
  };
}

export default function UserPage({ params }: { params: string[] }) {
  const user = params[0]!;
  const r = useApi<UserDetail>(`/api/users/${encodeURIComponent(user)}`);
  const session = useSession();
  const canBlock = roleAllows(session?.user.role, 'analyst');
  const [dialog, setDialog] = useState<'block' | 'unblock'>();
  const [action, setAction] = useState<string>();
  const activity = useMemo(() => [...(r.data?.activity ?? [])].sort((x, y) => y.points.reduce((n, p) => n + p[1], 0) - x.points.reduce((n, p) => n + p[1], 0)), [r.data]);
  const shown = activity.find((a) => a.action === action) ?? activity[0];
  return (
    <Show r={r}>
      {(d) => {
        const logins = d.logins.filter((p): p is typeof p & { lat: number; lon: number } => typeof p.lat === 'number' && typeof p.lon === 'number');
        return (
          <>
            <p class="crumbs">
              <a href="/users">Users</a> /
            </p>
            <h1 class="with-badges">
              {d.user} {d.blocked ? <span class="badge sev-critical">blocked</span> : null}
            </h1>
            <div class="stats">
              <div class="stat">
                <strong>{num(d.risk.score)}</strong>
                <span>risk</span>
              </div>
              <div class="stat">
                <strong>{num(d.risk.open_alerts)}</strong>
                <span>open alerts</span>
              </div>
              {SEVERITIES.filter((s) => d.risk.by_severity[s]).map((s) => (
                <div class="stat" key={s}>
                  <strong>{d.risk.by_severity[s]}</strong>
                  <span>
                    <Sev s={s} />
                  </span>
                </div>
              ))}
            </div>
            <Card title="Block" actions={canBlock && <button class={`btn ${d.blocked ? '' : 'danger'}`} onClick={() => setDialog(d.blocked ? 'unblock' : 'block')}>{d.blocked ? 'Unblock' : 'Block'}</button>}>
              {d.blocked ? (
                <p>
                  Blocked ({d.blocked.scope}) since {fmtTime(d.blocked.blocked_at)} by {d.blocked.blocked_by}: {d.blocked.reason}
                  {d.blocked.expires_at && <> — until {fmtTime(d.blocked.expires_at)}</>}
                </p>
              ) : (
                <p class="muted">Not blocked.</p>
              )}
            </Card>
            <div class="grid">
              <Card title="Activity vs baseline" class="span-2" actions={activity.length > 1 && (
                <label class="field inline">
                  <span>Action</span>
                  <select value={shown?.action} onChange={(e) => setAction(e.currentTarget.value)}>
                    {activity.map((a) => (
                      <option key={a.action}>{a.action}</option>
                    ))}
                  </select>
                </label>
              )}>
                {shown ? <Chart data={shown} option={activityOption(shown)} height={240} label={`${shown.action} per bucket against the learned baseline`} /> : <Empty>No activity.</Empty>}
              </Card>
              <Card title="Logins" class="span-2">
                {logins.length ? <Chart data={d} map option={(c) => geoOption(logins, c)} height={340} label={`Map of ${logins.length} logins with lines between consecutive ones`} /> : <Empty>No located logins.</Empty>}
              </Card>
              <Card title="Countries">
                {d.countries.length === 0 ? <Empty>None seen.</Empty> : (
                  <Table label="Countries">
                    <thead><tr><th>Country</th><th class="num">Events</th><th>Last seen</th></tr></thead>
                    <tbody>
                      {d.countries.map((c) => (
                        <tr key={c.code}><td>{c.name ?? countryName(c.code)} <span class="muted">{c.code}</span></td><td class="num">{num(c.count)}</td><td>{ago(c.last_seen)}</td></tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </Card>
              <Card title="Networks (ASN)">
                {d.asns.length === 0 ? <Empty>None seen.</Empty> : (
                  <Table label="Networks">
                    <thead><tr><th>ASN</th><th>Organisation</th><th class="num">Events</th></tr></thead>
                    <tbody>
                      {d.asns.map((a) => (
                        <tr key={a.asn}><td class="mono">AS{a.asn}</td><td>{a.org ?? '—'}</td><td class="num">{num(a.count)}</td></tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </Card>
              <Card title="Devices">
                {d.devices.length === 0 ? <Empty>None seen.</Empty> : (
                  <Table label="Devices">
                    <thead><tr><th>Browser</th><th>OS</th><th class="num">Events</th><th>Last seen</th></tr></thead>
                    <tbody>
                      {d.devices.map((x) => (
                        <tr key={x.user_agent}><td title={x.user_agent}>{x.browser ?? x.user_agent.slice(0, 40)}</td><td>{x.os ?? '—'}{x.device ? ` · ${x.device}` : ''}</td><td class="num">{num(x.count)}</td><td>{ago(x.last_seen)}</td></tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </Card>
              <Card title="Identities">
                {d.identities.length === 0 ? <Empty>Only this one.</Empty> : (
                  <ul class="plain">
                    {d.identities.map((i) => (
                      <li key={i.source + i.source_id}><strong>{i.source}</strong> <span class="mono">{i.source_id}</span></li>
                    ))}
                  </ul>
                )}
              </Card>
              <Card title="Alerts" class="span-2">
                {d.alerts.length === 0 ? <Empty>No alerts.</Empty> : (
                  <Table label="Alerts about this user">
                    <thead><tr><th>Severity</th><th>Alert</th><th>Status</th><th>When</th></tr></thead>
                    <tbody>
                      {d.alerts.map((a) => (
                        <tr key={a.id}><td><Sev s={a.severity} /></td><td><a href={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</a></td><td><Status s={a.status} /></td><td><Time iso={a.window_end} /></td></tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </Card>
              <Card title="Timeline" class="span-2">
                <EventsTable events={d.timeline} label="Latest events" showUser={false} />
              </Card>
            </div>
            {dialog && (
              <FormDialog
                title={dialog === 'block' ? `Block ${d.user}` : `Unblock ${d.user}`}
                fields={dialog === 'block' ? blockFields() : [{ name: 'reason', label: 'Reason', required: true, placeholder: 'why (goes to the audit log)' }]}
                submit={dialog === 'block' ? 'Block' : 'Unblock'}
                onClose={() => setDialog(undefined)}
                onSubmit={async (v) => {
                  const ok = dialog === 'block' ? await block(d.user, v) : await unblock(d.user, v['reason'] ?? '');
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
