/**
 * The training kernels of one device: shaders/train-*.wgsl compiled into pipelines behind one
 * bind-group layout (train-common.wgsl's bindings). The forward kernel bakes in an activation
 * (the prelude from the activation table, as the sweep's forward kernel does), so it is made per
 * activation and parameters; the others once.
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
import { activationWgsl } from '../activation.ts';
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

/** Bindings of train-common.wgsl: 0 uniform, then 8 storage buffers (4, data, read-only). */
const BINDINGS: GPUBufferBindingType[] = ['uniform', 'storage', 'storage', 'storage', 'read-only-storage', 'storage', 'storage', 'storage', 'storage'];

export class TrainKernels {
  readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly prelude: string;
  private shared: Promise<Record<SharedKernel, GPUComputePipeline>> | null = null;
  private readonly forwards = new Map<string, Promise<GPUComputePipeline>>();

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

  /** The forward kernel for a model's activation and its parameters. */
  forwardPipeline(model: ModelConfig): Promise<GPUComputePipeline> {
    const act = activationRecord(model.activation);
    const params = activationParams(model);
    const key = [act.name, ...act.params.map((q) => params[q.key])].join('/');
    let hit = this.forwards.get(key);
    if (!hit) {
      hit = this.build(`train-forward.wgsl (${key})`, `${this.prelude}\n${activationWgsl(act.name, params)}\n${forwardWgsl}`, { WORKGROUP: this.workgroupSize });
      hit.catch(() => this.forwards.delete(key));
      this.forwards.set(key, hit);
    }
    return hit;
  }
}
