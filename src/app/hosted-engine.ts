/**
 * An Engine whose runs happen in engine-host-worker.ts: the page only posts the config and
 * receives the finished GradientField (its grids transferred, not copied). Cancelling posts an
 * abort; the engine in the worker stops at its next check.
 */
import type { Config } from '../core/config.ts';
import { AbortError, type Engine, type EngineName, type RunOptions } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';
import type { FromHost, HostedKind, HostTestAction, ToHost } from './host-protocol.ts';

export class HostedEngine implements Engine {
  private nextId = 1;
  private pending = new Map<number, { resolve(f: GradientField): void; reject(e: Error): void; onProgress?: RunOptions['onProgress'] }>();
  private tests = new Map<number, (v: number | boolean | null) => void>();

  private constructor(
    private readonly worker: Worker,
    readonly name: EngineName,
    readonly adapter: string,
  ) {
    worker.onmessage = (e: MessageEvent<FromHost>) => this.onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.failAll(new Error(`the engine worker failed: ${e.message || 'unknown error'}`));
    };
  }

  /** Start the worker and the engine in it; rejects with the engine's own message if it cannot start. */
  static create(kind: HostedKind, workers: number): Promise<HostedEngine> {
    const worker = new Worker(new URL('./engine-host-worker.ts', import.meta.url), { type: 'module', name: `rnnlab-${kind}-host` });
    return new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<FromHost>) => {
        const m = e.data;
        if (m.type === 'ready') resolve(new HostedEngine(worker, m.name as EngineName, m.adapter));
        else if (m.type === 'init-failed') {
          worker.terminate();
          reject(new Error(m.message));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        worker.terminate();
        reject(new Error(`the engine worker did not start: ${e.message || 'unknown error'}`));
      };
      const msg: ToHost = { type: 'init', kind, workers };
      worker.postMessage(msg);
    });
  }

  private post(msg: ToHost): void {
    this.worker.postMessage(msg);
  }

  private onMessage(m: FromHost): void {
    if (m.type === 'ready' || m.type === 'init-failed') return;
    if (m.type === 'test-result') {
      this.tests.get(m.id)?.(m.value);
      this.tests.delete(m.id);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') p.onProgress?.(m.progress);
    else if (m.type === 'done') {
      this.pending.delete(m.id);
      p.resolve(m.field);
    } else if (m.type === 'failed') {
      this.pending.delete(m.id);
      p.reject(m.aborted ? new AbortError() : new Error(m.message));
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new AbortError());
    const id = this.nextId++;
    return new Promise<GradientField>((resolve, reject) => {
      const onAbort = () => {
        this.post({ type: 'abort', id });
        // The page moves on at once; the worker's late answer for this id is ignored.
        this.pending.delete(id);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (f) => {
          done();
          resolve(f);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onProgress,
      });
      this.post({ type: 'run', id, config });
    });
  }

  /** Test hook of the engine in the worker (lose its device or context, count its GPU buffers). */
  test(action: HostTestAction): Promise<number | boolean | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.tests.set(id, resolve);
      this.post({ type: 'test', id, action });
    });
  }

  dispose(): void {
    for (const t of this.tests.values()) t(null);
    this.tests.clear();
    this.post({ type: 'dispose' });
    this.failAll(new AbortError('the engine was disposed'));
    this.worker.terminate();
  }
}
