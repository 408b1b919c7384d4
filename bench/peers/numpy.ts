/**
 * The NumPy peer of the benchmark: bench/peers/numpy_sweep.py, a plain float32 NumPy version of
 * the sweep, run in a python3 process that stays up for the whole workload so that each timed run
 * is the sweep alone (no interpreter start-up, no file reads).
 *
 * It computes on the lab's own numbers: W0, U, b, r, h0, the inputs and the rho values are drawn
 * here by buildProblem (the one seeded generator) and handed over as .npy files (src/export/npy.ts),
 * W0 rounded to float32 as the engines round it.
 *
 * OpenBLAS picks its kernel at start-up from the CPU; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
 * set on some machines for old OpenBLAS builds, override that choice and can hold a current
 * NumPy to older kernels. The peer runs with both removed from its environment (and only its
 * own), and reports the kernel OpenBLAS chose.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Config } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { npyBytes, readNpy } from '../../src/export/npy.ts';

/** Environment variables removed from the peer's environment (see the header). */
export const OPENBLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

export interface PeerInfo {
  numpy: string;
  python: string;
  /** Which BLAS NumPy loaded, the kernel it chose (coreType), its thread count, and how this was learnt. */
  blas: Record<string, unknown>;
  /** The overriding variables this machine had set, removed for the peer: name -> value. */
  removedEnv: Record<string, string>;
}

export interface NumpyPeer {
  readonly name: 'numpy';
  readonly info: PeerInfo;
  /** One sweep; resolves to its wall time in seconds, as Python's perf_counter measured it. */
  run(): Promise<number>;
  /** The last run's mean log10 ||dL/dh_t||, [K, T] row-major like GradientField.gradLog10Mean. */
  grid(): Promise<Float64Array>;
  close(): void;
}

const SCRIPT = join(import.meta.dirname, 'numpy_sweep.py');

/** The python3 to use: $PYTHON, else python3 on the PATH. */
function python(): string {
  return process.env.PYTHON ?? 'python3';
}

/** Why the NumPy peer cannot run here, or null when python3 with NumPy is present. */
export function numpyUnavailable(): string | null {
  const probe = spawnSync(python(), ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error) return `${python()} not found (${probe.error.message})`;
  if (probe.status !== 0) return `${python()} has no NumPy (${probe.stderr.trim().split('\n').pop()})`;
  return null;
}

/** Write the sweep's numbers as .npy files into a fresh directory. */
function writeInputs(config: Config): string {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-peer-'));
  const p = buildProblem(config);
  const { hidden: N, input: D, steps: T, samples: S } = config;
  const x = new Float64Array(S * T * D);
  for (let s = 0; s < S; s++) x.set(p.inputsFor(s), s * T * D);
  const biasOn = Array.from({ length: T }, (_, i) => (p.biasOn(i + 1) ? 1 : 0));
  const files: [string, Uint8Array][] = [
    ['W0', npyBytes(p.W0, '<f4', [N, N])],
    ['U', npyBytes(p.U, '<f4', [N, D])],
    ['b', npyBytes(p.b, '<f4', [N])],
    ['r', npyBytes(p.r, '<f4', [N])],
    ['h0', npyBytes(p.h0, '<f4', [N])],
    ['x', npyBytes(x, '<f4', [S, T, D])],
    ['bias_on', npyBytes(biasOn, '|u1', [T])],
    ['rho', npyBytes(p.rho, '<f8', [p.rho.length])],
  ];
  for (const [name, bytes] of files) writeFileSync(join(dir, `${name}.npy`), bytes);
  return dir;
}

