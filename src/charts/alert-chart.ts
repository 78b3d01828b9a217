/**
 * The chart a notification attaches to an alert, chosen by its rule: the entity's activity against
 * its baseline, failures over time for brute force, or where the logins came from for travel and
 * novelty. Alert text is attacker-influenced; it reaches the SVG only through echarts, which escapes it.
 */
import type { Alert, ActivitySeries, SecurityEvent } from '../core/index.js';
import { renderChartPng, renderChartSvg, type ChartSize } from './render.js';

export type AlertChartKind = 'activity' | 'failures' | 'logins';

export interface AlertChartData {
  activity?: ActivitySeries | undefined;
  evidence?: SecurityEvent[] | undefined;
}

export interface AlertChartSpec {
  kind: AlertChartKind;
  /** An echarts option (plain data: safe to log or snapshot). */
  option: Record<string, unknown>;
  /** One sentence for screen readers (Slack's alt text). */
  altText: string;
}

export interface AlertChart extends AlertChartSpec {
  png: Buffer;
  width: number;
  height: number;
}

export const DEFAULT_CHART_SIZE: ChartSize = { width: 800, height: 360 };

const TITLE_CHARS = 90;
/** Fewer events than this in the series: no activity chart. */
const MIN_CHARTED_EVENTS = 3;
const ACTIVITY_RULES = new Set(['baseline', 'isolation-forest']);
const FAILURE_RULES = new Set(['brute-force']);
const LOGIN_RULES = new Set(['impossible-travel', 'novelty', 'login-forest']);
const THRESHOLD_KEYS = ['failures', 'count', 'gte', 'gt', 'threshold', 'max'];
const ALERT_WINDOW_COLOUR = 'rgba(220, 38, 38, 0.12)';
const WINDOW_BAR = { total: '#ea580c', failures: '#b91c1c' } as const;

/** Which chart suits the alert and the data at hand; undefined when there is nothing to draw. */
export function chartKindFor(alert: Alert, data: AlertChartData): AlertChartKind | undefined {
  // A handful of events is a list, not a trend: the message's evidence lines say it better.
  const hasActivity = (data.activity?.buckets ?? []).reduce((n, b) => n + b.total, 0) >= MIN_CHARTED_EVENTS;
  const hasFailures = hasActivity && data.activity!.buckets.some((b) => b.failures > 0);
  const hasLogins = loginRows(data.evidence ?? []).length > 0;
  if (FAILURE_RULES.has(alert.rule) && hasFailures) return 'failures';
  if (LOGIN_RULES.has(alert.rule) && hasLogins) return 'logins';
  // Sigma rules (and correlations) are named by their rule key; anything counted over time draws as activity.
  if ((ACTIVITY_RULES.has(alert.rule) || !LOGIN_RULES.has(alert.rule)) && hasActivity) return 'activity';
  if (hasLogins) return 'logins';
  if (hasActivity) return 'activity';
  return undefined;
}

export function alertChartSpec(alert: Alert, data: AlertChartData): AlertChartSpec | undefined {
  const kind = chartKindFor(alert, data);
  if (kind === 'activity') return activitySpec(alert, data.activity!, 'total');
  if (kind === 'failures') return activitySpec(alert, data.activity!, 'failures');
  if (kind === 'logins') return loginsSpec(alert, loginRows(data.evidence ?? []));
  return undefined;
}

/** The alert's chart as PNG bytes, or undefined when the alert has no data to chart. */
export function renderAlertChart(alert: Alert, data: AlertChartData, size: ChartSize = DEFAULT_CHART_SIZE): AlertChart | undefined {
  const spec = alertChartSpec(alert, data);
  if (!spec) return undefined;
  return { ...spec, png: renderChartPng(spec.option, size), ...size };
}

