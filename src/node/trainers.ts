/**
 * Trainers in Node, by name. `auto` follows the policy (src/engine/policy.ts): the WebGPU trainer
 * (our WGSL through Dawn) on a hardware adapter, else the float32 CPU trainer; the float64
 * reference is for tests (about 3x slower per model and single-threaded).
 */
import { ReferenceTrainer } from '../core/train/trainer.ts';
import type { Trainer } from '../core/trainer.ts';
import { createNodeCpuTrainer } from '../engine/cpu/train/pool-node.ts';
import { autoTrainer, TRAIN_BACKEND_CHOICES, type TrainBackendChoice } from '../engine/policy.ts';
import { describeAdapter } from '../engine/webgpu/device.ts';
import { WebGpuTrainer } from '../engine/webgpu/train/trainer.ts';
import { dawnGpu } from './dawn.ts';
import { BackendError } from './engines.ts';

export { TRAIN_BACKEND_CHOICES as TRAIN_BACKENDS, type TrainBackendChoice as TrainBackend };

async function createWebGpuTrainer(): Promise<WebGpuTrainer> {
  try {
    return await WebGpuTrainer.create(dawnGpu());
  } catch (e) {
    throw new BackendError(`WebGPU is not available: ${(e as Error).message}`);
  }
}

export async function createNodeTrainer(choice: TrainBackendChoice): Promise<{ trainer: Trainer; why: string }> {
  switch (choice) {
    case 'reference':
      return { trainer: new ReferenceTrainer(), why: 'asked for the float64 reference trainer' };
    case 'cpu':
      return { trainer: createNodeCpuTrainer(), why: 'asked for the float32 CPU trainer' };
    case 'webgpu':
      return { trainer: await createWebGpuTrainer(), why: 'asked for the WebGPU trainer' };
    case 'auto': {
      let adapter: GPUAdapter | null = null;
      let why = 'no WebGPU adapter';
      try {
        adapter = await dawnGpu().requestAdapter({ powerPreference: 'high-performance' });
      } catch (e) {
        why = `WebGPU is not available (${(e as Error).message})`;
      }
      const pick = autoTrainer(adapter ? describeAdapter(adapter) : null, why);
      if (pick.backend === 'cpu') return { trainer: createNodeCpuTrainer(), why: pick.why };
      return { trainer: await createWebGpuTrainer(), why: pick.why };
    }
  }
}
