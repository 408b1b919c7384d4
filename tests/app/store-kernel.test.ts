/**
 * The WebGPU kernels a link names (#kernel=) reach the engine selection: the store asks the
 * backend port for them, a change of kernels on WebGPU computes again (a field is cached per
 * engine and kernels), and on the CPU engine, which has no such kernels, it does not.
 */
import { describe, expect, it } from 'vitest';
import type { SelectedBackend } from '../../src/app/backends.ts';
import { RunController } from '../../src/app/runner.ts';
import { engineKey, LabStore, type HashPort } from '../../src/app/store.ts';
import type { BackendChoice, KernelChoice } from '../../src/app/state.ts';
import { CountingEngine } from '../helpers/store.ts';

const SMALL = 'hidden=6&steps=5&rhoCount=3&samples=2';

function storeAsking(hash: string) {
  const engine = new CountingEngine();
  let current = hash;
  const port: HashPort = { get: () => current, set: (h) => (current = h) };
  const asked: [BackendChoice, KernelChoice][] = [];
  const store = new LabStore(new RunController(), port, async (choice, kernel) => {
    asked.push([choice, kernel]);
    const selected: SelectedBackend = {
      engine,
      info: { choice, engine: 'reference', adapter: 'test', why: 'test', webgpu: { available: false, description: 'none', isFallback: false } },
    };
    return selected;
  });
  return { store, engine, asked };
}

async function settled(store: LabStore): Promise<void> {
  for (let i = 0; i < 200 && store.snapshot.run.status === 'running'; i++) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 5));
}

describe('WebGPU kernels from the link', () => {
  it('are passed to the engine selection, and a change of them on WebGPU computes again', async () => {
    const { store, engine, asked } = storeAsking(`#${SMALL}&backend=webgpu&kernel=tiled`);
    store.start();
    await settled(store);
    expect(engine.started).toHaveLength(1);
    expect(asked.at(-1)).toEqual(['webgpu', 'tiled']);
    store.loadHash(`#${SMALL}&backend=webgpu&kernel=persistent`);
    await settled(store);
    expect(store.snapshot.state.view.kernel).toBe('persistent');
    expect(engine.started).toHaveLength(2);
    expect(asked.at(-1)).toEqual(['webgpu', 'persistent']);
  });

  it('do not recompute a CPU run, whose engine has no such kernels', async () => {
    const { store, engine } = storeAsking(`#${SMALL}&backend=cpu`);
    store.start();
    await settled(store);
    store.loadHash(`#${SMALL}&backend=cpu&kernel=tiled`);
    await settled(store);
    expect(store.snapshot.state.view.kernel).toBe('tiled');
    expect(engine.started).toHaveLength(1);
  });

  it('name the engine in the cache key only where WebGPU may run them', () => {
    expect(engineKey({ backend: 'webgpu', kernel: 'tiled' })).toBe('webgpu/kernel=tiled');
    expect(engineKey({ backend: 'auto', kernel: 'persistent' })).toBe('auto/kernel=persistent');
    expect(engineKey({ backend: 'cpu', kernel: 'tiled' })).toBe('cpu');
    expect(engineKey({ backend: 'webgpu', kernel: 'auto' })).toBe('webgpu');
  });
});
