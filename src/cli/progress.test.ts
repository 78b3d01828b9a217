import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { ProgressBar } from './progress.js';

it('draws a file name that holds escape sequences as escapes, its own cursor controls aside', () => {
  let drawn = '';
  const tty = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        drawn += String(chunk);
        done();
      },
    }),
    { isTTY: true, columns: 100 },
  ) as unknown as NodeJS.WriteStream;
  const bar = new ProgressBar(tty, 'logs/\x1b]0;pwned\x07\x1b[2J\u202e.jsonl');
  bar.update(50, 100, 'records', 50);
  bar.done();
  expect(drawn).toContain('logs/\\x1b]0;pwned\\x07\\x1b[2J\\u202e.jsonl [');
  // What is left raw is the bar's own: carriage returns and erase-to-end-of-line.
  expect(drawn.replace(/\r|\x1b\[K/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e]/);
});
