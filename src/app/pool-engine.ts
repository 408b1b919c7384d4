/**
 * The float64 reference engine, run by a pool of Web Workers: the rows (rho values) are dealt
 * out to the workers, each computes them with the core's own traceSequence/reduceRow, so the
 * numbers are bit-identical to ReferenceEngine's while the page stays responsive.
 * Cancelling terminates the workers (a synchronous loop cannot be interrupted otherwise);
 * fresh ones are started by the next run.
 */
import { rhoValues, type Config } from '../core/config.ts';
import { AbortError, type Engine, type RunOptions } from '../core/engine.ts';
import { emptyField, GRID_NAMES, type GradientField } from '../core/field.ts';
import type { WorkerReply, WorkerRequest } from './worker-protocol.ts';
import type { HistogramRequest, PreactivationHistogram } from '../core/preactivations.ts';
import { preactivationWorkerPort, type PreactivationPort } from './preactivation-client.ts';

export class PoolReferenceEngine implements Engine {
  readonly name = 'reference' as const;
  readonly adapter: string;
  private workers: Worker[] = [];
  private nextId = 1;
  /** The float64 histogram of one row, in a worker of its own (preactivation-worker.ts). */
  private histogramPort: PreactivationPort | null = null;

  constructor(private readonly size: number) {
    this.adapter = `float64 JavaScript, ${size} Web Worker${size > 1 ? 's' : ''}`;
  }

  private ensureWorkers(n: number): Worker[] {
    while (this.workers.length < n) {
      this.workers.push(new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-reference' }));
    }
    return this.workers.slice(0, n);
  }

  private terminate(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }

  run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new AbortError());
    const started = performance.now();
    const rho = rhoValues(config);
    const K = rho.length;
    const T = config.steps;
    const workers = this.ensureWorkers(Math.max(1, Math.min(this.size, K)));
    const id = this.nextId++;
    const placeholder = { re: new Float64Array(0), im: new Float64Array(0), radius: NaN, norm: NaN, meanSquare: NaN };
    const field = emptyField(config, rho, placeholder, {
      backend: this.name,
      adapter: this.adapter,
      wallMs: 0,
      precision: 'float64',
    });

    return new Promise<GradientField>((resolve, reject) => {
      let rowsDone = 0;
      let workersDone = 0;
      let haveSpectrum = false;
      const cleanup = () => {
        for (const w of workers) w.onmessage = w.onerror = null;
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error) => {
        cleanup();
        this.terminate();
        reject(err);
      };
      const onAbort = () => fail(new AbortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const finishIfDone = () => {
        if (workersDone === workers.length && haveSpectrum && rowsDone === K) {
          cleanup();
          field.meta.wallMs = performance.now() - started;
          resolve(field);
        }
      };
      workers.forEach((w, i) => {
        w.onerror = (e) => fail(new Error(`the reference worker failed: ${e.message || 'unknown error'}`));
        w.onmessage = (e: MessageEvent<WorkerReply>) => {
          const m = e.data;
          if (m.id !== id) return;
          if (m.type === 'error') return fail(new Error(m.message));
          if (m.type === 'spectrum') {
            field.spectrum = m.spectrum;
            haveSpectrum = true;
          } else if (m.type === 'row') {
            for (const g of GRID_NAMES) field.grids[g].set(m.grids[g], m.k * T);
            field.overflow.set(m.overflow, m.k * T);
            rowsDone++;
            onProgress?.({ fraction: rowsDone / K, phase: `rho ${rowsDone} of ${K}` });
          } else if (m.type === 'done') {
            workersDone++;
          }
          finishIfDone();
        };
        // Rows dealt round-robin: neighbouring rho values cost about the same.
        const rows: number[] = [];
        for (let k = i; k < K; k += workers.length) rows.push(k);
        const req: WorkerRequest = { type: 'run', id, config, rows, sendSpectrum: i === 0 };
        w.postMessage(req);
      });
    });
  }

  /** Row request.rhoIndex's a_t, binned in float64 in a worker as its forward pass runs. */
  preactivationHistogram(config: Config, request: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    this.histogramPort ??= preactivationWorkerPort();
    return this.histogramPort(config, request, options.signal);
  }

  dispose(): void {
    this.terminate();
  }
}
