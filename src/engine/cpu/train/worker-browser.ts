/** Web Worker entry of the CPU trainer (started by pool-browser.ts as a module worker). */
import type { FromTrainWorker, ToTrainWorker } from './protocol.ts';
import { createTrainWorkerHandler } from './worker-core.ts';

/** The part of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  onmessage: ((e: MessageEvent<ToTrainWorker>) => void) | null;
  postMessage(msg: FromTrainWorker, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const handle = createTrainWorkerHandler((msg, transfer) => scope.postMessage(msg, transfer));
scope.onmessage = (e) => handle(e.data);
