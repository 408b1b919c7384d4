/**
 * The page's side of preactivation-worker.ts: one request at a time; a request for another row
 * or config terminates the one in flight (its answer would no longer be shown).
 */
import type { Config } from '../core/config.ts';
import type { PreactivationRow } from '../core/preactivations.ts';
import type { PreactivationReply } from './preactivation-worker.ts';

/** Multiply-adds per request: about 0.3-1 s of float64 forward passes in a worker on a slow core. */
export const PREACTIVATION_BUDGET = 3e8;
export const PREACTIVATION_BINS = 60;

export type PreactivationPort = (config: Config, rho: number) => Promise<{ row: PreactivationRow; ms: number }>;

export function preactivationWorkerPort(): PreactivationPort {
  let worker: Worker | null = null;
  let pending: { id: number; reject: (e: Error) => void } | null = null;
  let nextId = 1;
  return (config, rho) =>
    new Promise((resolve, reject) => {
      if (pending && worker) {
        worker.terminate();
        worker = null;
        pending.reject(new Error('superseded'));
      }
      worker ??= new Worker(new URL('./preactivation-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-preactivations' });
      const id = nextId++;
      pending = { id, reject };
      worker.onmessage = (e: MessageEvent<PreactivationReply>) => {
        if (e.data.id !== id) return;
        pending = null;
        if (e.data.ok) resolve({ row: e.data.row, ms: e.data.ms });
        else reject(new Error(e.data.message));
      };
      worker.onerror = (e) => {
        pending = null;
        worker?.terminate();
        worker = null;
        reject(new Error(`the pre-activation worker failed: ${e.message || 'unknown error'}`));
      };
      worker.postMessage({ id, config, rho, budget: PREACTIVATION_BUDGET, bins: PREACTIVATION_BINS });
    });
}
