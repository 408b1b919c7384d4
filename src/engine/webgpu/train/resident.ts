/**
 * A training run's models resident on the GPU: every model's parameters, gradient, optimiser
 * state and BPTT stores live in GPU buffers for the whole run, the models of a group (plan.ts;
 * usually all of them) one after another in one buffer of each kind. A step is one submit with
 * one dispatch per kernel and group, serving all its models at once (forward, loss, backward, the
 * dW/dU/db matmul, dV/dc, [held-out forward and loss], global norm and clipping, optimiser
 * update; a model that stopped is skipped by its slot), and one readback of what the host keeps:
 * the loss, the norm and the clipping decision, and the parameters and optimiser state after the
 * update (so a lost device loses nothing: the run goes on from them elsewhere).
 */
import { MAX_MODELS, type TrainConfig } from '../../../core/train/config.ts';
import { layoutFor, type ParamLayout } from '../../../core/train/model.ts';
import { taskShape, type Batch, type TaskShape } from '../../../core/train/tasks.ts';
import { METRICS, MODEL_SLOT, readStruct, structBytes, TRAIN_PARAMS, writeStruct, type StructValues } from './layout.ts';
import type { ForwardKernel, SharedKernel, TrainKernels } from './kernels.ts';
import { UNIFORM_STRIDE, type TrainGroupPlan, type TrainMemoryPlan } from './plan.ts';

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

/** One group's buffers (plan.ts): each kind holds its models one after another. */
interface GroupBuffers {
  plan: TrainGroupPlan;
  params: GPUBuffer;
  grad: GPUBuffer;
  opt: GPUBuffer;
  hs: GPUBuffer;
  dphi: GPUBuffer;
  dy: GPUBuffer;
  metrics: GPUBuffer;
  slots: GPUBuffer;
  train: GPUBindGroup;
  held: GPUBindGroup;
  /** Where its metrics, params, opt and grad land in the readback buffer. */
  read: { metrics: number; params: number; opt: number; grad: number };
}

export interface StepRequest {
  evaluate: boolean;
  update: boolean;
  /** Per model: whether it takes part (false: diverged, or not asked for). */
  active: readonly boolean[];
  wantGrad?: boolean;
}

export class ResidentModels {
  private readonly buffers: GPUBuffer[] = [];
  private readonly groups: GroupBuffers[] = [];
  private readonly layouts: ParamLayout[];
  private readonly shape: TaskShape;
  private readonly trainData: GPUBuffer;
  private readonly heldData: GPUBuffer;
  private readonly uniforms: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly uniformScratch: DataView;
  private readonly slotScratch = new DataView(new ArrayBuffer(MAX_MODELS * structBytes(MODEL_SLOT)));

