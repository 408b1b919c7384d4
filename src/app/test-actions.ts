/**
 * What the robustness tests do to an engine, on the page or in the engine's host worker: destroy
 * the WebGPU device, lose gpu.js's WebGL context, count live GPU buffers. Only test builds reach
 * this module (__LAB_TEST_HOOKS__, see src/test-hooks-flag.d.ts); the production bundle holds
 * none of it (checked by tests/e2e/lab.test.ts).
 */
import type { Engine } from '../core/engine.ts';
import { destroyDeviceForTest, WebGpuEngine } from '../engine/webgpu/engine.ts';
import type { HostTestAction } from './host-protocol.ts';

/** Do `action` to an engine that is not hosted; null where this engine has no such thing. */
export async function engineTestAction(e: Engine, action: HostTestAction): Promise<number | boolean | null> {
  if (action === 'lose-device') {
    if (!(e instanceof WebGpuEngine)) return false;
    destroyDeviceForTest(e);
    return true;
  }
  if (action === 'lose-context') {
    if (e.name !== 'gpujs') return false;
    // gpu.js's module is already loaded wherever a gpujs engine exists.
    const { GpuJsEngine, loseContextForTest } = await import('../engine/gpujs/engine.ts');
    return e instanceof GpuJsEngine ? loseContextForTest(e) : false;
  }
  return e instanceof WebGpuEngine ? e.liveBuffers : null;
}
