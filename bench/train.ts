/**
 * The training benchmark (not a test: nothing asserts): the default four-model run (adding, N = 64,
 * T = 150, batch 32, Adam, held-out loss every 50 steps) on the float32 CPU trainer, on the WebGPU
 * trainer (Dawn: on a machine without a GPU that is SwiftShader, software on the same CPU cores,
 * and labelled so), and the same training in straightforward single-threaded float32 NumPy
 * (bench/peers/train_numpy.py), run interleaved (the order rotates each round) so all see the same
 * load on a shared machine. Prints the figures and writes bench/results/train-<time>.json.
 *
 *   node --import ./src/node/register.mjs bench/train.ts [--iterations 3000] [--rounds 2] [--workers 2]
 *        [--trainers cpu,webgpu,numpy] [--fma] [--hidden 64] [--length 150] [--batch 32] [--heldout 256]
 *
 * --fma: the CPU trainer with relaxed-SIMD fused multiply-adds (off by default, so that the lab
 * and the CLI train to the same numbers; Node 20 needs --experimental-wasm-relaxed-simd, which
 * the flag switches on).
 * The size options change the run for every trainer (the NumPy peer takes the same ones), e.g. a
 * small run to time the WebGPU trainer on SwiftShader in minutes rather than hours.
 */
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_SPECS, parseTrainConfig } from '../src/core/train/config.ts';
import type { Trainer } from '../src/core/trainer.ts';
import { fmaAvailable } from '../src/engine/cpu/simd.ts';
import { createNodeCpuTrainer } from '../src/engine/cpu/train/pool-node.ts';
import { isSoftwareRenderer } from '../src/engine/policy.ts';
import { WebGpuTrainer } from '../src/engine/webgpu/train/trainer.ts';
import { dawnGpu } from '../src/node/dawn.ts';
import { OPENBLAS_OVERRIDES } from './peers/numpy.ts';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    python: { type: 'string', default: 'python3' },
    trainers: { type: 'string', default: 'cpu,webgpu,numpy' },
    fma: { type: 'boolean', default: false },
    hidden: { type: 'string', default: '64' },
    length: { type: 'string', default: '150' },
    batch: { type: 'string', default: '32' },
    heldout: { type: 'string', default: '256' },
  },
});
const wanted = new Set(String(args.trainers).split(','));
for (const w of wanted) if (!['cpu', 'webgpu', 'numpy'].includes(w)) throw new Error(`--trainers: ${JSON.stringify(w)} is not one of cpu, webgpu, numpy`);
const iterations = Number(args.iterations);
const rounds = Math.max(1, Number(args.rounds));
const size = { hidden: Number(args.hidden), length: Number(args.length), batch: Number(args.batch), heldout: Number(args.heldout) };
// every other setting: the lab's defaults (its four models, each of hidden size --hidden)
const config = parseTrainConfig({ iterations, length: size.length, batch: size.batch, heldout: size.heldout, models: DEFAULT_MODEL_SPECS.map((m) => ({ ...m, hidden: size.hidden })) });
const models = config.models.length;

