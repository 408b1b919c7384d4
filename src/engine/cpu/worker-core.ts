/**
 * The platform-free body of a CPU-engine worker: it keeps the current sweep's kernel and runs
 * the blocks it is sent. worker-node.ts and worker-browser.ts only connect it to their port.
 */
import { QUANTITY_NAMES } from '../../core/statistics.ts';
import { gaussianRawNorm } from '../../core/w0-norm.ts';
import { BlockKernel } from './kernel.ts';
import type { BlockResult, FromWorker, HistogramBins, HistogramShare, ToWorker } from './protocol.ts';
import { HistogramCounts } from '../../core/preactivations.ts';

export type Post = (msg: FromWorker, transfer: ArrayBuffer[]) => void;

/** The buffers of a result, moved rather than copied to the main thread. */
export function resultBuffers(r: BlockResult): ArrayBuffer[] {
  return [...QUANTITY_NAMES.map((q) => r.values[q]), r.flags].map((a) => a.buffer as ArrayBuffer);
}

/** The forward pass of one block with its a_t binned (BlockKernel.histogram): the block's share. */
export function blockHistogram(kernel: BlockKernel, block: number, bins: HistogramBins): HistogramShare {
  const into = new HistogramCounts(kernel.steps, bins);
  kernel.histogram(block, into);
  return { block, counts: into.counts, below: into.below, above: into.above, nonFinite: into.nonFinite, derSum: into.derSum };
}

export function createWorkerHandler(post: Post): (msg: ToWorker) => void {
  let run = -1;
  let kernel: BlockKernel | null = null;
  return (msg) => {
    if (msg.type === 'norm') {
      try {
        post({ type: 'norm', id: msg.id, norm: gaussianRawNorm(msg.seed, msg.n), message: '' }, []);
      } catch (e) {
        post({ type: 'norm', id: msg.id, norm: null, message: e instanceof Error ? e.message : String(e) }, []);
      }
      return;
    }
    try {
      if (msg.type === 'setup') {
        run = msg.run;
        kernel = null; // release the previous sweep's buffers before allocating
        kernel = new BlockKernel(msg.setup);
        return;
      }
      if (msg.run !== run || !kernel) throw new Error(`internal: block ${msg.block} of run ${msg.run} arrived before its setup`);
      if (msg.type === 'histogram') {
        const share = blockHistogram(kernel, msg.block, msg.bins);
        post({ type: 'histogram', run, share }, [share.counts, share.below, share.above, share.nonFinite, share.derSum].map((a) => a.buffer as ArrayBuffer));
        return;
      }
      const result = kernel.run(msg.block);
      post({ type: 'result', run, result }, resultBuffers(result));
    } catch (e) {
      post({ type: 'error', run: msg.run, message: e instanceof Error ? e.message : String(e) }, []);
    }
  };
}
