/** A chart that loads ECharts on first use, follows the colour theme and resizes with its box. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useTheme } from './theme';

export interface ChartColors {
  text: string;
  muted: string;
  grid: string;
  bg: string;
  accent: string;
  series: string[];
  sev: Record<'low' | 'medium' | 'high' | 'critical', string>;
  land: string;
  border: string;
  /** The page's font, named: ECharts measures text with it (legend spacing), and 'inherit' means nothing to a measure. */
  font: string;
}

function colors(): ChartColors {
  const s = getComputedStyle(document.documentElement);
  const v = (n: string) => s.getPropertyValue(n).trim();
  return {
    text: v('--text'),
    muted: v('--muted'),
    grid: v('--line'),
    bg: v('--card'),
    accent: v('--accent'),
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--c${i}`)),
    sev: { low: v('--sev-low'), medium: v('--sev-medium'), high: v('--sev-high'), critical: v('--sev-critical') },
    land: v('--land'),
    border: v('--land-border'),
    font: getComputedStyle(document.body).fontFamily,
  };
}

/**
 * `option` builds the ECharts option from the theme's colours; the chart is redrawn when `data` (what
 * the option is built from) or the theme changes, not on every render.
 */
export function Chart(props: { option: (c: ChartColors) => Record<string, unknown>; data: unknown; height?: number; map?: boolean; label: string; onClick?: (p: { name?: string; seriesName?: string; data?: unknown }) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const latest = useRef(props);
  latest.current = props;
  const [theme] = useTheme();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    let live = true;
    let dispose = () => undefined as void;
    void import('./echarts-setup')
      .then(async (m) => {
        if (latest.current.map) await m.ensureWorldMap();
        if (!live || !box.current) return;
        const chart = m.echarts.init(box.current, null, { renderer: 'svg' });
        const c = colors();
        chart.setOption({ animationDuration: 300, textStyle: { color: c.text, fontFamily: c.font }, color: c.series, ...latest.current.option(c) });
        chart.on('click', (p) => latest.current.onClick?.(p as never));
        const ro = new ResizeObserver(() => chart.resize());
        ro.observe(box.current);
        dispose = () => {
          ro.disconnect();
          chart.dispose();
        };
      })
      .catch((err: unknown) => live && setFailed(String(err)));
    return () => {
      live = false;
      dispose();
    };
  }, [props.data, theme]);
  if (failed) return <p class="error">The chart could not be drawn: {failed}</p>;
  return <div ref={box} class="chart" style={{ height: props.map ? `min(${props.height ?? 260}px, 70vw)` : `${props.height ?? 260}px` }} role="img" aria-label={props.label} />;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Points on the world map with lines between consecutive ones (oldest first), labelled by city. */
export function geoOption(points: Array<{ lat: number; lon: number; city?: string | null | undefined; country?: string | null | undefined; time: string; outcome?: string | undefined }>, c: ChartColors): Record<string, unknown> {
  const ordered = [...points].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const lines = ordered.slice(1).flatMap((p, i) => {
    const a = ordered[i]!;
    return a.lat === p.lat && a.lon === p.lon ? [] : [{ coords: [[a.lon, a.lat], [p.lon, p.lat]] }];
  });
  const places = new Map<string, { name: string; value: [number, number, number] }>();
  for (const p of ordered) {
    const name = [p.city, p.country].filter(Boolean).join(', ') || `${p.lat.toFixed(1)}, ${p.lon.toFixed(1)}`;
    const k = `${p.lon},${p.lat}`;
    const had = places.get(k);
    places.set(k, { name, value: [p.lon, p.lat, (had?.value[2] ?? 0) + 1] });
  }
  const lons = ordered.map((p) => p.lon);
  const lats = ordered.map((p) => p.lat);
  const spread = Math.max(Math.max(...lons) - Math.min(...lons), (Math.max(...lats) - Math.min(...lats)) * 2, 1);
  return {
    // The tooltip is HTML: the place names (from the events' GeoIP fields) are escaped.
    tooltip: { trigger: 'item', formatter: (p: { name: string; value?: number[] }) => escapeHtml(p.value ? `${p.name}: ${p.value[2]} event${p.value[2] === 1 ? '' : 's'}` : p.name) },
    geo: {
      map: 'world',
      roam: true,
      // Frame the places seen, not the whole world, unless they span it.
      ...(ordered.length > 0 && spread < 200 ? { center: [(Math.max(...lons) + Math.min(...lons)) / 2, (Math.max(...lats) + Math.min(...lats)) / 2], zoom: Math.min(3, Math.max(1, 180 / (spread + 40))) } : {}),
      itemStyle: { areaColor: c.land, borderColor: c.border, borderWidth: 0.5 },
      emphasis: { disabled: true },
      silent: false,
    },
    series: [
      { type: 'lines', coordinateSystem: 'geo', data: lines, lineStyle: { color: c.sev.high, width: 1.5, curveness: 0.2, opacity: 0.8 }, symbol: ['none', 'arrow'], symbolSize: 7, zlevel: 1 },
      {
        type: 'scatter',
        coordinateSystem: 'geo',
        data: [...places.values()],
        symbolSize: (v: number[]) => Math.min(18, 6 + Math.sqrt(v[2] ?? 1) * 2),
        itemStyle: { color: c.accent, borderColor: c.bg, borderWidth: 1 },
        label: { show: places.size <= 12, formatter: '{b}', position: 'right', color: c.text, fontSize: 11, textBorderColor: c.bg, textBorderWidth: 2 },
        zlevel: 2,
      },
    ],
  };
}
