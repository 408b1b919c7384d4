/**
 * The gpu.js engine: the fallback where WebGPU is missing, on WebGL2 (or WebGL1, or gpu.js's
 * CPU mode) through gpu.js. float32. Same Engine interface and same outputs as the reference.
 *
 * Per chunk of Bc sequences (kernels.ts has the kernels, plan.ts the chunking), with
 * W_{b,t} = rho_b M_t + shift_b D_t (src/engine/sweep-weights.ts: M_t = W0 when tied, the untied
 * W0_t otherwise, one packed texture each; shift_b D_t only on the outlier axis):
 *   forward,  t = 1..T:  a_t = clamp(W_{b,t} h_{t-1} + U x_t + b)   (kept, one texture per step)
 *                        h_t = phi(a_t);  per-sequence stats of h_t read back
 *   backward, t = T..1:  stats of g~_t read back; delta_t = phi'(a_t) g~_t 2^-k_t;
 *                        g~_{t-1} = W_{b,t}^T delta_t
 * and on the CPU (traces.ts) the log scale, the overflow rules and the reduction over samples.
 * Each step's small stats come back asynchronously (readback.ts) with a few steps in flight:
 * the GPU stays busy, the calling thread yields while it waits, a run stays cancellable.
 *
 * Where it differs from the float64 reference, by design (float32):
 * - range: pre-activations are clamped at overflowLimit (<= 1e34) and a state whose largest
 *   |a_i| falls below 1e-30 is flagged too (float32 would underflow it to an exact 0): such
 *   cells carry the overflow flag and NaN, earlier than the reference's non-finite h_t; for an
 *   unbounded or kinked activation (relu, say; the activation table says which) the whole backward pass of
 *   that sequence is then undefined (flagged; traces.ts says why).
 * - tanh' and sigmoid' are computed as 4e/(1+e)^2 and e/(1+e)^2, accurate where the
 *   reference's 1 - tanh^2 already rounds to 0 (|a| > 19): a fully saturated state gives a
 *   tiny finite gradient here where the reference gives an exact 0 (-Infinity).
 * - saturation counts may differ by a unit sitting within float32 rounding of the threshold.
 */
import { CPUKernel, GPU, Input, WebGL2Kernel, WebGLKernel, type IKernelRunShortcut } from 'gpu.js';
import { ACTIVATIONS, activationParams, activationRecord, type Activation, type ActivationParams } from '../../core/activations.ts';
import type { Config } from '../../core/config.ts';
import { throwIfAborted, type Engine, type RunOptions } from '../../core/engine.ts';
import { binWidth, checkHistogramRequest, HistogramCounts, HistogramUnsupportedError, type HistogramRequest, type PreactivationHistogram } from '../../core/preactivations.ts';
import { emptyField, type GradientField } from '../../core/field.ts';
import { buildProblem } from '../../core/problem.ts';
import { log10Norm } from '../../core/reference.ts';
import { UntiedMemoryError, untiedWeights } from '../../core/weights.ts';
import { matrixAt, sweepWeights } from '../sweep-weights.ts';
import {
  activationConstants,
  activateSource,
  backpropSource,
  binSource,
  BROADCAST,
  deltaSource,
  forwardSource,
  forwardStatsSource,
  gradStatsSource,
  MOVE_COEFFS,
  PACK_COLUMNS,
} from './kernels.ts';
import {
  DEFAULT_MATRIX_BUDGET,
  DEFAULT_MEMORY_BUDGET,
  DriveTable,
  UNDERFLOW_LIMIT,
  overflowLimit,
  packedMove,
  paddedMatrix,
  paddedVector,
  planChunks,
  untiedTextureRefusal,
  type ChunkPlan,
} from './plan.ts';
import { isTexture, readVec4Sync, StatsReader, yieldNow, type KernelOut, type PendingRead } from './readback.ts';
import { backwardDiesOutOfRange, chunkTrace, RowCollector, type ChunkStats } from './traces.ts';

