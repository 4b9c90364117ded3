import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * The browser of the web bench: Debian's Chromium driven by playwright-core, launched as the
 * browser tests launch it (test/support/browser.ts, which is not built into dist/, hence this
 * copy of its few lines). CHROMIUM_PATH points elsewhere if needed; the flags keep Chromium's
 * background services off a network they cannot reach here, so that no request leaves the
 * machine and none competes with the page being measured.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchBrowser(): Promise<Browser> {
  // The bench's own cleanup closes the browser on Ctrl-C (after it has said what it stops).
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS, handleSIGINT: false, handleSIGTERM: false });
}

/**
 * A fresh browser profile the size of a clinic tablet (1024×768), as one user at one desk: empty
 * cache, no storage. The bench's own probes (waitForFunction, evaluate of a string) are evaluated
 * code, which the app's Content-Security-Policy refuses (no 'unsafe-eval'): the bench's pages
 * bypass it; the app's own scripts are the same either way.
 */
export async function newDesk(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-US', timezoneId: 'America/New_York', bypassCSP: true });
}
