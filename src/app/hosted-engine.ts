/**
 * An Engine whose runs happen in engine-host-worker.ts: the page only posts the config and
 * receives the finished GradientField (its grids transferred, not copied). Cancelling posts an
 * abort; the engine in the worker stops at its next check. A worker that does not answer an
 * abort within ABORT_GRACE_MS (stuck in synchronous work: W0 and its spectrum take ~30 s at
 * N = 1024) is terminated and replaced, so the latest request never waits behind a cancelled one.
 */
import type { Config } from '../core/config.ts';
import { AbortError, type Engine, type EngineName, type RunOptions } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';
import type { WebGpuVariantChoice } from '../engine/policy.ts';
import { HistogramUnsupportedError, type HistogramRequest, type PreactivationHistogram } from '../core/preactivations.ts';
import type { FromHost, HostedKind, HostTestAction, ToHost } from './host-protocol.ts';

/** How long a worker may take to answer an abort before it is replaced (ms). */
const ABORT_GRACE_MS = 1500;

export class HostedEngine implements Engine {
  private nextId = 1;
  private pending = new Map<number, { config: Config; resolve(f: GradientField): void; reject(e: Error): void; onProgress?: RunOptions['onProgress'] }>();
  /** Histograms asked for and not answered (not resent to a replacement worker: they fail with a message). */
  private histograms = new Map<number, { resolve(h: PreactivationHistogram): void; reject(e: Error): void }>();
  private tests = new Map<number, (v: number | boolean | null) => void>();
  /** Aborted runs the worker has not answered yet, and the timer that replaces a stuck worker. */
  private unanswered = new Set<number>();
  private stuckTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set while a replacement worker starts: messages wait for it. */
  private restarting: Promise<void> | null = null;
  /** Workers replaced because they did not answer an abort (tests read it). */
  restarts = 0;
  private disposed = false;