export type GpuJsMode = 'webgl2' | 'webgl' | 'cpu';

export interface GpuJsEngineOptions {
  /** The gpu.js backend to use; create() throws if gpu.js cannot get it. Default webgl2. */
  mode?: GpuJsMode;
  /** GPU bytes of pre-activations one chunk of sequences may keep for BPTT (default 128 MiB). */
  memoryBudget?: number;
  /** GPU bytes the packed recurrent matrices may take (default 256 MiB): untied weights beyond it are refused before anything is built. */
  matrixBudget?: number;
  /**
   * How the per-step stats come back in webgl2 mode: 'async' (pixel-pack buffer and fence,
   * polled; the calling thread never waits on the GPU) or 'sync' (readPixels, which waits).
   * Default 'async'. webgl and cpu modes always read synchronously.
   */
  readback?: 'async' | 'sync';
}

/**
 * Whether a gpu.js kernel instance runs in the given mode (gpu.js may fall back to another
 * backend with only a console warning). instanceof, not constructor names: a minifier may
 * rename classes. WebGL2Kernel extends WebGLKernel.
 */
function runsIn(kernel: unknown, mode: GpuJsMode): boolean {
  if (mode === 'webgl2') return kernel instanceof WebGL2Kernel;
  if (mode === 'webgl') return kernel instanceof WebGLKernel && !(kernel instanceof WebGL2Kernel);
  return kernel instanceof CPUKernel;
}

interface ShapeKernels {
  key: string;
  pack: IKernelRunShortcut;
  broadcast: IKernelRunShortcut;
  forward: IKernelRunShortcut;
  backprop: IKernelRunShortcut;
}

/** The outlier axis's kernels (kernels.ts, `moved`): compiled only when a run sweeps the outlier. */
interface MoveKernels {
  key: string;
  move: IKernelRunShortcut;
  forward: IKernelRunShortcut;
  backprop: IKernelRunShortcut;
}

/** The kernels that depend on the activation and N too (elementwise and per-sequence stats). */
interface ActivationKernels {
  key: string;
  activate: IKernelRunShortcut;
  forwardStats: IKernelRunShortcut;
  gradStats: IKernelRunShortcut;
  delta: IKernelRunShortcut;
}

type KernelSet = Omit<ShapeKernels, 'key'> & Omit<ActivationKernels, 'key'> & { moved: Omit<MoveKernels, 'key'> | null };

/** Steps whose stats reads may be in flight: enough that the GPU never waits for JavaScript. */
const IN_FLIGHT = 3;

/** Activation kernel sets kept compiled (one per activation). */
const ACTIVATION_SETS = ACTIVATIONS.length;

/** A row-major [height, width] Float32Array as a gpu.js 2-D argument, read m[y][x] (gpu.js's typings say number[]; typed arrays are what it uploads fastest). */
function flat(v: Float32Array, width: number, height: number): Input {
  return new Input(v as unknown as number[], [width, height]);
}

/** Release a kernel result (textures only; cpu-mode arrays are garbage-collected). */
function release(x: KernelOut | null | undefined): void {
  if (isTexture(x)) x.delete();
}

