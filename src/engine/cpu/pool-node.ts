/**
 * The CPU engine in Node: its workers are worker_threads running worker-node.ts. Worker threads
 * cannot load TypeScript by themselves, so when the worker file is .ts they start with
 * `--import src/node/register.mjs` (tsx), which works under vitest and under
 * `node --import ./src/node/register.mjs` alike.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CpuEngine, type CpuEngineOptions, type WorkerPort } from './engine.ts';

const WORKER_URL = new URL('./worker-node.ts', import.meta.url);
const REGISTER_URL = new URL('../../node/register.mjs', import.meta.url);

/** Start one worker thread of the CPU engine. */
export function spawnNodeWorker(): WorkerPort {
  const execArgv = WORKER_URL.pathname.endsWith('.ts') ? ['--import', REGISTER_URL.href] : [];
  const worker = new Worker(WORKER_URL, { execArgv, name: 'rnnlab-cpu' });
  let listening = false;
  let terminated = false;
  return {
    post: (msg) => worker.postMessage(msg),
    listen(onMessage, onError) {
      if (listening) throw new Error('internal: listen() twice on one worker');
      listening = true;
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', (code) => {
        if (code !== 0 && !terminated) onError(new Error(`worker thread exited with code ${code}`));
      });
    },
    hold: (active) => (active ? worker.ref() : worker.unref()),
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
  };
}

/** The CPU engine with one worker thread per available core (or `workers`; 0 = no threads). */
export function createNodeCpuEngine(options: CpuEngineOptions = {}): CpuEngine {
  return new CpuEngine(spawnNodeWorker, { ...options, workers: options.workers ?? availableParallelism() });
}
