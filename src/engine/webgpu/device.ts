/**
 * Getting a WebGPU device and turning everything that can go wrong with it into Error values:
 * no adapter, device loss, validation and out-of-memory errors. Used by the engine and the
 * benchmark; the GPU object comes from navigator.gpu in the browser, src/node/dawn.ts in Node.
 */

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  /** The whole of it in words, e.g. "google swiftshader (fallback adapter)". */
  text: string;
}

export interface GpuHandle {
  adapter: GPUAdapter;
  device: GPUDevice;
  description: AdapterDescription;
}

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  // `info` is standard; older implementations lack it, and isFallbackAdapter moved into it.
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const description = info?.description ?? '';
  const fallback = Boolean(
    (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter ??
      (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const words = [vendor, architecture, description].filter((s) => s.length > 0);
  const text = `${words.length ? [...new Set(words)].join(' ') : 'unnamed WebGPU adapter'}${fallback ? ' (fallback adapter)' : ''}`;
  return { vendor, architecture, description, isFallbackAdapter: fallback, text };
}

/**
 * Request an adapter and a device with the largest buffer limits the adapter offers (so big
 * sweeps need fewer chunks) and all of its workgroup memory (for the tiled kernels' tiles). Throws a clear Error when WebGPU has no adapter here.
 */
export async function requestGpu(gpu: GPU | undefined, powerPreference: GPUPowerPreference = 'high-performance'): Promise<GpuHandle> {
  if (!gpu) throw new Error('WebGPU is not available here (no navigator.gpu); use the cpu backend');
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) {
    throw new Error(
      'WebGPU: requestAdapter() returned null -- no GPU adapter is available (in Chromium, start it with ' +
        '--enable-unsafe-webgpu; in Node, install a Vulkan driver); use the cpu backend',
    );
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'rnn-gradient-lab device',
    requiredFeatures: adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(l.maxStorageBuffersPerShaderStage, 8),
      // the tiled kernels size h's tile in workgroup memory from this (plan.ts, tiledShape)
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  });
  return { adapter, device, description: describeAdapter(adapter) };
}

/** Run `make` (and await it) inside validation and out-of-memory error scopes; throw the first error as an Error naming `what`. */
export async function withErrorScopes<T>(device: GPUDevice, what: string, make: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let value: T | undefined;
  let thrown: unknown = null;
  try {
    value = await make();
  } catch (e) {
    thrown = e;
  }
  // Pop both scopes whatever happened, so the device's scope stack stays balanced.
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (oom) throw new Error(`webgpu: out of GPU memory while ${what}: ${oom.message}; reduce the sweep's size`);
  if (validation) throw new Error(`webgpu: validation error while ${what}: ${validation.message}`);
  if (thrown !== null) throw thrown;
  return value as T;
}
