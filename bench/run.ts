/**
 * `npm run bench`: the standard workloads on every engine that can run here, side by side in
 * one process, so that ratios are measured under the same load. Prints a table and writes
 * bench/results/bench-<time>.json. Not a test: nothing here asserts.
 *
 *   npm run bench                        all workloads, all engines, 5 timed runs after a warm-up
 *   npm run bench -- --runs 7 --workload sweep-64 --engine cpu,webgpu
 *   npm run bench -- --browser           also the engines inside headless Chromium
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/core/engine.ts';
import { sweepFlops } from '../src/core/work.ts';
import { ensureVulkanDriver } from '../src/node/vulkan.ts';
import { median, WORKLOADS, type Workload } from './workloads.ts';
import { nodeBenchEngines, type BenchEngine } from './engines.ts';
import { runBrowserBench } from './browser.ts';

export interface Row {
  env: 'node' | 'chromium';
  engine: string;
  adapter: string;
  workload: string;
  runs: number;
  /** Every timed run, seconds. */
  seconds: number[];
  medianSeconds: number;
  gflops: number;
  note?: string;
}

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    workload: { type: 'string' },
    engine: { type: 'string' },
    browser: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const runs = Math.max(1, Number(args.runs));
const wantWorkloads = args.workload ? new Set(args.workload.split(',')) : null;
const wantEngines = args.engine ? new Set(args.engine.split(',')) : null;
const vulkan = ensureVulkanDriver();

async function timeEngine(engine: Engine, w: Workload, n: number): Promise<number[]> {
  await engine.run(w.config); // warm-up: pipelines compiled, workers started, caches filled
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await engine.run(w.config);
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toPrecision(digits) : '-';
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const ceilings: Record<string, number> = {};
  const workloads = WORKLOADS.filter((w) => !wantWorkloads || wantWorkloads.has(w.name));
  const engines: BenchEngine[] = (await nodeBenchEngines()).filter((e) => !wantEngines || wantEngines.has(e.name));
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; Vulkan: ${vulkan}`);
  for (const be of engines) {
    let engine: Engine;
    try {
      engine = await be.create();
    } catch (e) {
      console.log(`${be.name}: not available (${(e as Error).message})`);
      continue;
    }
    try {
      if (be.ceiling) {
        const g = await be.ceiling(engine);
        ceilings[`node/${be.name}`] = g;
        console.log(`${be.name} (${engine.adapter}): 1024^3 matmul ceiling ${fmt(g)} GFLOP/s`);
      }
      for (const w of workloads) {
        const skip = be.skip?.(w);
        if (skip) {
          console.log(`${be.name} ${w.name}: skipped (${skip})`);
          continue;
        }
        const n = runs;
        const seconds = await timeEngine(engine, w, n);
        const med = median(seconds);
        const row: Row = { env: 'node', engine: be.name, adapter: engine.adapter, workload: w.name, runs: n, seconds, medianSeconds: med, gflops: sweepFlops(w.config) / med / 1e9 };
        rows.push(row);
        console.log(`${be.name} ${w.name}: median ${fmt(med)} s over ${n} runs (${seconds.map((s) => fmt(s)).join(', ')}), ${fmt(row.gflops)} GFLOP/s`);
      }
    } finally {
      engine.dispose();
    }
  }
  if (args.browser) {
    const browser = await runBrowserBench(workloads, runs, wantEngines);
    rows.push(...browser.rows);
    Object.assign(ceilings, browser.ceilings);
  }

  console.log('\n| env | engine | workload | median s | GFLOP/s | ratios (other / this, same workload) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const others = rows.filter((o) => o !== r && o.workload === r.workload);
    const ratios = others.map((o) => `${o.env}/${o.engine} ${fmt(o.medianSeconds / r.medianSeconds)}x`).join(', ');
    console.log(`| ${r.env} | ${r.engine} | ${r.workload} | ${fmt(r.medianSeconds)} | ${fmt(r.gflops)} | ${ratios} |`);
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, vulkan },
    ceilingsGflops: ceilings,
    workloads: Object.fromEntries(workloads.map((w) => [w.name, { config: w.config, gflop: sweepFlops(w.config) / 1e9 }])),
    rows,
  };
  mkdirSync('bench/results', { recursive: true });
  const out = args.out ?? `bench/results/bench-${result.date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`\nwrote ${out}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
