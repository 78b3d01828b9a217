/** Isolation forest (Liu, Ting & Zhou, ICDM 2008) from scratch, seeded, with per-feature attribution of a score. */
import { Rng } from '../random.js';
import { errors } from '../../core/errors.js';

export const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n points, the
 * paper's normaliser and the expected depth still to go below an external node that holds n points.
 * c(n) = 2H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ; c(2) = 1 exactly (H(1) = 1), c(n ≤ 1) = 0.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Number of trees t; the paper finds path lengths converge well before 100. */
  nTrees?: number;
  /** Subsample size ψ per tree, drawn without replacement; capped at the number of rows. */
  sampleSize?: number;
  /** Seed of the PRNG that draws subsamples, split features and split values. */
  seed?: number | string;
  /**
   * The first k rows go into every tree's subsample, the rest are drawn as usual. Points to be scored
   * can then be isolated by splits drawn with them present, as in the paper, instead of falling off
   * the edge of splits that never saw them (a point beyond the training range otherwise scores like
   * the most extreme training point on that feature).
   */
  alwaysInclude?: number;
}

export interface Explanation {
  score: number;
  /** E[h(x)] over the trees. */
  pathLength: number;
  /** Share of the isolation each feature did on x's paths, summing to 1 (all 0 if nothing split). */
  contributions: number[];
}

const LEAF = -1;

/**
 * Trees live in flat typed arrays (one slot per node across the whole forest): scoring walks
 * integers and doubles with no object per node, which keeps it in the millions of points a second.
 */
export class IsolationForest {
  readonly nTrees: number;
  /** Effective ψ: min(sampleSize, rows). */
  readonly sampleSize: number;
  readonly dims: number;
  /** ceil(log2 ψ): the paper's height limit, about the average tree height. */
  readonly heightLimit: number;
  readonly #roots: Int32Array;
  readonly #feature: Int32Array;
  readonly #split: Float64Array;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  /** Training points that reached the node; for leaves it feeds c(size), for splits the attribution. */
  readonly #size: Int32Array;
  /** c(size) of each external node, computed once at fit instead of a logarithm per tree per score. */
  readonly #leafC: Float64Array;
  readonly #cPsi: number;

  private constructor(nTrees: number, sampleSize: number, dims: number, nodes: number) {
    this.nTrees = nTrees;
    this.sampleSize = sampleSize;
    this.dims = dims;
    this.heightLimit = Math.ceil(Math.log2(Math.max(2, sampleSize)));
    this.#roots = new Int32Array(nTrees);
    this.#feature = new Int32Array(nodes);
    this.#split = new Float64Array(nodes);
    this.#left = new Int32Array(nodes);
    this.#right = new Int32Array(nodes);
    this.#size = new Int32Array(nodes);
    this.#leafC = new Float64Array(nodes);
    this.#cPsi = averagePathLength(sampleSize);
  }

  /** Fits t trees on `rows` (each a vector of the same length). */
  static fit(rows: ReadonlyArray<ArrayLike<number>>, opts: IsolationForestOptions = {}): IsolationForest {
    const n = rows.length;
    if (n === 0) throw errors.internal({ problem: 'isolation forest needs at least one row' });
    const dims = rows[0]!.length;
    if (dims === 0) throw errors.internal({ problem: 'isolation forest needs at least one feature' });
    const nTrees = opts.nTrees ?? 100;
    const psi = Math.min(opts.sampleSize ?? 256, n);
    if (!(nTrees >= 1) || !(psi >= 1)) throw errors.internal({ problem: 'nTrees and sampleSize must be at least 1' });
    const fixed = Math.min(opts.alwaysInclude ?? 0, psi);

    const data = new Float64Array(n * dims);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      if (r.length !== dims) throw errors.internal({ problem: `row ${i} has ${r.length} features, expected ${dims}` });
      for (let j = 0; j < dims; j++) data[i * dims + j] = r[j]!;
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw errors.internal({ problem: `row ${Math.floor(i / dims)} feature ${i % dims} is not finite` });
    }

    const forest = new IsolationForest(nTrees, psi, dims, nTrees * (2 * psi - 1));
    const featureOf = forest.#feature;
    const splitOf = forest.#split;
    const leftOf = forest.#left;
    const rightOf = forest.#right;
    const sizeOf = forest.#size;
    const leafC = forest.#leafC;
    // Subsample sizes repeat (leaves hold 1..ψ points), so c(n) is tabulated once per fit.
    const cTable = new Float64Array(psi + 1);
    for (let k = 0; k <= psi; k++) cTable[k] = averagePathLength(k);
    const height = forest.heightLimit;
    const rng = new Rng(opts.seed ?? 1);
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    // Each tree's subsample is copied column-major into x (x[f * psi + k]) so the min/max and
    // partition scans over one feature read a few KB that stay in L1; idx is permuted, not x.
    const x = new Float64Array(dims * psi);
    const idx = new Int32Array(psi);
    const candidates = new Int32Array(dims);
    let next = 0;

