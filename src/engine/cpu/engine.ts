/**
 * The fast CPU engine: float32 storage, B = K * S sequences carried in blocks through all T
 * steps (kernel.ts), blocks spread over a pool of workers, per-sequence traces reduced to the
 * K x T grids on the calling thread (reduce.ts). Platform-free: the worker pool comes in
 * through `spawn` (pool-node.ts for worker_threads, pool-browser.ts for Web Workers); with
 * no spawn or `workers: 0` the blocks run on the calling thread, yielding between blocks.
 *
 * Each worker owns whole sequences through all steps, so there is no per-step synchronisation;
 * the blocks are handed out one at a time (two in flight per worker) so fast workers take more.
 */
import type { Config } from '../../core/config.ts';
import { AbortError, throwIfAborted, yieldToEventLoop, type Engine, type RunOptions } from '../../core/engine.ts';
import { emptyField, type GradientField } from '../../core/field.ts';
import { buildProblem, normApartHelps, recurrentMatrixBeside, type Problem } from '../../core/problem.ts';
import { checkHistogramRequest, HistogramCounts, type HistogramRequest, type PreactivationHistogram } from '../../core/preactivations.ts';
import { UntiedMemoryError, untiedWeights } from '../../core/weights.ts';
import { formatBytes, sequenceCount } from '../../core/work.ts';
import { matrixCount, sweepWeights } from '../sweep-weights.ts';
import { BlockKernel, blockCount } from './kernel.ts';
import type { FromWorker, KernelSetup, ToWorker } from './protocol.ts';
import { blockHistogram } from './worker-core.ts';
import { FieldReducer } from './reduce.ts';
import { chooseBlockColumns, DEFAULT_BLOCK_COLUMNS, makeSetup, paddedHidden } from './setup.ts';
import { fmaAvailable, simdAvailable } from './simd.ts';

/** One worker, seen through the little the engine needs of it (Node and browser alike). */
export interface WorkerPort {
  post(msg: ToWorker): void;
  /** Called once, right after spawning. */
  listen(onMessage: (msg: FromWorker) => void, onError: (err: Error) => void): void;
  /** Whether an idle worker may let the process exit (Node's ref/unref; a no-op in browsers). */
  hold(active: boolean): void;
  terminate(): void;
}

export type SpawnWorker = () => WorkerPort;

export interface CpuEngineOptions {
  /** Number of workers; 0 runs on the calling thread. Default: the spawner's core count, or 0 without one. */
  workers?: number;
  /** Use the WebAssembly SIMD GEMM when this JavaScript engine runs it (default true); false forces plain TypeScript. */
  simd?: boolean;
  /**
   * Use relaxed SIMD's fused multiply-add in the GEMM where the JavaScript engine has it (default
   * true): about a quarter faster, with products rounded once instead of twice, so the grids
   * differ from the plain SIMD ones in the last float32 bits (each is within the reference's
   * tolerance, and either is the same on 0, 1 or n workers).
   */
  fma?: boolean;
  /** Preferred sequences per block (rounded up to a multiple of 4); memory and balance may lower it. */
  blockColumns?: number;
}

/** Blocks in flight per worker: one running, one waiting, so a worker never idles on a message. */
const IN_FLIGHT = 2;
/**
 * Most bytes all workers together may hold for one sweep (each: W0 twice plus its block's BPTT
 * store, see workerBytes). Big sweeps on many-core machines use fewer workers rather than
 * exhausting a browser tab's memory.
 */
export const POOL_BYTES_LIMIT = 768 * 1024 * 1024;

/**
 * Bytes one worker allocates for a sweep: each recurrent matrix and its transpose (one W0, or T
 * untied W0_t; the SIMD path packs a second copy of them), the [Bp, Np] buffers and the
 * [T, Bp, Np] BPTT store, float32.
 */
export function workerBytes(setup: Pick<KernelSetup, 'Np' | 'T' | 'blockColumns'> & Partial<Pick<KernelSetup, 'matrices' | 'simd'>>): number {
  const { Np, T, blockColumns: bp } = setup;
  const matrices = setup.matrices ?? 1;
  const copies = matrices > 1 && setup.simd ? 2 : 1;
  return 4 * (2 * copies * matrices * Np * Np + (4 + T) * bp * Np);
}

/**
 * Planned before anything is built: why one worker cannot hold this sweep's untied matrices
 * within POOL_BYTES_LIMIT (with the size and what to reduce), or null where it can.
 */
