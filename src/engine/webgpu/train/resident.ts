/**
 * A training run's models resident on the GPU: every model's parameters, gradient, optimiser
 * state and BPTT stores live in GPU buffers for the whole run. A step is one submit of all
 * models' kernels (forward, loss, backward, the dW/dU/db matmul, dV/dc, [held-out forward and
 * loss], global norm and clipping, optimiser update), and one readback of what the host keeps:
 * the loss, the norm and the clipping decision, and the parameters and optimiser state after
 * the update (so a lost device loses nothing: the run goes on from them elsewhere).
 */
import type { TrainConfig } from '../../../core/train/config.ts';
import { layoutFor, type ParamLayout } from '../../../core/train/model.ts';
import { taskShape, type Batch, type TaskShape } from '../../../core/train/tasks.ts';
import { METRICS, readStruct, structBytes, TRAIN_PARAMS, writeStruct, type StructValues } from './layout.ts';
import type { SharedKernel, TrainKernels } from './kernels.ts';
import { UNIFORM_STRIDE, type TrainMemoryPlan } from './plan.ts';

/** Tiles of train-grad.wgsl (TILE) and the 1-D workgroups of train-outgrad/-update.wgsl. */
const GRAD_TILE = 32;
const LINEAR_WG = 64;

export interface ModelStep {
  trainLoss: number;
  /** NaN unless the step evaluated. */
  heldoutLoss: number;
  /** ||g|| before clipping, from the kernel's scaled sum in float64: NaN or Infinity where a g_i is. */
  gradNorm: number;
  clipped: boolean;
  /** After the update (the parameters entering the next step), when the step updated. */
  params: Float32Array | null;
  m: Float32Array | null;
  v: Float32Array | null;
  /** The gradient (before clipping), on request. */
  grad: Float32Array | null;
}

interface ModelBuffers {
  layout: ParamLayout;
  params: GPUBuffer;
  grad: GPUBuffer;
  opt: GPUBuffer;
  hs: GPUBuffer;
  dphi: GPUBuffer;
  dy: GPUBuffer;
  metrics: GPUBuffer;
  uniforms: GPUBuffer;
  train: GPUBindGroup;
  held: GPUBindGroup;
  forward: GPUComputePipeline;
}

export class ResidentModels {
  private readonly buffers: GPUBuffer[] = [];
  private readonly models: ModelBuffers[] = [];
  private readonly shape: TaskShape;
  private readonly trainData: GPUBuffer;
  private readonly heldData: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly uniformScratch = new DataView(new ArrayBuffer(2 * UNIFORM_STRIDE));

  constructor(
    private readonly device: GPUDevice,
    private readonly kernels: TrainKernels,
    private readonly shared: Record<SharedKernel, GPUComputePipeline>,
    forwards: GPUComputePipeline[],
    private readonly config: TrainConfig,
    private readonly plan: TrainMemoryPlan,
    held: Batch,
  ) {
    this.shape = taskShape(config);
    const S = GPUBufferUsage.STORAGE;
    const D = GPUBufferUsage.COPY_DST;
    const R = GPUBufferUsage.COPY_SRC;
    this.trainData = this.make('train data', plan.trainData, S | D);
    this.heldData = this.make('held-out data', plan.heldData, S | D);
    this.readback = this.make('train readback', plan.readback, GPUBufferUsage.MAP_READ | D);
    config.models.forEach((m, k) => {
      const sz = plan.models[k];
      const b = {
        layout: layoutFor(m, this.shape),
        params: this.make(`model ${k} params`, sz.params, S | D | R),
        grad: this.make(`model ${k} grad`, sz.grad, S | R),
        opt: this.make(`model ${k} optimiser state`, sz.opt, S | D | R),
        hs: this.make(`model ${k} states`, sz.hs, S),
        dphi: this.make(`model ${k} derivatives`, sz.dphi, S),
        dy: this.make(`model ${k} dL/dy`, sz.dy, S),
        metrics: this.make(`model ${k} metrics`, sz.metrics, S | R),
        uniforms: this.make(`model ${k} uniforms`, sz.uniforms, GPUBufferUsage.UNIFORM | D),
        forward: forwards[k],
      };
      const group = (slot: number, data: GPUBuffer) =>
        device.createBindGroup({
          label: `model ${k} ${slot === 0 ? 'train' : 'held-out'} bind group`,
          layout: kernels.layout,
          entries: [b.uniforms, b.params, b.grad, b.opt, data, b.hs, b.dphi, b.dy, b.metrics].map((buffer, binding) => ({
            binding,
            resource: binding === 0 ? { buffer, offset: slot * UNIFORM_STRIDE, size: structBytes(TRAIN_PARAMS) } : { buffer },
          })),
        });
      this.models.push({ ...b, train: group(0, this.trainData), held: group(1, this.heldData) });
    });
    this.writeData(this.heldData, held);
  }

