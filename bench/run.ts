/**
 * `npm run bench`: the standard workloads on every engine that can run here, side by side in
 * one process, so that ratios are measured under the same load. Prints a table and writes
 * bench/results/bench-<time>.json (the machine, the versions and every timed run). Not a test:
 * nothing here asserts.
 *
 *   npm run bench                        all workloads, all engines, 5 timed runs after a warm-up
 *   npm run bench -- --runs 7 --workload sweep-64 --engine cpu,webgpu
 *   npm run bench -- --peers             also a float32 NumPy version of the same sweep (bench/peers/)
 *   npm run bench -- --browser           also the engines inside headless Chromium
 *   npm run bench -- --relaxed-simd      Node 20: switch on relaxed SIMD (the CPU engine's FMA), as Chrome and Node >= 22 have it
 *   npm run bench -- --engine webgpu --webgpu-variant persistent,tiled
 *                                        both WebGPU kernel shapes side by side (default: the
 *                                        adapter's own, tiled on a GPU, persistent on SwiftShader)
 *
 * Within a workload the runs are interleaved, one run of each engine (and of the peer) per
 * round, so that load from other processes on a shared machine falls on all of them alike; each
 * engine's time ratio to the peer is taken per round (the peer's run right after the engine's)
 * and printed as the median with the spread (lowest to highest) of those ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/core/engine.ts';
import type { GradientField } from '../src/core/field.ts';
import { sweepFlops } from '../src/core/work.ts';
import { isSoftwareRenderer } from '../src/engine/policy.ts';
import { WebGpuEngine } from '../src/engine/webgpu/engine.ts';
import { ensureVulkanDriver } from '../src/node/vulkan.ts';
import { median, WORKLOADS } from './workloads.ts';
import { enableRelaxedSimd } from './cpu.ts';
import { engineSelected, nodeBenchEngines, parseWebGpuVariants, type BenchEngine } from './engines.ts';
import { runBrowserBench } from './browser.ts';
import { describeMachine, machineLine } from './machine.ts';
import { compareGrids, numpyUnavailable, startNumpyPeer, type GridAgreement, type NumpyPeer, type PeerInfo } from './peers/numpy.ts';

export interface Row {
  env: 'node' | 'chromium' | 'python';
  engine: string;
  adapter: string;
  workload: string;
  runs: number;
  /** Every timed run, seconds, in the order run. */
  seconds: number[];
  medianSeconds: number;
  gflops: number;
  note?: string;
}

/** One engine against the peer on one workload: the time ratios of adjacent runs. */
export interface PeerRatio {
  workload: string;
  engine: string;
  peer: string;
  /** ours / peer for each round: above 1, the peer was faster. */
  ratios: number[];
  median: number;
  min: number;
  max: number;
  /** Our gradient grid against the peer's (log10 units). */
  agreement: GridAgreement;
}

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    workload: { type: 'string' },
    engine: { type: 'string' },
    browser: { type: 'boolean', default: false },
    peers: { type: 'boolean', default: false },
    'webgpu-variant': { type: 'string' },
    out: { type: 'string' },
    'relaxed-simd': { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(args.runs));
