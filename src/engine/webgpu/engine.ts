/**
 * The WebGPU engine: the sweep as three WGSL kernels (shaders/forward.wgsl, backward.wgsl,
 * reduce.wgsl) on any WebGPU device -- navigator.gpu in the browser, Dawn in Node.
 *
 * Two shapes of the step kernels (plan.ts, KERNEL_VARIANTS), the same bindings, arithmetic and
 * records; the per-row statistics, norms and records come from shared preludes
 * (shaders/forward-step.wgsl, backward-step.wgsl, and the record prelude of record.ts):
 *
 * - persistent (forward.wgsl, backward.wgsl), the default on software adapters such as
 *   SwiftShader, where barriers are expensive. Design ("persistent RNN", after Diamos et al.
 *   2016): the B = K S sequences share W0 and are independent; only time is sequential. One
 *   invocation carries 4 sequences (b0 + q WORKGROUP, q = 0..3, so each load of h is contiguous
 *   across a workgroup's lanes) through many steps in a single dispatch (all T when the work is
 *   small), accumulating 8 output rows per pass for its 4 sequences in 8 vec4 registers, with W0
 *   read as a broadcast (or shared across subgroup lanes): every W0 value loaded serves 4
 *   sequences and every h value 8 rows. No barrier, no per-step dispatch.
 * - tiled (forward-tiled.wgsl, backward-tiled.wgsl), the default on hardware adapters: B / 4
 *   invocations cannot fill a GPU of thousands of lanes, so a workgroup carries a tile of up to
 *   16 sequences and splits the N rows of each product across its invocations, with h (or g) of
 *   the tile in workgroup memory, sized from the device's maxComputeWorkgroupStorageSize; B N / 16
 *   invocations, at the price of 2 (forward) and 4 (backward) workgroup barriers per step.
 *
 * The forward kernels are compiled per activation, with the activation prelude (activation.ts)
 * after the step prelude. No per-step readback: the host uploads W0, the inputs' drive
 * U x_t + b and the rho values, and reads back only the reduced K x T cells. Sweeps larger than
 * the device's buffer limits run in chunks of rho rows.
 */
import { activationParams, activationRecord } from '../../core/activations.ts';
import type { Config } from '../../core/config.ts';
import { AbortError, throwIfAborted, type Engine, type RunOptions } from '../../core/engine.ts';
import { binWidth, checkHistogramRequest, HistogramCounts, HistogramUnsupportedError, type HistogramRequest, type PreactivationHistogram } from '../../core/preactivations.ts';
import { emptyField, type GradientField } from '../../core/field.ts';
import { buildProblem, type Problem } from '../../core/problem.ts';
import { log10Norm } from '../../core/reference.ts';
import backwardStepWgsl from '../../../shaders/backward-step.wgsl?raw';
import backwardTiledWgsl from '../../../shaders/backward-tiled.wgsl?raw';
import backwardWgsl from '../../../shaders/backward.wgsl?raw';
import forwardStepWgsl from '../../../shaders/forward-step.wgsl?raw';
import forwardTiledWgsl from '../../../shaders/forward-tiled.wgsl?raw';
import forwardWgsl from '../../../shaders/forward.wgsl?raw';
import histogramWgsl from '../../../shaders/histogram.wgsl?raw';
import matrixPlainWgsl from '../../../shaders/matrix-plain.wgsl?raw';
import matrixSubgroupsWgsl from '../../../shaders/matrix-subgroups.wgsl?raw';
import reduceWgsl from '../../../shaders/reduce.wgsl?raw';
import sweepParamsWgsl from '../../../shaders/sweep-params.wgsl?raw';
import weightsWgsl from '../../../shaders/weights.wgsl?raw';
import { untiedWeights } from '../../core/weights.ts';
import { sweepWeights, type SweepWeights } from '../sweep-weights.ts';
import { RECORD_FLAGS } from '../../core/statistics.ts';
import { isSoftwareRenderer } from '../policy.ts';
import { activationWgsl } from './activation.ts';
import { decodeCells, recordFlagsOf, recordPreludeWgsl } from './record.ts';
import { backwardKillMask } from '../../core/range.ts';
import { describeAdapter, requestGpu, withErrorScopes, type AdapterDescription } from './device.ts';
import { CELL_BYTES, KERNEL_VARIANTS, MAX_TILE4, PARAM_STRIDE, planMemory, tiledShape, type KernelVariant, type MemoryPlan, type TiledShape } from './plan.ts';

export interface WebGpuEngineOptions {
  /** Cap on any one per-chunk buffer, bytes (default: the device's binding and buffer limits). Smaller forces more chunks. */
  maxChunkBytes?: number;
  /** GPU buffers of a run total at most this many bytes (default 2 GiB): chunks shrink to fit; a run that cannot is refused before allocating. */
  maxTotalBytes?: number;
  /** Steps per forward/backward dispatch: 1 is the per-step design; 'auto' (default) fits dispatchFlops. */
  stepsPerDispatch?: number | 'auto';
  /** Work per dispatch and per submitted batch, floating-point operations (default 2e8: ~0.2 s on SwiftShader). */
  dispatchFlops?: number;
  /** Invocations per workgroup, the WORKGROUP override (default 32; each carries 4 sequences). */
  workgroupSize?: number;
  /** Share matrix loads across subgroup lanes in the persistent kernels (shaders/matrix-subgroups.wgsl); default: when the device has 'subgroups'. */
  subgroups?: boolean;
  /** The step kernels' shape: 'auto' (default) is tiled on a hardware adapter, persistent on a fallback or software one (SwiftShader). */
  variant?: KernelVariant | 'auto';
  /** Invocations per workgroup of the tiled kernels, a multiple of 4 (default: 256, or the device's limit if lower). */
  tiledWorkgroupSize?: number;
  /** Largest tile of the tiled kernels, in sequences: 4, 8 or 16 (default 16; smaller where N or the device's workgroup memory needs it). */
  maxTileSequences?: number;
  powerPreference?: GPUPowerPreference;
}

