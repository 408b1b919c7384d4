/**
 * What untied weights cost before the sweep: building W0_1..W0_T (for a gaussian init, each
 * normalised to spectral radius 1 exactly: one eigenvalue computation per matrix), per init, at
 * the default size, against the tied sweep and the untied sweep on the chosen engine.
 *
 *   node --import ./src/node/register.mjs bench/untied.ts [--hidden 64] [--steps 100] [--runs 3] [--engine cpu|webgpu|reference]
 *
 * Prints a table and writes bench/results/untied-<time>.json. Nothing here asserts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig, type Config } from '../src/core/config.ts';
import type { Engine } from '../src/core/engine.ts';
import { untiedWeights } from '../src/core/weights.ts';
import { untiedCost } from '../src/core/work.ts';
import { createNodeEngine, type BackendChoice } from '../src/node/engines.ts';
import { ensureVulkanDriver } from '../src/node/vulkan.ts';
import { describeMachine, machineLine } from './machine.ts';
import { median } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    hidden: { type: 'string', default: '64' },
    steps: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    engine: { type: 'string', default: 'cpu' },
    out: { type: 'string' },
  },
});
const runs = Math.max(1, Number(args.runs));
ensureVulkanDriver();

async function seconds(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

interface Row {
  init: Config['init'];
  normalize: Config['normalize'];
  what: string;
  buildSeconds: number[];
  tiedSweepSeconds: number[];
  untiedSweepSeconds: number[];
}

async function main(): Promise<void> {
  const machine = describeMachine();
  console.log(`machine: ${machineLine(machine)}`);
  const { engine }: { engine: Engine } = await createNodeEngine(args.engine as BackendChoice);
  console.log(`engine: ${engine.name} (${engine.adapter})`);
  const rows: Row[] = [];
  try {
    await engine.run(parseConfig({ hidden: 16, steps: 5 })); // workers started, pipelines compiled
    const inits: [Config['init'], Config['normalize']][] = [['gaussian', 'radius'], ['gaussian', 'norm'], ['orthogonal', 'radius'], ['spectrum', 'radius'], ['identity', 'radius']];
    for (const [init, normalize] of inits) {
      const row: Row = { init, normalize, what: '', buildSeconds: [], tiedSweepSeconds: [], untiedSweepSeconds: [] };
      for (let i = 0; i < runs; i++) {
        // A fresh seed per round: nothing cached from an earlier round.
        const seed = 3000 + i + (Date.now() % 100000) * 10;
        const base = parseConfig({ hidden: Number(args.hidden), steps: Number(args.steps), init, normalize, seed, ...(init === 'spectrum' ? { outliers: '1.1,0' } : {}) });
        const untied = { ...base, weights: 'untied' as const };
        row.what = untiedCost(untied);
        row.buildSeconds.push(await seconds(() => untiedWeights(untied)));
        row.tiedSweepSeconds.push(await seconds(() => engine.run(base)));
        row.untiedSweepSeconds.push(await seconds(() => engine.run(untied)));
      }
      rows.push(row);
      const m = (xs: number[]) => median(xs).toFixed(3);
      console.log(
        `${`${init}/${normalize}`.padEnd(18)} build W0_1..W0_T ${m(row.buildSeconds)} s (${(median(row.buildSeconds) * 1000 / Number(args.steps)).toFixed(2)} ms per matrix); ` +
          `tied sweep ${m(row.tiedSweepSeconds)} s; untied sweep (build included) ${m(row.untiedSweepSeconds)} s  [${row.what}]`,
      );
    }
  } finally {
    engine.dispose();
  }
  const out = args.out ?? `bench/results/untied-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(out, JSON.stringify({ machine, engine: args.engine, hidden: Number(args.hidden), steps: Number(args.steps), runs, rows }, null, 2));
  console.log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
