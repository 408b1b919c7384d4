/**
 * The page's side of a training run in the Train view: it owns the worker (train-worker.ts),
 * turns its messages into one snapshot (status, progress with steps/s and time left, the live
 * curves, checkpoints' eigenvalues, divergences in words) and hands that to subscribers at most
 * every UPDATE_MS, so the page's thread draws a few times a second and never trains.
 */
import type { TrainConfig } from '../core/train/config.ts';
import type { Divergence } from '../core/train/loop.ts';
import { sortRows, type TrainResult } from '../core/trainer.ts';
import type { EigenCheckpoint, FromTrainView, LiveRow, ToTrainView } from './train-protocol.ts';

export type TrainStatus = 'idle' | 'running' | 'paused' | 'done' | 'failed';

export interface TrainSnapshot {
  status: TrainStatus;
  /** The run's settings (null before the first start). */
  config: TrainConfig | null;
  /** Iterations finished (the last one reported), -1 before the first. */
  iteration: number;
  /** Iterations per second over the time spent training (pauses excluded), or null before enough steps. */
  stepsPerSecond: number | null;
  /** Seconds left at that rate, or null. */
  secondsLeft: number | null;
  rows: LiveRow[];
  checkpoints: EigenCheckpoint[];
  divergences: Divergence[];
  /** The finished run (for CSV and the bundle), or null. */
  result: TrainResult | null;
  /** Why the run failed, in words. */
  message: string | null;
  /** The trainer running, in words ("WebGPU trainer on ...: auto: hardware WebGPU adapter"), or null before the worker says. */
  trainer: string | null;
  /** What the user should know that is not a failure (the GPU device was lost and the run moved to the CPU). */
  notices: string[];
}

export interface TrainWorkerLike {
  postMessage(msg: ToTrainView): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<FromTrainView>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

export type SpawnTrainView = () => TrainWorkerLike;

export const spawnTrainViewWorker: SpawnTrainView = () =>
  new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-train-view' }) as unknown as TrainWorkerLike;

/** Subscribers hear at most this often (plus at once on status changes). */
const UPDATE_MS = 150;

const EMPTY: TrainSnapshot = {
  status: 'idle',
  config: null,
  iteration: -1,
  stepsPerSecond: null,
  secondsLeft: null,
  rows: [],
  checkpoints: [],
  divergences: [],
  result: null,
  message: null,
  trainer: null,
  notices: [],
};

export class TrainSession {
  private snap: TrainSnapshot = EMPTY;
  private worker: TrainWorkerLike | null = null;
  private listeners = new Set<(s: TrainSnapshot) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Training time: ms accumulated over earlier running spells, and when this one began. */
  private activeMs = 0;
  private spellStart: number | null = null;
  private firstIteration = -1;

  constructor(private readonly spawn: SpawnTrainView = spawnTrainViewWorker) {}

  get snapshot(): TrainSnapshot {
    return this.snap;
  }

  subscribe(fn: (s: TrainSnapshot) => void): () => void {
    this.listeners.add(fn);
    fn(this.snap);
    return () => this.listeners.delete(fn);
  }

  /** Start a run of `config`; steps > 0 pauses after that many iterations. */
  start(config: TrainConfig, steps = 0): void {
    this.stopWorker();
    this.activeMs = 0;
    this.spellStart = performance.now();
    this.firstIteration = -1;
    const w = this.spawn();
    this.worker = w;
    w.onmessage = (e) => this.receive(w, e.data);
    w.onerror = (e) => {
      e.preventDefault?.();
      if (this.worker !== w) return;
      this.stopWorker();
      this.set({ status: 'failed', message: `the training worker failed: ${e.message || 'it could not load'}` }, true);
    };
    this.set({ ...EMPTY, status: 'running', config }, true);
    w.postMessage({ type: 'start', config, steps });
  }

  pause(): void {
    if (this.snap.status === 'running') this.worker?.postMessage({ type: 'pause' });
  }

  resume(): void {
    if (this.snap.status !== 'paused') return;
    this.spellStart = performance.now();
    this.worker?.postMessage({ type: 'resume' });
    this.set({ status: 'running' }, true);
  }

  /** One iteration (from idle: start and stop after the first). */
  step(config: TrainConfig): void {
    if (this.snap.status === 'paused') {
      this.spellStart = performance.now();
      this.worker?.postMessage({ type: 'step' });
      this.set({ status: 'running' }, true);
    } else if (this.snap.status !== 'running') this.start(config, 1);
  }

  /** Stop and forget the run. */
  reset(): void {
    this.stopWorker();
    this.set({ ...EMPTY }, true);
  }

  dispose(): void {
    this.stopWorker();
    this.listeners.clear();
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private trainingMs(): number {
    return this.activeMs + (this.spellStart === null ? 0 : performance.now() - this.spellStart);
  }

  private endSpell(): void {
    if (this.spellStart !== null) this.activeMs += performance.now() - this.spellStart;
    this.spellStart = null;
  }

  private rate(iteration: number): Pick<TrainSnapshot, 'stepsPerSecond' | 'secondsLeft'> {
    const config = this.snap.config;
    if (this.firstIteration < 0) this.firstIteration = iteration;
    const seconds = this.trainingMs() / 1000;
    const done = iteration + 1;
    if (!config || seconds <= 0 || done < 2) return { stepsPerSecond: null, secondsLeft: null };
    const perSecond = done / seconds;
    return { stepsPerSecond: perSecond, secondsLeft: (config.iterations - iteration) / perSecond };
  }

  private receive(w: TrainWorkerLike, msg: FromTrainView): void {
    if (w !== this.worker) return;
    const s = this.snap;
    switch (msg.type) {
      case 'trainer':
        this.set({ trainer: `${msg.backend === 'webgpu' ? 'WebGPU' : 'CPU'} trainer (${msg.adapter}): ${msg.why}` }, true);
        return;
      case 'notice':
        this.set({ notices: [...s.notices, msg.message] }, true);
        return;
      case 'row':
        this.set({ rows: [...s.rows, msg.row] });
        return;
      case 'checkpoint':
        this.set({ checkpoints: [...s.checkpoints, msg.checkpoint] });
        return;
      case 'diverged':
        this.set({ divergences: [...s.divergences, msg.divergence] }, true);
        return;
      case 'progress':
        this.set({ iteration: msg.iteration, ...this.rate(msg.iteration) });
        return;
      case 'paused':
        this.endSpell();
        this.set({ status: 'paused', iteration: msg.iteration, ...this.rate(msg.iteration) }, true);
        return;
      case 'done': {
        this.endSpell();
        const config = s.config!;
        const result: TrainResult = {
          config,
          rows: sortRows(s.rows.map(({ clippedFraction: _, ...row }) => row)),
          models: msg.models,
          meta: { backend: msg.backend, adapter: msg.adapter, precision: 'float32', wallMs: msg.wallMs },
        };
        this.stopWorker();
        this.set({ status: 'done', iteration: config.iterations, secondsLeft: 0, result }, true);
        return;
      }
      case 'error':
        this.endSpell();
        this.stopWorker();
        this.set({ status: 'failed', message: msg.message }, true);
        return;
    }
  }

  private set(patch: Partial<TrainSnapshot>, now = false): void {
    this.snap = { ...this.snap, ...patch };
    if (now) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.notify();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.notify();
    }, UPDATE_MS);
  }

  private notify(): void {
    for (const fn of this.listeners) fn(this.snap);
  }
}
