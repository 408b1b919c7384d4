/**
 * The lab on a cold Vite dev server (what `npm start` gives after a fresh install): with an
 * empty dependency cache, Vite pre-bundles what it finds by scanning the entry, and reloads the
 * page when it meets a dependency it had not pre-bundled (a lazily imported module, a worker's
 * import). A reload loses what the user was doing (the first export's download), so the page
 * must load once and never again: every lazily imported dependency is declared for
 * pre-bundling in vite.config.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, expect } from 'vitest';
import { chromiumRequirement, itNeeding } from '../helpers/requirements.ts';
import { CHROME_ARGS, waitIdle } from './harness.ts';

/** Headless Chromium runs the test here: where it is missing, it fails, naming what to install. */
const CHROMIUM = chromiumRequirement();

const ROOT = resolve(import.meta.dirname, '../..');
let server: ViteDevServer;
let browser: Browser;
let cacheDir: string;

beforeAll(async () => {
  // A cache folder of its own, empty: the state of node_modules/.vite after a fresh install.
  cacheDir = mkdtempSync(join(tmpdir(), 'rnnlab-vite-cold-'));
  server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), cacheDir, logLevel: 'warn', server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

itNeeding(CHROMIUM, 'cold dev server: the page loads once, and the first heatmap PNG export downloads without a reload', async () => {
  const url = server.resolvedUrls?.local[0];
  expect(url).toBeTruthy();
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  let loads = 0;
  page.on('load', () => loads++);
  await page.goto(`${url}#hidden=16&steps=30&rhoCount=9&samples=4`);
  await waitIdle(page, 110_000);
  await page.locator('lab-export .menu-button').click();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.locator('lab-export button[data-format=png]').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^grad-.*\.png$/);
  // Exporting the CSV, NPZ and bundle next touches the remaining lazily loaded modules.
  for (const f of ['npz', 'json']) {
    await page.locator('lab-export .menu-button').click();
    await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.locator(`lab-export button[data-format=${f}]`).click()]);
  }
  // Give a late dependency optimisation time to trigger its reload, if it were going to.
  await page.waitForTimeout(1500);
  expect(loads).toBe(1);
  await page.close();
}, 240_000);
