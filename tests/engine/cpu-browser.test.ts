/**
 * The CPU engine's browser path for real: a page importing pool-browser.ts is built with Vite
 * (so the `new URL('./worker-browser.ts', import.meta.url)` module workers are bundled as the lab
 * bundles them), served on loopback and run in headless Chromium with two Web Workers. Its grids
 * must equal the Node engine's (the same float32 arithmetic and WebAssembly module; 1e-9 leaves
 * room only for a library function such as Math.log10 rounding differently in another V8), with
 * relaxed-SIMD FMA equal between 0 and 2 workers, and both
 * agree with the float64 reference within 1e-3 (a contracting config: rho ||W0||_2 < 1, so float32
 * rounding is not amplified).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.ts';
import { GRID_NAMES, type GradientField, type GridName } from '../../src/core/field.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { createNodeCpuEngine } from '../../src/engine/cpu/pool-node.ts';
import { serveDirectory, type StaticServer } from '../../src/node/static-server.ts';
import { compareFields, expectAgreement, strictRules, tolerancesByClass, type FieldLike } from '../helpers/fields.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGE_MAIN = `
import { parseConfig } from '${ROOT}/src/core/config.ts';
import { GRID_NAMES } from '${ROOT}/src/core/field.ts';
import { createBrowserCpuEngine } from '${ROOT}/src/engine/cpu/pool-browser.ts';
// Grids go back as strings per value so that -Infinity and NaN survive the trip.
window.runCpu = async (input, workers, fma) => {
  const engine = createBrowserCpuEngine({ workers, fma });
  try {
    const f = await engine.run(parseConfig(input));
    const grids = {};
    for (const g of GRID_NAMES) grids[g] = Array.from(f.grids[g], String);
    return { adapter: engine.adapter, grids, overflow: Array.from(f.overflow) };
  } finally {
    engine.dispose();
  }
};
window.ready = true;
`;

/** Headless Chromium runs every test here: where it is missing, they fail, naming what to install. */
const CHROMIUM = chromiumRequirement();

let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rnnlab-cpu-browser-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>');
  writeFileSync(join(dir, 'main.js'), PAGE_MAIN);
  await build({ root: dir, configFile: false, logLevel: 'warn', worker: { format: 'es' }, build: { outDir: join(dir, 'dist'), emptyOutDir: true, target: 'es2022' } });
  server = await serveDirectory(join(dir, 'dist'));
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeNeeding(CHROMIUM, 'cpu engine in headless Chromium (Web Workers)', () => {
  it('matches the Node engine and the float64 reference; with relaxed-SIMD FMA, the same on 0 and 2 workers', async () => {
    const config = parseConfig({ activation: 'tanh', hidden: 20, steps: 30, rhoMin: 0.1, rhoMax: 0.45, rhoCount: 4, samples: 6, seed: 7 });
    const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    type Got = { adapter: string; grids: Record<string, string[]>; overflow: number[] };
    let got: Got;
    let fused: Got[];
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      const run = (workers: number, fma?: boolean) =>
        page.evaluate(([c, w, f]) => (window as unknown as { runCpu: (c: unknown, w: number, f?: boolean) => Promise<Got> }).runCpu(c, w, f), [config, workers, fma] as const);
      // Plain SIMD, as Node 20 runs it; then the default, FMA where Chromium has relaxed SIMD (>= 114).
      got = await run(2, false);
      fused = [await run(2), await run(0)];
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(got.adapter).toMatch(/2 workers/);
    expect(got.adapter).not.toMatch(/FMA/);
    for (const f of fused) expect(f.adapter).toMatch(/with FMA/);
    const node = createNodeCpuEngine({ workers: 2 });
    let mine: GradientField;
    try {
      mine = await node.run(config);
    } finally {
      node.dispose();
    }
    const ref = await new ReferenceEngine().run(config);
    // A contracting config: rho ||W0||_2 < 1 in every row, so no cell amplifies rounding.
    expect(0.45 * ref.spectrum.norm).toBeLessThan(1);
    const asField = (r: Got): FieldLike => ({ K: ref.K, T: ref.T, overflow: r.overflow, grids: Object.fromEntries(GRID_NAMES.map((g) => [g, r.grids[g].map(Number)])) });
    const page = asField(got);
    const same = Object.fromEntries(GRID_NAMES.map((g) => [g, 1e-9])) as Record<GridName, number>;
    const tol = tolerancesByClass({ log10: 1e-3, units: 2 / (config.hidden * config.samples) + 1e-5, samples: 1 / config.samples + 1e-12 });
    // Contracting, never out of range: every cell compared, none widened.
    const none = { skipped: { atMost: 0, because: 'every cell is compared' }, sensitive: { atMost: 0, because: 'no cell amplifies rounding' } };
    expectAgreement(compareFields(page, mine, strictRules(same), 'browser vs node'), none);
    expectAgreement(compareFields(page, ref, strictRules(tol), 'browser vs reference'), none);
    const exact = Object.fromEntries(GRID_NAMES.map((g) => [g, 0])) as Record<GridName, number>;
    expectAgreement(compareFields(asField(fused[0]), asField(fused[1]), strictRules(exact), 'browser FMA: 2 workers vs 0'), none);
    expectAgreement(compareFields(asField(fused[0]), ref, strictRules(tol), 'browser FMA vs reference'), none);
  });
});
