/**
 * The WebGPU Trainer: every model of a run resident on the GPU (resident.ts), each step one
 * submit of the WGSL kernels of shaders/train-*.wgsl, each kernel one dispatch serving all the
 * models (a batched run, not a loop over models), and one readback of the loss, the gradient
 * norm, the clipping decision and the parameters and optimiser state after the update.
 *
 * The host runs the same schedule as the shared loop (src/core/train/loop.ts): the same batches,
 * evaluations, checkpoints and divergence rule; W's spectral radius is computed on the CPU from
 * the parameters read back. Because the host holds the parameters after every step, a lost
 * device stops the run with TrainInterrupted, whose snapshot resumes it on another trainer or a
 * new device (TrainOptions.resume).
 */
import { AbortError, throwIfAborted } from '../../../core/engine.ts';
import type { TrainConfig } from '../../../core/train/config.ts';
import {
  evaluationFailure,
  isCheckpointIteration,
  isEvalIteration,
  newModelRun,
  spectralRadiusOf,
  type Checkpoint,
  type EvalRow,
  type ModelRun,
  type TrainSnapshot,
} from '../../../core/train/loop.ts';
import { initialParams, layoutFor } from '../../../core/train/model.ts';
import { divergence } from '../../../core/train/optim.ts';
import { heldoutBatch, taskShape, trainBatch, type Batch } from '../../../core/train/tasks.ts';
import { sortRows, TrainInterrupted, trainProgress, type TrainOptions, type TrainResult, type Trainer } from '../../../core/trainer.ts';
import { describeAdapter, requestGpu, withErrorScopes, type AdapterDescription } from '../device.ts';
import { trainKernelsFor, type TrainKernels } from './kernels.ts';
import { planTraining, type TrainMemoryPlan } from './plan.ts';
import { ResidentModels, type ModelStep, type StepRequest } from './resident.ts';

export interface WebGpuTrainerOptions {
  /** A run's GPU buffers may total at most this many bytes (default 2 GiB); a larger run is refused before allocating. */
  maxTotalBytes?: number;
  /**
   * One GPU buffer may hold at most this many bytes (default, and at most: the device's storage
   * binding and buffer limits). Models whose stores together exceed it train in several batched
   * groups (plan.ts).
   */
  maxBufferBytes?: number;
  /** Invocations per workgroup of the forward and backward kernels (default 64). */
  workgroupSize?: number;
  powerPreference?: GPUPowerPreference;
}

/** What the lab's worker needs beyond the Trainer interface: a pause gate and each step and checkpoint as it happens. */
export interface WebGpuTrainOptions extends TrainOptions {
  /** Called after each iteration; a promise it returns holds the run until it settles (pause, single step). */
  gate?: (iteration: number) => Promise<void> | void;
  /** Each model's training step as it is measured (before its evaluation). */
  onStep?: (model: number, iteration: number, step: { trainLoss: number; gradNorm: number; clipped: boolean }) => void;
  /** Each checkpoint as it is kept (the parameters entering that iteration). */
  onCheckpoint?: (model: number, checkpoint: Checkpoint) => void;
}

/** What one forward and backward pass measured (lossAndGradient). */
export interface GpuGradient {
  loss: number;
  gradNorm: number;
  clipped: boolean;
  grad: Float32Array;
}

export class WebGpuTrainer implements Trainer {
  readonly name = 'webgpu' as const;
  readonly adapter: string;
  readonly adapterInfo: AdapterDescription;
  readonly device: GPUDevice;
  private readonly kernels: TrainKernels;
  private readonly maxTotalBytes: number;
  private readonly maxBufferBytes: number;
  private lostInfo: GPUDeviceLostInfo | null = null;
  private uncaptured: GPUError | null = null;
  private busy = false;
  private disposed = false;
  private liveRuns = 0;

  /** Request an adapter and device from `gpu` (navigator.gpu, or dawnGpu() in Node). */
  static async create(gpu: GPU | undefined, options: WebGpuTrainerOptions = {}): Promise<WebGpuTrainer> {
    const { device, adapter } = await requestGpu(gpu, options.powerPreference);
    return new WebGpuTrainer(device, describeAdapter(adapter), options);
  }

