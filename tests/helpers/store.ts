/**
 * The lab's store in Node on the float64 reference engine, as the store tests build it: an engine
 * that counts its runs and the configs it was asked for, and a URL-hash port that keeps the hash
 * and every history entry written.
 */
import type { SelectedBackend } from '../../src/app/backends.ts';
import { RunController } from '../../src/app/runner.ts';
import { LabStore, type HashPort } from '../../src/app/store.ts';
import type { Config } from '../../src/core/config.ts';
import type { Engine, RunOptions } from '../../src/core/engine.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';

/** The reference engine, counting runs and the configs it was asked for. */
export class CountingEngine implements Engine {
  readonly name = 'reference' as const;
  readonly adapter = 'test';
  private inner = new ReferenceEngine();
  started: Config[] = [];
  run(config: Config, options?: RunOptions) {
    this.started.push(config);
    return this.inner.run(config, options);
  }
  dispose() {}
}

/** A store on a CountingEngine, starting from `hash`; `choice` is the backend choice it reports. */
export function storeOnReference(hash: string, choice: SelectedBackend['info']['choice'] = 'auto') {
  const engine = new CountingEngine();
  const history: { hash: string; mode: string }[] = [];
  let current = hash;
  const port: HashPort = {
    get: () => current,
    set: (h, mode) => {
      current = h;
      history.push({ hash: h, mode });
    },
  };
  const selected: SelectedBackend = {
    engine,
    info: { choice, engine: 'reference', adapter: 'test', why: 'test', webgpu: { available: false, description: 'none', isFallback: false } },
  };
  const store = new LabStore(new RunController(), port, async () => selected);
  return { store, engine, history, hash: () => current, setHash: (h: string) => (current = h) };
}
