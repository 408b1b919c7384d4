/**
 * The CPU engines of several checkouts side by side in one process, runs interleaved (A, B, A, B,
 * ..., the order reversed every round) so that a shared machine's load hits every engine alike:
 *
 *   node [--experimental-wasm-relaxed-simd] --import ./src/node/register.mjs bench/cpu-ab.ts \
 *     --rounds 21 --workload sweep-64 --workers 2 /path/to/old-checkout /path/to/new-checkout[@plain]
 *
 * A checkout is a directory with this repository's layout (git worktree add /tmp/old <commit>,
 * its node_modules linked or copied); `@plain` creates its engine with fma: false. Prints each
 * engine's median wall and CPU seconds (all threads) with their quartiles, and the median of the
 * per-round ratios to the first engine: on a loaded machine the CPU-time ratio is the steadier.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { median } from './workloads.ts';

interface Side {
  name: string;
  run(): Promise<unknown>;
  dispose(): void;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '21' }, workload: { type: 'string', default: 'sweep-64' }, workers: { type: 'string', default: '2' } },
});
const quartiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.round(p * (s.length - 1))];
  return `[q25 ${at(0.25).toFixed(4)}, q75 ${at(0.75).toFixed(4)}, min ${s[0].toFixed(4)}, max ${s[s.length - 1].toFixed(4)}]`;
};

async function main(): Promise<void> {
  if (positionals.length < 1) throw new Error('give one or more checkout directories');
  const sides: Side[] = [];
  for (const spec of positionals) {
    const [dir, variant] = spec.split('@');
    const pool = await import(`${dir}/src/engine/cpu/pool-node.ts`);
    const workloads = await import(`${dir}/bench/workloads.ts`);
    const w = workloads.WORKLOADS.find((x: { name: string }) => x.name === values.workload);
    if (!w) throw new Error(`${dir} has no workload ${values.workload}`);
    const engine = pool.createNodeCpuEngine({ workers: Number(values.workers), ...(variant === 'plain' ? { fma: false } : {}) });
    sides.push({ name: `${spec} (${engine.adapter})`, run: () => engine.run(w.config), dispose: () => engine.dispose() });
  }
  for (const s of sides) for (let i = 0; i < 2; i++) await s.run(); // workers started, kernels compiled, W0 cached
  const wall: number[][] = sides.map(() => []);
  const cpu: number[][] = sides.map(() => []);
  const load: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const order = sides.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await sides[i].run();
      wall[i].push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1e6);
    }
    load.push(loadavg()[0]);
  }
  sides.forEach((s, i) => console.log(`${s.name}: wall median ${median(wall[i]).toFixed(4)} s ${quartiles(wall[i])}; CPU median ${median(cpu[i]).toFixed(4)} s ${quartiles(cpu[i])}; n = ${wall[i].length}`));
  for (let i = 1; i < sides.length; i++) {
    const ratios = (xs: number[][]) => xs[i].map((x, r) => x / xs[0][r]);
    console.log(`${positionals[i]} / ${positionals[0]}: wall ratio median ${median(ratios(wall)).toFixed(3)} ${quartiles(ratios(wall))}; CPU-time ratio median ${median(ratios(cpu)).toFixed(3)} ${quartiles(ratios(cpu))}`);
  }
  console.log(`load average (1 min) over the rounds: ${Math.min(...load).toFixed(1)} to ${Math.max(...load).toFixed(1)} on this machine`);
  for (const s of sides) s.dispose();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
