/** Web Worker entry of the CPU engine (started by pool-browser.ts as a module worker). */
import type { FromWorker, ToWorker } from './protocol.ts';
import { createWorkerHandler } from './worker-core.ts';

/** The part of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(msg: FromWorker, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const handle = createWorkerHandler((msg, transfer) => scope.postMessage(msg, transfer));
scope.onmessage = (e) => handle(e.data);
