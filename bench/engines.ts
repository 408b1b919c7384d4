/** The engines the Node benchmark times, each created fresh and disposed after its workloads. */
import type { Engine } from '../src/core/engine.ts';
import { ReferenceEngine } from '../src/core/reference.ts';
import { KERNEL_VARIANTS, type KernelVariant } from '../src/engine/webgpu/plan.ts';
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

/**
 * The WebGPU kernels to time, from `--webgpu-variant`: a comma list of persistent and tiled
 * (each its own engine, named webgpu:persistent and webgpu:tiled, timed side by side), or none
 * for one engine with the adapter's default (tiled on hardware, persistent on SwiftShader).
 */
export function parseWebGpuVariants(spec: string | undefined): KernelVariant[] {
  if (spec === undefined) return [];
  const list = spec.split(',').map((v) => v.trim());
  const bad = list.find((v) => !(KERNEL_VARIANTS as readonly string[]).includes(v));
  if (bad !== undefined || list.length === 0) throw new Error(`--webgpu-variant: ${JSON.stringify(bad ?? spec)} is not allowed; expected a comma list of ${KERNEL_VARIANTS.join(', ')}`);
  return [...new Set(list as KernelVariant[])];
}

/** Whether `name` is selected by --engine: webgpu selects every webgpu:VARIANT too. */
export function engineSelected(name: string, wanted: Set<string> | null): boolean {
  return !wanted || wanted.has(name) || wanted.has(name.split(':')[0]);
}

export async function nodeBenchEngines(webgpuVariants: KernelVariant[] = []): Promise<BenchEngine[]> {
  const webgpu: BenchEngine[] =
    webgpuVariants.length === 0
      ? [{ name: 'webgpu', create: () => createNodeWebGpuEngine(), ceiling: () => dawnCeiling() }]
      : webgpuVariants.map((variant, i) => ({
          name: `webgpu:${variant}`,
          create: () => createNodeWebGpuEngine({ variant }),
          // one ceiling per adapter is enough
          ...(i === 0 ? { ceiling: () => dawnCeiling() } : {}),
        }));
  return [
    ...webgpu,
    cpuBenchEngine,
    {
      name: 'reference',
      create: async () => new ReferenceEngine(),
      // float64 JavaScript at ~1 GFLOP/s: sweep-256's 55 GFLOP would take ~60 s a run.
      skip: (w) => (w.name === 'sweep-256' ? 'the float64 reference would take about a minute a run; it is the yardstick on sweep-64' : undefined),
    },
  ];
}
