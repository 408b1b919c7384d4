/**
 * One renderer, the same picture: the export modules built by Vite and run in headless
 * Chromium (font fetched as the lab fetches it) give byte-identical PNGs and identical SVGs
 * to the same modules in Node, for a run passed through its bundle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleToJson, fieldFromBundle } from '../../src/core/bundle.ts';
import type { HeatmapOptions } from '../../src/export/figure.ts';
import { renderHeatmapPng, renderHeatmapSvg } from '../../src/export/heatmap.ts';
import { serveDirectory, type StaticServer } from '../../src/node/static-server.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';

/** Headless Chromium runs every test here: where it is missing, they fail, naming what to install. */
const CHROMIUM = chromiumRequirement();

const ROOT = resolve(import.meta.dirname, '../..');

let outDir = '';
let server: StaticServer | undefined;
let browser: Browser;
let url = '';

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'rnnlab-export-browser-'));
  await build({
    root: ROOT,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false, rollupOptions: { input: join(ROOT, 'tests/export/browser/index.html') } },
  });
  server = await serveDirectory(outDir);
  url = `${server.url}/tests/export/browser/index.html`;
  browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describeNeeding(CHROMIUM, 'the same figure from the browser and from Node', () => {
  it('PNG bytes and SVG text are identical', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'ready');
    const cases: [Awaited<ReturnType<typeof referenceField>>, HeatmapOptions][] = [
      [await referenceField(SMALL), { grid: 'gradLog10Mean', scale: 2, colormap: 'magma' }],
      [await referenceField(EXTREMES), { grid: 'gradLog10Mean', scale: 1 }],
    ];
    for (const [live, opts] of cases) {
      const json = bundleToJson(live);
      const field = fieldFromBundle(json);
      const fromBrowser = await page.evaluate(
        ([j, o]) => (window as unknown as { rnnlabExport: { render: (j: string, o: HeatmapOptions) => Promise<{ png: number[]; svg: string }> } }).rnnlabExport.render(j, o),
        [json, opts] as const,
      );
      const png = renderHeatmapPng(field, testFont(), opts);
      expect(fromBrowser.png.length).toBe(png.length);
      expect(Buffer.from(fromBrowser.png).equals(Buffer.from(png))).toBe(true);
      expect(fromBrowser.svg).toBe(renderHeatmapSvg(field, testFont(), opts));
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