  private constructor(
    private worker: Worker,
    readonly name: EngineName,
    readonly adapter: string,
    private readonly kind: HostedKind,
    private readonly workers: number,
    private readonly variant: WebGpuVariantChoice,
  ) {
    this.attach(worker);
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    worker.onmessage = (e: MessageEvent<FromHost>) => this.onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.failAll(new Error(`the engine worker failed: ${e.message || 'unknown error'}`));
    };
  }

  /**
   * Start the worker and the engine in it (for WebGPU, with the step kernels `variant`); rejects
   * with the engine's own message if it cannot start.
   */
  static async create(kind: HostedKind, workers: number, variant: WebGpuVariantChoice = 'auto'): Promise<HostedEngine> {
    const w = await HostedEngine.spawn(kind, workers, variant);
    return new HostedEngine(w.worker, w.name as EngineName, w.adapter, kind, workers, variant);
  }

  private static spawn(kind: HostedKind, workers: number, variant: WebGpuVariantChoice): Promise<{ worker: Worker; name: string; adapter: string }> {
    const worker = new Worker(new URL('./engine-host-worker.ts', import.meta.url), { type: 'module', name: `rnnlab-${kind}-host` });
    return new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<FromHost>) => {
        const m = e.data;
        if (m.type === 'ready') resolve({ worker, name: m.name, adapter: m.adapter });
        else if (m.type === 'init-failed') {
          worker.terminate();
          reject(new Error(m.message));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        worker.terminate();
        reject(new Error(`the engine worker did not start: ${e.message || 'unknown error'}`));
      };
      const msg: ToHost = { type: 'init', kind, workers, variant };
      worker.postMessage(msg);
    });
  }

  private post(msg: ToHost): void {
    if (this.restarting) void this.restarting.then(() => this.worker.postMessage(msg));
    else this.worker.postMessage(msg);
  }

  /** The worker did not answer an abort in time: replace it and resend the runs still wanted. */
  private restart(): void {
    this.stuckTimer = null;
    if (this.disposed || this.unanswered.size === 0) return;
    this.unanswered.clear();
    this.worker.terminate();
    this.restarts++;
    // Histograms are not resent (the panel asks again for the row it shows): say why they stopped.
    for (const h of this.histograms.values()) h.reject(new Error('the engine worker was restarted; show the row again to bin it'));
    this.histograms.clear();
    this.restarting = HostedEngine.spawn(this.kind, this.workers, this.variant).then(
      (w) => {
        this.restarting = null;
        if (this.disposed) return void w.worker.terminate();
        this.attach(w.worker);
        for (const [id, p] of this.pending) this.worker.postMessage({ type: 'run', id, config: p.config } satisfies ToHost);
      },
      (e: unknown) => {
        this.restarting = null;
        this.failAll(new Error(`the engine worker failed and could not be restarted: ${e instanceof Error ? e.message : String(e)}`));
      },
    );
  }

  /** The worker answered an aborted run: it is alive, so the grace period starts again for the others. */
  private answered(id: number): void {
    if (!this.unanswered.delete(id)) return;
    if (this.stuckTimer) clearTimeout(this.stuckTimer);
    this.stuckTimer = this.unanswered.size > 0 ? setTimeout(() => this.restart(), ABORT_GRACE_MS) : null;
  }

  private onMessage(m: FromHost): void {
    if (m.type === 'ready' || m.type === 'init-failed') return;
    if (m.type === 'test-result') {
      this.tests.get(m.id)?.(m.value);
      this.tests.delete(m.id);
      return;
    }
    if (m.type !== 'progress') this.answered(m.id);
    const hist = this.histograms.get(m.id);
    if (hist && (m.type === 'histogram-done' || m.type === 'failed')) {
      this.histograms.delete(m.id);
      if (m.type === 'histogram-done') hist.resolve(m.histogram);
      else hist.reject(m.aborted ? new AbortError() : m.unsupported ? new HistogramUnsupportedError(m.message) : new Error(m.message));
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') p.onProgress?.(m.progress);
    else if (m.type === 'done') {
      this.pending.delete(m.id);
      p.resolve(m.field);
    } else if (m.type === 'failed') {
      this.pending.delete(m.id);
      p.reject(m.aborted ? new AbortError() : new Error(m.message));
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const h of this.histograms.values()) h.reject(err);
    this.histograms.clear();
  }

  /** The engine in the worker bins row request.rhoIndex's a_t; only the counts come back (transferred). */
  preactivationHistogram(config: Config, request: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError());
    const id = this.nextId++;
    return new Promise<PreactivationHistogram>((resolve, reject) => {
      const onAbort = () => {
        this.post({ type: 'abort', id });
        this.histograms.delete(id);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.histograms.set(id, {
        resolve: (h) => {
          done();
          resolve(h);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.post({ type: 'histogram', id, config, request });
    });
  }

  run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new AbortError());
    const id = this.nextId++;
    return new Promise<GradientField>((resolve, reject) => {
      const onAbort = () => {
        this.post({ type: 'abort', id });
        this.unanswered.add(id);
        this.stuckTimer ??= setTimeout(() => this.restart(), ABORT_GRACE_MS);
        // The page moves on at once; the worker's late answer for this id is ignored.
        this.pending.delete(id);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        config,
        resolve: (f) => {
          done();
          resolve(f);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onProgress,
      });
      this.post({ type: 'run', id, config });
    });
  }

  /** Test hook of the engine in the worker (lose its device or context, count its GPU buffers). */
  test(action: HostTestAction): Promise<number | boolean | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.tests.set(id, resolve);
      this.post({ type: 'test', id, action });
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.stuckTimer) clearTimeout(this.stuckTimer);
    for (const t of this.tests.values()) t(null);
    this.tests.clear();
    this.post({ type: 'dispose' });
    this.failAll(new AbortError('the engine was disposed'));
    this.worker.terminate();
  }
}
