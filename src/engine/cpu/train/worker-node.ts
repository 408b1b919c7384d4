/** Node worker_threads entry of the CPU trainer (started by pool-node.ts). */
import { parentPort } from 'node:worker_threads';
import type { ToTrainWorker } from './protocol.ts';
import { createTrainWorkerHandler } from './worker-core.ts';

const port = parentPort;
if (!port) throw new Error('train/worker-node.ts must run as a worker thread (see train/pool-node.ts)');
const handle = createTrainWorkerHandler((msg, transfer) => port.postMessage(msg, transfer));
port.on('message', (msg: ToTrainWorker) => handle(msg));
