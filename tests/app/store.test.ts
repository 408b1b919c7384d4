/**
 * The store in Node with the float64 reference engine on small sweeps: validation keeps the
 * last good run, a newer change cancels the run in flight (latest wins), the slider never
 * recomputes, compare mode reuses A and runs only B, and history entries are written as they
 * should be (push for settings, none when the state came from the URL).
 */
import { describe, expect, it } from 'vitest';
import type { SelectedBackend } from '../../src/app/backends.ts';
import { RunController } from '../../src/app/runner.ts';
import { LabStore, predictMs, staleness, type Snapshot } from '../../src/app/store.ts';
import type { Config } from '../../src/core/config.ts';
import type { Engine } from '../../src/core/engine.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { CountingEngine, storeOnReference } from '../helpers/store.ts';

function setup(hash = 'hidden=8&steps=20&rhoCount=5&samples=2') {
  const { store, engine, history, setHash } = storeOnReference(hash);
  const snaps: Snapshot[] = [];
  store.subscribe((s) => snaps.push(s));
  return { store, engine, history, snaps, setHash };
}

async function idle(store: LabStore): Promise<Snapshot> {
  for (let i = 0; i < 2000; i++) {
    const s = store.snapshot;
    if (s.run.status !== 'running' && s.result) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the store never became idle');
}

describe('LabStore', () => {
  it('computes the state from the link at start', async () => {
    const { store } = setup();
    store.start();
    const s = await idle(store);
    expect(s.result?.a.config).toMatchObject({ hidden: 8, steps: 20, rhoCount: 5, samples: 2 });
    expect(s.result?.b).toBeNull();
    expect(s.result!.gflops).toBeGreaterThan(0);
  });

  it('an invalid value shows a message on its field, keeps the last good run and starts nothing', async () => {
    const { store, engine } = setup();
    store.start();
    const good = await idle(store);
    store.setField('hidden', '0');
    const s = store.snapshot;
    expect(s.fieldErrors.hidden).toBe('Hidden size N must be a whole number between 1 and 1024; you entered 0');
    store.setField('hidden', 'eight');
    expect(store.snapshot.fieldErrors.hidden).toMatch(/Hidden size N must be a number .*; you entered "eight"/);
    store.setField('hidden', '');
    expect(store.snapshot.fieldErrors.hidden).toMatch(/Hidden size N is empty/);
    store.setField('hidden', '0');
    expect(s.drafts.hidden).toBe('0');
    expect(s.result).toBe(good.result);
    expect(engine.started).toHaveLength(1);
    // A cross-field problem is shown on the field it names.
    store.setField('rhoMin', '3');
    expect(store.snapshot.fieldErrors.rhoMin).toMatch(/rho min \(3\).*rho max \(1\.5\)/);
    expect(store.snapshot.fieldErrors.hidden).toBeDefined();
    expect(store.snapshot.fieldErrors.rhoMax).toBeUndefined();
  });

  it('a typed value is never reverted silently: a cross-field error stays, once, on the field last edited, naming both', async () => {
    const { store, engine } = setup('hidden=8&steps=20&rhoCount=5&samples=2&rhoMin=0.5&rhoMax=1.5');
    store.start();
    await idle(store);
    store.setField('rhoMin', '2');
    let s = store.snapshot;
    expect(Object.keys(s.fieldErrors)).toEqual(['rhoMin']);
    expect(s.fieldErrors.rhoMin).toMatch(/rho min \(2\).*rho max \(1\.5\)/);
    // rho max made smaller: rho min still says 2 (the user typed it), the problem is still there, now beside rho max.
    store.setField('rhoMax', '1');
    s = store.snapshot;
    expect(s.drafts.rhoMin).toBe('2');
    expect(s.drafts.rhoMax).toBe('1');
    expect(Object.keys(s.fieldErrors)).toEqual(['rhoMax']);
    expect(s.fieldErrors.rhoMax).toMatch(/rho min \(2\).*rho max \(1\)/);
    expect(engine.started).toHaveLength(1);
    // Fixing it runs what the user typed in both fields.
    store.setField('rhoMin', '0.8');
    s = await idle(store);
    expect(s.fieldErrors).toEqual({});
    expect(s.drafts).toEqual({});
    expect(s.state.config).toMatchObject({ rhoMin: 0.8, rhoMax: 1 });
    expect(s.result?.a.config).toMatchObject({ rhoMin: 0.8, rhoMax: 1 });
    // While one field is invalid, another change keeps the typed text and its message.
    store.setField('hidden', '0');
    store.setField('seed', '7');
    s = store.snapshot;
    expect(s.drafts.hidden).toBe('0');
    expect(s.fieldErrors.hidden).toBeDefined();
    expect(engine.started).toHaveLength(2);
  });

  it('a sweep the measured speed says takes more than ~10 s asks first; declining keeps the old plots, marked stale', async () => {
    const { store, engine } = setup();
    store.start();
    const first = await idle(store);
    expect(staleness(first)).toBeNull();
    // N = 256 on a few sequences: quick, and it measures this engine's speed at that size.
    store.setField('hidden', '256');
    // The first run was tiny (mostly fixed costs): under load its rate may predict this one long, and ask.
    if (store.snapshot.confirm) store.confirmRun();
    await idle(store);
    expect(engine.started).toHaveLength(2);
    // Then 5 x 256 sequences of T = 5000: 1.7e12 FLOP, far beyond 10 s at any speed the float64 reference has.
    store.setField('samples', '256');
    expect(store.snapshot.confirm).not.toBeNull();
    store.setField('steps', '5000');
    let s = store.snapshot;
    expect(engine.started).toHaveLength(2);
    expect(s.confirm).not.toBeNull();
    expect(s.confirm!.ms).toBeGreaterThan(10_000);
    expect(s.confirm!.basis).toMatch(/reference computes about [\d.]+ GFLOP\/s here/);
    expect(s.run.status).toBe('idle');
    expect(staleness(s)).toMatch(/earlier run/);
    store.declineRun();
    s = store.snapshot;
    expect(s.confirm).toBeNull();
    expect(s.state.config.samples).toBe(256); // the settings stay as typed
    expect(engine.started).toHaveLength(2);
    expect(staleness(s)).toMatch(/earlier run/);
    // Asking again and accepting starts it; Cancel stops it, the last good run stays, still stale.
    store.requestRun();
    expect(store.snapshot.confirm).not.toBeNull();
    store.confirmRun();
    await new Promise((r) => setTimeout(r, 30));
    s = store.snapshot;
    expect(s.confirm).toBeNull();
    expect(s.run.status).toBe('running');
    expect(s.run.estimateMs).toBeGreaterThan(10_000);
    expect(engine.started.at(-1)?.samples).toBe(256);
    store.cancelRun();
    s = store.snapshot;
    expect(s.run.status).toBe('idle');
    expect(s.result?.a.config.samples).toBe(2);
    expect(staleness(s)).toMatch(/earlier run/);
    // Back to settings that were computed: shown without asking, and the plots are current again.
    store.setField('samples', '2');
    store.setField('steps', '20');
    s = await idle(store);
    expect(s.confirm).toBeNull();
    expect(staleness(s)).toBeNull();
  });

  it('latest wins: a change while a run is in flight cancels it; only the last state is shown', async () => {
    const { store, engine, snaps } = setup();
    store.start();
    await idle(store);
    store.setField('seed', '2');
    store.setField('seed', '3');
    store.setField('seed', '4');
    const s = await idle(store);
    expect(s.result?.a.config.seed).toBe(4);
    // No result for seeds 2 or 3 was ever put on screen.
    const shownSeeds = new Set(snaps.map((x) => x.result?.a.config.seed));
    expect(shownSeeds.has(2)).toBe(false);
    expect(shownSeeds.has(3)).toBe(false);
    expect(engine.started.map((c) => c.seed)).toContain(4);
  });

  it('the slider and overlays never recompute; compare mode runs only B', async () => {
    const { store, engine } = setup();
    store.start();
    const first = await idle(store);
    store.setView({ rho: 1.25 });
    store.setView({ overlays: { std: false, hidden: true, linear: true, pascanu: false, meanfield: false, grad: true } });
    expect(store.snapshot.result).toBe(first.result);
    expect(engine.started).toHaveLength(1);
    store.setView({ compare: 'relu' });
    const s = await idle(store);
    expect(engine.started).toHaveLength(2);
    expect(engine.started[1].activation).toBe('relu');
    expect(s.result?.a).toBe(first.result?.a);
    expect(s.result?.b?.config.activation).toBe('relu');
  });

  it('settings push a history entry; a state loaded from the URL (back/forward) pushes none', async () => {
    const { store, history, setHash } = setup();
    store.start();
    await idle(store);
    const before = history.length;
    store.setField('activation', 'relu');
    expect(history.slice(before)).toEqual([{ hash: expect.stringContaining('activation=relu'), mode: 'push' }]);
    await idle(store);
    const n = history.length;
    setHash('hidden=8&steps=20&rhoCount=5&samples=2');
    store.loadHash('#hidden=8&steps=20&rhoCount=5&samples=2');
    expect(store.snapshot.state.config.activation).toBe('tanh');
    expect(history.length).toBe(n);
    const s = await idle(store);
    expect(s.result?.a.config.activation).toBe('tanh');
  });
});

describe('LabStore eigenvalues after the first picture', () => {
  it('a result without eigenvalues is shown at once, then gets them from the port (A and B alike, one request per W0)', async () => {
    // The engine drops the eigenvalues, as the engines do above EAGER_EIGENVALUES_MAX_N.
    const inner = new CountingEngine();
    const engine: Engine = {
      name: 'reference',
      adapter: 'test',
      run: async (config, options) => {
        const f = await inner.run(config, options);
        f.spectrum = { ...f.spectrum, re: new Float64Array(0), im: new Float64Array(0) };
        return f;
      },
      dispose() {},
    };
    const asked: Config[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const port = async (config: Config) => {
      asked.push(config);
      await gate;
      return buildProblem(config).spectrum;
    };
    const selected: SelectedBackend = {
      engine,
      info: { choice: 'auto', engine: 'reference', adapter: 'test', why: 'test', webgpu: { available: false, description: 'none', isFallback: false } },
    };
    let hash = 'hidden=8&steps=20&rhoCount=5&samples=2';
    const store = new LabStore(new RunController(), { get: () => hash, set: (h) => (hash = h) }, async () => selected, port);
    store.start();
    const first = await idle(store);
    expect(first.result!.a.spectrum.re.length).toBe(0);
    store.setView({ compare: 'relu' });
    const both = await idle(store);
    expect(both.result!.b).not.toBeNull();
    release();
    for (let i = 0; i < 200 && store.snapshot.result!.a.spectrum.re.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const s = store.snapshot;
    expect(asked.length).toBe(1);
    expect(s.result!.a.spectrum.re.length).toBe(8);
    expect(s.result!.b!.spectrum.re.length).toBe(8);
    expect(Array.from(s.result!.a.spectrum.re)).toEqual(Array.from(buildProblem(s.result!.a.config).spectrum.re));
  });
});

describe('LabStore: auto and the outlier axis or untied weights', () => {
  it('auto runs the outlier axis and untied weights on the engine it picked (gpu.js computes them too): no hand-over to the CPU engine', async () => {
    const gpujs = new CountingEngine();
    const cpu = new CountingEngine();
    const none = { available: false, description: 'none', isFallback: false };
    const port = async (choice: string): Promise<SelectedBackend> =>
      choice === 'cpu'
        ? { engine: cpu, info: { choice: 'cpu', engine: 'cpu', adapter: 'float32 test', why: 'asked for the CPU engine', webgpu: none } }
        : { engine: gpujs, info: { choice: 'auto', engine: 'gpujs', adapter: 'webgl2 test', why: 'auto: gpu.js runs', webgpu: none } };
    let hash = 'hidden=8&steps=10&rhoCount=3&samples=2';
    const store = new LabStore(new RunController(), { get: () => hash, set: (h) => (hash = h) }, port);
    store.start();
    await idle(store);
    store.setField('init', 'spectrum');
    store.setField('outliers', '1.1,0');
    store.setField('sweep', 'outlier');
    for (let i = 0; i < 2000 && !gpujs.started.some((c) => c.sweep === 'outlier'); i++) await new Promise((r) => setTimeout(r, 5));
    await idle(store);
    store.setField('weights', 'untied');
    for (let i = 0; i < 2000 && !gpujs.started.some((c) => c.weights === 'untied'); i++) await new Promise((r) => setTimeout(r, 5));
    const s = await idle(store);
    expect(gpujs.started.at(-1)).toMatchObject({ sweep: 'outlier', weights: 'untied' });
    expect(cpu.started.length).toBe(0);
    expect(s.backend?.engine).toBe('gpujs');
    expect(s.backend?.why).toBe('auto: gpu.js runs');
  });
});

describe('predictMs', () => {
  it('takes the fixed cost (the shortest run) off the largest run, and floors the rate while every run was short', () => {
    // 10 ms fixed cost, 1e9 FLOP in 110 ms: 1e7 FLOP/ms (10 GFLOP/s) once the fixed cost is off.
    const rec = { engine: 'cpu', minMs: 10, big: { flops: 1e9, ms: 110 } };
    const p = predictMs(rec, 1e11);
    expect(p.flopPerMs).toBeCloseTo(1e7, 0);
    expect(p.ms).toBeCloseTo(10 + 1e4, 6);
    // One short run alone: at most 3/4 of it is fixed cost, and 0.5 GFLOP/s at least.
    expect(predictMs({ engine: 'cpu', minMs: 100, big: { flops: 1e3, ms: 100 } }, 1e9).flopPerMs).toBe(0.5e6);
    // A long run is trusted as measured, even when slow.
    expect(predictMs({ engine: 'reference', minMs: 400, big: { flops: 1e8, ms: 2000 } }, 1e9).flopPerMs).toBeCloseTo(1e8 / 1600, 6);
    expect(predictMs(undefined, 1e9).ms).toBe(2000);
  });
});