  private make(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const b = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
    this.buffers.push(b);
    return b;
  }

  /** Upload a model's parameters and optimiser state (float64 values, rounded to float32). */
  setState(k: number, params: ArrayLike<number>, m: ArrayLike<number>, v: ArrayLike<number>): void {
    const b = this.models[k];
    const P = b.layout.size;
    const opt = new Float32Array(2 * P);
    for (let i = 0; i < P; i++) {
      opt[i] = m[i];
      opt[P + i] = v[i];
    }
    this.device.queue.writeBuffer(b.params, 0, Float32Array.from(params));
    this.device.queue.writeBuffer(b.opt, 0, opt);
  }

  /** x [T][B][D], then targets [B][K], as the kernels read them. */
  private writeData(buffer: GPUBuffer, batch: Batch): void {
    const x = new Float32Array(batch.x.length + batch.targets.length);
    x.set(batch.x);
    x.set(batch.targets, batch.x.length);
    this.device.queue.writeBuffer(buffer, 0, x);
  }

  private writeUniforms(k: number, iteration: number): void {
    const c = this.config;
    const m = c.models[k];
    const b = this.models[k];
    const t = iteration + 1; // Adam's step count of the update after step `iteration`
    const base: StructValues<typeof TRAIN_PARAMS> = {
      n: b.layout.N,
      d: b.layout.D,
      o: b.layout.O,
      batch: c.batch,
      steps: c.length,
      outputs: this.shape.outputSteps.length,
      lossKind: this.shape.loss === 'mse' ? 0 : 1,
      lossSlot: 0,
      size: b.layout.size,
      optimizer: c.optimizer === 'adam' ? 0 : 1,
      lr: c.lr,
      beta1: c.beta1,
      beta2: c.beta2,
      oneMinusBeta1: 1 - c.beta1,
      oneMinusBeta2: 1 - c.beta2,
      epsilon: c.epsilon,
      c1: 1 - Math.pow(c.beta1, t),
      c2: 1 - Math.pow(c.beta2, t),
      momentum: c.momentum,
      clip: m.clip,
    };
    writeStruct(TRAIN_PARAMS, base, this.uniformScratch, 0);
    writeStruct(TRAIN_PARAMS, { ...base, batch: c.heldout, lossSlot: 1 }, this.uniformScratch, UNIFORM_STRIDE);
    this.device.queue.writeBuffer(b.uniforms, 0, this.uniformScratch.buffer);
  }

