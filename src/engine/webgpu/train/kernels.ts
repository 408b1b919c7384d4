/**
 * The training kernels of one device: shaders/train-*.wgsl compiled into pipelines behind one
 * bind-group layout (train-common.wgsl's bindings). The forward kernel serves models of different
 * activations in one dispatch through a switch over the run's activations (each baked in with its
 * parameters, from the activation table, as the sweep's forward kernel bakes in its one), so it is
 * made per set of activations; the others once.
 */
import { activationParams, activationRecord } from '../../../core/activations.ts';
import type { ModelConfig } from '../../../core/train/config.ts';
import commonWgsl from '../../../../shaders/train-common.wgsl?raw';
import forwardWgsl from '../../../../shaders/train-forward.wgsl?raw';
import lossWgsl from '../../../../shaders/train-loss.wgsl?raw';
import backwardWgsl from '../../../../shaders/train-backward.wgsl?raw';
import gradWgsl from '../../../../shaders/train-grad.wgsl?raw';
import outgradWgsl from '../../../../shaders/train-outgrad.wgsl?raw';
import normWgsl from '../../../../shaders/train-norm.wgsl?raw';
import updateWgsl from '../../../../shaders/train-update.wgsl?raw';
import { activationSwitchWgsl } from '../activation.ts';
import { trainPreludeWgsl } from './layout.ts';

export type SharedKernel = 'loss' | 'backward' | 'grad' | 'outgrad' | 'norm' | 'update';

const SHARED_SOURCES: Record<SharedKernel, string> = {
  loss: lossWgsl,
  backward: backwardWgsl,
  grad: gradWgsl,
  outgrad: outgradWgsl,
  norm: normWgsl,
  update: updateWgsl,
};

/** Bindings of train-common.wgsl: 0 uniform, then 8 storage buffers (4, data, read-only), then 9 the model slots (uniform). */
const BINDINGS: GPUBufferBindingType[] = ['uniform', 'storage', 'storage', 'storage', 'read-only-storage', 'storage', 'storage', 'storage', 'storage', 'uniform'];

/** The forward kernel of a set of models, and each model's entry in its activation switch (ModelSlot.act). */
export interface ForwardKernel {
  pipeline: GPUComputePipeline;
  act: number[];
}

/** Every trainer on a device with the same workgroup size shares its pipelines (they belong to the device, and compiling them costs seconds on SwiftShader). */
const byDevice = new WeakMap<GPUDevice, Map<number, TrainKernels>>();

export function trainKernelsFor(device: GPUDevice, workgroupSize: number): TrainKernels {
  let sizes = byDevice.get(device);
  if (!sizes) byDevice.set(device, (sizes = new Map()));
  let k = sizes.get(workgroupSize);
  if (!k) sizes.set(workgroupSize, (k = new TrainKernels(device, workgroupSize)));
  return k;
}

export class TrainKernels {
  readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly prelude: string;
  private shared: Promise<Record<SharedKernel, GPUComputePipeline>> | null = null;
  /** Forward kernels by their switch's entries (activation and parameters, sorted). */
  private readonly forwards = new Map<string, { keys: string[]; pipeline: Promise<GPUComputePipeline> }>();

  constructor(
    private readonly device: GPUDevice,
    /** Invocations per workgroup of the forward and backward kernels (their WORKGROUP override). */
    private readonly workgroupSize: number,
  ) {
    this.layout = device.createBindGroupLayout({
      label: 'train layout',
      entries: BINDINGS.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
    });
    this.pipelineLayout = device.createPipelineLayout({ label: 'train pipeline layout', bindGroupLayouts: [this.layout] });
    this.prelude = `${trainPreludeWgsl()}\n${commonWgsl}`;
  }

  private async build(label: string, code: string, constants: Record<string, number> = {}): Promise<GPUComputePipeline> {
    const module = this.device.createShaderModule({ label, code });
    try {
      return await this.device.createComputePipelineAsync({ label: `${label} pipeline`, layout: this.pipelineLayout, compute: { module, entryPoint: 'main', constants } });
    } catch (e) {
      const info = await module.getCompilationInfo();
      const msgs = info.messages.map((m) => `${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
      throw new Error(`webgpu trainer: could not build ${label}: ${(e as Error).message}${msgs ? ` (${msgs})` : ''}`, { cause: e });
    }
  }

  sharedPipelines(): Promise<Record<SharedKernel, GPUComputePipeline>> {
    if (!this.shared) {
      const names = Object.keys(SHARED_SOURCES) as SharedKernel[];
      const wg = { WORKGROUP: this.workgroupSize };
      this.shared = Promise.all(names.map((k) => this.build(`train-${k}.wgsl`, `${this.prelude}\n${SHARED_SOURCES[k]}`, k === 'backward' ? wg : {}))).then(
        (list) => Object.fromEntries(names.map((k, i) => [k, list[i]])) as Record<SharedKernel, GPUComputePipeline>,
      );
      this.shared.catch(() => (this.shared = null));
    }
    return this.shared;
  }

  /**
   * The forward kernel for `models`: one switch entry per distinct activation and parameters. A
   * kernel already built for a set holding all of them serves (an entry's code is the same in any
   * set), so a model trained alone after a run of several compiles nothing new.
   */
  async forwardKernel(models: readonly ModelConfig[]): Promise<ForwardKernel> {
    const entries = models.map((m) => {
      const rec = activationRecord(m.activation);
      const params = activationParams(m);
      return { key: [rec.name, ...rec.params.map((q) => params[q.key])].join('/'), name: rec.name, params };
    });
    const wanted = [...new Set(entries.map((e) => e.key))].sort();
    let hit = [...this.forwards.values()].find((f) => wanted.every((k) => f.keys.includes(k)));
    if (!hit) {
      const list = wanted.map((k) => entries.find((e) => e.key === k)!);
      const key = wanted.join(' | ');
      const pipeline = this.build(`train-forward.wgsl (${key})`, `${this.prelude}\n${activationSwitchWgsl(list)}\n${forwardWgsl}`, { WORKGROUP: this.workgroupSize });
      hit = { keys: wanted, pipeline };
      pipeline.catch(() => this.forwards.delete(key));
      this.forwards.set(key, hit);
    }
    const { keys, pipeline } = hit;
    return { pipeline: await pipeline, act: entries.map((e) => keys.indexOf(e.key)) };
  }
}
