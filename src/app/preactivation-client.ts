/**
 * The page's side of preactivation-worker.ts (the float64 histogram of one row): one request at a
 * time; a new request, or an abort, terminates the one in flight (a synchronous forward pass
 * cannot be interrupted otherwise, and its answer would no longer be shown).
 */
import type { Config } from '../core/config.ts';
import { AbortError } from '../core/engine.ts';
import { checkHistogramRequest, type HistogramRequest, type PreactivationHistogram } from '../core/preactivations.ts';
import type { PreactivationReply } from './preactivation-worker.ts';

export type PreactivationPort = (config: Config, request: HistogramRequest, signal?: AbortSignal) => Promise<PreactivationHistogram>;

export function preactivationWorkerPort(): PreactivationPort {
  let worker: Worker | null = null;
  let pending: { id: number; reject: (e: Error) => void } | null = null;
  let nextId = 1;
  const stop = () => {
    worker?.terminate();
    worker = null;
    pending?.reject(new AbortError('superseded by a newer histogram'));
    pending = null;
  };
  return (config, request, signal) =>
    new Promise((resolve, reject) => {
      checkHistogramRequest(config, request);
      if (signal?.aborted) return reject(new AbortError());
      if (pending) stop();
      worker ??= new Worker(new URL('./preactivation-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-preactivations' });
      const id = nextId++;
      pending = { id, reject };
      signal?.addEventListener('abort', () => pending?.id === id && stop(), { once: true });
      worker.onmessage = (e: MessageEvent<PreactivationReply>) => {
        if (e.data.id !== id) return;
        pending = null;
        if (e.data.ok) resolve(e.data.histogram);
        else reject(new Error(e.data.message));
      };
      worker.onerror = (e) => {
        pending = null;
        worker?.terminate();
        worker = null;
        reject(new Error(`the pre-activation worker failed: ${e.message || 'unknown error'}`));
      };
      worker.postMessage({ id, config, request });
    });
}