  constructor(device: GPUDevice, info: AdapterDescription, options: WebGpuTrainerOptions = {}) {
    const wg = options.workgroupSize ?? 64;
    if (!Number.isInteger(wg) || wg < 1 || wg > device.limits.maxComputeInvocationsPerWorkgroup) {
      throw new Error(`webgpu trainer: workgroupSize must be a whole number in 1..${device.limits.maxComputeInvocationsPerWorkgroup}, not ${wg}`);
    }
    this.device = device;
    this.adapterInfo = info;
    this.adapter = info.text;
    this.maxTotalBytes = options.maxTotalBytes ?? 2 * 1024 ** 3;
    const mb = options.maxBufferBytes ?? Infinity;
    if (!(mb > 0)) throw new Error(`webgpu trainer: maxBufferBytes must be a positive number of bytes, not ${mb}`);
    this.maxBufferBytes = mb;
    this.kernels = trainKernelsFor(device, wg);
    void device.lost.then((i) => {
      this.lostInfo = i;
    });
    device.addEventListener('uncapturederror', (e) => {
      this.uncaptured ??= (e as GPUUncapturedErrorEvent).error;
    });
  }

  /** Whether the device has been lost (or destroyed). */
  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  /** GPU buffers of runs in progress (0 between runs: leak tests use it). */
  get liveBuffers(): number {
    return this.liveRuns;
  }

  /** The GPU memory a run would take on this device, or the Error refusing it (nothing is allocated). */
  plan(config: TrainConfig): TrainMemoryPlan {
    const l = this.device.limits;
    return planTraining(config, { maxBindingBytes: l.maxStorageBufferBindingSize, maxBufferBytes: Math.min(l.maxBufferSize, this.maxBufferBytes), maxTotalBytes: this.maxTotalBytes });
  }

