/**
 * Entry point: create the one store, pick the backend, mount <lab-app>, keep the URL hash and
 * history in step, and expose a small read-only test hook (window.__lab) for the e2e tests.
 */
import { Backends } from './app/backends.ts';
import { RunController } from './app/runner.ts';
import { spectrumWorkerPort } from './app/spectrum-client.ts';
import { CONFIRM_ABOVE_MS, LabStore, type HashPort } from './app/store.ts';
import { preactivationWorkerPort } from './app/preactivation-client.ts';
import { TrainSession } from './app/train-session.ts';
import { gridRow } from './core/field.ts';
import './ui/lab-app.ts';
import { sceneModule } from './ui/lab-surface.ts';

const backends = new Backends();
const probe = backends.warmUp();
const runner = new RunController();

const hashPort: HashPort = {
  get: () => location.hash.replace(/^#/, ''),
  set: (hash, mode) => {
    const url = `${location.pathname}${location.search}${hash ? `#${hash}` : ''}`;
    if (mode === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  },
};

// Tests of long runs (device loss, oversized sweeps) set __labConfirmAboveMs before the page loads, so they run without the question.
const confirmAboveMs = (window as unknown as { __labConfirmAboveMs?: number }).__labConfirmAboveMs ?? CONFIRM_ABOVE_MS;
const store = new LabStore(runner, hashPort, (choice, kernel) => backends.select(choice, kernel), spectrumWorkerPort(), confirmAboveMs, preactivationWorkerPort());
// Back/forward and hand-edited hashes.
window.addEventListener('popstate', () => store.loadHash(location.hash));
window.addEventListener('hashchange', () => store.loadHash(location.hash));

const app = document.createElement('lab-app');
app.store = store;
const train = new TrainSession();
app.train = train;
document.body.appendChild(app);
store.start();
// Load three.js while the first sweep computes (in workers), not before it starts.
const stopPreload = store.subscribe((s) => {
  if (s.run.status === 'running' || s.result) {
    queueMicrotask(() => stopPreload());
    setTimeout(() => void sceneModule(), 30);
  }
});
void probe.then((p) => store.updateProbe(p));
// auto where no hardware GPU answered: time the candidate engines once, after the first
// picture (so the measurement never delays it), then say which one runs and why. Only in auto:
// the probe runs compete for the cores and the GPU process (the page's own frames wait behind
// gpu.js kernels on SwiftShader), a cost worth paying only when auto will use the answer.
let calibrating = false;
const stopCalibrate = store.subscribe((s) => {
  if (calibrating || !s.result || s.run.status === 'running' || s.state.view.backend !== 'auto') return;
  calibrating = true;
  queueMicrotask(() => stopCalibrate());
  void probe.then(async (p) => {
    if (p.available && !p.isFallback) return;
    await backends.calibrate();
    store.showBackend((await backends.select('auto', store.snapshot.state.view.kernel)).info);
  });
});


/** Read-only hooks for tests and the console. */
const hook = {
  store,
  snapshot: () => store.snapshot,
  /** The Train view's run: status, progress and the live rows (plain data). */
  train: () => {
    const t = train.snapshot;
    return { status: t.status, iteration: t.iteration, rows: t.rows.length, checkpoints: t.checkpoints.length, divergences: t.divergences.map((d) => d.message), hasResult: !!t.result };
  },
  /** The slice the chart shows now: its rho index and the gradient rows of A and B (live: the one-row compute of a drag). */
  slice: () => {
    const s = app.slice();
    return s ? { k: s.k, rho: s.slice.rho, grad: Array.from(s.slice.grad), gradB: s.slice.gradB ? Array.from(s.slice.gradB) : null, live: s.live } : null;
  },
  /** Row k of a grid of the current result (A or B), as numbers (non-finite as null). */
  row: (k: number, grid: 'gradLog10Mean' | 'hiddenLog10Mean' = 'gradLog10Mean', which: 'a' | 'b' = 'a') => {
    const r = store.snapshot.result;
    const f = which === 'a' ? r?.a : r?.b;
    return f ? Array.from(gridRow(f.grids[grid], f.T, k), (v) => (Number.isFinite(v) ? v : null)) : null;
  },
  surfaces: () => Array.from(app.renderRoot.querySelectorAll('lab-surface')),
  heatmaps: () => Array.from(app.renderRoot.querySelectorAll('lab-heatmap')),
  firstDrawMs: () => app.firstDrawMs,
  /** Live three.js geometries and textures over all surfaces (leak checks). */
  threeStats: () =>
    hook.surfaces().reduce(
      (a, s) => {
        const st = s.sceneStats;
        return st ? { geometries: a.geometries + st.geometries, textures: a.textures + st.textures } : a;
      },
      { geometries: 0, textures: 0 },
    ),
  /** Surface geometries each 3D view has made (one per mesh shape: data and theme changes update it in place). */
  surfaceBuilds: () => hook.surfaces().map((s) => s.sceneStats?.surfaceBuilds ?? null),
};
(window as unknown as { __lab: typeof hook }).__lab = hook;
// Failure hooks for the robustness tests, in test builds only (vite build --mode e2e).
if (__LAB_TEST_HOOKS__) {
  void import('./app/test-hooks.ts').then(({ robustnessHooks }) => {
    (window as unknown as { __labRobust: unknown }).__labRobust = robustnessHooks(backends);
  });
}
