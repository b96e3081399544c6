// Real headless Chromium for the tests that render pages: Debian's `chromium`
// (or $CHROMIUM) driven by playwright-core, with the flags CI runs it with.

import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** Chromium from $CHROMIUM, else the first of the usual names on PATH. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch { /* not this one */ }
  }
  throw new Error('no Chromium found: install chromium (apt-get install chromium) or set CHROMIUM=/path/to/chrome');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