const DEFAULTS = { maxTotalBytes: 2 * 1024 ** 3, stepsPerDispatch: 'auto' as const, dispatchFlops: 2e8, workgroupSize: 32, tiledWorkgroupSize: 256, maxTileSequences: 16 };

/** The step kernels' shape an adapter gets by default: tiled on hardware, persistent on a fallback or software rasteriser. */
export function defaultVariant(info: AdapterDescription): { variant: KernelVariant; why: string } {
  if (info.isFallbackAdapter) return { variant: 'persistent', why: 'fallback adapter: persistent kernels (barriers are expensive there)' };
  if (isSoftwareRenderer(info.text)) return { variant: 'persistent', why: `software adapter (${info.text}): persistent kernels (barriers are expensive there)` };
  return { variant: 'tiled', why: 'hardware adapter: tiled kernels (a workgroup per tile of sequences, rows split across invocations)' };
}

/** Params struct of shaders/sweep-params.wgsl (the step kernels): 16 words. */
const STEP_PARAMS_BYTES = 64;
/** Invocations per workgroup of shaders/histogram.wgsl (one workgroup per sample). */
const HISTOGRAM_WORKGROUP = 64;
/** Params struct of reduce.wgsl: 4 words. */
const REDUCE_PARAMS_BYTES = 16;

interface Pipelines {
  forward: GPUComputePipeline;
  backward: GPUComputePipeline;
  reduce: GPUComputePipeline;
}

interface Layouts {
  forward: GPUBindGroupLayout;
  backward: GPUBindGroupLayout;
  reduce: GPUBindGroupLayout;
}

/** One dispatch of a chunk: its kernel and its uniform slot. */
interface Dispatch {
  kind: 'forward' | 'backward' | 'reduce';
  slot: number;
  flops: number;
}

export class WebGpuEngine implements Engine {
  readonly name = 'webgpu' as const;
  /** The adapter in words (vendor, architecture, description; fallback or not). */
  readonly adapter: string;
  readonly adapterInfo: AdapterDescription;
  readonly device: GPUDevice;
  private readonly options: Required<Omit<WebGpuEngineOptions, 'maxChunkBytes' | 'powerPreference' | 'variant'>> & { maxChunkBytes?: number };
  /** Whether the persistent kernels read the matrix through subgroup broadcasts. */
  readonly subgroups: boolean;
  /** The step kernels' shape runs get (a tiled engine runs a sweep whose h does not fit workgroup memory with the persistent kernels, unless tiled was asked for by name). */
  readonly variant: KernelVariant;
  /** Why this variant, in words. */
  readonly variantWhy: string;
  private readonly variantForced: boolean;
  /** The tiled kernels' shape on this device (invocations, vec4s of h in workgroup memory). */
  readonly tiled: TiledShape;
  private readonly live = new Set<GPUBuffer>();
  private readonly layouts: Layouts;
  /** The record prelude, generated from the statistics table. */
  private readonly record: string;
  /** The reduction module; the step kernels' modules are made per variant and activation (pipelinesFor). */
  private readonly reduceModule: GPUShaderModule;
  private readonly backwardModules = new Map<KernelVariant, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<Pipelines>>();
  /** The histogram kernel's pipelines, by activation and h size. */
  private readonly histograms = new Map<string, Promise<{ layout: GPUBindGroupLayout; main: GPUComputePipeline; sum: GPUComputePipeline }>>();
  private lostInfo: GPUDeviceLostInfo | null = null;
  private uncaptured: GPUError | null = null;
  private disposed = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** Floating-point operations per millisecond this device has been measured to run (null: not yet). */
  private flopsPerMs: number | null = null;

  /** Request an adapter and device from `gpu` (navigator.gpu, or dawnGpu() in Node) and build the engine. */
  static async create(gpu: GPU | undefined, options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
    const { device, adapter } = await requestGpu(gpu, options.powerPreference);
    return new WebGpuEngine(device, describeAdapter(adapter), options);
  }

