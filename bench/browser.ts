/**
 * The browser half of the benchmark: build bench/browser with Vite, serve it on loopback, and
 * time the engines inside headless Chromium (WebGPU flag on: the SwiftShader adapter here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { sweepFlops } from '../src/core/work.ts';
import { serveDirectory } from '../src/node/static-server.ts';
import type { Row } from './run.ts';
import { median, type Workload } from './workloads.ts';

const CHROME_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const BROWSER_ENGINES = ['webgpu', 'cpu', 'gpujs', 'reference'];

export async function runBrowserBench(
  workloads: readonly Workload[],
  runs: number,
  want: Set<string> | null,
): Promise<{ rows: Row[]; ceilings: Record<string, number> }> {
  const outDir = mkdtempSync(join(tmpdir(), 'rnnlab-bench-'));
  const rows: Row[] = [];
  const ceilings: Record<string, number> = {};
  await build({ root: resolve(import.meta.dirname, 'browser'), configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await serveDirectory(outDir);
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(0);
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => typeof window.bench === 'function');
    try {
      ceilings['chromium/webgpu'] = await page.evaluate(() => window.ceiling());
      console.log(`chromium webgpu: 1024^3 matmul ceiling ${ceilings['chromium/webgpu'].toPrecision(3)} GFLOP/s`);
    } catch (e) {
      console.log(`chromium webgpu: no matmul ceiling (${(e as Error).message})`);
    }
    for (const name of BROWSER_ENGINES.filter((e) => !want || want.has(e))) {
      for (const w of workloads) {
        if (name === 'reference' && w.name === 'sweep-256') continue; // ~90 s a run; the yardstick is sweep-64
        if (name === 'gpujs' && w.name === 'sweep-256') continue;
        try {
          const r = await page.evaluate(([n, c, k]) => window.bench(n, c, k), [name, w.config, runs] as const);
          const med = median(r.seconds);
          const row: Row = { env: 'chromium', engine: name, adapter: r.adapter, workload: w.name, runs, seconds: r.seconds, medianSeconds: med, gflops: sweepFlops(w.config) / med / 1e9 };
          rows.push(row);
          console.log(`chromium ${name} ${w.name}: median ${med.toPrecision(3)} s over ${runs} runs (${r.seconds.map((s) => s.toPrecision(3)).join(', ')}), ${row.gflops.toPrecision(3)} GFLOP/s`);
        } catch (e) {
          console.log(`chromium ${name} ${w.name}: failed (${(e as Error).message.split('\n')[0]})`);
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  return { rows, ceilings };
}
