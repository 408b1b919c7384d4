/**
 * One renderer, the same picture: the export modules built by Vite and run in headless
 * Chromium (font fetched as the lab fetches it) give byte-identical PNGs and identical SVGs
 * to the same modules in Node, for a run passed through its bundle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleToJson, fieldFromBundle } from '../../src/core/bundle.ts';
import type { HeatmapOptions } from '../../src/export/figure.ts';
import { renderHeatmapPng, renderHeatmapSvg } from '../../src/export/heatmap.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.woff': 'font/woff' };

let outDir = '';
let server: Server;
let browser: Browser;
let url = '';

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'rnnlab-export-browser-'));
  await build({
    root: ROOT,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false, rollupOptions: { input: join(ROOT, 'tests/export/browser/index.html') } },
  });
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(outDir, path);
    let body: Buffer;
    try {
      if (!file.startsWith(outDir)) throw new Error('outside the build');
      body = await readFile(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/tests/export/browser/index.html`;
  browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(outDir, { recursive: true, force: true });
});

describe('the same figure from the browser and from Node', () => {
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