  /**
   * Encode and submit one step of every `active` model on `batch`, and map the readback.
   * Returns once the GPU is done; `mapped` must be awaited (device loss rejects it) before `read`.
   */
  submit(iteration: number, batch: Batch, o: { evaluate: boolean; update: boolean; active: readonly boolean[]; wantGrad?: boolean }): Promise<void> {
    this.writeData(this.trainData, batch);
    const enc = this.device.createCommandEncoder({ label: `train step ${iteration}` });
    const pass = enc.beginComputePass({ label: `train step ${iteration}` });
    const sh = this.shared;
    this.models.forEach((b, k) => {
      if (!o.active[k]) return;
      this.writeUniforms(k, iteration);
      const { N, D, O, size } = b.layout;
      pass.setBindGroup(0, b.train);
      pass.setPipeline(b.forward);
      pass.dispatchWorkgroups(this.config.batch);
      pass.setPipeline(sh.loss);
      pass.dispatchWorkgroups(1);
      pass.setPipeline(sh.backward);
      pass.dispatchWorkgroups(this.config.batch);
      pass.setPipeline(sh.grad);
      pass.dispatchWorkgroups(Math.ceil(N / GRAD_TILE), Math.ceil((N + D + 1) / GRAD_TILE));
      pass.setPipeline(sh.outgrad);
      pass.dispatchWorkgroups(Math.ceil((O * (N + 1)) / LINEAR_WG));
      if (o.evaluate) {
        // after the gradient is complete: the held-out pass reuses the state stores
        pass.setBindGroup(0, b.held);
        pass.setPipeline(b.forward);
        pass.dispatchWorkgroups(this.config.heldout);
        pass.setPipeline(sh.loss);
        pass.dispatchWorkgroups(1);
        pass.setBindGroup(0, b.train);
      }
      pass.setPipeline(sh.norm);
      pass.dispatchWorkgroups(1);
      if (o.update) {
        pass.setPipeline(sh.update);
        pass.dispatchWorkgroups(Math.ceil(size / LINEAR_WG));
      }
    });
    pass.end();
    this.models.forEach((b, k) => {
      if (!o.active[k]) return;
      const at = this.plan.readOffsets[k];
      const P4 = 4 * b.layout.size;
      const mb = structBytes(METRICS);
      enc.copyBufferToBuffer(b.metrics, 0, this.readback, at, mb);
      if (o.update) {
        enc.copyBufferToBuffer(b.params, 0, this.readback, at + mb, P4);
        enc.copyBufferToBuffer(b.opt, 0, this.readback, at + mb + P4, 2 * P4);
      }
      if (o.wantGrad) enc.copyBufferToBuffer(b.grad, 0, this.readback, at + mb + 3 * P4, P4);
    });
    this.device.queue.submit([enc.finish()]);
    return this.readback.mapAsync(GPUMapMode.READ);
  }

  /** What the last submitted step measured, per model (null where inactive); unmaps the readback. */
  read(o: { evaluate: boolean; update: boolean; active: readonly boolean[]; wantGrad?: boolean }): (ModelStep | null)[] {
    const bytes = this.readback.getMappedRange();
    const view = new DataView(bytes);
    const out = this.models.map((b, k): ModelStep | null => {
      if (!o.active[k]) return null;
      const at = this.plan.readOffsets[k];
      const mb = structBytes(METRICS);
      const P = b.layout.size;
      const r = readStruct(METRICS, view, at);
      const copy = (from: number, n: number) => new Float32Array(bytes.slice(from, from + 4 * n));
      return {
        trainLoss: r.trainLoss,
        heldoutLoss: o.evaluate ? r.heldoutLoss : NaN,
        // ||g|| = 2^e sqrt(sum), formed in float64 (past float32's range it is reported, not lost)
        gradNorm: r.nonFinite & 2 ? NaN : r.nonFinite & 1 ? Infinity : Math.sqrt(r.sumSq) * Math.pow(2, r.normExp),
        clipped: r.clipped !== 0,
        params: o.update ? copy(at + mb, P) : null,
        m: o.update ? copy(at + mb + 4 * P, P) : null,
        v: o.update ? copy(at + mb + 8 * P, P) : null,
        grad: o.wantGrad ? copy(at + mb + 12 * P, P) : null,
      };
    });
    this.readback.unmap();
    return out;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }

  /** GPU buffers this run holds (0 after destroy()). */
  get liveBuffers(): number {
    return this.buffers.length;
  }
}
