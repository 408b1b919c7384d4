/**
 * Builds the gpu.js test page and opens it in headless Chromium WITHOUT --enable-unsafe-webgpu
 * (no WebGPU there: exactly the situation the gpu.js fallback is for).
 * Two builds: esbuild (fast, readable) and Vite production (minified, as the app ships).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const PAGE_DIR = resolve(import.meta.dirname, 'page');

/** The flags ENVIRONMENT.md lists, minus --enable-unsafe-webgpu. */
export const CHROME_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export type BuildKind = 'esbuild' | 'vite-minified';

/** Build the page into a fresh temporary folder; returns it. */
export async function buildPage(kind: BuildKind): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), `gpujs-page-${kind}-`));
  if (kind === 'esbuild') {
    const { build } = await import('esbuild');
    // main.ts opens new URL('./worker.ts', import.meta.url): the server maps .ts to the built .js.
    await build({
      entryPoints: [join(PAGE_DIR, 'main.ts'), join(PAGE_DIR, 'worker.ts')],
      bundle: true,
      format: 'esm',
      outdir: out,
      logLevel: 'warning',
      loader: { '.wgsl': 'text' },
    });
    const html = readFileSync(join(PAGE_DIR, 'index.html'), 'utf8').replace('./main.ts', './main.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(out, 'index.html'), html);
  } else {
    const { build } = await import('vite');
    await build({
      root: PAGE_DIR,
      configFile: false,
      base: './',
      logLevel: 'warn',
      build: { outDir: out, emptyOutDir: true, minify: true, sourcemap: false, reportCompressedSize: false, chunkSizeWarningLimit: 4096 },
    });
  }
  return out;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serve a folder on 127.0.0.1 (module scripts do not load from file://). */
export function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    const asked = join(dir, path === '/' ? 'index.html' : path);
    const file = asked.endsWith('.ts') && !existsSync(asked) ? asked.replace(/\.ts$/, '.js') : asked;
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      ok({ server, url: `http://127.0.0.1:${port}/` });
    }),
  );
}

export interface OpenPage {
  browser: Browser;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Build (or reuse a build folder), serve it and open it; waits for window.gpujsTest. */
export async function openPage(kind: BuildKind): Promise<OpenPage> {
  const dir = await buildPage(kind);
  const { server, url } = await serve(dir);
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { gpujsTest?: unknown }).gpujsTest !== undefined, null, { timeout: 60_000 });
  return {
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