export function cpuMemoryRefusal(config: Config, blockColumns: number, simd: boolean): string | null {
  const matrices = matrixCount(config);
  if (matrices === 1) return null;
  const Np = paddedHidden(config.hidden);
  const T = config.steps;
  const bytes = workerBytes({ Np, T, blockColumns, matrices, simd });
  if (bytes <= POOL_BYTES_LIMIT) return null;
  const perStep = 4 * (2 * (simd ? 2 : 1) * Np * Np + blockColumns * Np);
  const stepsThatFit = Math.floor((POOL_BYTES_LIMIT - 16 * blockColumns * Np) / perStep);
  return (
    `weights: untied needs ${T} matrices of ${config.hidden}x${config.hidden} in each CPU worker, ${formatBytes(bytes)} with its BPTT store, ` +
    `above the CPU engine's ${formatBytes(POOL_BYTES_LIMIT)}; reduce Steps T to at most ${stepsThatFit} (at N = ${config.hidden}) or Hidden size N, or use tied weights`
  );
}

export class CpuEngine implements Engine {
  readonly name = 'cpu' as const;
  readonly adapter: string;
  readonly workers: number;
  private readonly blockColumns: number;
  private readonly simd: boolean;
  private readonly fma: boolean;
  private pool: WorkerPort[] = [];
  /** Bumped whenever the pool is torn down, so late events of terminated workers are ignored. */
  private generation = 0;
  private route: ((w: number, msg: Exclude<FromWorker, { type: 'norm' }>) => void) | null = null;
  /** Norms asked of a worker (normInWorker), by message id. */
  private normWaiters = new Map<number, (norm: number | null, message: string) => void>();
  private fail: ((err: Error) => void) | null = null;
  private runs = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly spawn: SpawnWorker | null,
    options: CpuEngineOptions = {},
  ) {
    const w = options.workers ?? (spawn ? 2 : 0);
    if (!Number.isInteger(w) || w < 0) throw new Error(`cpu engine: workers must be a whole number >= 0, not ${w}`);
    if (w > 0 && !spawn) throw new Error('cpu engine: workers > 0 needs a worker spawner (pool-node.ts or pool-browser.ts)');
    this.workers = w;
    this.blockColumns = options.blockColumns ?? DEFAULT_BLOCK_COLUMNS;
    this.simd = (options.simd ?? true) && simdAvailable();
    this.fma = this.simd && (options.fma ?? true) && fmaAvailable();
    const arith = this.fma ? 'float32 WebAssembly SIMD with FMA' : this.simd ? 'float32 WebAssembly SIMD' : 'float32 JavaScript';
    this.adapter = w > 0 ? `${arith}, ${w} worker${w > 1 ? 's' : ''}` : `${arith}, calling thread`;
  }

  /** Runs one at a time: a run asked for while another is going waits for it. */
  run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const next = this.queue.then(() => this.runNow(config, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(config: Config, options: RunOptions): Promise<GradientField> {
    const { signal, onProgress } = options;
    if (this.disposed) throw new Error('cpu engine: run() after dispose(); create a new engine');
    throwIfAborted(signal);
    const started = performance.now();
    // A gaussian W0 at large N needs its radius and its norm, two Krylov iterations: the norm is
    // computed in a worker (idle until the sweep) while this thread finds the radius.
    if (this.workers > 0 && normApartHelps(config)) {
      await recurrentMatrixBeside(config, (seed, n) => this.normInWorker(seed, n, signal));
      if (this.disposed) throw new Error('the engine was disposed during the run');
      throwIfAborted(signal);
    }
    const p = buildProblem(config, { outlierAndUntied: true });
    const B = sequenceCount(config);
    const N = config.hidden;
    const Np = paddedHidden(N);
    const bp = chooseBlockColumns(config.steps, Np, B, Math.max(1, this.workers), this.blockColumns);
    const refusal = cpuMemoryRefusal(config, bp, this.simd);
    if (refusal) throw new UntiedMemoryError(refusal);
    // Untied weights: T matrices built (and, for gaussian, normalised by an eigenvalue
    // computation each) before the sweep; the progress says which one.
    const untied = await untiedWeights(config, { signal, onProgress: onProgress && ((q) => onProgress({ fraction: 0, phase: q.phase })) });
    const field = emptyField(config, p.rho, p.spectrum, {
      backend: this.name,
      adapter: this.adapter,
      wallMs: 0,
      precision: 'float32',
    });
    const setup = makeSetup(p, sweepWeights(p, untied), bp, this.simd, this.fma);
    const reducer = new FieldReducer(field, config.samples);
    const progress = () => onProgress?.({ fraction: reducer.done / B, phase: `${reducer.done} of ${B} sequences` });
    throwIfAborted(signal);
    if (this.workers === 0) await this.runInline(setup, reducer, signal, progress);
    else await this.runPooled(setup, reducer, signal, progress);
    reducer.finish();
    field.meta.wallMs = performance.now() - started;
    return field;
  }

  /**
   * The derivative panel's histogram of row request.rhoIndex (core/preactivations.ts): the
   * engine's own forward pass (the same kernel, float32, SIMD where it runs) of that row alone
   * (K = 1) for the first request.samples samples, a_t binned inside the worker that computes it
   * (BlockKernel.histogram); only each block's counts come back, summed here.
   */
  preactivationHistogram(config: Config, request: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    const next = this.queue.then(() => this.histogramNow(config, request, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async histogramNow(config: Config, request: HistogramRequest, options: RunOptions): Promise<PreactivationHistogram> {
    const { signal } = options;
    if (this.disposed) throw new Error('cpu engine: preactivationHistogram() after dispose(); create a new engine');
    throwIfAborted(signal);
    checkHistogramRequest(config, request);
    const started = performance.now();
    const k = request.rhoIndex;
    const full = buildProblem(config, { outlierAndUntied: true });
    // The row alone, its first S' samples: a sweep of one rho value (K = 1).
    const p: Problem = { ...full, config: { ...config, samples: request.samples }, rho: full.rho.subarray(k, k + 1) };
    const Np = paddedHidden(config.hidden);
    const bp = chooseBlockColumns(config.steps, Np, request.samples, Math.max(1, this.workers), this.blockColumns);
    const refusal = cpuMemoryRefusal(config, bp, this.simd);
    if (refusal) throw new UntiedMemoryError(refusal);
    const untied = await untiedWeights(config, { signal });
    const all = sweepWeights(full, untied);
    const row = { ...all, factor: all.factor.subarray(k, k + 1), shift: all.shift.subarray(k, k + 1) };
    const setup = makeSetup(p, row, bp, this.simd, this.fma);
    const bins = { bins: request.bins, lo: request.lo, hi: request.hi };
    const into = new HistogramCounts(config.steps, bins);
    const blocks = blockCount(setup);
    if (this.workers === 0) {
      const kernel = new BlockKernel(setup);
      for (let b = 0; b < blocks; b++) {
        into.merge(blockHistogram(kernel, b, bins));
        await yieldToEventLoop();
        throwIfAborted(signal);
      }
    } else {
      await this.pooled(setup, blocks, signal, (w, block, run) => this.pool[w].post({ type: 'histogram', run, block, bins }), (msg) => {
        if (msg.type !== 'histogram') return false;
        into.merge(msg.share);
        return true;
      });
    }
    const where = this.workers > 0 ? `in the CPU engine's worker${this.workers > 1 ? 's' : ''}` : 'on the calling thread';
    return into.finish(config, request, { engine: this.name, adapter: this.adapter, precision: 'float32', binnedWhere: where, wallMs: performance.now() - started });
  }

  private async runInline(setup: KernelSetup, reducer: FieldReducer, signal: AbortSignal | undefined, progress: () => void): Promise<void> {
    const kernel = new BlockKernel(setup);
    const blocks = blockCount(setup);
    let lastYield = performance.now();
    for (let b = 0; b < blocks; b++) {
      if (this.disposed) throw new Error('the engine was disposed during the run');
      reducer.add(kernel.run(b));
      progress();
      if (performance.now() - lastYield > 30) {
        await yieldToEventLoop();
        throwIfAborted(signal);
        lastYield = performance.now();
      }
    }
  }

  private runPooled(setup: KernelSetup, reducer: FieldReducer, signal: AbortSignal | undefined, progress: () => void): Promise<void> {
    return this.pooled(
      setup,
      blockCount(setup),
      signal,
      (w, block, run) => this.pool[w].post({ type: 'block', run, block }),
      (msg) => {
        if (msg.type !== 'result') return false;
        reducer.add(msg.result);
        progress();
        return true;
      },
    );
  }

  /**
   * Deal `blocks` blocks of `setup` out to the pool (`send` posts block `block` to worker w), two
   * in flight per worker; `take` consumes each answer (false: not an answer of this kind).
   */
  private pooled(
    setup: KernelSetup,
    blocks: number,
    signal: AbortSignal | undefined,
    send: (w: number, block: number, run: number) => void,
    take: (msg: FromWorker) => boolean,
  ): Promise<void> {
    const used = Math.max(1, Math.min(this.workers, blocks, Math.floor(POOL_BYTES_LIMIT / workerBytes(setup))));
    this.ensurePool(used);
    const run = ++this.runs;
    return new Promise<void>((resolve, reject) => {
      let nextBlock = 0;
      let answered = 0;
      let finished = false;
      const end = (err: Error | null) => {
        if (finished) return;
        finished = true;
        signal?.removeEventListener('abort', onAbort);
        this.route = null;
        this.fail = null;
        if (err) {
          // A worker busy in a block does not read messages: stopping it is the only way to stop it.
          this.terminatePool();
          reject(err);
        } else {
          for (const w of this.pool) w.hold(false);
          resolve();
        }
      };
      const onAbort = () => end(new AbortError());
      const feed = (w: number) => {
        if (nextBlock < blocks) send(w, nextBlock++, run);
      };
      this.route = (w, msg) => {
        if (msg.run !== run || finished) return;
        if (msg.type === 'error') {
          end(new Error(`cpu engine worker failed: ${msg.message}`));
          return;
        }
        feed(w);
        if (!take(msg)) {
          end(new Error(`internal: a ${msg.type} answer where another kind was asked for`));
          return;
        }
        if (++answered === blocks) end(null);
      };
      this.fail = (err) => end(new Error(`cpu engine worker failed: ${err.message}`));
      signal?.addEventListener('abort', onAbort);
      for (let w = 0; w < used; w++) {
        this.pool[w].hold(true);
        this.pool[w].post({ type: 'setup', run, setup });
      }
      for (let round = 0; round < IN_FLIGHT; round++) for (let w = 0; w < used; w++) feed(w);
    });
  }

  /** ||G||_2 of the gaussian W0's raw draw, computed by the first worker (core/w0-norm.ts). */
  private normInWorker(seed: number, n: number, signal: AbortSignal | undefined): Promise<number> {
    this.ensurePool(1);
    const port = this.pool[0];
    const id = ++this.runs;
    return new Promise<number>((resolve, reject) => {
      const finish = () => {
        this.normWaiters.delete(id);
        signal?.removeEventListener('abort', onAbort);
        port.hold(false);
      };
      const onAbort = () => {
        finish();
        reject(new AbortError());
      };
      this.normWaiters.set(id, (norm, message) => {
        finish();
        if (norm === null) reject(new Error(`cpu engine worker failed: ${message}`));
        else resolve(norm);
      });
      signal?.addEventListener('abort', onAbort);
      port.hold(true);
      port.post({ type: 'norm', id, seed, n });
    });
  }

  /** A worker failed or the pool was torn down: no norm asked of it will come. */
  private failNorms(message: string): void {
    for (const waiter of [...this.normWaiters.values()]) waiter(null, message);
  }

  private ensurePool(size: number): void {
    if (!this.spawn) throw new Error('internal: no worker spawner');
    while (this.pool.length < size) {
      const index = this.pool.length;
      const generation = this.generation;
      let port: WorkerPort;
      try {
        port = this.spawn();
      } catch (e) {
        throw new Error(`cpu engine: could not start a worker (${e instanceof Error ? e.message : String(e)}); create the engine with workers: 0 to run on the calling thread`, { cause: e });
      }
      port.listen(
        (msg) => {
          if (generation !== this.generation) return;
          if (msg.type === 'norm') this.normWaiters.get(msg.id)?.(msg.norm, msg.message);
          else this.route?.(index, msg);
        },
        (err) => {
          if (generation !== this.generation) return;
          this.failNorms(err.message);
          this.fail?.(err);
        },
      );
      port.hold(false);
      this.pool.push(port);
    }
  }

  private terminatePool(): void {
    this.failNorms('the worker pool was stopped');
    this.generation++;
    for (const w of this.pool) w.terminate();
    this.pool = [];
  }

  dispose(): void {
    this.disposed = true;
    this.fail?.(new Error('the engine was disposed during the run'));
    this.terminatePool();
  }
}