const wantWorkloads = args.workload ? new Set(args.workload.split(',')) : null;
const wantEngines = args.engine ? new Set(args.engine.split(',')) : null;
const vulkan = ensureVulkanDriver();
/** The peer's grid must match ours this closely where both are in float32 range: the same work was done. */
const AGREEMENT_LOG10 = 1e-3;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toPrecision(digits) : '-';
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const rows: Row[] = [];
  const peerRatios: PeerRatio[] = [];
  const peerInfo: Record<string, PeerInfo> = {};
  const notes: string[] = [];
  const ceilings: Record<string, number> = {};
  const workloads = WORKLOADS.filter((w) => !wantWorkloads || wantWorkloads.has(w.name));
  const wanted: BenchEngine[] = (await nodeBenchEngines(parseWebGpuVariants(args['webgpu-variant']))).filter((e) => engineSelected(e.name, wantEngines));
  console.log(`machine: ${machineLine(machine)}; Vulkan: ${vulkan}`);
  if (args['relaxed-simd']) {
    const on = enableRelaxedSimd();
    const note = `relaxed SIMD (the CPU engine's FMA) asked for: ${on ? 'on' : 'not available in this runtime'}`;
    console.log(note);
    notes.push(note);
  }
  const engines: { be: BenchEngine; engine: Engine }[] = [];
  for (const be of wanted) {
    try {
      const engine = await be.create();
      engines.push({ be, engine });
      if (engine instanceof WebGpuEngine) {
        const software = engine.adapterInfo.isFallbackAdapter || isSoftwareRenderer(engine.adapter);
        const note = `${be.name}: ${engine.variantWhy}; adapter ${engine.adapter}${software ? ' -- a SOFTWARE rasteriser running on the CPU cores: its times say nothing about a GPU' : ''}`;
        console.log(note);
        notes.push(note);
      }
      if (be.ceiling) {
        const g = await be.ceiling(engine);
        ceilings[`node/${be.name}`] = g;
        console.log(`${be.name} (${engine.adapter}): 1024^3 matmul ceiling ${fmt(g)} GFLOP/s`);
      }
    } catch (e) {
      console.log(`${be.name}: not available (${(e as Error).message})`);
    }
  }
  const noPeer = args.peers ? numpyUnavailable() : null;
  if (noPeer) {
    const note = `NumPy peer skipped: ${noPeer} (install python3 with NumPy, e.g. Debian's python3-numpy, or point $PYTHON at one)`;
    console.log(note);
    notes.push(note);
  }
  try {
    for (const w of workloads) {
      const active = engines.filter(({ be }) => {
        const skip = be.skip?.(w);
        if (skip) console.log(`${be.name} ${w.name}: skipped (${skip})`);
        return !skip;
      });
      const peer: NumpyPeer | null = args.peers && !noPeer ? await startNumpyPeer(w.config) : null;
      try {
        if (peer) {
          peerInfo[w.name] = peer.info;
          const b = peer.info.blas;
          console.log(`numpy ${peer.info.numpy} (Python ${peer.info.python}), BLAS ${String(b.library ?? b.name)} ${String(b.version ?? b.config ?? '')}, kernel ${String(b.coreType ?? 'unknown')}, ${String(b.threads ?? '?')} threads (${String(b.source)}); removed for it: ${Object.keys(peer.info.removedEnv).join(', ') || 'none were set'}`);
        }
        // Warm-up: pipelines compiled, workers started, caches filled; the fields are kept for the grid check.
        const fields = new Map<string, GradientField>();
        for (const { be, engine } of active) fields.set(be.name, await engine.run(w.config));
        if (peer) await peer.run();
        const seconds = new Map<string, number[]>(active.map(({ be }) => [be.name, []]));
        const pairs = new Map<string, number[]>(active.map(({ be }) => [be.name, []]));
        const peerSeconds: number[] = [];
        for (let i = 0; i < runs; i++) {
          for (const { be, engine } of active) {
            const ours = await timed(() => engine.run(w.config));
            seconds.get(be.name)!.push(ours);
            if (peer) {
              const theirs = await peer.run();
              peerSeconds.push(theirs);
              pairs.get(be.name)!.push(ours / theirs);
            }
          }
        }
        for (const { be, engine } of active) {
          const s = seconds.get(be.name)!;
          const med = median(s);
          const row: Row = { env: 'node', engine: be.name, adapter: engine.adapter, workload: w.name, runs: s.length, seconds: s, medianSeconds: med, gflops: sweepFlops(w.config) / med / 1e9 };
          rows.push(row);
          console.log(`${be.name} ${w.name}: median ${fmt(med)} s over ${s.length} runs (${s.map((x) => fmt(x)).join(', ')}), ${fmt(row.gflops)} GFLOP/s`);
        }
        if (peer) {
          const med = median(peerSeconds);
          const b = peer.info.blas;
          rows.push({ env: 'python', engine: 'numpy', adapter: `NumPy ${peer.info.numpy} float32, OpenBLAS kernel ${String(b.coreType ?? 'unknown')}`, workload: w.name, runs: peerSeconds.length, seconds: peerSeconds, medianSeconds: med, gflops: sweepFlops(w.config) / med / 1e9 });
          console.log(`numpy ${w.name}: median ${fmt(med)} s over ${peerSeconds.length} runs, ${fmt(sweepFlops(w.config) / med / 1e9)} GFLOP/s`);
          const peerGrid = await peer.grid();
          for (const { be } of active) {
            const ratios = pairs.get(be.name)!;
            const field = fields.get(be.name)!;
            const agreement = compareGrids(field.grids.gradLog10Mean, field.overflow, peerGrid);
            const pr: PeerRatio = { workload: w.name, engine: be.name, peer: 'numpy', ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), agreement };
            peerRatios.push(pr);
            const same = agreement.maxAbsDiffInRange <= AGREEMENT_LOG10 ? 'same work' : `DIFFERENT RESULTS (over ${AGREEMENT_LOG10})`;
            console.log(
              `${be.name} / numpy ${w.name}: time ratio ${fmt(pr.median)}x (rounds: ${fmt(pr.min)}-${fmt(pr.max)}x) -- ${pr.median > 1 ? `NumPy faster by ${fmt(pr.median)}x` : `${be.name} faster by ${fmt(1 / pr.median)}x`}; ` +
                `grids: max |diff| ${agreement.maxAbsDiffInRange.toExponential(2)} over ${agreement.cellsInRange} cells in float32 range (${same}), ${agreement.maxAbsDiffFinite.toExponential(2)} over all ${agreement.cellsFinite} finite cells; ${agreement.cellsDisagreeingInKind} of ${agreement.cells} differ in kind`,
            );
          }
        }
      } finally {
        peer?.close();
      }
    }
  } finally {
    for (const { engine } of engines) engine.dispose();
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
  if (peerRatios.length > 0) {
    console.log('\n| workload | engine | time / NumPy time (median of rounds) | spread (rounds) |');
    console.log('|---|---|---|---|');
    for (const p of peerRatios) console.log(`| ${p.workload} | ${p.engine} | ${fmt(p.median)}x | ${fmt(p.min)}-${fmt(p.max)}x |`);
  }
  const loadAtEnd = loadavg()[0];
  if (peerRatios.length > 0 && Math.max(machine.loadAverageAtStart, loadAtEnd) > machine.logicalCpus) {
    const note =
      `load average ${machine.loadAverageAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end, on ${machine.logicalCpus} CPUs: other processes shared the machine. ` +
      "Interleaving spreads the load over both sides, but OpenBLAS's threads meet at every matrix product (2T per sweep) and lose far more to descheduling than the engine's workers, which meet once per block: under load the ratios flatter the engine.";
    console.log(`\nWARNING: ${note}`);
    notes.push(note);
  }
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine, loadAverageAtEnd: loadAtEnd, vulkan },
    ceilingsGflops: ceilings,
    workloads: Object.fromEntries(workloads.map((w) => [w.name, { config: w.config, gflop: sweepFlops(w.config) / 1e9 }])),
    peers: peerInfo,
    peerRatios,
    notes,
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
