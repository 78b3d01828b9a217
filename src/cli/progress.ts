/** A one-line progress bar for long ingests, drawn only when the output is a terminal. */
import type { WriteStream } from 'node:tty';
import { safeText } from './terminal.js';

export class ProgressBar {
  #lastDraw = 0;
  #drawn = false;
  private readonly label: string;
  constructor(private readonly out: NodeJS.WriteStream | WriteStream, label: string) {
    // The label is a file name: data an attacker may choose, drawn on the operator's terminal.
    this.label = safeText(label);
  }

  get enabled(): boolean {
    return Boolean(this.out.isTTY);
  }

  update(done: number, total: number | undefined, unit: 'bytes' | 'records', events: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return; // redraw at most 10×/s: drawing is slower than parsing
    this.#lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    const fmt = (n: number) => (unit === 'bytes' ? `${(n / 1048576).toFixed(1)} MiB` : String(n));
    let line: string;
    if (total && total > 0) {
      const ratio = Math.min(1, done / total);
      const filled = Math.round(ratio * width);
      line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0)}% ${fmt(done)} ${events} events`;
    } else {
      line = `${this.label} ${fmt(done)} ${events} events`;
    }
    this.out.write(`\r${line}\x1b[K`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.out.write('\r\x1b[K');
    this.#drawn = false;
  }
}