/** The WebGL renderer string, unmasked where the browser allows it. */
function rendererOf(gpu: GPU): string {
  const gl = gpu.context as WebGLRenderingContext | WebGL2RenderingContext | null | undefined;
  if (!gl || typeof gl.getParameter !== 'function') return '';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  return typeof r === 'string' ? r : '';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class GpuJsEngine implements Engine {
  readonly name = 'gpujs' as const;
  readonly adapter: string;
  /** The gpu.js mode every kernel of this engine runs in (checked on each kernel). */
  readonly mode: GpuJsMode;
  /** The WebGL renderer ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader ...") or '' in cpu mode. */
  readonly renderer: string;
  private gpu: GPU | null;
  private shapeKernels: ShapeKernels | null = null;
  private moveKernels: MoveKernels | null = null;
  /** Activation kernel sets by key, most recent last (switching activations back and forth compiles once each). */
  private actKernels = new Map<string, ActivationKernels>();
  private readonly memoryBudget: number;
  private readonly matrixBudget: number;
  private readonly asyncReadback: boolean;
  private readonly maxTextureSize: number;
  private queue: Promise<unknown> = Promise.resolve();
  private created = 0;
  /** The histogram's binning kernel, compiled per activation and N. */
  private binKernel: { key: string; kernel: IKernelRunShortcut } | null = null;

  private constructor(gpu: GPU, mode: GpuJsMode, renderer: string, maxTextureSize: number, budgets: { memory: number; matrices: number }, asyncReadback: boolean) {
    this.gpu = gpu;
    this.asyncReadback = asyncReadback;
    this.mode = mode;
    this.renderer = renderer;
    this.maxTextureSize = maxTextureSize;
    this.memoryBudget = budgets.memory;
    this.matrixBudget = budgets.matrices;
    this.adapter = `gpu.js ${mode}${renderer ? `, ${renderer}` : ''}, float32`;
  }

  /**
   * A gpu.js engine in the asked mode, checked by compiling and running a probe kernel in
   * float32. Throws an Error saying why when gpu.js cannot get that mode (no WebGL2, no
   * float textures, a silent fallback to another mode).
   */
  static create(options: GpuJsEngineOptions = {}): GpuJsEngine {
    const mode = options.mode ?? 'webgl2';
    if (mode === 'webgl2' && !GPU.isWebGL2Supported) throw new Error('gpu.js: this browser has no WebGL2 (GPU.isWebGL2Supported is false)');
    if (mode === 'webgl' && !GPU.isWebGLSupported) throw new Error('gpu.js: this browser has no WebGL (GPU.isWebGLSupported is false)');
    if (mode !== 'cpu' && !GPU.isSinglePrecisionSupported) {
      throw new Error(`gpu.js: ${mode} has no float32 textures here (GPU.isSinglePrecisionSupported is false); the engine needs float32`);
    }
    let gpu: GPU;
    try {
      gpu = new GPU({ mode });
    } catch (e) {
      throw new Error(`gpu.js could not start in ${mode} mode: ${message(e)}`, { cause: e });
    }
    try {
      // Probe: a pipeline kernel returning vec4, as the engine's are, read back exactly.
      const probe = gpu.createKernel(BROADCAST, { output: [2], pipeline: true, immutable: true, precision: 'single', tactic: 'precision' });
      const v = new Float32Array([1.5, -2.25, 1e-20, 3e30, 5, 6, 7, 8]);
      const out = probe(v) as unknown as KernelOut;
      GpuJsEngine.checkKernel(probe, mode);
      const back = readVec4Sync(out, 2);
      release(out);
      probe.destroy();
      for (let i = 0; i < 8; i++) {
        if (back[i] !== v[i]) throw new Error(`a probe kernel read back ${back[i]} for ${v[i]}: not float32`);
      }
      const gl = gpu.context as WebGLRenderingContext | null | undefined;
      const maxTex = gl && typeof gl.getParameter === 'function' ? Number(gl.getParameter(gl.MAX_TEXTURE_SIZE)) : 16384;
      const budgets = { memory: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET, matrices: options.matrixBudget ?? DEFAULT_MATRIX_BUDGET };
      return new GpuJsEngine(gpu, mode, mode === 'cpu' ? '' : rendererOf(gpu), maxTex, budgets, options.readback !== 'sync');
    } catch (e) {
      void gpu.destroy();
      throw new Error(`gpu.js could not run a float32 kernel in ${mode} mode: ${message(e)}`, { cause: e });
    }
  }

  /** gpu.js degrades a kernel to another backend with only a console warning: refuse that. */
  private static checkKernel(k: IKernelRunShortcut, mode: GpuJsMode): void {
    const inner = (k as unknown as { kernel?: { constructor: { name: string }; precision?: string } }).kernel;
    if (!runsIn(inner, mode)) throw new Error(`kernels run as ${inner?.constructor.name ?? 'unknown'}, not in ${mode} mode (gpu.js fell back)`);
    if (mode !== 'cpu' && inner?.precision !== 'single') throw new Error(`kernels got precision "${inner?.precision}", not "single" (float32)`);
  }

  /** Runs one at a time: a run asked for while another is going waits for it. */
  run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const next = this.queue.then(() => this.runNow(config, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The kernels for this run, compiled only when what is baked into them changes: the loop
   * bound NP4 (all), the activation, N and the activation's parameters (elementwise and stats
   * kernels); the outlier axis's three kernels are compiled beside the others when first needed.
   * Output and argument sizes are dynamic (uniforms), so K, S, T, rho, the seed and the
   * overflow limit (an argument) never recompile: compiling costs seconds on SwiftShader.
   */
  private kernelsFor(act: Activation, N: number, S: number, plan: ChunkPlan, params: ActivationParams, moved: boolean): KernelSet {
    const gpu = this.gpu;
    if (!gpu) throw new Error('gpujs engine: run() after dispose(); create a new engine');
    const { NP4, NP, Bc } = plan;
    // gpu.js's cpu mode gave wrong numbers with dynamic sizes (seen in the tests); its kernels
    // are plain JS, cheap to rebuild, so there every size is part of the key instead.
    const dynamic = this.mode !== 'cpu';
    const sizes = dynamic ? '' : `/${Bc}/${S}`;
    const settings = (constants: Record<string, number>) => ({
      pipeline: true,
      immutable: true,
      precision: 'single' as const,
      tactic: 'precision' as const,
      dynamicOutput: dynamic,
      dynamicArguments: dynamic,
      constants,
    });
    const shapeKey = `${NP4}${sizes}`;
    if (this.shapeKernels?.key !== shapeKey) {
      this.destroyKernels('shape');
      const make = (src: string, output: number[]) => {
        this.created++;
        return gpu.createKernel(src, { ...settings({ NP4 }), output });
      };
      this.shapeKernels = {
        key: shapeKey,
        pack: make(PACK_COLUMNS, [NP4, NP]),
        broadcast: make(BROADCAST, [NP4, Bc]),
        forward: make(forwardSource(false), [NP4, Bc]),
        backprop: make(backpropSource(false), [NP4, Bc]),
      };
    }
    if (moved && this.moveKernels?.key !== shapeKey) {
      this.destroyKernels('moved');
      const make = (src: string, output: number[]) => {
        this.created++;
        return gpu.createKernel(src, { ...settings({ NP4 }), output });
      };
      this.moveKernels = {
        key: shapeKey,
        move: make(MOVE_COEFFS, [Bc]),
        forward: make(forwardSource(true), [NP4, Bc]),
        backprop: make(backpropSource(true), [NP4, Bc]),
      };
    }
    const constants = activationConstants(act, params, N, NP4, UNDERFLOW_LIMIT);
    const actKey = `${act}/${N}/${activationRecord(act).params.map((q) => params[q.key]).join('/')}${sizes}`;
    let actSet = this.actKernels.get(actKey);
    if (actSet) {
      this.actKernels.delete(actKey);
    } else {
      const make = (src: string, output: number[]) => {
        this.created++;
        return gpu.createKernel(src, { ...settings(constants), output });
      };
      actSet = {
        key: actKey,
        activate: make(activateSource(act), [NP4, Bc]),
        forwardStats: make(forwardStatsSource(act), [Bc]),
        gradStats: make(gradStatsSource(act), [Bc]),
        delta: make(deltaSource(act), [NP4, Bc]),
      };
    }
    this.actKernels.set(actKey, actSet);
    // Keep one set per activation at most: a different N or slope evicts the oldest.
    while (this.actKernels.size > ACTIVATION_SETS) this.destroyActivationSet(this.actKernels.keys().next().value as string);
    const { key: _s, ...shape } = this.shapeKernels;
    const { key: _a, ...elementwise } = actSet;
    let movedSet: KernelSet['moved'] = null;
    if (moved && this.moveKernels) {
      const { key: _m, ...mk } = this.moveKernels;
      movedSet = mk;
    }
    const ks: KernelSet = { ...shape, ...elementwise, moved: movedSet };
    // Sizes of this run (setOutput on a compiled dynamic-output kernel only resizes).
    ks.pack.setOutput([NP4, NP]);
    for (const k of [ks.broadcast, ks.forward, ks.backprop, ks.activate, ks.delta]) k.setOutput([NP4, Bc]);
    ks.forwardStats.setOutput([Bc]);
    ks.gradStats.setOutput([Bc]);
    if (movedSet) {
      movedSet.forward.setOutput([NP4, Bc]);
      movedSet.backprop.setOutput([NP4, Bc]);
      movedSet.move.setOutput([Bc]);
    }
    return ks;
  }

  private destroyActivationSet(key: string): void {
    const set = this.actKernels.get(key);
    if (!set) return;
    const { key: _key, ...ks } = set;
    for (const k of Object.values(ks)) k.destroy();
    this.actKernels.delete(key);
  }

  private destroyKernels(which: 'shape' | 'moved' | 'all' = 'all'): void {
    if (this.shapeKernels && which !== 'moved') {
      const { key: _key, ...ks } = this.shapeKernels;
      for (const k of Object.values(ks)) k.destroy();
      this.shapeKernels = null;
    }
    if (this.moveKernels && which !== 'shape') {
      const { key: _key, ...ks } = this.moveKernels;
      for (const k of Object.values(ks)) k.destroy();
      this.moveKernels = null;
    }
    if (which === 'all') for (const key of [...this.actKernels.keys()]) this.destroyActivationSet(key);
  }

  private async runNow(config: Config, options: RunOptions): Promise<GradientField> {
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    const started = performance.now();
    const p = buildProblem(config, { outlierAndUntied: true });
    // Untied weights: the packed W0_t planned against the matrix budget before any is built.
    const refusal = untiedTextureRefusal(config, this.matrixBudget);
    if (refusal) throw new UntiedMemoryError(refusal);
    // ... then built (and, for gaussian, normalised by an eigenvalue computation each); the progress says which one.
    const untied = await untiedWeights(config, { signal, onProgress: onProgress && ((q) => onProgress({ fraction: 0, phase: q.phase })) });
    const weights = sweepWeights(p, untied);
    const M = weights.matrices.length;
    const field = emptyField(config, p.rho, p.spectrum, { backend: this.name, adapter: this.adapter, wallMs: 0, precision: 'float32' });
    const { hidden: N, steps: T, samples: S, activation: act } = config;
    const plan = planChunks(p, this.maxTextureSize, this.memoryBudget);
    const { NP, Bc, B } = plan;
    const limit = overflowLimit(p, weights);
    const ks = this.kernelsFor(act, N, S, plan, activationParams(config), config.sweep === 'outlier');
    const mk = ks.moved;
    // The outlier axis: each matrix's direction as the move kernels read it (plan.ts packedMove).
    const moves = mk
      ? weights.directions.map((d) => {
          if (!d) throw new Error('internal: the outlier axis without an outlier direction');
          const m = packedMove(d, NP);
          return { P: flat(m.P, NP, 2), R: m.R, RT: m.RT };
        })
      : [];
    const dies = backwardDiesOutOfRange(act, config);
    const drives = new DriveTable(p, NP);
    const h0Log10 = log10Norm(p.h0, 0, N);
    const rows = new RowCollector(field, S);

    // Every live kernel result, released in finally whatever happens (abort, error).
    const live = new Set<KernelOut>();
    const keep = <X extends KernelOut>(x: X): X => {
      live.add(x);
      return x;
    };
    const drop = (x: KernelOut | null | undefined): void => {
      if (!x) return;
      live.delete(x);
      release(x);
    };
    // Stats reads in flight, oldest first: a step's stats land in `into[t - 1]` when awaited.
    const reader = new StatsReader(this.gpu?.context as WebGLRenderingContext | null, this.mode === 'webgl2' && this.asyncReadback);
    const inflight: { into: Float32Array[]; t: number; read: PendingRead }[] = [];
    let completed = 0; // steps whose stats are in, over all chunks and both passes
    let lastYield = performance.now();
    /** Await reads until at most `max` are in flight; report progress, yield, honour abort. */
    const settle = async (max: number) => {
      while (inflight.length > max) {
        const r = inflight.shift()!;
        r.into[r.t - 1] = await r.read.wait();
        completed++;
      }
      if (performance.now() - lastYield > 20) {
        onProgress?.({ fraction: completed / (plan.chunks * 2 * T), phase: `chunk ${Math.floor(completed / (2 * T)) + 1} of ${plan.chunks}` });
        await yieldNow();
        lastYield = performance.now();
      }
      throwIfAborted(signal);
    };
    try {
      // Every recurrent matrix packed once per run, and its transpose (M_t^T for the backward pass).
      const WP: KernelOut[] = [];
      const WTP: KernelOut[] = [];
      for (const [m, W] of weights.matrices.entries()) {
        WP.push(keep(ks.pack(flat(paddedMatrix(W, N, NP, false), NP, NP)) as unknown as KernelOut));
        if (m === 0) GpuJsEngine.checkKernel(ks.pack, this.mode);
        WTP.push(keep(ks.pack(flat(paddedMatrix(W, N, NP, true), NP, NP)) as unknown as KernelOut));
      }
      const hInit = keep(ks.broadcast(paddedVector(p.h0, NP)) as unknown as KernelOut);
      const gInit = keep(ks.broadcast(paddedVector(p.r, NP)) as unknown as KernelOut);
      const rhoB = new Float32Array(Bc);
      const shiftB = new Float32Array(Bc);
      const sB = new Float32Array(Bc);
      for (let c = 0; c < plan.chunks; c++) {
        const q0 = c * Bc;
        for (let b = 0; b < Bc; b++) {
          const q = q0 + b;
          // Dummy sequences pad the last chunk: factor 0, no shift, sample 0, results ignored.
          rhoB[b] = q < B ? weights.factor[Math.floor(q / S)] : 0;
          shiftB[b] = q < B ? weights.shift[Math.floor(q / S)] : 0;
          sB[b] = q < B ? q % S : 0;
        }
        const stats: ChunkStats = { fwd: new Array(T), bwd: new Array(T) };
        const A: KernelOut[] = new Array(T);
        let h = hInit;
        for (let t = 1; t <= T; t++) {
          const m = matrixAt(M, t);
          let a: KernelOut;
          if (mk) {
            const coeffs = keep(mk.move(h, moves[m].P, moves[m].R, shiftB) as unknown as KernelOut);
            a = keep(mk.forward(WP[m], h, flat(drives.at(t), NP, S), rhoB, sB, limit, coeffs, moves[m].P) as unknown as KernelOut);
            drop(coeffs);
          } else a = keep(ks.forward(WP[m], h, flat(drives.at(t), NP, S), rhoB, sB, limit) as unknown as KernelOut);
          if (t === 1 && c === 0) {
            GpuJsEngine.checkKernel(mk ? mk.forward : ks.forward, this.mode);
          }
          A[t - 1] = a;
          const hNext = keep(ks.activate(a) as unknown as KernelOut);
          if (h !== hInit) drop(h);
          h = hNext;
          const fs = keep(ks.forwardStats(a, limit) as unknown as KernelOut);
          inflight.push({ into: stats.fwd, t, read: reader.start(fs, Bc) });
          drop(fs);
          await settle(IN_FLIGHT);
        }
        if (h !== hInit) drop(h);
        let g = gInit;
        for (let t = T; t >= 1; t--) {
          const a = A[t - 1];
          const gs = keep(ks.gradStats(g, a) as unknown as KernelOut);
          inflight.push({ into: stats.bwd, t, read: reader.start(gs, Bc) });
          if (t > 1) {
            const d = keep(ks.delta(a, g, gs) as unknown as KernelOut);
            const m = matrixAt(M, t);
            let gPrev: KernelOut;
            if (mk) {
              const coeffs = keep(mk.move(d, moves[m].P, moves[m].RT, shiftB) as unknown as KernelOut);
              gPrev = keep(mk.backprop(WTP[m], d, rhoB, coeffs, moves[m].P) as unknown as KernelOut);
              drop(coeffs);
            } else gPrev = keep(ks.backprop(WTP[m], d, rhoB) as unknown as KernelOut);
            drop(d);
            if (g !== gInit) drop(g);
            g = gPrev;
          }
          drop(gs);
          drop(a);
          await settle(IN_FLIGHT);
        }
        if (g !== gInit) drop(g);
        await settle(0);
        for (let b = 0; b < Bc && q0 + b < B; b++) rows.add(q0 + b, chunkTrace(stats, b, T, N, dies, h0Log10));
      }
    } finally {
      reader.dispose();
      for (const x of live) release(x);
      live.clear();
    }
    if (rows.rowsDone !== p.rho.length) throw new Error(`gpujs engine: ${rows.rowsDone} of ${p.rho.length} rows reduced (internal error)`);
    onProgress?.({ fraction: 1, phase: 'done' });
    field.meta.wallMs = performance.now() - started;
    return field;
  }

  /**
   * The derivative panel's histogram of row request.rhoIndex (core/preactivations.ts): the forward
   * and activate kernels of the sweep run that row alone (S' sequences at its rho), and after each
   * step a gpu.js kernel bins a_t on the GPU (binSource: gpu.js has no atomics, so each bin gathers
   * its count); only the bins + 4 numbers of each step are read back. Tied rho sweeps only: others
   * are refused with a HistogramUnsupportedError (the page then asks the reference).
   */
  preactivationHistogram(config: Config, request: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    const next = this.queue.then(() => this.histogramNow(config, request, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async histogramNow(config: Config, req: HistogramRequest, options: RunOptions): Promise<PreactivationHistogram> {
    throwIfAborted(options.signal);
    checkHistogramRequest(config, req);
    if (config.sweep !== 'rho' || config.weights !== 'tied') {
      throw new HistogramUnsupportedError('the gpu.js histogram runs tied rho sweeps only (its row has no outlier move and no untied matrices)');
    }
    const gpu = this.gpu;
    if (!gpu) throw new Error('gpujs engine: preactivationHistogram() after dispose(); create a new engine');
    const started = performance.now();
    const full = buildProblem(config);
    const k = req.rhoIndex;
    // The row alone, its first S' samples: a sweep of one rho (the limit is the full sweep's, as there).
    const p = { ...full, config: { ...config, samples: req.samples }, rho: full.rho.subarray(k, k + 1) };
    const { hidden: N, steps: T, activation: act } = config;
    const plan = planChunks(p, this.maxTextureSize, this.memoryBudget);
    if (plan.chunks > 1) throw new HistogramUnsupportedError(`${req.samples} samples of N = ${N} do not fit one gpu.js chunk here; fewer samples do`);
    const { NP, Bc } = plan;
    const limit = overflowLimit(full, sweepWeights(full, null));
    const ks = this.kernelsFor(act, N, req.samples, plan, activationParams(config), false);
    const binKey = `bin/${act}/${N}/${this.mode === 'cpu' ? `${Bc}/` : ''}${activationRecord(act).params.map((q) => activationParams(config)[q.key]).join('/')}`;
    if (this.binKernel?.key !== binKey) {
      this.binKernel?.kernel.destroy();
      this.created++;
      const kernel = gpu.createKernel(binSource(act), {
        output: [req.bins + 4],
        pipeline: false,
        precision: 'single',
        tactic: 'precision',
        dynamicOutput: true,
        dynamicArguments: this.mode !== 'cpu',
        constants: activationConstants(act, activationParams(config), N, plan.NP4, UNDERFLOW_LIMIT),
      });
      // The loop over the Bc sequences has a run-time bound: WebGL unrolls up to this many.
      kernel.setLoopMaxIterations(4096);
      this.binKernel = { key: binKey, kernel };
    }
    const bin = this.binKernel.kernel;
    bin.setOutput([req.bins + 4]);
    const drives = new DriveTable(p, NP);
    const rhoB = new Float32Array(Bc).fill(p.rho[0]);
    const sB = Float32Array.from({ length: Bc }, (_, b) => Math.min(b, req.samples - 1));
    const into = new HistogramCounts(T, req);
    const live = new Set<KernelOut>();
    const keep = <X extends KernelOut>(x: X): X => (live.add(x), x);
    const drop = (x: KernelOut) => {
      live.delete(x);
      release(x);
    };
    try {
      const W0P = keep(ks.pack(flat(paddedMatrix(full.W0, N, NP, false), NP, NP)) as unknown as KernelOut);
      let h = keep(ks.broadcast(paddedVector(full.h0, NP)) as unknown as KernelOut);
      for (let t = 1; t <= T; t++) {
        const a = keep(ks.forward(W0P, h, flat(drives.at(t), NP, req.samples), rhoB, sB, limit) as unknown as KernelOut);
        drop(h);
        h = keep(ks.activate(a) as unknown as KernelOut);
        // Bc may exceed S' (the chunk is padded to whole sequences): only the first S' are binned.
        const out = bin(a, req.lo, binWidth(req), req.bins, limit, req.samples) as unknown as Float32Array;
        GpuJsEngine.checkKernel(bin, this.mode);
        drop(a);
        const j = t - 1;
        for (let i = 0; i < req.bins; i++) into.counts[j * req.bins + i] = out[i];
        into.below[j] = out[req.bins];
        into.above[j] = out[req.bins + 1];
        into.nonFinite[j] = out[req.bins + 2];
        into.derSum[j] = out[req.bins + 3];
        if (t % 16 === 0) {
          await yieldNow();
          throwIfAborted(options.signal);
        }
      }
    } finally {
      for (const x of live) release(x);
      live.clear();
    }
    return into.finish(config, req, {
      engine: this.name,
      adapter: this.adapter,
      precision: 'float32',
      binnedWhere: `on the GPU by gpu.js (${this.mode}), a gathering kernel`,
      wallMs: performance.now() - started,
    });
  }

  /** Kernels created (each compiles on its first call) since create(): changing K, S, T, rho or the seed adds none. */
  get kernelsCreated(): number {
    return this.created;
  }

  /** The WebGL context gpu.js draws with (null in cpu mode or once disposed). */
  get webglContext(): WebGLRenderingContext | null {
    const gl = this.gpu?.context as WebGLRenderingContext | null | undefined;
    return gl && typeof gl.getExtension === 'function' ? gl : null;
  }

  /** Destroys the kernels and the gpu.js instance (its WebGL context); the engine is unusable afterwards. */
  dispose(): void {
    this.destroyKernels();
    this.binKernel?.kernel.destroy();
    this.binKernel = null;
    const gpu = this.gpu;
    this.gpu = null;
    if (gpu) void gpu.destroy();
  }
}

/**
 * Test hook: lose the engine's WebGL context now, as a GPU reset would (WEBGL_lose_context).
 * Returns false where that extension is missing (or in cpu mode). A free function, not a method,
 * so that a build that never calls it (the lab's production bundle) does not hold it.
 */
export function loseContextForTest(engine: GpuJsEngine): boolean {
  const ext = engine.webglContext?.getExtension('WEBGL_lose_context');
  if (!ext) return false;
  ext.loseContext();
  return true;
}
