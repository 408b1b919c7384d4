/**
 * The training benchmark (not a test: nothing asserts): the default four-model run (adding, N = 64,
 * T = 150, batch 32, Adam, held-out loss every 50 steps) on the float32 CPU trainer, and the same
 * training in straightforward single-threaded float32 NumPy (bench/peers/train_numpy.py), run
 * interleaved (the order alternates each round) so both see the same load on a shared machine.
 * Prints both figures and writes bench/results/train-<time>.json.
 *
 *   node --import ./src/node/register.mjs bench/train.ts [--iterations 3000] [--rounds 2] [--workers 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { parseTrainConfig } from '../src/core/train/config.ts';
import { createNodeCpuTrainer } from '../src/engine/cpu/train/pool-node.ts';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    python: { type: 'string', default: 'python3' },
  },
});
const iterations = Number(args.iterations);
const rounds = Math.max(1, Number(args.rounds));
const config = parseTrainConfig({ iterations }); // every other setting: the lab's defaults
const models = config.models.length;

const trainer = createNodeCpuTrainer({ workers: Number(args.workers) });

async function timeCpu(): Promise<{ seconds: number; final: number[] }> {
  const t0 = performance.now();
  const r = await trainer.train(config);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, final: r.models.map((m) => r.rows.filter((x) => x.model === m.model).at(-1)?.heldoutLoss ?? NaN) };
}

function timeNumpy(): { seconds: number; final: number[]; numpy: string } {
  const threads = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(String(args.python), ['bench/peers/train_numpy.py', '--iterations', String(iterations)], {
    encoding: 'utf8',
    env: { ...process.env, ...threads },
    timeout: 3_600_000,
  });
  if (r.status !== 0) throw new Error(`the NumPy peer failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { seconds: out.seconds, final: out.final.map((f: { heldoutLoss: number }) => f.heldoutLoss), numpy: out.numpy };
}

const per100 = (s: number) => (s / models / iterations) * 100;

console.log(`training benchmark: ${models} models, N = 64, T = ${config.length}, batch ${config.batch}, ${iterations} iterations; ${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}; load ${loadavg()[0].toFixed(1)}`);
await trainer.train({ ...config, iterations: 2 }); // warm-up: workers started, code compiled
const cpu: number[] = [];
const numpy: number[] = [];
let numpyVersion = '';
let finals: { cpu: number[]; numpy: number[] } = { cpu: [], numpy: [] };
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['cpu', 'numpy'] : ['numpy', 'cpu'];
  for (const which of order) {
    if (which === 'cpu') {
      const r = await timeCpu();
      cpu.push(r.seconds);
      finals = { ...finals, cpu: r.final };
    } else {
      const r = timeNumpy();
      numpy.push(r.seconds);
      numpyVersion = r.numpy;
      finals = { ...finals, numpy: r.final };
    }
    console.log(`  round ${round + 1}: ${which.padEnd(5)} ${(which === 'cpu' ? cpu : numpy).at(-1)!.toFixed(2)} s`);
  }
}
trainer.dispose();
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const rows = [
  { name: `CPU trainer (${trainer.adapter})`, seconds: cpu, median: median(cpu) },
  { name: `NumPy ${numpyVersion} float32, 1 thread`, seconds: numpy, median: median(numpy) },
];
for (const r of rows) console.log(`${r.name.padEnd(56)} ${r.median.toFixed(2)} s  (${per100(r.median).toFixed(3)} s per 100 steps per model)`);
console.log(`ratio CPU / NumPy: ${(median(cpu) / median(numpy)).toFixed(2)}; load at the end ${loadavg()[0].toFixed(1)}`);
console.log(`final held-out loss (cpu trainer): ${finals.cpu.map((x) => x.toPrecision(3)).join(', ')}; numpy (its own data): ${finals.numpy.map((x) => x.toPrecision(3)).join(', ')}`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/train-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify({ iterations, models, config, cpus: `${cpus()[0]?.model} x ${cpus().length}`, loadAtEnd: loadavg()[0], rows: rows.map((r) => ({ ...r, per100StepsPerModel: per100(r.median) })), finals }, null, 1),
);
console.log(`wrote ${file}`);
process.exit(0);