  constructor(
    private readonly device: GPUDevice,
    kernels: TrainKernels,
    private readonly shared: Record<SharedKernel, GPUComputePipeline>,
    private readonly forward: ForwardKernel,
    private readonly config: TrainConfig,
    private readonly plan: TrainMemoryPlan,
    held: Batch,
  ) {
    this.shape = taskShape(config);
    this.layouts = config.models.map((m) => layoutFor(m, this.shape));
    const S = GPUBufferUsage.STORAGE;
    const D = GPUBufferUsage.COPY_DST;
    const R = GPUBufferUsage.COPY_SRC;
    this.trainData = this.make('train data', plan.trainData, S | D);
    this.heldData = this.make('held-out data', plan.heldData, S | D);
    this.uniforms = this.make('train uniforms', plan.uniforms, GPUBufferUsage.UNIFORM | D);
    this.uniformScratch = new DataView(new ArrayBuffer(this.uniforms.size));
    this.readback = this.make('train readback', plan.readback, GPUBufferUsage.MAP_READ | D);
    plan.groups.forEach((g, gi) => {
      const name = `group ${gi} (models ${g.models.join(', ')})`;
      const sz = g.bytes;
      const b = {
        params: this.make(`${name} params`, sz.params, S | D | R),
        grad: this.make(`${name} grad`, sz.grad, S | R),
        opt: this.make(`${name} optimiser state`, sz.opt, S | D | R),
        hs: this.make(`${name} states`, sz.hs, S),
        dphi: this.make(`${name} derivatives`, sz.dphi, S),
        dy: this.make(`${name} dL/dy`, sz.dy, S),
        metrics: this.make(`${name} metrics`, sz.metrics, S | R),
        slots: this.make(`${name} slots`, sz.slots, GPUBufferUsage.UNIFORM | D),
      };
      const group = (slot: number, data: GPUBuffer) =>
        device.createBindGroup({
          label: `${name} ${slot === 0 ? 'train' : 'held-out'} bind group`,
          layout: kernels.layout,
          entries: [this.uniforms, b.params, b.grad, b.opt, data, b.hs, b.dphi, b.dy, b.metrics, b.slots].map((buffer, binding) => ({
            binding,
            resource: binding === 0 ? { buffer, offset: slot * UNIFORM_STRIDE, size: structBytes(TRAIN_PARAMS) } : { buffer },
          })),
        });
      const metrics = g.readAt;
      const params = metrics + g.models.length * structBytes(METRICS);
      const opt = params + 4 * g.paramWords;
      const read = { metrics, params, opt, grad: opt + 8 * g.paramWords };
      this.groups.push({ plan: g, ...b, train: group(0, this.trainData), held: group(1, this.heldData), read });
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
    const at = this.plan.placements[k];
    const g = this.groups[at.group];
    const P = at.size;
    const opt = new Float32Array(2 * P);
    for (let i = 0; i < P; i++) {
      opt[i] = m[i];
      opt[P + i] = v[i];
    }
    this.device.queue.writeBuffer(g.params, 4 * at.params, Float32Array.from(params));
    this.device.queue.writeBuffer(g.opt, 8 * at.params, opt);
  }

  /** x [T][B][D], then targets [B][K], as the kernels read them. */
  private writeData(buffer: GPUBuffer, batch: Batch): void {
    const x = new Float32Array(batch.x.length + batch.targets.length);
    x.set(batch.x);
    x.set(batch.targets, batch.x.length);
    this.device.queue.writeBuffer(buffer, 0, x);
  }

  /** The run's TrainParams for the training pass (slot 0) and the held-out pass (slot 1) of step `iteration`. */
  private writeUniforms(iteration: number): void {
    const c = this.config;
    const t = iteration + 1; // Adam's step count of the update after step `iteration`
    const base: StructValues<typeof TRAIN_PARAMS> = {
      d: this.shape.inputs,
      o: this.shape.outputs,
      batch: c.batch,
      steps: c.length,
      outputs: this.shape.outputSteps.length,
      lossKind: this.shape.loss === 'mse' ? 0 : 1,
      lossSlot: 0,
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
    };
    writeStruct(TRAIN_PARAMS, base, this.uniformScratch, 0);
    writeStruct(TRAIN_PARAMS, { ...base, batch: c.heldout, lossSlot: 1 }, this.uniformScratch, UNIFORM_STRIDE);
    this.device.queue.writeBuffer(this.uniforms, 0, this.uniformScratch.buffer);
  }

  /** A group's model slots for this step (an inactive model's slot says so, and every kernel skips it). */
  private writeSlots(g: GroupBuffers, active: readonly boolean[]): void {
    const stride = structBytes(MODEL_SLOT);
    new Uint8Array(this.slotScratch.buffer).fill(0);
    g.plan.models.forEach((k, slot) => {
      const at = this.plan.placements[k];
      const values: StructValues<typeof MODEL_SLOT> = {
        live: active[k] ? 1 : 0,
        n: at.hidden,
        size: at.size,
        act: this.forward.act[k],
        clip: this.config.models[k].clip,
        params: at.params,
        hs: at.hs,
        dphi: at.dphi,
        dy: at.dy,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
      };
      writeStruct(MODEL_SLOT, values, this.slotScratch, slot * stride);
    });
    this.device.queue.writeBuffer(g.slots, 0, this.slotScratch.buffer);
  }

  /**
   * Encode and submit one step of every `active` model on `batch`, and map the readback: per
   * group one dispatch of each kernel, with the models as its z dimension.
   */
  submit(iteration: number, batch: Batch, o: StepRequest): Promise<void> {
    this.writeData(this.trainData, batch);
    this.writeUniforms(iteration);
    const enc = this.device.createCommandEncoder({ label: `train step ${iteration}` });
    const pass = enc.beginComputePass({ label: `train step ${iteration}` });
    const sh = this.shared;
    const { inputs: D, outputs: O } = this.shape;
    const live = this.groups.filter((g) => g.plan.models.some((k) => o.active[k]));
    for (const g of live) {
      this.writeSlots(g, o.active);
      // sized for the largest active model; the kernels mask the rest of each smaller one
      const on = g.plan.models.filter((k) => o.active[k]);
      const N = Math.max(...on.map((k) => this.layouts[k].N));
      const P = Math.max(...on.map((k) => this.layouts[k].size));
      const M = g.plan.models.length;
      pass.setBindGroup(0, g.train);
      pass.setPipeline(this.forward.pipeline);
      pass.dispatchWorkgroups(this.config.batch, 1, M);
      pass.setPipeline(sh.loss);
      pass.dispatchWorkgroups(1, 1, M);
      pass.setPipeline(sh.backward);
      pass.dispatchWorkgroups(this.config.batch, 1, M);
      pass.setPipeline(sh.grad);
      pass.dispatchWorkgroups(Math.ceil(N / GRAD_TILE), Math.ceil((N + D + 1) / GRAD_TILE), M);
      pass.setPipeline(sh.outgrad);
      pass.dispatchWorkgroups(Math.ceil((O * (N + 1)) / LINEAR_WG), 1, M);
      if (o.evaluate) {
        // after the gradient is complete: the held-out pass reuses the state stores
        pass.setBindGroup(0, g.held);
        pass.setPipeline(this.forward.pipeline);
        pass.dispatchWorkgroups(this.config.heldout, 1, M);
        pass.setPipeline(sh.loss);
        pass.dispatchWorkgroups(1, 1, M);
        pass.setBindGroup(0, g.train);
      }
      pass.setPipeline(sh.norm);
      pass.dispatchWorkgroups(1, 1, M);
      if (o.update) {
        pass.setPipeline(sh.update);
        pass.dispatchWorkgroups(Math.ceil(P / LINEAR_WG), 1, M);
      }
    }
    pass.end();
    for (const g of live) {
      const words = 4 * g.plan.paramWords;
      enc.copyBufferToBuffer(g.metrics, 0, this.readback, g.read.metrics, g.plan.models.length * structBytes(METRICS));
      if (o.update) {
        enc.copyBufferToBuffer(g.params, 0, this.readback, g.read.params, words);
        enc.copyBufferToBuffer(g.opt, 0, this.readback, g.read.opt, 2 * words);
      }
      if (o.wantGrad) enc.copyBufferToBuffer(g.grad, 0, this.readback, g.read.grad, words);
    }
    this.device.queue.submit([enc.finish()]);
    return this.readback.mapAsync(GPUMapMode.READ);
  }

  /** What the last submitted step measured, per model (null where inactive); unmaps the readback. */
  read(o: StepRequest): (ModelStep | null)[] {
    const bytes = this.readback.getMappedRange();
    const view = new DataView(bytes);
    const out = this.config.models.map((_, k): ModelStep | null => {
      if (!o.active[k]) return null;
      const at = this.plan.placements[k];
      const g = this.groups[at.group].read;
      const P = at.size;
      const r = readStruct(METRICS, view, g.metrics + at.slot * structBytes(METRICS));
      const copy = (from: number, n: number) => new Float32Array(bytes.slice(from, from + 4 * n));
      return {
        trainLoss: r.trainLoss,
        heldoutLoss: o.evaluate ? r.heldoutLoss : NaN,
        // ||g|| = 2^e sqrt(sum), formed in float64 (past float32's range it is reported, not lost)
        gradNorm: r.nonFinite & 2 ? NaN : r.nonFinite & 1 ? Infinity : Math.sqrt(r.sumSq) * Math.pow(2, r.normExp),
        clipped: r.clipped !== 0,
        params: o.update ? copy(g.params + 4 * at.params, P) : null,
        m: o.update ? copy(g.opt + 8 * at.params, P) : null,
        v: o.update ? copy(g.opt + 8 * at.params + 4 * P, P) : null,
        grad: o.wantGrad ? copy(g.grad + 4 * at.params, P) : null,
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