    const build = (from: number, to: number, depth: number): number => {
      const node = next++;
      const size = to - from;
      sizeOf[node] = size;
      featureOf[node] = LEAF;
      leafC[node] = cTable[size]!;
      if (size <= 1 || depth >= height) return node;
      // Draw a feature uniformly; if it is constant over these points, draw again among the rest.
      // That is a uniform choice among the features that can split, at O(size) per draw instead of
      // scanning every feature; when none can split the points are duplicates and the node is external.
      for (let j = 0; j < dims; j++) candidates[j] = j;
      let m = dims;
      let q = -1;
      let qlo = 0;
      let qhi = 0;
      while (m > 0) {
        const pick = rng.int(m);
        const f = candidates[pick]!;
        const off = f * psi;
        let a = Infinity;
        let b = -Infinity;
        for (let k = from; k < to; k++) {
          const v = x[off + idx[k]!]!;
          if (v < a) a = v;
          if (v > b) b = v;
        }
        if (b > a) {
          q = f;
          qlo = a;
          qhi = b;
          break;
        }
        candidates[pick] = candidates[--m]!;
      }
      if (q < 0) return node;
      // p in (min, max]: with "x < p goes left" both children are non-empty.
      const p = qhi - (qhi - qlo) * rng.next();
      const off = q * psi;
      let i = from;
      let j = to - 1;
      while (i <= j) {
        if (x[off + idx[i]!]! < p) i++;
        else {
          const t = idx[i]!;
          idx[i] = idx[j]!;
          idx[j] = t;
          j--;
        }
      }
      featureOf[node] = q;
      splitOf[node] = p;
      leftOf[node] = build(from, i, depth + 1);
      rightOf[node] = build(i, to, depth + 1);
      return node;
    };

    for (let t = 0; t < nTrees; t++) {
      // Partial Fisher–Yates over a persistent pool (behind the fixed rows): any permutation in, a
      // uniform subset out.
      for (let k = 0; k < psi; k++) {
        let row = k;
        if (k >= fixed) {
          const r = k + rng.int(n - k);
          row = pool[r]!;
          pool[r] = pool[k]!;
          pool[k] = row;
        }
        const base = row * dims;
        for (let f = 0; f < dims; f++) x[f * psi + k] = data[base + f]!;
        idx[k] = k;
      }
      forest.#roots[t] = build(0, psi, 0);
    }
    return forest;
  }

  /** E[h(x)]: mean over trees of the depth reached plus c(size) of the external node. */
  pathLength(x: ArrayLike<number>): number {
    this.#check(x);
    const feature = this.#feature;
    const split = this.#split;
    const left = this.#left;
    const right = this.#right;
    const leafC = this.#leafC;
    let total = 0;
    for (let t = 0; t < this.nTrees; t++) {
      let node = this.#roots[t]!;
      let depth = 0;
      let f = feature[node]!;
      while (f !== LEAF) {
        node = x[f]! < split[node]! ? left[node]! : right[node]!;
        f = feature[node]!;
        depth++;
      }
      total += depth + leafC[node]!;
    }
    return total / this.nTrees;
  }

  /** s(x, ψ) = 2^(−E[h(x)] / c(ψ)): near 1 is anomalous, at or below 0.5 is ordinary. */
  score(x: ArrayLike<number>): number {
    return this.#toScore(this.pathLength(x));
  }

  /**
   * Score plus attribution. On each tree, every split on x's path is credited to its feature with
   * log2(points before / points after): the bits of isolation that split did. A split that cuts x off
   * from most of the sample early earns most of the credit; a split that keeps x with the crowd earns
   * almost none. Credits are summed over trees and normalised.
   */
  explain(x: ArrayLike<number>): Explanation {
    this.#check(x);
    const credit = new Float64Array(this.dims);
    let total = 0;
    for (let t = 0; t < this.nTrees; t++) {
      let node = this.#roots[t]!;
      let depth = 0;
      let f = this.#feature[node]!;
      while (f !== LEAF) {
        const child = x[f]! < this.#split[node]! ? this.#left[node]! : this.#right[node]!;
        credit[f]! += Math.log2(this.#size[node]! / this.#size[child]!);
        node = child;
        f = this.#feature[node]!;
        depth++;
      }
      total += depth + this.#leafC[node]!;
    }
    let sum = 0;
    for (let j = 0; j < this.dims; j++) sum += credit[j]!;
    const contributions = Array.from(credit, (c) => (sum > 0 ? c / sum : 0));
    const pathLength = total / this.nTrees;
    return { score: this.#toScore(pathLength), pathLength, contributions };
  }

  #toScore(pathLength: number): number {
    // ψ = 1 leaves c(ψ) = 0: no tree can isolate anything, so every point is as ordinary as any other.
    return this.#cPsi > 0 ? 2 ** (-pathLength / this.#cPsi) : 0.5;
  }

  #check(x: ArrayLike<number>): void {
    if (x.length !== this.dims) throw errors.internal({ problem: `expected ${this.dims} features, got ${x.length}` });
  }
}
