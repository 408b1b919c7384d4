/**
 * The adapter's own matmul rate: a 1024^3 float32 product (64-wide tiles, 4 x 4 outputs per
 * invocation), the ceiling the engine's GFLOP/s is compared with. Browser-safe (no Dawn import):
 * the Node benchmark and the page in headless Chromium both use it.
 */
import { withErrorScopes } from '../src/engine/webgpu/device.ts';
import { Rng } from '../src/core/rng.ts';
import matmulWgsl from '../shaders/matmul.wgsl?raw';

/**
 * GFLOP/s of a size^3 float32 matmul on `device` (2 size^3 flops), the median of `runs` timed
 * products after one warm-up. Every buffer it makes is destroyed before it returns.
 */
export async function matmulCeiling(device: GPUDevice, size = 1024, runs = 3): Promise<number> {
  if (size % 64 !== 0) throw new Error(`matmulCeiling: size ${size} must be a multiple of 64`);
  const bytes = size * size * 4;
  const buffers: GPUBuffer[] = [];
  const make = (label: string, usage: GPUBufferUsageFlags, size: number) => {
    const b = device.createBuffer({ label, size, usage });
    buffers.push(b);
    return b;
  };
  try {
    const { pipeline, group } = await withErrorScopes(device, 'building the matmul benchmark', () => {
      const dims = make('matmul dims', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 16);
      const a = make('matmul A', GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, bytes);
      const b = make('matmul B', GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, bytes);
      const c = make('matmul C', GPUBufferUsage.STORAGE, bytes);
      const rng = new Rng(1, 0);
      device.queue.writeBuffer(dims, 0, new Uint32Array([size, size, size, 0]));
      device.queue.writeBuffer(a, 0, Float32Array.from(rng.normals(size * size)));
      device.queue.writeBuffer(b, 0, Float32Array.from(rng.normals(size * size)));
      const module = device.createShaderModule({ label: 'matmul.wgsl', code: matmulWgsl });
      const pipeline = device.createComputePipeline({ label: 'matmul pipeline', layout: 'auto', compute: { module, entryPoint: 'main' } });
      const group = device.createBindGroup({
        label: 'matmul bind group',
        layout: pipeline.getBindGroupLayout(0),
        entries: [dims, a, b, c].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      return { pipeline, group };
    });
    // Dawn in Node busy-polls the main thread while a GPU promise is pending, taking a core from
    // SwiftShader: sleep through most of the time the previous product took, then await.
    let previous = 0;
    const once = async () => {
      const enc = device.createCommandEncoder({ label: 'matmul' });
      const pass = enc.beginComputePass({ label: 'matmul pass' });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(size / 64, size / 64);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      if (previous > 0.008) await new Promise((resolve) => setTimeout(resolve, 850 * previous));
      await device.queue.onSubmittedWorkDone();
      const seconds = (performance.now() - t0) / 1000;
      previous = previous === 0 ? seconds : Math.min(previous, seconds);
      return seconds;
    };
    await once();
    const secs: number[] = [];
    for (let i = 0; i < runs; i++) secs.push(await once());
    secs.sort((x, y) => x - y);
    return (2 * size ** 3) / secs[runs >> 1] / 1e9;
  } finally {
    for (const b of buffers) b.destroy();
  }
}
