/** Headless Chromium for the browser tests: Debian's chromium driven by playwright-core (no browser download). */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SAASWATCH_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches the browser, or fails saying how to get it: a missing browser is a failure (in CI too),
 * never a skip, or the dashboard would ship untested.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or point SAASWATCH_CHROMIUM at one`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
