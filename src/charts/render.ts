/** Renders an echarts option to PNG on the server: echarts SSR to SVG, then resvg with the bundled DejaVu fonts, so text looks the same on every machine. */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';

const require = createRequire(import.meta.url);

/** The one family every chart names: resvg is given exactly these files and no system fonts. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

let fontFiles: string[] | undefined;

/** The TTF files shipped with `dejavu-fonts-ttf`, resolved from wherever npm put the package. */
export function chartFontFiles(): string[] {
  fontFiles ??= ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
  return fontFiles;
}

export interface ChartSize {
  width: number;
  height: number;
}

/** The SVG echarts draws for `option` (animation off: SSR draws the final frame only). Text in `option` is escaped by echarts. */
export function renderChartSvg(option: echarts.EChartsCoreOption, size: ChartSize): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: CHART_FONT_FAMILY }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** SVG to PNG bytes, drawing text with the bundled fonts only. */
export function svgToPng(svg: string, opts: { background?: string } = {}): Buffer {
  const resvg = new Resvg(svg, {
    background: opts.background ?? '#ffffff',
    font: { fontFiles: chartFontFiles(), loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY, monospaceFamily: 'DejaVu Sans Mono' },
  });
  return resvg.render().asPng();
}

export function renderChartPng(option: echarts.EChartsCoreOption, size: ChartSize): Buffer {
  return svgToPng(renderChartSvg(option, size));
}
