/**
 * The Train view's Web Worker, so the page's thread only draws. Where a hardware WebGPU adapter
 * answers (the policy of src/engine/policy.ts), the WebGPU trainer runs the models on the GPU
 * (the worker only encodes each step and reads back its metrics); otherwise every model of the
 * run trains on this one thread through the shared loop (core/train/loop.ts) with the float32
 * CPU model (WebAssembly SIMD where available). If the GPU device is lost, the run goes on from
 * its last step on the CPU and the page is told. Pause and step hold the run at its gate between
 * iterations; Reset terminates the worker.
 */
import { eigenvalues } from '../core/spectrum.ts';
import { checkpointEvery, isEvalIteration, runTraining, type Checkpoint, type ModelKernel, type TrainSnapshot } from '../core/train/loop.ts';
import { TrainInterrupted } from '../core/trainer.ts';
import { autoTrainer } from '../engine/policy.ts';
import { describeAdapter } from '../engine/webgpu/device.ts';
import { WebGpuTrainer } from '../engine/webgpu/train/trainer.ts';
import { initialParams, recurrentWeights } from '../core/train/model.ts';
import { globalNorm } from '../core/train/optim.ts';
import { taskShape, type Batch } from '../core/train/tasks.ts';
import type { TrainConfig } from '../core/train/config.ts';
import { simdAvailable } from '../engine/cpu/simd.ts';
import { F32Model } from '../engine/cpu/train/model.ts';
import { runBuffers } from '../engine/cpu/train/protocol.ts';
import type { FromTrainView, ToTrainView } from './train-protocol.ts';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<ToTrainView>) => void) | null;
  postMessage(msg: FromTrainView, transfer?: Transferable[]): void;
};
const post = (msg: FromTrainView, transfer: Transferable[] = []) => ctx.postMessage(msg, transfer);

/** Progress messages at most this often. */
const PROGRESS_MS = 100;

/**
 * A model that also counts, per evaluation window, how many of its training steps had a
 * gradient above the clip threshold (the loop clips exactly those: optim.ts).
 */
class CountingModel implements ModelKernel<Float32Array> {
  steps = 0;
  clippedSteps = 0;
  constructor(
    readonly inner: F32Model,
    private readonly clip: number,
  ) {}
  get layout() {
    return this.inner.layout;
  }
  get params() {
    return this.inner.params;
  }
  get grad() {
    return this.inner.grad;
  }
  loss(batch: Batch): number {
    return this.inner.loss(batch);
  }
  lossAndGrad(batch: Batch): number {
    const loss = this.inner.lossAndGrad(batch);
    this.steps++;
    if (this.clip > 0 && globalNorm(this.inner.grad) > this.clip) this.clippedSteps++;
    return loss;
  }
  /** The clipped fraction of the window, and a new window. */
  takeFraction(): number {
    const f = this.steps > 0 ? this.clippedSteps / this.steps : 0;
    this.steps = 0;
    this.clippedSteps = 0;
    return f;
  }
}

let paused = false;
/** Pause again after this many more iterations (a step), or -1. */
let stepsLeft = -1;
let release: (() => void) | null = null;

function gate(iteration: number): Promise<void> | void {
  if (stepsLeft > 0 && --stepsLeft === 0) {
    stepsLeft = -1;
    paused = true;
  }
  if (!paused) return;
  post({ type: 'paused', iteration });
  return new Promise((resolve) => (release = resolve));
}

function go(): void {
  const r = release;
  release = null;
  r?.();
}

/** The clipped fraction of each model's steps since its previous evaluation (what CountingModel counts on the CPU). */
class ClipWindows {
  private readonly steps: number[];
  private readonly clipped: number[];
  constructor(models: number) {
    this.steps = new Array<number>(models).fill(0);
    this.clipped = new Array<number>(models).fill(0);
  }
  add(model: number, clipped: boolean): void {
    this.steps[model]++;
    if (clipped) this.clipped[model]++;
  }
  take(model: number): number {
    const f = this.steps[model] > 0 ? this.clipped[model] / this.steps[model] : 0;
    this.steps[model] = 0;
    this.clipped[model] = 0;
    return f;
  }
}

function postCheckpoint(model: number, c: Checkpoint, N: number): void {
  const W = c.params.slice(0, N * N); // model.ts's layout: W first
  const { re, im } = eigenvalues(W, N);
  post({ type: 'checkpoint', checkpoint: { model, iteration: c.iteration, re, im, W } }, [re.buffer, im.buffer, W.buffer]);
}

