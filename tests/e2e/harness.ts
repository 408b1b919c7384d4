/**
 * The e2e harness: build the lab once with Vite into a temporary folder, serve it with a tiny
 * static server, and drive headless Chromium through playwright-core (never a downloaded
 * browser: CHROME_PATH or /usr/bin/chromium). Flags from shared/ENVIRONMENT.md, WebGPU on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { serveDirectory } from '../../src/node/static-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const CHROME_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface Lab {
  browser: Browser;
  url: string;
  /** The built files (dist) being served. */
  outDir: string;
  close(): Promise<void>;
}

/**
 * Build dist into a temp dir, serve it, launch Chromium (offline: with the service worker,
 * vite.config.ts; minify false: a build whose profiles name the functions, for benchmarks).
 */
export async function startLab(options: { offline?: boolean; minify?: boolean } = {}): Promise<Lab> {
  const outDir = mkdtempSync(join(tmpdir(), 'rnnlab-e2e-'));
  // Mode e2e: the build with the test hooks (__LAB_TEST_HOOKS__); a production build has none.
  await build({ root: ROOT, mode: options.offline ? 'e2e-offline' : 'e2e', logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false, ...(options.minify === false ? { minify: false } : {}) } });
  const server = await serveDirectory(outDir);
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS });
  return {
    browser,
    url: `${server.url}/index.html`,
    outDir,
    async close() {
      await browser.close();
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Open the lab at a hash and wait until a run has finished and the surface was drawn. */
export async function openLab(
  lab: Lab,
  hash = '',
  size = { width: 1280, height: 720 },
  /** confirmAboveMs: runs predicted longer than this ask first (1e12: practically never, for tests of long runs; a finite number, since the init script's argument is JSON). */
  options: { confirmAboveMs?: number } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await lab.browser.newPage({ viewport: size });
  if (options.confirmAboveMs !== undefined) {
    await page.addInitScript((ms) => ((window as unknown as { __labConfirmAboveMs: number }).__labConfirmAboveMs = ms), options.confirmAboveMs);
  }
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${lab.url}${hash ? `#${hash}` : ''}`);
  await waitIdle(page);
  return { page, errors };
}

/** Wait until no run is in flight and a result is on screen. */
export async function waitIdle(page: Page, timeout = 90_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const lab = (window as unknown as { __lab?: { snapshot(): { run: { status: string }; result: unknown; confirm: unknown }; firstDrawMs(): number | null } }).__lab;
      if (!lab) return false;
      const s = lab.snapshot();
      // A run waiting for confirmation is not idle: the result on screen is an earlier run's.
      if (s.confirm) throw new Error('waitIdle: the lab is asking to confirm a long run (open the page with confirmAboveMs to test without asking)');
      return s.run.status !== 'running' && s.result !== null && lab.firstDrawMs() !== null;
    },
    null,
    { timeout, polling: 100 },
  );
  // Two frames, so on-demand renders have happened.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Fraction of pixels of a WebGL canvas that differ from its corner (background) colour, and the number of distinct colours. */
export async function canvasInk(page: Page, surfaceIndex: number): Promise<{ ink: number; colours: number; width: number }> {
  return page.evaluate((i) => {
    const lab = (window as unknown as { __lab: { surfaces(): { canvas: HTMLCanvasElement | null }[] } }).__lab;
    const src = lab.surfaces()[i]?.canvas;
    if (!src) return { ink: 0, colours: 0, width: 0 };
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(src, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const bg = [d[0], d[1], d[2]];
    let ink = 0;
    const seen = new Set<number>();
    for (let p = 0; p < d.length; p += 4) {
      if (Math.abs(d[p] - bg[0]) + Math.abs(d[p + 1] - bg[1]) + Math.abs(d[p + 2] - bg[2]) > 30) ink++;
      seen.add((d[p] >> 3) * 1024 + (d[p + 1] >> 3) * 32 + (d[p + 2] >> 3));
    }
    return { ink: ink / (d.length / 4), colours: seen.size, width: c.width };
  }, surfaceIndex);
}

export const ARTIFACTS = join(ROOT, 'artifacts', 'screenshots');
