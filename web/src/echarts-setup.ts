/** ECharts with only the parts the dashboard draws (SVG renderer), loaded on the first chart. */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

let world: Promise<void> | undefined;

/** The world map and what draws on it, in their own chunk: only the alert and user pages with places need them. */
export function ensureWorldMap(): Promise<void> {
  world ??= import('./echarts-map').then((m) => m.registerWorld(echarts));
  return world;
}

export { echarts };
