/** The offline world map (Natural Earth 1:110m countries from world-atlas, shipped in the bundle) and the charts drawn on it. */
import { LinesChart, ScatterChart } from 'echarts/charts';
import { GeoComponent } from 'echarts/components';
import type * as Echarts from 'echarts/core';
import topo from 'world-atlas/countries-110m.json';
import { feature } from 'topojson-client';

type Ring = Array<[number, number]>;
type Feature = { properties?: { name?: string }; geometry?: { type: string; coordinates: unknown } };

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

/** Registers the map as 'world'. */
export function registerWorld(echarts: typeof Echarts): void {
  echarts.use([GeoComponent, LinesChart, ScatterChart]);
  const topology = topo as unknown as Parameters<typeof feature>[0];
  const countries = feature(topology, (topology.objects as Record<string, Parameters<typeof feature>[1]>)['countries']!) as unknown as { type: 'FeatureCollection'; features: Feature[] };
  // Antarctica takes a fifth of a flat map and never logs in.
  countries.features = countries.features.filter((f) => f.properties?.name !== 'Antarctica');
  for (const f of countries.features) unwrapAntimeridian(f);
  echarts.registerMap('world', countries as never);
}
