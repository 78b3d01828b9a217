/** Figures the benchmarks share. */

/** The p-th percentile (nearest rank) of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `fn` `runs` times, `gapMs` apart (the gap untimed), and returns each run's milliseconds, ascending. */
export async function timeRuns(runs: number, fn: () => Promise<unknown>, gapMs = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}
