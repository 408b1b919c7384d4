/**
 * Does the NumPy peer of the training benchmark (bench/peers/train_numpy.py) compute the same
 * training as the lab? It gets the lab's initial weights (float32) and its first K training
 * batches of the default run as .npy files, trains on them, and its training losses are set
 * beside the float64 reference trainer's and the float32 CPU trainer's for those K steps. Prints
 * the worst relative difference of each float32 curve from the reference and writes
 * bench/results/train-peer-check-<time>.json. Not a test: the benchmark's peer is a script.
 *
 *   node --import ./src/node/register.mjs bench/train-peer-check.ts [--steps 20] [--python python3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTrainConfig } from '../src/core/train/config.ts';
import { initialParams } from '../src/core/train/model.ts';
import { taskShape, trainBatch } from '../src/core/train/tasks.ts';
import { ReferenceTrainer } from '../src/core/train/trainer.ts';
import { modelLabel } from '../src/core/train/config.ts';
import { CpuTrainer } from '../src/engine/cpu/train/trainer.ts';
import { npyBytes } from '../src/export/npy.ts';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '20' }, python: { type: 'string', default: 'python3' } } });
const K = Number(args.steps);
if (!Number.isInteger(K) || K < 1) throw new Error(`--steps: ${args.steps} is not a whole number >= 1`);
const config = parseTrainConfig({ iterations: K - 1, evalEvery: K }); // the defaults: 4 models, N = 64, T = 150, batch 32
const shape = taskShape(config);
const T = config.length;
const B = config.batch;

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-train-peer-'));
try {
  const params = config.models.map((m) => Float32Array.from(initialParams(m, shape, config.seed)));
  const P = params[0].length;
  const flat = new Float32Array(params.length * P);
  params.forEach((p, k) => flat.set(p, k * P));
  const x = new Float32Array(K * T * B * 2);
  const y = new Float32Array(K * B);
  for (let i = 0; i < K; i++) {
    const b = trainBatch(config, i);
    x.set(b.x, i * T * B * 2);
    y.set(b.targets, i * B);
  }
  writeFileSync(join(dir, 'params.npy'), npyBytes(flat, '<f4', [params.length, P]));
  writeFileSync(join(dir, 'x.npy'), npyBytes(x, '<f4', [K, T, B, 2]));
  writeFileSync(join(dir, 'y.npy'), npyBytes(y, '<f4', [K, B]));
  writeFileSync(join(dir, 'models.json'), JSON.stringify(config.models.map((m) => ({ activation: m.activation, clip: m.clip }))));
  const threads = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(String(args.python), ['bench/peers/train_numpy.py', '--data', dir], { encoding: 'utf8', env: { ...process.env, ...threads } });
  if (r.status !== 0) throw new Error(`the NumPy peer failed: ${r.stderr}`);
  const numpy = JSON.parse(r.stdout.trim().split('\n').pop()!).trainLoss as number[][];

  // The lab's inputs are float64 draws; the peer got them rounded to float32, as the CPU trainer rounds them.
  const ref = await new ReferenceTrainer().train(config);
  const cpu = await new CpuTrainer(null).train(config);
  const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / Math.abs(b[i])));
  const rows = config.models.map((m, k) => ({
    model: modelLabel(m),
    reference: Array.from(ref.models[k].trainLoss),
    cpu: Array.from(cpu.models[k].trainLoss),
    numpy: numpy[k],
    worstCpu: worst(cpu.models[k].trainLoss, ref.models[k].trainLoss),
    worstNumpy: worst(numpy[k], ref.models[k].trainLoss),
  }));
  console.log(`training loss over the first ${K} steps of the default run (seed ${config.seed}), float32 against the float64 reference:`);
  for (const row of rows) {
    console.log(`  ${row.model.padEnd(24)} step 0 ${row.reference[0].toPrecision(6)}, step ${K - 1} ${row.reference[K - 1].toPrecision(6)} (reference)  worst relative difference: CPU ${row.worstCpu.toExponential(1)}, NumPy ${row.worstNumpy.toExponential(1)}`);
  }
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/train-peer-check-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ steps: K, config, rows }, null, 1));
  console.log(`wrote ${file}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
