/** The CPU trainer in the browser: module Web Workers running train/worker-browser.ts (bundled by Vite). */
import type { TrainWorkerPort } from './protocol.ts';
import { CpuTrainer, type CpuTrainerOptions } from './trainer.ts';

export function spawnBrowserTrainWorker(): TrainWorkerPort {
  const worker = new Worker(new URL('./worker-browser.ts', import.meta.url), { type: 'module', name: 'rnnlab-train' });
  return {
    post: (msg) => worker.postMessage(msg),
    listen(onMessage, onError) {
      worker.onmessage = (e) => onMessage(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        onError(new Error(e.message || 'the worker script failed to load or threw'));
      };
      worker.onmessageerror = () => onError(new Error('a worker message could not be deserialised'));
    },
    hold: () => {},
    terminate: () => worker.terminate(),
  };
}

export function createBrowserCpuTrainer(options: CpuTrainerOptions = {}): CpuTrainer {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 2;
  return new CpuTrainer(spawnBrowserTrainWorker, { ...options, workers: options.workers ?? cores });
}