const trainers: { key: string; name: string; trainer: Trainer }[] = [];
if (wanted.has('cpu')) {
  if (args.fma && !fmaAvailable()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (args.fma && !fmaAvailable()) throw new Error('--fma: this Node does not run relaxed SIMD');
  const cpu = createNodeCpuTrainer({ workers: Number(args.workers), fma: args.fma });
  trainers.push({ key: 'cpu', name: `CPU trainer (${cpu.adapter})`, trainer: cpu });
}
if (wanted.has('webgpu')) {
  try {
    const gpu = await WebGpuTrainer.create(dawnGpu());
    const software = gpu.adapterInfo.isFallbackAdapter || isSoftwareRenderer(gpu.adapter);
    trainers.push({ key: 'webgpu', name: `WebGPU trainer (${gpu.adapter}${software ? ', SOFTWARE: CPU cores' : ''})`, trainer: gpu });
  } catch (e) {
    console.log(`WebGPU trainer skipped: ${(e as Error).message}`);
  }
}

/** CPU seconds this process (every thread, workers included) has used. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timeTrainer(trainer: Trainer): Promise<{ seconds: number; cpu: number; final: number[] }> {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const r = await trainer.train(config);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, cpu: cpuSeconds() - c0, final: r.models.map((m) => r.rows.filter((x) => x.model === m.model).at(-1)?.heldoutLoss ?? NaN) };
}

function timeNumpy(): { seconds: number; cpu: number; final: number[]; numpy: string } {
  const threads = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  // OpenBLAS chooses its kernel from the CPU, as for the sweep's peer (peers/numpy.ts): no override
  const env: NodeJS.ProcessEnv = { ...process.env, ...threads };
  for (const name of OPENBLAS_OVERRIDES) delete env[name];
  const sizeArgs = Object.entries(size).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const r = spawnSync(String(args.python), ['bench/peers/train_numpy.py', '--iterations', String(iterations), ...sizeArgs], {
    encoding: 'utf8',
    env,
    timeout: 3_600_000,
  });
  if (r.status !== 0) throw new Error(`the NumPy peer failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { seconds: out.seconds, cpu: out.cpuSeconds, final: out.final.map((f: { heldoutLoss: number }) => f.heldoutLoss), numpy: out.numpy };
}

const per100 = (s: number) => (s / models / iterations) * 100;

console.log(`training benchmark: ${models} models, N = ${size.hidden}, T = ${config.length}, batch ${config.batch}, held-out ${config.heldout}, ${iterations} iterations; ${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}; load ${loadavg()[0].toFixed(1)}`);
for (const t of trainers) await t.trainer.train({ ...config, iterations: 2 }); // warm-up: workers started, kernels compiled
const keys = [...trainers.map((t) => t.key), ...(wanted.has('numpy') ? ['numpy'] : [])];
const seconds: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
// CPU time as well as wall time: on a loaded machine the wall time measures the scheduler as much
// as the code, while the CPU seconds a run used stay close to what it needs.
const cpuTimes: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
const finals: Record<string, number[]> = {};
let numpyVersion = '';
for (let round = 0; round < rounds; round++) {
  const order = keys.map((_, j) => keys[(j + round) % keys.length]);
  for (const which of order) {
    const t = trainers.find((x) => x.key === which);
    if (t) {
      const r = await timeTrainer(t.trainer);
      seconds[which].push(r.seconds);
      cpuTimes[which].push(r.cpu);
      finals[which] = r.final;
    } else {
      const r = timeNumpy();
      seconds.numpy.push(r.seconds);
      cpuTimes.numpy.push(r.cpu);
      numpyVersion = r.numpy;
      finals.numpy = r.final;
    }
    console.log(`  round ${round + 1}: ${which.padEnd(6)} ${seconds[which].at(-1)!.toFixed(2)} s (CPU ${cpuTimes[which].at(-1)!.toFixed(2)} s), load ${loadavg()[0].toFixed(1)}`);
  }
}
for (const t of trainers) t.trainer.dispose();
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const rows = keys.map((k) => ({
  key: k,
  name: trainers.find((t) => t.key === k)?.name ?? `NumPy ${numpyVersion} float32, 1 thread`,
  seconds: seconds[k],
  median: median(seconds[k]),
  cpuSeconds: cpuTimes[k],
  cpuMedian: median(cpuTimes[k]),
}));
for (const r of rows) {
  const spread = `${Math.min(...r.seconds).toFixed(2)}-${Math.max(...r.seconds).toFixed(2)}`;
  console.log(`${r.name.padEnd(72)} median ${r.median.toFixed(2)} s (rounds ${spread} s)  ${((1000 * r.median) / iterations).toFixed(1)} ms per step of all ${models}, ${per100(r.median).toFixed(3)} s per 100 steps per model`);
  console.log(`${''.padEnd(72)} CPU median ${r.cpuMedian.toFixed(2)} s  ${per100(r.cpuMedian).toFixed(3)} CPU s per 100 steps per model`);
}
const byKey = Object.fromEntries(rows.map((r) => [r.key, r.median]));
const cpuByKey = Object.fromEntries(rows.map((r) => [r.key, r.cpuMedian]));
if (byKey.numpy !== undefined) {
  for (const k of ['cpu', 'webgpu']) {
    if (byKey[k] !== undefined) console.log(`ratio ${k} / NumPy: ${(byKey[k] / byKey.numpy).toFixed(2)} wall time, ${(cpuByKey[k] / cpuByKey.numpy).toFixed(2)} CPU time`);
  }
}
console.log(`load at the end ${loadavg()[0].toFixed(1)}`);
for (const [k, f] of Object.entries(finals)) console.log(`final held-out loss (${k}${k === 'numpy' ? ', its own data' : ''}): ${f.map((x) => x.toPrecision(3)).join(', ')}`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/train-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify({ iterations, models, config, cpus: `${cpus()[0]?.model} x ${cpus().length}`, loadAtEnd: loadavg()[0], rows: rows.map((r) => ({ ...r, per100StepsPerModel: per100(r.median), cpuPer100StepsPerModel: per100(r.cpuMedian) })), finals }, null, 1),
);
console.log(`wrote ${file}`);
process.exit(0);
