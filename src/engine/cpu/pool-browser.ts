/**
 * The CPU engine in the browser: its workers are module Web Workers running worker-browser.ts,
 * which Vite bundles from the `new URL(..., import.meta.url)` below.
 */
import { CpuEngine, type CpuEngineOptions, type WorkerPort } from './engine.ts';

/** Start one Web Worker of the CPU engine. */
export function spawnBrowserWorker(): WorkerPort {
  const worker = new Worker(new URL('./worker-browser.ts', import.meta.url), { type: 'module', name: 'rnnlab-cpu' });
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

/** The CPU engine with one Web Worker per logical core (or `workers`; 0 = on the page's thread). */
export function createBrowserCpuEngine(options: CpuEngineOptions = {}): CpuEngine {
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 2;
  return new CpuEngine(spawnBrowserWorker, { ...options, workers: options.workers ?? cores });
}
