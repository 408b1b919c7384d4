export { destroyDeviceForTest, WebGpuEngine, type WebGpuEngineOptions } from './engine.ts';
export { describeAdapter, requestGpu, withErrorScopes, type AdapterDescription, type GpuHandle } from './device.ts';
export { planMemory, type MemoryPlan } from './plan.ts';
