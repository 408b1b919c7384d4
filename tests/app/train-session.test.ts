/**
 * The page's side of a Train view run, driven by a scripted worker: the status follows
 * start, pause, resume, step and reset; steps/s counts training time only (not pauses);
 * a finished run becomes a TrainResult the CSV and bundle writers take; messages of a worker
 * that was reset are ignored; a worker that fails says so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FromTrainView, ToTrainView } from '../../src/app/train-protocol.ts';
import { TrainSession, type TrainWorkerLike } from '../../src/app/train-session.ts';
import { trainConfigOf, DEFAULT_TRAIN } from '../../src/app/train-settings.ts';
import { trainResultFromBundle, trainBundleToJson } from '../../src/core/train/bundle.ts';
import type { ModelRun } from '../../src/core/train/loop.ts';
import { curvesCsv } from '../../src/export/train.ts';

class FakeWorker implements TrainWorkerLike {
  sent: ToTrainView[] = [];
  terminated = false;
  onmessage: ((e: MessageEvent<FromTrainView>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  postMessage(msg: ToTrainView): void {
    this.sent.push(msg);
  }
  terminate(): void {
    this.terminated = true;
  }
  say(msg: FromTrainView): void {
    this.onmessage?.({ data: msg } as MessageEvent<FromTrainView>);
  }
}

const check = trainConfigOf({ ...DEFAULT_TRAIN, length: 10, hidden: 4, iterations: 100, models: DEFAULT_TRAIN.models.slice(0, 1) });
if (!check.ok) throw new Error('test config');
const config = check.config;

function emptyRun(stepsRun: number): ModelRun {
  const n = config.iterations + 1;
  return { model: 0, trainLoss: new Float64Array(n).fill(0.2), gradNorm: new Float64Array(n).fill(1), clipped: new Uint8Array(n), stepsRun, diverged: null, checkpoints: [] };
}

afterEach(() => vi.useRealTimers());

describe('TrainSession', () => {
  it('follows start, pause, resume, step and finish; steps/s counts training time only', () => {
    vi.useFakeTimers();
    const workers: FakeWorker[] = [];
    const session = new TrainSession(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    session.start(config);
    const w = workers[0];
    expect(w.sent[0]).toEqual({ type: 'start', config, steps: 0 });
    expect(session.snapshot.status).toBe('running');
    vi.advanceTimersByTime(1000);
    w.say({ type: 'progress', iteration: 19 });
    expect(session.snapshot.stepsPerSecond).toBeCloseTo(20, 6);
    expect(session.snapshot.secondsLeft).toBeCloseTo(81 / 20, 6);
    session.pause();
    expect(w.sent.at(-1)).toEqual({ type: 'pause' });
    w.say({ type: 'paused', iteration: 19 });
    expect(session.snapshot.status).toBe('paused');
    // Ten seconds paused do not count.
    vi.advanceTimersByTime(10_000);
    session.resume();
    expect(session.snapshot.status).toBe('running');
    vi.advanceTimersByTime(1000);
    w.say({ type: 'progress', iteration: 39 });
    expect(session.snapshot.stepsPerSecond).toBeCloseTo(20, 6);
    session.pause();
    w.say({ type: 'paused', iteration: 39 });
    session.step(config);
    expect(w.sent.at(-1)).toEqual({ type: 'step' });
    w.say({ type: 'paused', iteration: 40 });
    w.say({ type: 'row', row: { model: 0, iteration: 40, heldoutLoss: 0.1, trainLoss: 0.2, gradNorm: 1, clipped: false, spectralRadius: 1, clippedFraction: 0 } });
    session.resume();
    w.say({ type: 'done', models: [emptyRun(101)], backend: 'cpu', adapter: 'float32 TypeScript, one worker', wallMs: 3000 });
    const s = session.snapshot;
    expect(s.status).toBe('done');
    expect(w.terminated).toBe(true);
    expect(s.result!.rows).toEqual([{ model: 0, iteration: 40, heldoutLoss: 0.1, trainLoss: 0.2, gradNorm: 1, clipped: false, spectralRadius: 1 }]);
    // The writers take the result: the CSV has its one row; the bundle reads back.
    expect(curvesCsv(s.result!).split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(2);
    expect(trainResultFromBundle(trainBundleToJson(s.result!)).rows).toEqual(s.result!.rows);
  });

  it('Step from idle starts a run that pauses after one iteration; Reset ignores the old worker; a failing worker is reported', () => {
    const workers: FakeWorker[] = [];
    const session = new TrainSession(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    session.step(config);
    expect(workers[0].sent[0]).toEqual({ type: 'start', config, steps: 1 });
    session.reset();
    expect(workers[0].terminated).toBe(true);
    expect(session.snapshot.status).toBe('idle');
    workers[0].say({ type: 'paused', iteration: 0 });
    expect(session.snapshot.status).toBe('idle');
    session.start(config);
    workers[1].say({ type: 'error', message: 'out of memory' });
    expect(session.snapshot.status).toBe('failed');
    expect(session.snapshot.message).toBe('out of memory');
  });

  it('shows which trainer runs and a device-loss notice; a run finished on WebGPU says so in its result', () => {
    const workers: FakeWorker[] = [];
    const session = new TrainSession(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    session.start(config);
    const w = workers[0];
    w.say({ type: 'trainer', backend: 'webgpu', adapter: 'nvidia ampere', why: 'auto: hardware WebGPU adapter (nvidia ampere); the WebGPU trainer' });
    expect(session.snapshot.trainer).toBe('WebGPU trainer (nvidia ampere): auto: hardware WebGPU adapter (nvidia ampere); the WebGPU trainer');
    w.say({ type: 'notice', message: 'webgpu trainer: the GPU device was lost (unknown) after 40 of 100 iterations; resumed on the CPU trainer' });
    w.say({ type: 'trainer', backend: 'cpu', adapter: 'float32 WebAssembly SIMD, one worker', why: 'the GPU device was lost' });
    expect(session.snapshot.notices).toEqual(['webgpu trainer: the GPU device was lost (unknown) after 40 of 100 iterations; resumed on the CPU trainer']);
    expect(session.snapshot.trainer).toMatch(/^CPU trainer \(float32 WebAssembly SIMD, one worker\): the GPU device was lost$/);
    session.start(config);
    workers[1].say({ type: 'done', models: [emptyRun(101)], backend: 'webgpu', adapter: 'nvidia ampere', wallMs: 10 });
    expect(session.snapshot.result!.meta.backend).toBe('webgpu');
    expect(session.snapshot.notices).toEqual([]);
  });
});
