/**
 * The Train view's Web Worker: every model of the run on this one thread through the shared
 * loop (core/train/loop.ts) with the float32 CPU model (WebAssembly SIMD where available), so
 * the page's thread only draws. Pause and step hold the loop at its gate between iterations;
 * Reset terminates the worker.
 */
import { eigenvalues } from '../core/spectrum.ts';
import { checkpointEvery, isEvalIteration, runTraining, type ModelKernel } from '../core/train/loop.ts';
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

async function train(config: TrainConfig): Promise<void> {
  const t0 = performance.now();
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
      onRow: (row) => {
        const kernel = kernels[row.model];
        post({ type: 'row', row: { ...row, clippedFraction: kernel.takeFraction() } });
        // The loop keeps these same iterations as checkpoints (loop.ts).
        const i = row.iteration;
        if (i === 0 || i === config.iterations || (isEvalIteration(config, i) && i % every === 0)) {
          const W = recurrentWeights(kernel.params, kernel.layout);
          const { re, im } = eigenvalues(W, kernel.layout.N);
          post({ type: 'checkpoint', checkpoint: { model: row.model, iteration: i, re, im, W } }, [re.buffer, im.buffer, W.buffer]);
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
  const adapter = simd ? 'float32 WebAssembly SIMD, one worker' : 'float32 TypeScript, one worker';
  post({ type: 'done', models, adapter, wallMs: performance.now() - t0 }, runBuffers(models));
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
