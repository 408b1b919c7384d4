/** The engines the Node benchmark times, each created fresh and disposed after its workloads. */
import type { Engine } from '../src/core/engine.ts';
import { ReferenceEngine } from '../src/core/reference.ts';
import { dawnGpu } from '../src/node/dawn.ts';
import { matmulCeiling } from './matmul.ts';
import { cpuBenchEngine } from './cpu.ts';
import { createNodeWebGpuEngine } from './webgpu.ts';
import type { Workload } from './workloads.ts';

export interface BenchEngine {
  name: string;
  create(): Promise<Engine>;
  /** The adapter's own 1024^3 float32 matmul rate, GFLOP/s, where the engine has one. */
  ceiling?(engine: Engine): Promise<number>;
  /** A reason to skip a workload, or undefined. */
  skip?(w: Workload): string | undefined;
}

/** A matmul ceiling measured on a device of its own from the same adapter. */
async function dawnCeiling(): Promise<number> {
  const adapter = await dawnGpu().requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  try {
    return await matmulCeiling(device);
  } finally {
    device.destroy();
  }
}

export async function nodeBenchEngines(): Promise<BenchEngine[]> {
  return [
    { name: 'webgpu', create: () => createNodeWebGpuEngine(), ceiling: () => dawnCeiling() },
    cpuBenchEngine,
    {
      name: 'reference',
      create: async () => new ReferenceEngine(),
      // float64 JavaScript at ~1 GFLOP/s: sweep-256's 55 GFLOP would take ~60 s a run.
      skip: (w) => (w.name === 'sweep-256' ? 'the float64 reference would take about a minute a run; it is the yardstick on sweep-64' : undefined),
    },
  ];
}
