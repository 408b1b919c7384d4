/** The CPU trainer in Node: worker_threads running train/worker-node.ts (TypeScript through tsx, as the CPU engine's). */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TrainWorkerPort } from './protocol.ts';
import { CpuTrainer, type CpuTrainerOptions } from './trainer.ts';

const WORKER_URL = new URL('./worker-node.ts', import.meta.url);
const REGISTER_URL = new URL('../../../node/register.mjs', import.meta.url);

export function spawnNodeTrainWorker(): TrainWorkerPort {
  const execArgv = WORKER_URL.pathname.endsWith('.ts') ? ['--import', REGISTER_URL.href] : [];
  const worker = new Worker(WORKER_URL, { execArgv, name: 'rnnlab-train' });
  let terminated = false;
  return {
    post: (msg) => worker.postMessage(msg),
    listen(onMessage, onError) {
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

/** The CPU trainer with up to one worker thread per available core (or `workers`; 0 = on this thread). */
export function createNodeCpuTrainer(options: CpuTrainerOptions = {}): CpuTrainer {
  return new CpuTrainer(spawnNodeTrainWorker, { ...options, workers: options.workers ?? availableParallelism() });
}
