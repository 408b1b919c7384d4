/**
 * The page's side of spectrum-worker.ts: one request at a time; a request for another W0
 * terminates the computation in flight (its answer would no longer be shown) and starts afresh.
 */
import type { Config } from '../core/config.ts';
import type { Spectrum } from '../core/spectrum.ts';
import type { EigenvaluePort } from './store.ts';
import type { SpectrumReply } from './spectrum-worker.ts';

export function spectrumWorkerPort(): EigenvaluePort {
  let worker: Worker | null = null;
  let pending: { id: number; reject: (e: Error) => void } | null = null;
  let nextId = 1;
  return (config: Config) =>
    new Promise<Spectrum>((resolve, reject) => {
      if (pending && worker) {
        worker.terminate();
        worker = null;
        pending.reject(new Error('superseded'));
      }
      worker ??= new Worker(new URL('./spectrum-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-spectrum' });
      const id = nextId++;
      pending = { id, reject };
      worker.onmessage = (e: MessageEvent<SpectrumReply>) => {
        if (e.data.id !== id) return;
        pending = null;
        if (e.data.ok) resolve(e.data.spectrum);
        else reject(new Error(e.data.message));
      };
      worker.onerror = (e) => {
        pending = null;
        worker?.terminate();
        worker = null;
        reject(new Error(`the spectrum worker failed: ${e.message || 'unknown error'}`));
      };
      worker.postMessage({ id, config });
    });
}
