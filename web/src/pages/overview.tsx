/** What is happening: events by source over time, alerts by severity and status, the riskiest users, the sources' health. */
import { Chart, type ChartColors } from '../chart';
import { navigate } from '../router';
import type { Overview as OverviewData } from '../types';
import { Card, Empty, SEVERITIES, STATUSES, Sev, Show, Table, UserLink, ago, duration, num, useApi } from '../ui';

function eventsOption(d: OverviewData) {
  return (c: ChartColors) => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0, itemGap: 16, textStyle: { color: c.text } },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'time', axisLine: { lineStyle: { color: c.grid } }, axisLabel: { color: c.muted, hideOverlap: true }, splitLine: { show: false } },
    yAxis: { type: 'value', axisLabel: { color: c.muted }, splitLine: { lineStyle: { color: c.grid } } },
    series: d.events_by_source.map((s) => ({ name: s.source, type: 'line', stack: 'events', areaStyle: { opacity: 0.55 }, symbol: 'none', lineStyle: { width: 1 }, data: s.points })),
  });
}

function severityOption(d: OverviewData) {
  return (c: ChartColors) => ({
    tooltip: { trigger: 'item' },
    grid: { left: 72, right: 24, top: 8, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { color: c.muted, hideOverlap: true }, splitLine: { lineStyle: { color: c.grid } } },
    yAxis: { type: 'category', data: [...SEVERITIES].reverse(), axisLabel: { color: c.text }, axisLine: { lineStyle: { color: c.grid } } },
    series: [{ type: 'bar', name: 'alerts', data: [...SEVERITIES].reverse().map((s) => ({ value: d.alerts_by_severity[s] ?? 0, name: s, itemStyle: { color: c.sev[s] } })), label: { show: true, position: 'right', color: c.text } }],
  });
}

function statusOption(d: OverviewData) {
  return (c: ChartColors) => ({
    tooltip: { trigger: 'item' },
    legend: { bottom: 0, data: [...STATUSES], textStyle: { color: c.text } },
    series: [
      {
        type: 'pie',
        radius: ['45%', '70%'],
        center: ['50%', '44%'],
        label: { color: c.text, formatter: (p: { value: number }) => (p.value ? String(p.value) : '') },
        labelLine: { show: false },
        itemStyle: { borderColor: c.bg, borderWidth: 2 },
        // Empty slices left out (their borders would draw a seam); the legend still names all three.
        data: STATUSES.map((s, i) => ({ name: s, value: d.alerts_by_status[s] ?? 0, itemStyle: { color: [c.sev.high, c.series[0], c.muted][i] } })).filter((x) => x.value > 0),
      },
    ],
  });
}

export default function Overview() {
  const r = useApi<OverviewData>('/api/overview');
  return (
    <>
      <h1>Overview</h1>
      <Show r={r}>
        {(d) => (
          <>
            <p class="muted">
              {new Date(d.from).toUTCString().slice(0, 16)} – {new Date(d.to).toUTCString().slice(0, 22)} UTC
            </p>
            <div class="stats">
              <a class="stat" href="/alerts?status=open">
                <strong>{num(d.totals.open_alerts)}</strong>
                <span>open alerts</span>
              </a>
              <a class="stat" href="/alerts">
                <strong>{num(d.totals.alerts)}</strong>
                <span>alerts</span>
              </a>
              <div class="stat">
                <strong>{num(d.totals.events)}</strong>
                <span>events</span>
              </div>
              <a class="stat" href="/blocked">
                <strong>{num(d.totals.blocked_users)}</strong>
                <span>blocked users</span>
              </a>
            </div>
            <div class="grid">
              <Card title="Events by source" class="span-2">
                {d.events_by_source.length ? <Chart data={d} option={eventsOption(d)} height={280} label="Events over time, stacked by source" /> : <Empty>No events in this period.</Empty>}
              </Card>
              <Card title="Alerts by severity">
                <Chart data={d} option={severityOption(d)} height={200} label="Alerts by severity" onClick={(p) => p.name && navigate(`/alerts?severity=${p.name}`)} />
              </Card>
              <Card title="Alerts by status">
                <Chart data={d} option={statusOption(d)} height={200} label="Alerts by status" onClick={(p) => p.name && navigate(`/alerts?status=${p.name}`)} />
              </Card>
              <Card title="Top risky users">
                {d.top_risky_users.length === 0 ? (
                  <Empty>Nobody has open alerts.</Empty>
                ) : (
                  <Table label="Top risky users">
                    <thead>
                      <tr>
                        <th>User</th>
                        <th class="num">Risk</th>
                        <th class="num">Open</th>
                        <th>Worst</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.top_risky_users.map((u) => (
                        <tr key={u.user}>
                          <td>
                            <UserLink user={u.user} />
                          </td>
                          <td class="num">{u.risk}</td>
                          <td class="num">{u.open_alerts}</td>
                          <td>
                            <Sev s={u.max_severity} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </Card>
              <Card title="Sources">
                <Table label="Sources health">
                  <thead>
                    <tr>
                      <th>Source</th>
                      <th>Last poll</th>
                      <th class="num">Lag</th>
                      <th class="num">Dead letters</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.sources.map((s) => (
                      <tr key={s.name}>
                        <td>
                          <span class={`dot ${s.dead_letters > 0 ? 'warn' : s.last_poll_at ? 'ok' : ''}`} aria-hidden="true" /> {s.name} <span class="muted">{s.type}</span>
                        </td>
                        <td>{ago(s.last_poll_at)}</td>
                        <td class="num">{duration(s.lag_ms)}</td>
                        <td class="num">{s.dead_letters}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </Card>
            </div>
          </>
        )}
      </Show>
    </>
  );
}