/** The SVG of the alert's chart (tests check its escaping; the PNG is made from the same). */
export function renderAlertChartSvg(alert: Alert, data: AlertChartData, size: ChartSize = DEFAULT_CHART_SIZE): string | undefined {
  const spec = alertChartSpec(alert, data);
  return spec ? renderChartSvg(spec.option, size) : undefined;
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** UTC labels: the server's time zone must not change the picture. */
function utcLabel(t: number, withDate: boolean): string {
  const iso = new Date(t).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

function titleOf(alert: Alert, sub: string): Record<string, unknown> {
  return {
    text: clip(alert.title, TITLE_CHARS),
    subtext: sub,
    left: 12,
    top: 8,
    textStyle: { fontSize: 15, fontWeight: 'bold', color: '#1f2937' },
    subtextStyle: { fontSize: 12, color: '#4b5563' },
  };
}

/** The baseline per activity bucket: the detector's mean and spread, rescaled from its own bucket to the chart's. */
function baselineOf(alert: Alert, bucketMs: number): { mean: number; sd: number } | undefined {
  const ex = alert.expected;
  if (!ex || typeof ex.mean !== 'number') return undefined;
  const scale = typeof ex.bucket_minutes === 'number' && ex.bucket_minutes > 0 ? bucketMs / (ex.bucket_minutes * 60_000) : 1;
  return { mean: ex.mean * scale, sd: (typeof ex.sd === 'number' ? ex.sd : 0) * scale };
}

function thresholdOf(alert: Alert, field: 'total' | 'failures'): { name: string; value: number } | undefined {
  const ex = alert.expected ?? {};
  const keys = field === 'failures' ? ['failures', ...THRESHOLD_KEYS] : THRESHOLD_KEYS;
  for (const k of keys) if (typeof ex[k] === 'number' && Number.isFinite(ex[k])) return { name: k, value: ex[k] };
  return undefined;
}

function activitySpec(alert: Alert, a: ActivitySeries, field: 'total' | 'failures'): AlertChartSpec {
  const multiDay = a.to - a.from > 86_400_000;
  const labels = a.buckets.map((b) => utcLabel(b.t, multiDay));
  const values = a.buckets.map((b) => (field === 'total' ? b.total : b.failures));
  // The alert window, as the first and last bucket it touches.
  let first = a.buckets.findIndex((b) => b.t + a.bucketMs > alert.windowStart);
  let last = a.buckets.findLastIndex((b) => b.t <= alert.windowEnd);
  if (first < 0) first = 0;
  if (last < first) last = first;
  const markArea: unknown[] = [[{ name: 'alert window', xAxis: labels[first] }, { xAxis: labels[last] }]];
  const markLine: unknown[] = [];
  const baseline = field === 'total' ? baselineOf(alert, a.bucketMs) : undefined;
  const threshold = baseline ? undefined : thresholdOf(alert, field);
  const baselineSeries: unknown[] = [];
  let expectedText = '';
  if (baseline) {
    const lo = Math.max(0, baseline.mean - baseline.sd);
    const hi = baseline.mean + baseline.sd;
    markArea.push([{ yAxis: round(lo), itemStyle: { color: 'rgba(16, 185, 129, 0.22)' } }, { yAxis: round(hi) }]);
    // Drawn after the bars, so the expected level shows across them.
    baselineSeries.push({ name: 'expected', type: 'line', z: 5, data: labels.map(() => round(baseline.mean)), lineStyle: { color: '#047857', type: 'dashed', width: 2 }, itemStyle: { color: '#047857' }, symbol: 'none' });
    expectedText = `expected ${fmt(baseline.mean)} ± ${fmt(baseline.sd)} per bucket`;
  } else if (threshold) {
    markLine.push({
      name: threshold.name,
      yAxis: threshold.value,
      lineStyle: { color: '#047857', type: 'dashed', width: 2 },
      label: { formatter: `threshold ${fmt(threshold.value)} per alert window`, position: 'insideStartTop', color: '#065f46', fontSize: 11 },
    });
    expectedText = `threshold ${fmt(threshold.value)} per alert window`;
  }
  const what = field === 'total' ? 'events' : 'failed logins';
  const bucketText = formatBucket(a.bucketMs);
  const peak = Math.max(0, ...values);
  const sub = `${alert.entity.type} ${clip(alert.entity.value, 60)} · ${what} per ${bucketText} (UTC)${expectedText ? ` · ${expectedText}` : ''}`;
  return {
    kind: field === 'total' ? 'activity' : 'failures',
    altText: clip(`${what} of ${alert.entity.value} per ${bucketText} from ${new Date(a.from).toISOString()} to ${new Date(a.to).toISOString()}, peak ${peak}${expectedText ? `, ${expectedText}` : ''}; the alert window is shaded.`, 1000),
    option: {
      backgroundColor: '#ffffff',
      title: titleOf(alert, sub),
      legend: { bottom: 6, data: [what, ...(baseline ? ['expected'] : [])], textStyle: { fontSize: 11 } },
      grid: { left: 56, right: 24, top: 72, bottom: 64 },
      xAxis: { type: 'category', data: labels, axisLabel: { fontSize: 10, hideOverlap: true }, boundaryGap: true },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 10 } },
      series: [
        {
          name: what,
          type: 'bar',
          // Bars inside the alert window stand out: the shading alone hides behind a tall burst.
          data: values.map((v, i) => (i >= first && i <= last ? { value: v, itemStyle: { color: WINDOW_BAR[field] } } : v)),
          itemStyle: { color: field === 'total' ? '#2563eb' : '#f87171' },
          barCategoryGap: '20%',
          markArea: { silent: true, itemStyle: { color: ALERT_WINDOW_COLOUR }, label: { color: '#991b1b', fontSize: 11 }, data: markArea },
          ...(markLine.length ? { markLine: { silent: true, symbol: 'none', data: markLine } } : {}),
        },
        ...baselineSeries,
      ],
    },
  };
}

