/** ECharts with only the parts the dashboard draws (SVG renderer), loaded on the first chart. */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, LinesChart, PieChart, ScatterChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, LinesChart, PieChart, ScatterChart, GeoComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

let world: Promise<void> | undefined;

/** Registers the offline world map once ('world'): Natural Earth 1:110m countries from world-atlas, shipped in the bundle. */
export function ensureWorldMap(): Promise<void> {
  world ??= Promise.all([import('world-atlas/countries-110m.json'), import('topojson-client')]).then(([topo, client]) => {
    const topology = (topo.default ?? topo) as unknown as Parameters<typeof client.feature>[0];
    const countries = client.feature(topology, (topology.objects as Record<string, Parameters<typeof client.feature>[1]>)['countries']!) as unknown as {
      type: 'FeatureCollection';
      features: Array<{ properties?: { name?: string } }>;
    };
    // Antarctica takes a fifth of a flat map and never logs in.
    countries.features = countries.features.filter((f) => f.properties?.name !== 'Antarctica');
    for (const f of countries.features) unwrapAntimeridian(f as Feature);
    echarts.registerMap('world', countries as never);
  });
  return world;
}

type Ring = Array<[number, number]>;
type Feature = { geometry?: { type: string; coordinates: unknown } };

/**
 * The atlas is spherical: a ring that crosses 180° (Russia's far east, Fiji) jumps from +180 to -180,
 * which a flat map draws as a stripe across the world. Such a polygon is moved east of 180 in one piece.
 */
function unwrapAntimeridian(f: Feature): void {
  const g = f.geometry;
  if (!g) return;
  const polygons = (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []) as Ring[][];
  for (const polygon of polygons) {
    const crosses = polygon.some((ring) => ring.some((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1]![0]) > 180));
    if (!crosses) continue;
    for (const ring of polygon) for (const p of ring) if (p[0] < 0) p[0] += 360;
  }
}

export { echarts };
