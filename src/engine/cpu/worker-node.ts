/** Node worker_threads entry of the CPU engine (started by pool-node.ts). */
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './protocol.ts';
import { createWorkerHandler } from './worker-core.ts';

const port = parentPort;
if (!port) throw new Error('worker-node.ts must run as a worker thread (see pool-node.ts)');
const handle = createWorkerHandler((msg, transfer) => port.postMessage(msg, transfer));
port.on('message', (msg: ToWorker) => handle(msg));
