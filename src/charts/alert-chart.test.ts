import { describe, expect, it } from 'vitest';
import { sampleAlert } from '../sinks/testing.js';
import { alertChartSpec, chartKindFor, renderAlertChart, renderAlertChartSvg } from './alert-chart.js';
import { sampleActivity, sampleTravelEvidence } from './fixtures.js';
import { decodePng } from './png.js';

const baselineAlert = sampleAlert({
  rule: 'baseline',
  title: 'Unusual volume of file_delete for bob@example.com: 60 in one hour (normally 5)',
  entity: { type: 'user', value: 'bob@example.com' },
  observed: { count: 60, score: 9.2 },
  expected: { mean: 30, sd: 6, bucket_minutes: 60 },
});
const bruteAlert = sampleAlert();
const travelAlert = sampleAlert({ rule: 'impossible-travel', title: 'Impossible travel for alice@example.com', entity: { type: 'user', value: 'alice@example.com' } });

/** Pixel facts a blank or broken image cannot have. */
function pixelStats(png: Buffer) {
  const { width, height, pixels } = decodePng(png);
  const colours = new Set<number>();
  let nonWhite = 0;
  let red = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 250 || g < 250 || b < 250) nonWhite++;
    if (r > 180 && g < 80 && b < 80) red++;
  }
  return { width, height, colours: colours.size, nonWhiteShare: nonWhite / (width * height), red };
}

describe('alert charts', () => {
  it('chooses the chart by rule, with a fallback, and none without data', () => {
    const activity = sampleActivity();
    const evidence = sampleTravelEvidence();
    expect(chartKindFor(baselineAlert, { activity, evidence })).toBe('activity');
    expect(chartKindFor(bruteAlert, { activity, evidence })).toBe('failures');
    expect(chartKindFor(travelAlert, { activity, evidence })).toBe('logins');
    // A sigma rule (named by its key) counts events over time.
    expect(chartKindFor(sampleAlert({ rule: 'sigma-drive-mass-delete' }), { activity })).toBe('activity');
    // Travel without located evidence falls back to the activity it has.
    expect(chartKindFor(travelAlert, { activity })).toBe('activity');
    expect(chartKindFor(bruteAlert, { evidence })).toBe('logins');
    expect(chartKindFor(bruteAlert, {})).toBeUndefined();
    expect(chartKindFor(bruteAlert, { activity: { ...activity, buckets: [] }, evidence: [] })).toBeUndefined();
    expect(renderAlertChart(bruteAlert, {})).toBeUndefined();
  });

  it('draws the baseline as the detector meant it, rescaled to the chart bucket', () => {
    const spec = alertChartSpec(baselineAlert, { activity: sampleActivity() })!;
    const series = (spec.option as { series: Array<{ name: string; data: unknown[] }> }).series;
    // 30 ± 6 per hour is 5 ± 1 per 10-minute bucket.
    expect(series.find((s) => s.name === 'expected')!.data[0]).toBe(5);
    const bars = series[0] as unknown as { markArea: { data: Array<Array<{ yAxis?: number }>> } };
    expect(bars.markArea.data[1]!.map((p) => p.yAxis)).toEqual([4, 6]);
    expect(spec.altText).toContain('expected 5 ± 1 per bucket');
  });

  it.each([
    ['activity against baseline', baselineAlert, { activity: sampleActivity() }, 'activity'],
    ['failures over time', bruteAlert, { activity: sampleActivity() }, 'failures'],
    ['login map', travelAlert, { evidence: sampleTravelEvidence() }, 'logins'],
    ['login table (no coordinates)', travelAlert, { evidence: sampleTravelEvidence().map((e) => ({ ...e, source: { ...e.source, geo: { ...e.source!.geo, location: undefined } } })) }, 'logins'],
  ] as const)('renders %s to a PNG that is not blank', (_name, alert, data, kind) => {
    const chart = renderAlertChart(alert, data, { width: 640, height: 320 })!;
    expect(chart.kind).toBe(kind);
    const stats = pixelStats(chart.png);
    expect([stats.width, stats.height]).toEqual([640, 320]);
    // Text, axes and bars make many colours (anti-aliasing); a blank or single-fill image has one or two.
    expect(stats.colours).toBeGreaterThan(20);
    expect(stats.nonWhiteShare).toBeGreaterThan(0.01);
    expect(stats.nonWhiteShare).toBeLessThan(0.9);
  });

  it('shades the failures red where the burst is', () => {
    const stats = pixelStats(renderAlertChart(bruteAlert, { activity: sampleActivity() })!.png);
    expect(stats.red).toBeGreaterThan(500);
  });

  it('escapes hostile alert text into the SVG', () => {
    const hostile = sampleAlert({ title: 'Login <script>alert(1)</script> & "x" <img src=x onerror=alert(2)>', entity: { type: 'user', value: '</text><script>y</script>' } });
    const svg = renderAlertChartSvg(hostile, { activity: sampleActivity() })!;
    expect(svg).not.toMatch(/<script|<img/i);
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp;');
    // And resvg still renders it (an unescaped `&` would make the SVG unparseable).
    expect(decodePng(renderAlertChart(hostile, { activity: sampleActivity() })!.png).width).toBe(800);
  });

  it('renders the same bytes whatever the process time zone', () => {
    const a = renderAlertChart(bruteAlert, { activity: sampleActivity() })!.png;
    const tz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      expect(renderAlertChart(bruteAlert, { activity: sampleActivity() })!.png.equals(a)).toBe(true);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