  private constructor(device: GPUDevice, info: AdapterDescription, options: WebGpuEngineOptions) {
    this.device = device;
    this.adapterInfo = info;
    this.adapter = info.text;
    this.options = {
      maxTotalBytes: options.maxTotalBytes ?? DEFAULTS.maxTotalBytes,
      stepsPerDispatch: options.stepsPerDispatch ?? DEFAULTS.stepsPerDispatch,
      dispatchFlops: options.dispatchFlops ?? DEFAULTS.dispatchFlops,
      workgroupSize: options.workgroupSize ?? DEFAULTS.workgroupSize,
      maxChunkBytes: options.maxChunkBytes,
      subgroups: options.subgroups ?? device.features.has('subgroups'),
      tiledWorkgroupSize:
        options.tiledWorkgroupSize ?? Math.min(DEFAULTS.tiledWorkgroupSize, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX),
      maxTileSequences: options.maxTileSequences ?? DEFAULTS.maxTileSequences,
    };
    if (this.options.subgroups && !device.features.has('subgroups')) {
      throw new Error("webgpu: the option subgroups is set but the device has no 'subgroups' feature");
    }
    if (![4, 8, 16].includes(this.options.maxTileSequences)) {
      throw new Error(`webgpu: maxTileSequences must be 4, 8 or 16, got ${this.options.maxTileSequences}`);
    }
    const wgTiled = this.options.tiledWorkgroupSize;
    if (wgTiled > device.limits.maxComputeInvocationsPerWorkgroup || wgTiled > device.limits.maxComputeWorkgroupSizeX) {
      throw new Error(
        `webgpu: tiledWorkgroupSize ${wgTiled} is above the device's limits (maxComputeInvocationsPerWorkgroup ${device.limits.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupSizeX ${device.limits.maxComputeWorkgroupSizeX})`,
      );
    }
    this.tiled = tiledShape(wgTiled, device.limits.maxComputeWorkgroupStorageSize);
    const asked = options.variant ?? 'auto';
    if (asked !== 'auto' && !(KERNEL_VARIANTS as readonly string[]).includes(asked)) {
      throw new Error(`webgpu: variant ${JSON.stringify(asked)} is not allowed; expected auto, ${KERNEL_VARIANTS.join(', ')}`);
    }
    const chosen = asked === 'auto' ? defaultVariant(info) : { variant: asked, why: `${asked} kernels, as asked` };
    this.variant = chosen.variant;
    this.variantWhy = chosen.why;
    this.variantForced = asked !== 'auto';
    this.subgroups = this.options.subgroups;
    this.record = recordPreludeWgsl();
    void device.lost.then((info) => {
      this.lostInfo = info;
    });
    device.addEventListener('uncapturederror', (e) => {
      this.uncaptured ??= (e as GPUUncapturedErrorEvent).error;
    });
    this.reduceModule = device.createShaderModule({ label: 'reduce.wgsl', code: `${this.record}\n${reduceWgsl}` });
    const entries = (kinds: ('uniform' | 'read-only-storage' | 'storage')[]): GPUBindGroupLayoutEntry[] =>
      kinds.map((type, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type, hasDynamicOffset: type === 'uniform' },
      }));
    this.layouts = {
      // p, wt, drive, rhos, h0 | hstate, dphi, records | outlier
      forward: device.createBindGroupLayout({
        label: 'forward layout',
        entries: entries(['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'storage', 'storage', 'read-only-storage']),
      }),
      // p, w, rhos, r | gstate | dphi | records, bstate | outlier
      backward: device.createBindGroupLayout({
        label: 'backward layout',
        entries: entries(['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'read-only-storage', 'storage', 'storage', 'read-only-storage']),
      }),
      // p, records | cells
      reduce: device.createBindGroupLayout({ label: 'reduce layout', entries: entries(['uniform', 'read-only-storage', 'storage']) }),
    };
  }

  /** GPU buffers created by this engine and not yet destroyed (0 between runs: leak tests use it). */
  get liveBuffers(): number {
    return this.live.size;
  }

  /** Whether the device has been lost (or destroyed). */
  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  /**
   * The memory layout a config would get on this device, or the Error refusing it (nothing is
   * allocated). A tiled engine chosen by default runs a sweep whose tile does not fit the
   * device's workgroup memory with the persistent kernels; one asked for tiled refuses it.
   */
  plan(config: Config): MemoryPlan {
    const l = this.device.limits;
    const planWith = (variant: KernelVariant) =>
      planMemory(
        config,
        { maxBindingBytes: l.maxStorageBufferBindingSize, maxBufferBytes: l.maxBufferSize },
        {
          maxChunkBytes: this.options.maxChunkBytes,
          maxTotalBytes: this.options.maxTotalBytes,
          stepsPerDispatch: this.options.stepsPerDispatch,
          dispatchFlops: this.options.dispatchFlops,
          workgroupSize: this.options.workgroupSize,
          variant,
          tiled: this.tiled,
          maxTile4: Math.min(MAX_TILE4, this.options.maxTileSequences / 4),
        },
      );
    if (this.variant === 'tiled' && !this.variantForced) {
      try {
        return planWith('tiled');
      } catch (e) {
        if (!/the tiled kernel cannot run/.test((e as Error).message)) throw e;
        return planWith('persistent');
      }
    }
    return planWith(this.variant);
  }

  run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    // Runs are serialised: they share the device and its queue.
    const job = this.tail.then(() => this.runNow(config, options));
    this.tail = job.catch(() => undefined);
    return job;
  }

  /**
   * The derivative panel's histogram of row request.rhoIndex (core/preactivations.ts), binned on
   * the GPU: shaders/histogram.wgsl runs the forward pass of that row alone (one workgroup per
   * sample, float32, the activation prelude of the sweep's kernels) and counts every a_t with
   * atomicAdd; only the [T, bins + 3] counts and the [T] sums of phi' are read back. Tied rho
   * sweeps only (the kernel has no outlier move and no untied matrices): others are refused with
   * a HistogramUnsupportedError, and the page asks the reference.
   */
  preactivationHistogram(config: Config, request: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    const job = this.tail.then(() => this.histogramNow(config, request, options));
    this.tail = job.catch(() => undefined);
    return job;
  }

  private histogramPipelines(config: Config, hs: number): Promise<{ layout: GPUBindGroupLayout; main: GPUComputePipeline; sum: GPUComputePipeline }> {
    const act = activationRecord(config.activation);
    const params = activationParams(config);
    const key = ['histogram', hs, act.name, ...act.params.map((q) => params[q.key])].join('/');
    let hit = this.histograms.get(key);
    if (!hit) {
      const dev = this.device;
      const kinds: GPUBufferBindingType[] = ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'storage', 'storage'];
      const layout = dev.createBindGroupLayout({ label: 'histogram layout', entries: kinds.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })) });
      const module = dev.createShaderModule({ label: `histogram.wgsl (${key})`, code: `${activationWgsl(act.name, params)}\n${histogramWgsl}` });
      const make = (entryPoint: string) =>
        dev.createComputePipelineAsync({
          label: `histogram ${entryPoint} (${key})`,
          layout: dev.createPipelineLayout({ label: 'histogram pipeline layout', bindGroupLayouts: [layout] }),
          compute: { module, entryPoint, constants: { WORKGROUP: HISTOGRAM_WORKGROUP, HS: hs } },
        });
      hit = Promise.all([make('main'), make('sumSamples')]).then(([main, sum]) => ({ layout, main, sum }));
      hit.catch(() => this.histograms.delete(key));
      this.histograms.set(key, hit);
    }
    return hit;
  }

  private async histogramNow(config: Config, req: HistogramRequest, options: RunOptions): Promise<PreactivationHistogram> {
    this.assertUsable();
    throwIfAborted(options.signal);
    checkHistogramRequest(config, req);
    if (config.sweep !== 'rho' || config.weights !== 'tied') {
      throw new HistogramUnsupportedError('the WebGPU histogram kernel computes tied rho sweeps only (no outlier move, no untied matrices)');
    }
    const started = performance.now();
    const p = buildProblem(config);
    const n = config.hidden;
    const d = config.input;
    const T = config.steps;
    const S = req.samples;
    const np4 = Math.ceil(n / 4);
    const np = np4 * 4;
    const rowSlots = req.bins + 3;
    // h_{t-1} and h_t of one sample in workgroup memory: 2 np4 vec4s (plus the partial sums).
    const wgBytes = 2 * np4 * 16 + 2 * HISTOGRAM_WORKGROUP * 4;
    if (wgBytes > this.device.limits.maxComputeWorkgroupStorageSize) {
      throw new HistogramUnsupportedError(`N = ${n} needs ${wgBytes} bytes of workgroup memory, above this device's ${this.device.limits.maxComputeWorkgroupStorageSize}`);
    }
    const pipes = await this.untilDone('building the histogram kernel', this.histogramPipelines(config, np4));
    const wt = new Float32Array(np * np); // [NP][NP4] vec4 = [NP][NP]: wt[j][i] = W0[i][j]
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) wt[j * np + i] = p.W0[i * n + j];
    // c_t = U x_t + b biasOn(t), in float64 then rounded once: [S][T][NP]
    const drive = new Float32Array(S * T * np);
    for (let s = 0; s < S; s++) {
      const x = p.inputsFor(s);
      for (let t = 0; t < T; t++) {
        const bias = p.biasOn(t + 1);
        for (let i = 0; i < n; i++) {
          let u = bias ? p.b[i] : 0;
          for (let j = 0; j < d; j++) u += p.U[i * d + j] * x[t * d + j];
          drive[(s * T + t) * np + i] = u;
        }
      }
    }
    const h0 = new Float32Array(np);
    h0.set(p.h0);
    const owned: GPUBuffer[] = [];
    const make = (label: string, size: number, usage: GPUBufferUsageFlags) => {
      const b = this.createBuffer(label, size, usage);
      owned.push(b);
      return b;
    };
    const ST = GPUBufferUsage.STORAGE;
    const D = GPUBufferUsage.COPY_DST;
    const C = GPUBufferUsage.COPY_SRC;
    const countBytes = T * rowSlots * 4;
    try {
      const bufs = await withErrorScopes(this.device, 'allocating the histogram buffers', () => ({
        params: make('histogram params', 48, GPUBufferUsage.UNIFORM | D),
        wt: make('histogram wt', wt.byteLength, ST | D),
        drive: make('histogram drive', drive.byteLength, ST | D),
        h0: make('histogram h0', h0.byteLength, ST | D),
        counts: make('histogram counts', countBytes, ST | D | C), // [T][bins + 3] u32
        dersum: make('histogram dersum', T * S * 4, ST | C), // [T][S] f32
        hstate: make('histogram hstate', S * np * 4, ST), // [S][NP] f32
        readCounts: make('histogram counts readback', countBytes, GPUBufferUsage.MAP_READ | D),
        readSums: make('histogram sums readback', T * S * 4, GPUBufferUsage.MAP_READ | D),
      }));
      const q = this.device.queue;
      q.writeBuffer(bufs.wt, 0, wt);
      q.writeBuffer(bufs.drive, 0, drive);
      q.writeBuffer(bufs.h0, 0, h0);
      q.writeBuffer(bufs.counts, 0, new Uint32Array(T * rowSlots));
      const group = this.device.createBindGroup({
        label: 'histogram bind group',
        layout: pipes.layout,
        entries: [bufs.params, bufs.wt, bufs.drive, bufs.h0, bufs.counts, bufs.dersum, bufs.hstate].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const params = new ArrayBuffer(48);
      const pu = new Uint32Array(params);
      const pf = new Float32Array(params);
      const rho = p.rho[req.rhoIndex];
      // Steps per dispatch: about dispatchFlops of work each (2 N^2 per sample and step).
      const spd = Math.max(1, Math.floor(this.options.dispatchFlops / (2 * S * np * np)));
      for (let t0 = 1; t0 <= T; t0 += spd) {
        const t1 = Math.min(T, t0 + spd - 1);
        // Params of histogram.wgsl, field by field
        pu.set([n, np4, T, S, req.bins]);
        pf[5] = req.lo;
        pf[6] = binWidth(req);
        pf[7] = rho;
        pu[8] = t0;
        pu[9] = t1;
        q.writeBuffer(bufs.params, 0, params);
        await withErrorScopes(this.device, 'running the histogram kernel', () => {
          const enc = this.device.createCommandEncoder({ label: 'histogram' });
          const pass = enc.beginComputePass({ label: 'histogram pass' });
          pass.setPipeline(pipes.main);
          pass.setBindGroup(0, group);
          pass.dispatchWorkgroups(S);
          if (t1 === T) {
            pass.setPipeline(pipes.sum);
            pass.dispatchWorkgroups(Math.ceil(T / HISTOGRAM_WORKGROUP));
          }
          pass.end();
          if (t1 === T) {
            enc.copyBufferToBuffer(bufs.counts, 0, bufs.readCounts, 0, countBytes);
            enc.copyBufferToBuffer(bufs.dersum, 0, bufs.readSums, 0, T * S * 4);
          }
          q.submit([enc.finish()]);
          return this.waitForQueue(2 * S * np * np * (t1 - t0 + 1), 'binning the pre-activations');
        });
        if (options.signal?.aborted) throw new AbortError();
      }
      await this.untilDone('reading the histogram back', Promise.all([bufs.readCounts.mapAsync(GPUMapMode.READ), bufs.readSums.mapAsync(GPUMapMode.READ)]));
      const raw = new Uint32Array(bufs.readCounts.getMappedRange());
      const sums = new Float32Array(bufs.readSums.getMappedRange());
      const into = new HistogramCounts(T, req);
      for (let j = 0; j < T; j++) {
        into.counts.set(raw.subarray(j * rowSlots, j * rowSlots + req.bins), j * req.bins);
        into.below[j] = raw[j * rowSlots + req.bins];
        into.above[j] = raw[j * rowSlots + req.bins + 1];
        into.nonFinite[j] = raw[j * rowSlots + req.bins + 2];
        into.derSum[j] = sums[j * S]; // sumSamples left the sum over s in slot 0
      }
      bufs.readCounts.unmap();
      bufs.readSums.unmap();
      return into.finish(config, req, {
        engine: this.name,
        adapter: this.adapter,
        precision: 'float32',
        binnedWhere: 'on the GPU (WGSL atomics)',
        wallMs: performance.now() - started,
      });
    } finally {
      for (const b of owned) this.destroyBuffer(b);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.live) b.destroy();
    this.live.clear();
    this.device.destroy();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('webgpu: the engine was disposed; create a new one');
    if (this.lostInfo) {
      throw new Error(
        `webgpu: the GPU device was lost (${this.lostInfo.reason}${this.lostInfo.message ? `: ${this.lostInfo.message}` : ''}); ` +
          'create a new engine (reload the page) or use the cpu backend',
      );
    }
    if (this.uncaptured) {
      const e = this.uncaptured;
      this.uncaptured = null;
      throw new Error(`webgpu: GPU error: ${e.message}`);
    }
  }

  /** Await a GPU promise, but fail with a clear Error instead of hanging if the device is lost meanwhile. */
  private async untilDone<T>(what: string, p: Promise<T>): Promise<T> {
    const lost = this.device.lost.then((info): never => {
      throw new Error(`webgpu: the GPU device was lost while ${what} (${info.reason}${info.message ? `: ${info.message}` : ''})`);
    });
    const value = await Promise.race([p, lost]);
    this.assertUsable();
    return value;
  }

  /**
   * Wait for the queue to finish work of `flops`. Dawn in Node polls the device from the event
   * loop while any GPU promise is pending, which keeps one CPU core busy -- on SwiftShader, a core
   * taken from the shaders. So sleep (a plain timer) through most of the predicted time first,
   * and only then ask for the completion promise. The prediction uses the rate measured on earlier
   * large batches (a running average; small batches, dominated by fixed latency, are ignored). An
   * over-long sleep raises the measured rate, so the next one is shorter: the estimate corrects
   * itself. In a browser the sleep costs nothing either.
   */
  private async waitForQueue(flops: number, what: string): Promise<void> {
    const t0 = performance.now();
    const predictedMs = this.flopsPerMs && flops > 0 ? flops / this.flopsPerMs : 0;
    if (predictedMs > 8) await new Promise((resolve) => setTimeout(resolve, 0.85 * predictedMs));
    await this.untilDone(what, this.device.queue.onSubmittedWorkDone());
    const ms = performance.now() - t0;
    if (flops >= 2e7 && ms > 5) {
      const rate = flops / ms;
      this.flopsPerMs = this.flopsPerMs === null ? rate : 0.5 * (this.flopsPerMs + rate);
    }
  }

  private createBuffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const b = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
    this.live.add(b);
    return b;
  }

  private destroyBuffer(b: GPUBuffer): void {
    b.destroy();
    this.live.delete(b);
  }

  /**
   * The step kernels' source: the matrix prelude first (it may hold `enable subgroups;`; the tiled
   * kernels read rows, not broadcasts, so they always take the plain one), then the record
   * prelude, the step's matrix and outlier move (weights.wgsl) and the pass's step prelude, all
   * shared by both variants.
   */
  private stepPrelude(variant: KernelVariant, pass: 'forward' | 'backward'): string {
    const matrix = variant === 'persistent' && this.subgroups ? matrixSubgroupsWgsl : matrixPlainWgsl;
    return `${matrix}\n${sweepParamsWgsl}\n${this.record}\n${weightsWgsl}\n${pass === 'forward' ? forwardStepWgsl : backwardStepWgsl}`;
  }

  private backwardModule(variant: KernelVariant): GPUShaderModule {
    let m = this.backwardModules.get(variant);
    if (!m) {
      m = this.device.createShaderModule({
        label: `backward (${this.kernelLabel(variant)})`,
        code: `${this.stepPrelude(variant, 'backward')}\n${variant === 'tiled' ? backwardTiledWgsl : backwardWgsl}`,
      });
      this.backwardModules.set(variant, m);
    }
    return m;
  }

  private kernelLabel(variant: KernelVariant): string {
    return variant === 'tiled' ? 'tiled' : `persistent, ${this.subgroups ? 'subgroups' : 'plain'}`;
  }

  private pipelinesFor(config: Config, plan: MemoryPlan): Promise<Pipelines> {
    const act = activationRecord(config.activation);
    const params = activationParams(config);
    const variant = plan.variant;
    // The forward kernel bakes in the activation and its own parameters (a change recompiles it),
    // the tiled kernels the size of their h array.
    const key = [variant === 'tiled' ? `tiled ${plan.hsVec4}` : variant, act.name, ...act.params.map((q) => params[q.key])].join('/');
    let hit = this.pipelines.get(key);
    if (!hit) {
      const wg = variant === 'tiled' ? this.tiled.workgroupSize : this.options.workgroupSize;
      // The tiled kernels' workgroup arrays are sized by overrides, from the device's limits.
      const constants: Record<string, number> = variant === 'tiled' ? { WORKGROUP: wg, HS_VEC4: plan.hsVec4 } : { WORKGROUP: wg };
      const modules = {
        reduce: this.reduceModule,
        backward: this.backwardModule(variant),
        forward: this.device.createShaderModule({
          label: `forward (${this.kernelLabel(variant)}, ${key})`,
          code: `${this.stepPrelude(variant, 'forward')}\n${activationWgsl(act.name, params)}\n${variant === 'tiled' ? forwardTiledWgsl : forwardWgsl}`,
        }),
      };
      const make = async (kind: keyof Pipelines) => {
        try {
          return await this.device.createComputePipelineAsync({
            label: `${kind} pipeline (${key}, workgroup ${wg})`,
            layout: this.device.createPipelineLayout({ label: `${kind} pipeline layout`, bindGroupLayouts: [this.layouts[kind]] }),
            compute: { module: modules[kind], entryPoint: 'main', constants: kind === 'reduce' ? { WORKGROUP: this.options.workgroupSize } : constants },
          });
        } catch (e) {
          const info = await modules[kind].getCompilationInfo();
          const msgs = info.messages.map((m) => `${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
          throw new Error(`webgpu: could not build the ${kind} kernel: ${(e as Error).message}${msgs ? ` (${msgs})` : ''}`, { cause: e });
        }
      };
      hit = Promise.all([make('forward'), make('backward'), make('reduce')]).then(([forward, backward, reduce]) => ({ forward, backward, reduce }));
      hit.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, hit);
    }
    return hit;
  }

  private async runNow(config: Config, options: RunOptions): Promise<GradientField> {
    const { signal, onProgress } = options;
    this.assertUsable();
    throwIfAborted(signal);
    const started = performance.now();
    const plan = this.plan(config); // throws before anything is allocated
    const p = buildProblem(config, { outlierAndUntied: true });
    // Untied weights: T matrices built (and, for gaussian, normalised by an eigenvalue
    // computation each) before the sweep; the progress says which one.
    const untied = await untiedWeights(config, { signal, onProgress: onProgress && ((q) => onProgress({ fraction: 0, phase: q.phase })) });
    const weights = sweepWeights(p, untied);
    const field = emptyField(config, p.rho, p.spectrum, {
      backend: this.name,
      adapter: this.adapter,
      wallMs: 0,
      precision: 'float32',
    });
    const pipes = await this.untilDone('building the kernels', this.pipelinesFor(config, plan));
    const owned: GPUBuffer[] = [];
    try {
      const bufs = await withErrorScopes(this.device, `allocating ${plan.totalBytes} bytes of GPU buffers`, () => this.allocate(plan, owned));
      this.upload(plan, p, weights, bufs);
      await this.sweep(plan, p, weights, field, pipes, bufs, signal, onProgress);
    } finally {
      for (const b of owned) this.destroyBuffer(b);
    }
    field.meta.wallMs = performance.now() - started;
    return field;
  }

  private allocate(plan: MemoryPlan, owned: GPUBuffer[]) {
    const S = GPUBufferUsage.STORAGE;
    const D = GPUBufferUsage.COPY_DST;
    const make = (label: string, usage: GPUBufferUsageFlags) => {
      const b = this.createBuffer(label, plan.buffers[label], usage);
      owned.push(b);
      return b;
    };
    return {
      params: make('params', GPUBufferUsage.UNIFORM | D), // [dispatches] 256-byte slots
      wt: make('wt', S | D), // [M][NP][NP] W0^T (or each untied W0_t^T), padded
      w: make('w', S | D), // [M][NP][NP] W0 (or each W0_t), padded
      outlier: make('outlier', S | D), // [M][4 + 2N] the outlier moves (weights.wgsl), or a placeholder
      drive: make('drive', S | D), // [T][N][S] U x_t + b
      rhos: make('rhos', S | D), // [2][KC] rho and outlier shift of each row of the chunk
      h0: make('h0', S | D), // [N]
      r: make('r', S | D), // [N]
      hstate: make('hstate', S), // [2][N][BC]
      gstate: make('gstate', S), // [2][N][BC]
      bstate: make('bstate', S), // [BC] (E, valid)
      dphi: make('dphi', S), // [T][N][BC]
      records: make('records', S), // [T][BC]
      cells: make('cells', S | GPUBufferUsage.COPY_SRC), // [KC][T]
      readback: make('readback', GPUBufferUsage.MAP_READ | D), // [KC][T]
    };
  }

  private upload(plan: MemoryPlan, p: Problem, weights: SweepWeights, bufs: ReturnType<WebGpuEngine['allocate']>): void {
    const { n, np, samples: S, steps: T } = plan;
    const d = p.config.input;
    const q = this.device.queue;
    // One matrix at a time ([NP][NP] each in the buffers), so the host never holds all T float32 copies.
    const wt = new Float32Array(n * np);
    const w = new Float32Array(n * np);
    for (const [m, W] of weights.matrices.entries()) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          wt[j * np + i] = W[i * n + j]; // row j of W^T = column j of W
          w[i * np + j] = W[i * n + j];
        }
      }
      q.writeBuffer(bufs.wt, m * np * np * 4, wt);
      q.writeBuffer(bufs.w, m * np * np * 4, w);
    }
    if (p.config.sweep === 'outlier') {
      // Per matrix: R (2x2, a real outlier's in its first entry), then P's rows (weights.wgsl).
      const stride = 4 + 2 * n;
      const moves = new Float32Array(weights.matrices.length * stride);
      for (const [m, dir] of weights.directions.entries()) {
        if (!dir) throw new Error('internal: the outlier axis without an outlier direction');
        const o = m * stride;
        if (dir.width === 1) moves[o] = dir.R[0];
        else moves.set(dir.R, o);
        moves.set(dir.P, o + 4);
      }
      q.writeBuffer(bufs.outlier, 0, moves);
    }
    q.writeBuffer(bufs.h0, 0, Float32Array.from(p.h0));
    q.writeBuffer(bufs.r, 0, Float32Array.from(p.r));
    // c_t = U x_t + b biasOn(t), in float64 then rounded once: [T][N][S]
    const drive = new Float32Array(T * n * S);
    const acc = new Float64Array(n);
    for (let s = 0; s < S; s++) {
      const x = p.inputsFor(s);
      for (let t = 0; t < T; t++) {
        const bias = p.biasOn(t + 1);
        for (let i = 0; i < n; i++) {
          let u = bias ? p.b[i] : 0;
          for (let j = 0; j < d; j++) u += p.U[i * d + j] * x[t * d + j];
          acc[i] = u;
        }
        for (let i = 0; i < n; i++) drive[(t * n + i) * S + s] = acc[i];
      }
    }
    q.writeBuffer(bufs.drive, 0, drive);
  }

  private async sweep(
    plan: MemoryPlan,
    p: Problem,
    weights: SweepWeights,
    field: GradientField,
    pipes: Pipelines,
    bufs: ReturnType<WebGpuEngine['allocate']>,
    signal: AbortSignal | undefined,
    onProgress: RunOptions['onProgress'],
  ): Promise<void> {
    const { n, np, np4, samples: S, steps: T, rowsPerChunk, stepsPerDispatch: spd } = plan;
    const K = plan.rhoCount;
    const dev = this.device;
    const wgReduce = this.options.workgroupSize;
    const h0Log = log10Norm(p.h0, 0, n);
    const h0Flags = h0Log === -Infinity ? RECORD_FLAGS.HID_ZERO : 0;
    const killMask = recordFlagsOf(backwardKillMask(p.config.activation, p.config));
    const bind = (label: string, layout: GPUBindGroupLayout, uniformSize: number, list: GPUBuffer[]) =>
      dev.createBindGroup({
        label,
        layout,
        entries: [{ binding: 0, resource: { buffer: bufs.params, size: uniformSize } }, ...list.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))],
      });
    const groups = await withErrorScopes(dev, 'creating bind groups', () => ({
      forward: bind('forward bind group', this.layouts.forward, STEP_PARAMS_BYTES, [bufs.wt, bufs.drive, bufs.rhos, bufs.h0, bufs.hstate, bufs.dphi, bufs.records, bufs.outlier]),
      backward: bind('backward bind group', this.layouts.backward, STEP_PARAMS_BYTES, [bufs.w, bufs.rhos, bufs.r, bufs.gstate, bufs.dphi, bufs.records, bufs.bstate, bufs.outlier]),
      reduce: bind('reduce bind group', this.layouts.reduce, REDUCE_PARAMS_BYTES, [bufs.records, bufs.cells]),
    }));
    const stepFlops = (sequences: number) => sequences * 2 * n * n;
    const totalFlops = K * S * T * 4 * n * n;
    let doneFlops = 0;
    const params = new ArrayBuffer(plan.dispatchesPerChunk * PARAM_STRIDE);
    const pu = new Uint32Array(params);
    const pf = new Float32Array(params);

    for (let k0 = 0; k0 < K; k0 += rowsPerChunk) {
      const kc = Math.min(rowsPerChunk, K - k0);
      const perWg = plan.sequencesPerWorkgroup;
      const bc = Math.ceil((kc * S) / perWg) * perWg; // BP: padded to whole workgroups
      const rowsOfChunk = new Float32Array(2 * kc);
      rowsOfChunk.set(weights.factor.subarray(k0, k0 + kc));
      rowsOfChunk.set(weights.shift.subarray(k0, k0 + kc), kc);
      this.device.queue.writeBuffer(bufs.rhos, 0, rowsOfChunk);
      // One uniform slot per dispatch: forward ranges ascending, backward descending, then reduce.
      const list: Dispatch[] = [];
      const setStep = (slot: number, tFrom: number, tTo: number) => {
        const o = (slot * PARAM_STRIDE) / 4;
        // Params of shaders/sweep-params.wgsl, field by field (no per-dispatch allocation)
        pu[o] = n;
        pu[o + 1] = np4;
        pu[o + 2] = bc;
        pu[o + 3] = S;
        pu[o + 4] = T;
        pu[o + 5] = tFrom;
        pu[o + 6] = tTo;
        pu[o + 7] = h0Flags;
        pf[o + 8] = h0Log === -Infinity ? 0 : h0Log;
        pu[o + 9] = kc;
        pu[o + 10] = killMask;
        pu[o + 11] = weights.matrices.length > 1 ? np * np4 : 0; // matStride, in vec4s
        pu[o + 12] = p.config.sweep === 'outlier' ? 1 : 0; // moved
        pu[o + 13] = plan.tile4;
      };
      // Until this device's speed is known, the first dispatch is a single step (see waitForQueue).
      for (let t = 1; t <= T; ) {
        const tTo = Math.min(T, t + (this.flopsPerMs === null && t === 1 ? 1 : spd) - 1);
        setStep(list.length, t, tTo);
        list.push({ kind: 'forward', slot: list.length, flops: stepFlops(kc * S) * (tTo - t + 1) });
        t = tTo + 1;
      }
      for (let t = T; t >= 1; t -= spd) {
        const tTo = Math.max(1, t - spd + 1);
        setStep(list.length, t, tTo);
        list.push({ kind: 'backward', slot: list.length, flops: stepFlops(kc * S) * (t - tTo + 1) });
      }
      pu.set([bc, S, T, kc], (list.length * PARAM_STRIDE) / 4);
      list.push({ kind: 'reduce', slot: list.length, flops: 0 });
      this.device.queue.writeBuffer(bufs.params, 0, params, 0, list.length * PARAM_STRIDE);

      // Submit in batches of about dispatchFlops; between batches: wait, check errors, abort, report.
      let i = 0;
      while (i < list.length) {
        let batchFlops = 0;
        const batch: Dispatch[] = [];
        while (i < list.length && (batch.length === 0 || batchFlops + list[i].flops <= this.options.dispatchFlops)) {
          batchFlops += list[i].flops;
          batch.push(list[i++]);
        }
        await withErrorScopes(dev, `running chunk ${k0 / rowsPerChunk + 1} of ${plan.chunks}`, () => {
          const enc = dev.createCommandEncoder({ label: 'sweep batch' });
          const pass = enc.beginComputePass({ label: 'sweep batch pass' });
          for (const d of batch) {
            pass.setPipeline(pipes[d.kind]);
            pass.setBindGroup(0, groups[d.kind], [d.slot * PARAM_STRIDE]);
            pass.dispatchWorkgroups(d.kind === 'reduce' ? Math.ceil((kc * T) / wgReduce) : bc / perWg);
          }
          pass.end();
          if (batch[batch.length - 1].kind === 'reduce') enc.copyBufferToBuffer(bufs.cells, 0, bufs.readback, 0, kc * T * CELL_BYTES);
          dev.queue.submit([enc.finish()]);
          // (padded sequences do work too: the wait is predicted from the work actually dispatched)
          return this.waitForQueue((batchFlops * bc) / (kc * S), 'running the sweep');
        });
        doneFlops += batchFlops;
        onProgress?.({ fraction: doneFlops / totalFlops, phase: batch[0].kind === 'forward' ? 'forward' : 'backward' });
        if (signal?.aborted) throw new AbortError();
      }
      await this.untilDone('reading the results back', bufs.readback.mapAsync(GPUMapMode.READ, 0, kc * T * CELL_BYTES));
      decodeCells(field, bufs.readback.getMappedRange(0, kc * T * CELL_BYTES), k0, kc, S, n);
      bufs.readback.unmap();
      onProgress?.({ fraction: Math.min(1, doneFlops / totalFlops), phase: `rho rows ${k0 + 1}..${k0 + kc} of ${K}` });
    }
  }
}

/**
 * Test hook: destroy the engine's device as if it were lost, to test what runs do then. A free
 * function, not a method, so that a build that never calls it (the lab's production bundle) does
 * not hold it.
 */
export function destroyDeviceForTest(engine: WebGpuEngine): void {
  engine.device.destroy();
}