/** The WebGPU trainer where the policy picks it (a hardware adapter), else null; the reason goes to the page either way. */
async function gpuTrainer(): Promise<WebGpuTrainer | null> {
  const gpu = (self as unknown as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  let adapter: GPUAdapter | null = null;
  let noneWhy = 'no WebGPU in this browser';
  if (gpu) {
    try {
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      noneWhy = 'no WebGPU adapter';
    } catch (e) {
      noneWhy = `WebGPU failed (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  const pick = autoTrainer(adapter ? describeAdapter(adapter) : null, noneWhy);
  if (pick.backend === 'webgpu') {
    try {
      const trainer = await WebGpuTrainer.create(gpu);
      post({ type: 'trainer', backend: 'webgpu', adapter: trainer.adapter, why: pick.why });
      return trainer;
    } catch (e) {
      post({ type: 'notice', message: `the WebGPU trainer could not start (${e instanceof Error ? e.message : String(e)}); training on the CPU` });
    }
  }
  post({ type: 'trainer', backend: 'cpu', adapter: cpuAdapter(), why: pick.why });
  return null;
}

const cpuAdapter = () => (simdAvailable() ? 'float32 WebAssembly SIMD, one worker' : 'float32 TypeScript, one worker');

async function train(config: TrainConfig): Promise<void> {
  const gpu = await gpuTrainer();
  if (!gpu) return trainOnCpu(config, performance.now());
  const t0 = performance.now();
  const windows = new ClipWindows(config.models.length);
  let lastProgress = 0;
  try {
    const result = await gpu.train(config, {
      onStep: (model, _i, step) => windows.add(model, step.clipped),
      onRow: (row) => post({ type: 'row', row: { ...row, clippedFraction: windows.take(row.model) } }),
      onCheckpoint: (model, c) => postCheckpoint(model, c, config.models[model].hidden),
      onDiverged: (divergence) => post({ type: 'diverged', divergence }),
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_MS && p.iteration < config.iterations) return;
        lastProgress = now;
        post({ type: 'progress', iteration: p.iteration });
      },
      gate,
    });
    post({ type: 'done', models: result.models, backend: 'webgpu', adapter: gpu.adapter, wallMs: performance.now() - t0 }, runBuffers(result.models));
  } catch (e) {
    if (!(e instanceof TrainInterrupted)) throw e;
    post({ type: 'notice', message: `${e.message}; resumed on the CPU trainer` });
    post({ type: 'trainer', backend: 'cpu', adapter: cpuAdapter(), why: 'the GPU device was lost' });
    await trainOnCpu(config, t0, e.snapshot);
  } finally {
    gpu.dispose();
  }
}

async function trainOnCpu(config: TrainConfig, t0: number, resume?: TrainSnapshot): Promise<void> {
  const shape = taskShape(config);
  const simd = simdAvailable();
  const kernels = config.models.map(
    (m) => new CountingModel(new F32Model(m, shape, config.length, initialParams(m, shape, config.seed), { simd }), m.clip),
  );
  const every = checkpointEvery(config);
  let lastProgress = 0;
  const models = await runTraining(
    config,
    config.models.map((_, k) => k),
    kernels,
    (n) => new Float32Array(n),
    {
      resume,
      onRow: (row) => {
        const kernel = kernels[row.model];
        post({ type: 'row', row: { ...row, clippedFraction: kernel.takeFraction() } });
        // The loop keeps these same iterations as checkpoints (loop.ts).
        const i = row.iteration;
        if (i === 0 || i === config.iterations || (isEvalIteration(config, i) && i % every === 0)) {
          postCheckpoint(row.model, { iteration: i, params: recurrentWeights(kernel.params, kernel.layout) }, kernel.layout.N);
        }
      },
      onDiverged: (divergence) => post({ type: 'diverged', divergence }),
      onIteration: (iteration) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_MS && iteration < config.iterations) return;
        lastProgress = now;
        post({ type: 'progress', iteration });
      },
      gate,
    },
  );
  post({ type: 'done', models, backend: 'cpu', adapter: cpuAdapter(), wallMs: performance.now() - t0 }, runBuffers(models));
}

ctx.onmessage = (e) => {
  const msg = e.data;
  switch (msg.type) {
    case 'start':
      paused = false;
      stepsLeft = msg.steps > 0 ? msg.steps : -1;
      train(msg.config).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
      return;
    case 'pause':
      paused = true;
      return;
    case 'resume':
      paused = false;
      stepsLeft = -1;
      go();
      return;
    case 'step':
      if (!release) {
        paused = true; // running: a step stops it at the next iteration
        return;
      }
      paused = false;
      stepsLeft = 1;
      go();
      return;
  }
};