/** Start the peer for one workload. Throws with Python's own message if the script fails to start. */
export async function startNumpyPeer(config: Config): Promise<NumpyPeer> {
  const dir = writeInputs(config);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir); // also when the benchmark is stopped before close()
  const env = { ...process.env };
  const removedEnv: Record<string, string> = {};
  for (const name of OPENBLAS_OVERRIDES) {
    if (env[name] !== undefined) removedEnv[name] = env[name];
    delete env[name];
  }
  const child: ChildProcessWithoutNullStreams = spawn(python(), [SCRIPT, dir, config.activation, String(config.leakyAlpha)], { env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  let ended = false;
  lines.on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise<never>((_, reject) =>
    child.on('close', (code) => {
      ended = true;
      reject(new Error(`the NumPy peer exited (code ${code}): ${stderr.trim() || 'no message'}`));
    }),
  );
  exited.catch(() => undefined);
  const next = async (): Promise<Record<string, unknown>> => {
    if (ended) return exited;
    const line = await Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
    const msg = JSON.parse(line) as Record<string, unknown>;
    if (msg.error) throw new Error(`the NumPy peer: ${String(msg.error)}`);
    return msg;
  };
  const ask = (cmd: string) => {
    const reply = next();
    child.stdin.write(`${cmd}\n`);
    return reply;
  };
  const ready = await next();
  const info: PeerInfo = { numpy: String(ready.numpy), python: String(ready.python), blas: ready.blas as Record<string, unknown>, removedEnv };
  const gridPath = join(dir, 'grid.npy');
  return {
    name: 'numpy',
    info,
    run: async () => Number((await ask('run')).seconds),
    grid: async () => {
      await ask(`grid ${gridPath}`);
      const npy = readNpy(new Uint8Array(readFileSync(gridPath)));
      if (npy.descr !== '<f8' || npy.shape.join() !== `${config.rhoCount},${config.steps}`) {
        throw new Error(`the NumPy peer's grid is ${npy.descr} [${npy.shape.join(', ')}], not float64 [${config.rhoCount}, ${config.steps}]`);
      }
      return npy.data as Float64Array;
    },
    close: () => {
      if (!ended) child.stdin.end('quit\n');
      removeDir();
      process.off('exit', removeDir);
    },
  };
}

/** log10 of the float32 range: the smallest normal (1.18e-38) to the largest finite value (3.4e38). */
export const F32_LOG10_RANGE = [Math.log10(1.1754943508222875e-38), Math.log10(3.4028234663852886e38)] as const;

export interface GridAgreement {
  /** max |ours - peer| over cells where both are finite, our range flag is clear and both lie in F32_LOG10_RANGE. */
  maxAbsDiffInRange: number;
  cellsInRange: number;
  /** The same over every cell where both are finite and unflagged (log10 values beyond the float32 range included). */
  maxAbsDiffFinite: number;
  cellsFinite: number;
  /** Cells where exactly one side is finite, or both non-finite but different (NaN vs -Infinity). */
  cellsDisagreeingInKind: number;
  cells: number;
}

/** How closely our gradient grid and the peer's agree (log10 units). */
export function compareGrids(ours: Float64Array, overflow: Uint8Array, peer: Float64Array): GridAgreement {
  const [lo, hi] = F32_LOG10_RANGE;
  const out: GridAgreement = { maxAbsDiffInRange: 0, cellsInRange: 0, maxAbsDiffFinite: 0, cellsFinite: 0, cellsDisagreeingInKind: 0, cells: ours.length };
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = peer[i];
    const fa = Number.isFinite(a);
    const fb = Number.isFinite(b);
    if (fa !== fb || (!fa && !fb && !Object.is(a, b))) {
      out.cellsDisagreeingInKind++;
      continue;
    }
    if (!fa || overflow[i]) continue;
    const d = Math.abs(a - b);
    out.cellsFinite++;
    out.maxAbsDiffFinite = Math.max(out.maxAbsDiffFinite, d);
    if (a >= lo && a <= hi && b >= lo && b <= hi) {
      out.cellsInRange++;
      out.maxAbsDiffInRange = Math.max(out.maxAbsDiffInRange, d);
    }
  }
  return out;
}