interface LoginRow {
  t: number;
  ip: string;
  place: string;
  asn: string;
  outcome: string;
  lat?: number;
  lon?: number;
}

function loginRows(events: SecurityEvent[]): LoginRow[] {
  const rows: LoginRow[] = [];
  for (const e of events) {
    const geo = e.source?.geo;
    const as = e.source?.as;
    if (!geo && !as && !e.source?.ip) continue;
    const place = [geo?.city_name, geo?.country_iso_code ?? geo?.country_name].filter(Boolean).join(', ');
    const asn = as ? [as.number !== undefined ? `AS${as.number}` : '', as.organization?.name ?? ''].filter(Boolean).join(' ') : '';
    const t = Date.parse(e['@timestamp']);
    rows.push({
      t: Number.isFinite(t) ? t : 0,
      ip: e.source?.ip ?? '',
      place: place || 'unknown place',
      asn,
      outcome: e.event.outcome,
      ...(geo?.location ? { lat: geo.location.lat, lon: geo.location.lon } : {}),
    });
  }
  return rows.sort((x, y) => x.t - y.t);
}

/** Where the logins came from: a longitude/latitude plane with the path between them in time order, and each place labelled. */
function loginsSpec(alert: Alert, rows: LoginRow[]): AlertChartSpec {
  const located = rows.filter((r) => r.lat !== undefined && r.lon !== undefined);
  const places = [...new Set(rows.map((r) => r.place))];
  const sub = `${alert.entity.type} ${clip(alert.entity.value, 60)} · ${rows.length} login(s) from ${places.length} place(s) · times UTC`;
  const altText = clip(`Logins of ${alert.entity.value}: ${rows.map((r) => `${utcLabel(r.t, true)} ${r.place}${r.asn ? ` (${r.asn})` : ''} ${r.outcome}`).join('; ')}.`, 1000);
  if (located.length === 0) return { kind: 'logins', altText, option: loginTable(alert, rows, sub) };
  const label = (r: LoginRow) => clip(`${utcLabel(r.t, true)} ${r.place}${r.asn ? ` · ${r.asn}` : ''}`, 60);
  return {
    kind: 'logins',
    altText,
    option: {
      backgroundColor: '#ffffff',
      title: titleOf(alert, sub),
      grid: { left: 56, right: 24, top: 72, bottom: 40 },
      xAxis: { type: 'value', min: -180, max: 180, interval: 60, name: 'longitude', nameLocation: 'middle', nameGap: 24, axisLabel: { fontSize: 10 }, splitLine: { lineStyle: { color: '#e5e7eb' } } },
      yAxis: { type: 'value', min: -90, max: 90, interval: 30, name: 'latitude', nameLocation: 'middle', nameGap: 36, axisLabel: { fontSize: 10 }, splitLine: { lineStyle: { color: '#e5e7eb' } } },
      series: [
        { name: 'path', type: 'line', data: located.map((r) => [r.lon, r.lat]), lineStyle: { color: '#9ca3af', type: 'dashed', width: 1.5 }, symbol: 'none', silent: true },
        {
          name: 'logins',
          type: 'scatter',
          symbolSize: 12,
          data: located.map((r, i) => ({ value: [r.lon, r.lat], itemStyle: { color: r.outcome === 'failure' ? '#dc2626' : i === located.length - 1 ? '#ea580c' : '#2563eb' }, label: { show: true, formatter: label(r), position: r.lon! > 60 ? 'left' : 'right', fontSize: 11, color: '#111827' } })),
        },
      ],
    },
  };
}

/** No coordinates: the logins as rows of text (time, place, network, address, outcome). */
function loginTable(alert: Alert, rows: LoginRow[], sub: string): Record<string, unknown> {
  const shown = rows.slice(0, 10);
  const cols = [12, 150, 330, 560, 700];
  const head = ['time (UTC)', 'place', 'network', 'address', 'outcome'];
  const text = (x: number, y: number, s: string, bold = false) => ({ type: 'text', left: x, top: y, style: { text: s, fontSize: 12, fontWeight: bold ? 'bold' : 'normal', fill: '#111827' } });
  const elements: unknown[] = head.map((h, i) => text(cols[i]!, 76, h, true));
  shown.forEach((r, n) => {
    const y = 100 + n * 22;
    [utcLabel(r.t, true), clip(r.place, 26), clip(r.asn, 30), clip(r.ip, 20), r.outcome].forEach((v, i) => elements.push(text(cols[i]!, y, v)));
  });
  if (rows.length > shown.length) elements.push(text(12, 100 + shown.length * 22, `… and ${rows.length - shown.length} more`));
  return { backgroundColor: '#ffffff', title: titleOf(alert, sub), graphic: { elements } };
}

function formatBucket(ms: number): string {
  if (ms % 86_400_000 === 0) return ms === 86_400_000 ? 'day' : `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

const round = (n: number) => Math.round(n * 100) / 100;
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
