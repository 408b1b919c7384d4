/**
 * The platform-free body of a CPU-trainer worker: it trains the models it is given with the
 * float32 SIMD model (model.ts) through the shared loop, reporting as it goes.
 */
import { isAbortError } from '../../../core/engine.ts';
import { runTraining } from '../../../core/train/loop.ts';
import { initialParams } from '../../../core/train/model.ts';
import { taskShape } from '../../../core/train/tasks.ts';
import { F32Model } from './model.ts';
import { runBuffers, type FromTrainWorker, type ToTrainWorker } from './protocol.ts';

export type Post = (msg: FromTrainWorker, transfer: ArrayBuffer[]) => void;

/** Progress messages at most this often. */
const PROGRESS_MS = 100;

export function createTrainWorkerHandler(post: Post): (msg: ToTrainWorker) => void {
  const active = new Map<number, AbortController>();
  return (msg) => {
    if (msg.type === 'abort') {
      active.get(msg.run)?.abort();
      return;
    }
    const { run, config, models } = msg;
    const controller = new AbortController();
    active.set(run, controller);
    let lastProgress = 0;
    void (async () => {
      try {
        const shape = taskShape(config);
        const kernels = models.map((k) => new F32Model(config.models[k], shape, config.length, initialParams(config.models[k], shape, config.seed), { simd: msg.simd, fma: msg.fma }));
        const result = await runTraining(config, models, kernels, (n) => new Float32Array(n), {
          signal: controller.signal,
          resume: msg.resume,
          onRow: (row) => post({ type: 'row', run, row }, []),
          onDiverged: (divergence) => post({ type: 'diverged', run, divergence }, []),
          onIteration: (iteration) => {
            const now = performance.now();
            if (now - lastProgress < PROGRESS_MS && iteration < config.iterations) return;
            lastProgress = now;
            post({ type: 'progress', run, iteration }, []);
          },
        });
        post({ type: 'done', run, models: result, simd: kernels.every((k) => k.simd) }, runBuffers(result));
      } catch (e) {
        if (isAbortError(e)) post({ type: 'aborted', run }, []);
        else post({ type: 'error', run, message: e instanceof Error ? e.message : String(e) }, []);
      } finally {
        active.delete(run);
      }
    })();
  };
}
