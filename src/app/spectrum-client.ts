/**
 * The page's side of spectrum-worker.ts. Two channels, each with its own worker: the tied W0's
 * eigenvalues, and an untied layer's W0_t. Within a channel one request at a time: a request for
 * another matrix terminates the computation in flight (its answer would no longer be shown) and
 * starts afresh; a layer request never cancels the W0 one, nor the reverse.
 */
import type { Config } from '../core/config.ts';
import type { Spectrum } from '../core/spectrum.ts';
import type { EigenvaluePort } from './store.ts';
import type { SpectrumReply, SpectrumRequest } from './spectrum-worker.ts';

function channel(name: string): (request: Omit<SpectrumRequest, 'id'>) => Promise<Spectrum> {
  let worker: Worker | null = null;
  let pending: { id: number; reject: (e: Error) => void } | null = null;
  let nextId = 1;
  return (request) =>
    new Promise<Spectrum>((resolve, reject) => {
      if (pending && worker) {
        worker.terminate();
        worker = null;
        pending.reject(new Error('superseded'));
      }
      worker ??= new Worker(new URL('./spectrum-worker.ts', import.meta.url), { type: 'module', name });
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
      worker.postMessage({ id, ...request } satisfies SpectrumRequest);
    });
}

export function spectrumWorkerPort(): EigenvaluePort {
  const w0 = channel('rnnlab-spectrum');
  const layers = channel('rnnlab-spectrum-layer');
  return (config: Config, layer?: number) => (layer === undefined ? w0({ config }) : layers({ config, layer }));
}
