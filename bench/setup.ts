/**
 * Big N without the wait: from a changed setting to the first gradient field at N = 1024, against
 * the sweep itself. A new seed means a new W0 (drawn, its radius or norm found, normalised);
 * running the same config again reuses the cached W0, so the difference of the two is what the
 * setting change costs before the picture. The eigenvalues for the spectrum plot are not on that
 * path (core/problem.ts): their time is printed beside it. Because the sweep's own time moves by
 * seconds on a loaded machine, each round also times the setup alone: a fresh seed on a 2-step,
 * one-sequence sweep at the same N, less the same config run again (its W0 cached).
 *
 *   node --import ./src/node/register.mjs bench/setup.ts [--hidden 1024] [--runs 3] [--engine cpu|webgpu|reference] [--full]
 *
 * --full also times what W0 used to cost before every sweep: every eigenvalue (hqr) and the full
 * SVD (ml-matrix). Prints a table and writes bench/results/setup-<time>.json. Nothing here asserts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { parseConfig } from '../src/core/config.ts';
import type { Engine } from '../src/core/engine.ts';
import { hqrEigenvalues } from '../src/core/hqr.ts';
import { arnoldiRadius, lanczosNorm } from '../src/core/krylov.ts';
import { eigenvaluesOf, recurrentMatrix } from '../src/core/problem.ts';
import { Rng, STREAM } from '../src/core/rng.ts';
import { sweepFlops } from '../src/core/work.ts';
import { createNodeEngine, type BackendChoice } from '../src/node/engines.ts';
import { ensureVulkanDriver } from '../src/node/vulkan.ts';
import { describeMachine, machineLine } from './machine.ts';
import { median } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    hidden: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    engine: { type: 'string', default: 'cpu' },
    full: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const n = Number(args.hidden);
const runs = Math.max(1, Number(args.runs));
ensureVulkanDriver();

async function seconds(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const fmt = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const machine = describeMachine();
  console.log(`machine: ${machineLine(machine)}`);
  const base = parseConfig({ hidden: n, seed: 1000 });
  console.log(`config: N=${n}, T=${base.steps}, K=${base.rhoCount}, S=${base.samples}, ${base.activation}, ${base.init}, normalised to ${base.normalize}: ${(sweepFlops(base) / 1e9).toFixed(0)} GFLOP`);
  const { engine }: { engine: Engine } = await createNodeEngine(args.engine as BackendChoice);
  const rounds: {
    seed: number;
    changedSeconds: number;
    sweepSeconds: number;
    overheadSeconds: number;
    setupSeconds: number;
    w0Seconds: number;
    eigenvaluesSeconds: number;
    load: number;
  }[] = [];
  try {
    await engine.run(parseConfig({ hidden: 64, steps: 10 })); // workers started, pipelines compiled
    for (let i = 0; i < runs; i++) {
      const seed = 2000 + i + (Date.now() % 100000) * 10; // never cached by an earlier round or process
      const config = { ...base, seed };
      const load = loadavg()[0];
      const changedSeconds = await seconds(() => engine.run(config));
      const sweepSeconds = await seconds(() => engine.run(config));
      // The setup alone, on another fresh seed: the engine's path for a new W0 (for the CPU
      // engine, the norm in a worker beside the radius) before a sweep too short to matter.
      const tiny = { ...base, seed: seed + 2, steps: 2, rhoCount: 2, samples: 1, inputUntil: Math.min(base.inputUntil, 2) };
      const setupSeconds = (await seconds(() => engine.run(tiny))) - (await seconds(() => engine.run(tiny)));
      // The parts, on a third fresh seed (not cached): W0 built on one thread, then its eigenvalues.
      const other = { ...base, seed: seed + 1 };
      const w0Seconds = await seconds(() => recurrentMatrix(other));
      const eigenvaluesSeconds = await seconds(() => eigenvaluesOf(other));
      const r = { seed, changedSeconds, sweepSeconds, overheadSeconds: changedSeconds - sweepSeconds, setupSeconds, w0Seconds, eigenvaluesSeconds, load };
      rounds.push(r);
      console.log(
        `round ${i + 1} (load ${load.toFixed(2)}): changed setting -> field ${fmt(changedSeconds)} s; the same again (W0 cached) ${fmt(sweepSeconds)} s; ` +
          `difference ${fmt(r.overheadSeconds)} s (target <= 1 s); the setup alone ${fmt(setupSeconds)} s; W0 on one thread ${fmt(w0Seconds)} s; its eigenvalues afterwards ${fmt(eigenvaluesSeconds)} s`,
      );
    }
  } finally {
    engine.dispose();
  }
  const full: Record<string, number> = {};
  if (args.full) {
    const g = new Rng(7, STREAM.W0).normals(n * n, 1 / Math.sqrt(n));
    full.lanczosNormSeconds = await seconds(() => lanczosNorm(g, n));
    let steps = 0;
    full.arnoldiRadiusSeconds = await seconds(() => (steps = arnoldiRadius(g, n)?.steps ?? NaN));
    full.arnoldiSteps = steps;
    full.hqrEigenvaluesSeconds = await seconds(() => hqrEigenvalues(g, n));
    full.fullSvdSeconds = await seconds(
      () => new SingularValueDecomposition(Matrix.from1DArray(n, n, Array.from(g)), { computeLeftSingularVectors: false, computeRightSingularVectors: false }),
    );
    console.log(
      `the parts on one matrix: Lanczos norm ${fmt(full.lanczosNormSeconds)} s, Arnoldi radius ${fmt(full.arnoldiRadiusSeconds)} s (${steps} steps); ` +
        `before, on the sweep's path: every eigenvalue (hqr) ${fmt(full.hqrEigenvaluesSeconds)} s + full SVD ${fmt(full.fullSvdSeconds)} s`,
    );
  }
  const summary = {
    changedSeconds: median(rounds.map((r) => r.changedSeconds)),
    sweepSeconds: median(rounds.map((r) => r.sweepSeconds)),
    overheadSeconds: median(rounds.map((r) => r.overheadSeconds)),
    setupSeconds: median(rounds.map((r) => r.setupSeconds)),
    w0Seconds: median(rounds.map((r) => r.w0Seconds)),
    eigenvaluesSeconds: median(rounds.map((r) => r.eigenvaluesSeconds)),
  };
  console.log(
    `\nmedians over ${runs}: changed setting -> first field ${fmt(summary.changedSeconds)} s, the same again ${fmt(summary.sweepSeconds)} s, the per-round difference ${fmt(summary.overheadSeconds)} s ` +
      `(${summary.overheadSeconds <= 1 ? 'within' : 'OVER'} the 1 s target); the setup alone ${fmt(summary.setupSeconds)} s; eigenvalues for the plot ${fmt(summary.eigenvaluesSeconds)} s after it`,
  );
  const result = { date: new Date().toISOString(), command: `bench/setup.ts ${process.argv.slice(2).join(' ')}`.trim(), machine, engine: engine.name, adapter: engine.adapter, config: base, rounds, summary, full };
  mkdirSync('bench/results', { recursive: true });
  const out = args.out ?? `bench/results/setup-${result.date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