  private lostMessage(info: GPUDeviceLostInfo): string {
    return `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('webgpu trainer: used after dispose()');
    if (this.lostInfo) throw new Error(`webgpu trainer: ${this.lostMessage(this.lostInfo)}; create a new trainer or use the cpu trainer`);
    if (this.uncaptured) {
      const e = this.uncaptured;
      this.uncaptured = null;
      throw new Error(`webgpu trainer: GPU error: ${e.message}`);
    }
  }

  /** The device-lost info if the device is lost now or within `ms` (a failed GPU promise may come first). */
  private async lostWithin(ms: number): Promise<GPUDeviceLostInfo | null> {
    if (this.lostInfo) return this.lostInfo;
    return Promise.race([this.device.lost, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
  }

  /** Await a GPU promise; a device lost meanwhile rejects it at once. */
  private async untilDone<T>(p: Promise<T>): Promise<T> {
    const lost = this.device.lost.then((info): never => {
      throw new Error(this.lostMessage(info));
    });
    return Promise.race([p, lost]);
  }

  private async open(config: TrainConfig, plan: TrainMemoryPlan): Promise<ResidentModels> {
    const [shared, forward] = await this.untilDone(Promise.all([this.kernels.sharedPipelines(), this.kernels.forwardKernel(config.models)]));
    const resident = await withErrorScopes(
      this.device,
      `allocating ${plan.totalBytes} bytes of GPU buffers for training`,
      () => new ResidentModels(this.device, this.kernels, shared, forward, config, plan, heldoutBatch(config)),
    );
    this.liveRuns += resident.liveBuffers;
    return resident;
  }

  private close(resident: ResidentModels): void {
    this.liveRuns -= resident.liveBuffers;
    resident.destroy();
  }

  /** Run one step on the GPU and read it back; a device lost meanwhile throws its message. */
  private async step(resident: ResidentModels, i: number, batch: Batch, o: StepRequest): Promise<(ModelStep | null)[]> {
    await this.untilDone(resident.submit(i, batch, o));
    this.assertUsable();
    return resident.read(o);
  }

  /**
   * One forward and backward pass of model `k` with `params` on `batch`, without an update: the
   * loss, the gradient (float32) and its global norm as a training step sees them. For tests and
   * gradient checks; train() is the way to train.
   */
  async lossAndGradient(config: TrainConfig, k: number, params: ArrayLike<number>, batch: Batch): Promise<GpuGradient> {
    this.assertUsable();
    const plan = this.plan(config);
    const resident = await this.open(config, plan);
    try {
      const P = layoutFor(config.models[k], taskShape(config)).size;
      resident.setState(k, params, new Float64Array(P), new Float64Array(P));
      const active = config.models.map((_, j) => j === k);
      const r = (await this.step(resident, 0, batch, { evaluate: false, update: false, active, wantGrad: true }))[k]!;
      return { loss: r.trainLoss, gradNorm: r.gradNorm, clipped: r.clipped, grad: r.grad! };
    } finally {
      this.close(resident);
    }
  }

  async train(config: TrainConfig, options: WebGpuTrainOptions = {}): Promise<TrainResult> {
    this.assertUsable();
    if (this.busy) throw new Error('webgpu trainer: one training run at a time');
    throwIfAborted(options.signal);
    const t0 = performance.now();
    const plan = this.plan(config); // refuses before anything is allocated
    const shape = taskShape(config);
    const T = config.length;
    const K = shape.outputSteps.length;
    if (shape.outputSteps.some((t, k) => t !== T - K + k)) throw new Error('webgpu trainer: the kernels read outputs at the last steps only');
    this.busy = true;
    const from = options.resume;
    const total = config.iterations + 1;
    const runs: ModelRun[] = config.models.map((_, k) => newModelRun(k, total, from?.models[k]));
    const rows: EvalRow[] = from ? [...from.rows] : [];
    // The host's copy of each model's state entering the next step (float32 values, held in float64).
    const state = config.models.map((m, k) => {
      if (from) return { params: Float64Array.from(from.state[k].params), m: Float64Array.from(from.state[k].m), v: Float64Array.from(from.state[k].v) };
      const params = initialParams(m, shape, config.seed);
      for (let i = 0; i < params.length; i++) params[i] = Math.fround(params[i]);
      return { params, m: new Float64Array(params.length), v: new Float64Array(params.length) };
    });
    let i = from?.iteration ?? 0;
    const snapshot = (): TrainSnapshot => ({
      iteration: i,
      state: state.map((s) => ({ params: Float64Array.from(s.params), m: Float64Array.from(s.m), v: Float64Array.from(s.v) })),
      models: runs.map((r) => newModelRun(r.model, total, r)),
      rows: sortRows([...rows]),
    });
    let resident: ResidentModels | null = null;
    try {
      resident = await this.open(config, plan);
      state.forEach((s, k) => resident!.setState(k, s.params, s.m, s.v));
      for (; i <= config.iterations; i++) {
        if (runs.every((r) => r.diverged)) break;
        const evaluate = isEvalIteration(config, i);
        const update = i < config.iterations;
        const active = runs.map((r) => !r.diverged);
        const steps = await this.step(resident, i, trainBatch(config, i), { evaluate, update, active });
        steps.forEach((s, k) => {
          if (!s) return;
          const run = runs[k];
          const stop = (reason: string) => {
            run.diverged = { model: k, step: i, reason, message: `model ${k} diverged at step ${i}: ${reason}` };
            options.onDiverged?.(run.diverged);
          };
          const why = divergence(s.trainLoss, s.gradNorm);
          if (why) return stop(why);
          run.trainLoss[i] = s.trainLoss;
          run.gradNorm[i] = s.gradNorm;
          run.clipped[i] = s.clipped ? 1 : 0;
          run.stepsRun = i + 1;
          options.onStep?.(k, i, { trainLoss: s.trainLoss, gradNorm: s.gradNorm, clipped: s.clipped });
          const L = layoutFor(config.models[k], shape);
          if (evaluate) {
            const spectralRadius = spectralRadiusOf(state[k].params, L);
            const evalWhy = evaluationFailure(s.heldoutLoss, spectralRadius);
            if (evalWhy) {
              run.stepsRun = i; // nothing of the diverging step is kept
              return stop(evalWhy);
            }
            const row: EvalRow = { model: k, iteration: i, heldoutLoss: s.heldoutLoss, trainLoss: s.trainLoss, gradNorm: s.gradNorm, clipped: s.clipped, spectralRadius };
            rows.push(row);
            options.onRow?.(row);
          }
          if (isCheckpointIteration(config, i)) {
            const c = { iteration: i, params: Float64Array.from(state[k].params) };
            run.checkpoints.push(c);
            options.onCheckpoint?.(k, c);
          }
          if (s.params) {
            state[k].params.set(s.params);
            state[k].m.set(s.m!);
            state[k].v.set(s.v!);
          }
        });
        options.onProgress?.(trainProgress(i, config.iterations));
        await options.gate?.(i);
        if (options.signal?.aborted) throw new AbortError();
      }
    } catch (e) {
      const lost = e instanceof AbortError ? null : await this.lostWithin(200);
      if (lost) {
        const where = i > 0 ? `after ${i} of ${config.iterations} iterations` : 'before the first iteration';
        throw new TrainInterrupted(
          `webgpu trainer: ${this.lostMessage(lost)} ${where}; the run can resume from iteration ${i} on another engine or device (every model's parameters and optimiser state are kept)`,
          snapshot(),
        );
      }
      throw e;
    } finally {
      if (resident) this.close(resident);
      this.busy = false;
    }
    return {
      config,
      rows: sortRows(rows),
      models: runs,
      meta: { backend: this.name, adapter: this.adapter, precision: 'float32', wallMs: performance.now() - t0 },
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.device.destroy();
  }
}

/** Test hook: destroy the trainer's device as if it were lost. */
export function destroyTrainerDeviceForTest(trainer: WebGpuTrainer): void {
  trainer.device.destroy();
}
