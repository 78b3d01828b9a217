import { describe, expect, it } from 'vitest';
import { Rng } from '../random.js';
import { averagePathLength, EULER_GAMMA, IsolationForest } from './forest.js';

/** n points of d independent standard normals. */
function gaussian(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.gaussian()));
}

describe('c(n)', () => {
  it('matches the paper: c(n) = 2H(n−1) − 2(n−1)/n', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // Reference values computed by hand from ln and γ = 0.5772156649.
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.LN2 + 0.5772156649) - 4 / 3, 9);
    expect(averagePathLength(256)).toBeCloseTo(10.24477, 4);
    expect(averagePathLength(1000)).toBeCloseTo(12.96994, 4);
    expect(EULER_GAMMA).toBeCloseTo(0.5772156649, 10);
  });

  it('stays within the ln-approximation error of the exact harmonic-number formula', () => {
    for (const n of [10, 64, 256, 4096]) {
      let h = 0;
      for (let i = 1; i < n; i++) h += 1 / i;
      const exact = 2 * h - (2 * (n - 1)) / n;
      // H(i) − (ln i + γ) ≈ 1/(2i), so the two differ by about 1/(n−1).
      expect(Math.abs(averagePathLength(n) - exact)).toBeLessThan(1.01 / (n - 1));
    }
  });
});

describe('IsolationForest', () => {
  // The paper's setting: a 2-D gaussian blob with a few far points among the training data.
  const inliers = gaussian(new Rng(11), 500, 2);
  const outliers = [
    [6, 6],
    [-6, 5],
    [5, -6],
  ];
  const data = [...inliers, ...outliers];

  it('is reproducible for a seed and differs across seeds', () => {
    const a = IsolationForest.fit(data, { seed: 5 });
    const b = IsolationForest.fit(data, { seed: 5 });
    const c = IsolationForest.fit(data, { seed: 6 });
    const probe = data.slice(490);
    expect(probe.map((x) => a.score(x))).toEqual(probe.map((x) => b.score(x)));
    expect(probe.map((x) => a.explain(x))).toEqual(probe.map((x) => b.explain(x)));
    expect(probe.map((x) => a.score(x))).not.toEqual(probe.map((x) => c.score(x)));
  });

  it('scores obvious outliers above 0.7 and central inliers below 0.55', () => {
    const f = IsolationForest.fit(data, { seed: 1 });
    for (const o of outliers) expect(f.score(o)).toBeGreaterThan(0.7);
    const central = inliers.filter((x) => x.every((v) => Math.abs(v) < 1.5));
    expect(central.length).toBeGreaterThan(300);
    for (const x of central) expect(f.score(x)).toBeLessThan(0.55);
    const sorted = inliers.map((x) => f.score(x)).sort((p, q) => p - q);
    expect(sorted[250]!).toBeLessThan(0.5);
  });

  it('uses ψ = min(256, n), height limit ceil(log2 ψ), and 100 trees by default', () => {
    const f = IsolationForest.fit(data);
    expect([f.nTrees, f.sampleSize, f.heightLimit, f.dims]).toEqual([100, 256, 8, 2]);
    const small = IsolationForest.fit(data.slice(0, 50), { nTrees: 10 });
    expect([small.nTrees, small.sampleSize, small.heightLimit]).toEqual([10, 50, 6]);
  });

  it('attributes an outlier to the feature that was perturbed', () => {
    // 255 + 1 rows: with ψ = 256 the outlier is in every tree.
    const rows = gaussian(new Rng(3), 255, 3);
    for (const feature of [0, 1, 2]) {
      const x = [0.1, -0.2, 0.05];
      x[feature] = 9;
      const f = IsolationForest.fit([...rows, x], { seed: 9 });
      const { score, contributions } = f.explain(x);
      expect(score).toBeGreaterThan(0.65);
      const top = contributions.indexOf(Math.max(...contributions));
      expect(top).toBe(feature);
      expect(contributions[feature]!).toBeGreaterThan(0.6);
      const inlier = f.explain(rows[0]!).contributions;
      expect(Math.max(...inlier)).toBeLessThan(0.6);
      expect(contributions.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
    }
  });

  it('isolates rows that are always included even when they are far outside the rest', () => {
    const base = gaussian(new Rng(4), 2000, 3);
    const far = [0, 0, 12];
    const without = IsolationForest.fit(base, { seed: 2 }).score(far);
    const withAlways = IsolationForest.fit([far, ...base], { seed: 2, alwaysInclude: 1 }).score(far);
    // Out of sample, a point beyond the range scores like the most extreme training point.
    expect(withAlways).toBeGreaterThan(0.68);
    expect(withAlways).toBeGreaterThan(without + 0.1);
  });

  it('scores every point 0.5 when nothing can be split (all duplicates)', () => {
    const f = IsolationForest.fit(Array.from({ length: 300 }, () => [1, 2, 3]), { seed: 1 });
    expect(f.score([1, 2, 3])).toBeCloseTo(0.5, 12);
    expect(f.explain([1, 2, 3]).contributions).toEqual([0, 0, 0]);
  });

  it('rejects malformed input', () => {
    expect(() => IsolationForest.fit([])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => IsolationForest.fit([[1, 2], [3]])).toThrow(/expected 2/);
    expect(() => IsolationForest.fit([[1, Number.NaN]])).toThrow(/not finite/);
    expect(() => IsolationForest.fit([[1, 2]]).score([1])).toThrow(/expected 2 features/);
  });
});
