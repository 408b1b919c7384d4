/**
 * The one state store of the lab. Components get snapshots as properties and send events up;
 * the root element turns those events into calls here. The store validates settings
 * (checkConfig, messages per field), keeps the last good result on screen, asks the
 * RunController to recompute (latest wins) and keeps the URL hash in step (back/forward works).
 */
import { checkConfig, fieldValue, FIELD_NAMES, type Config, type FieldName } from '../core/config.ts';
import { previewConfigs, applyEdit, type SpectrumEdit } from '../core/spectrum-edit.ts';
import type { BundleView } from '../core/bundle.ts';
import { GRID_NAMES, nearestRhoIndex, type GradientField } from '../core/field.ts';
import { hasEigenvalues, type Spectrum } from '../core/spectrum.ts';
import { layersHaveOwnEigenvalues } from '../core/weights.ts';
import { formatDuration, sweepFlops } from '../core/work.ts';
import type { BackendInfo, SelectedBackend } from './backends.ts';
import { isAbortError } from '../core/engine.ts';
import { histogramRequest, samplesWithin, type PreactivationHistogram } from '../core/preactivations.ts';
import { ReferenceEngine } from '../core/reference.ts';
import { decodeHash, encodeHash } from './hash.ts';
import { LiveRow, type LiveRowResult } from './live-row.ts';
import { presetById, presetState } from './presets.ts';
import type { RunController, RunProgress } from './runner.ts';
import { compareConfig, SHOWN_FIELDS, type BackendChoice, type KernelChoice, type LabState, type ViewState } from './state.ts';

export interface RunStatus {
  status: 'idle' | 'running' | 'failed';
  fraction: number;
  phase: string;
  /** performance.now() when the run in flight started. */
  startedAt: number;
  /** Why the last run failed, in words. */
  message: string;
  /** What the engine's measured speed predicted for this run, ms (null when idle). */
  estimateMs: number | null;
}

/** A run that would take long, waiting for the user's yes (the lab asks before starting it). */
export interface RunEstimate {
  /** Predicted wall time, ms. */
  ms: number;
  /** Arithmetic of the run (forward + BPTT of every configuration it computes). */
  flops: number;
  /** What the prediction rests on, in words. */
  basis: string;
}

export interface RunResult {
  /** A, and B in compare mode (same W0 and inputs, another activation). */
  a: GradientField;
  b: GradientField | null;
  /** Wall time of the whole request (A and B), ms. */
  wallMs: number;
  /** Milliseconds per time step of the batch (all K x S sequences advance one step). */
  msPerStep: number;
  /** Arithmetic rate of forward + BPTT, GFLOP/s (core sweepFlops). */
  gflops: number;
  /** When it finished (Date.now()). */
  finishedAt: number;
}

export interface Snapshot {
  state: LabState;
  /** The text of each field whose typed value is invalid (the control keeps showing it). */
  drafts: Partial<Record<FieldName, string>>;
  /** Validation messages next to their fields. */
  fieldErrors: Partial<Record<FieldName, string>>;
  /** Problems found in the link the page was opened with. */
  linkProblems: string[];
  run: RunStatus;
  /** The last good run; stays on screen while a new one computes or a setting is invalid. */
  result: RunResult | null;
  backend: BackendInfo | null;
  /** The result on screen came from a bundle file, not from a run here (loadField); null otherwise. */
  imported: ImportedRun | null;
  /** A long run waits for confirmation (confirmRun / declineRun); null otherwise. */
  confirm: RunEstimate | null;
  /** An eigenvalue is being dragged (editSpectrum 'drag' until endDrag): the full sweep waits. */
  dragging: boolean;
  /**
   * The network being shown, computed alone while an eigenvalue is dragged (one row, the S
   * sequences); the slice chart draws it until the full sweep's result replaces it.
   */
  live: LiveSlice | null;
  /** Why the last edit of the spectrum was not made, or why the live row failed; null otherwise. */
  spectrumMessage: string | null;
  /**
   * Untied weights whose layers have eigenvalues of their own (core/weights.ts
   * layersHaveOwnEigenvalues): the layer the eigenvalue plot shows, and its W0_t's spectrum once
   * computed (null while it is, with `message` saying why where it failed); null for other configs.
   */
  layer: LayerSpectrum | null;
}

/** The eigenvalues of one untied layer W0_t, for the plot. */
export interface LayerSpectrum {
  /** The matrix: W0's key and t. */
  key: string;
  /** The layer, 1..T. */
  t: number;
  /** Steps T of the result on screen (the layers there are). */
  T: number;
  spectrum: Spectrum | null;
  message: string | null;
}

/** One drag frame's request: A's row (and B's in compare mode) as the engines run it and as the slice shows it (previewConfigs). */
interface LiveJob {
  runA: Config;
  shownA: Config;
  runB: Config | null;
  shownB: Config | null;
}

/** One drag frame's rows, as the engines computed them. */
interface LiveRows {
  a: GradientField;
  b: GradientField | null;
}

/** The one-row field of a drag: `field` is that row in the sweep's own terms (K = 1, its axis). */
export interface LiveSlice {
  field: GradientField;
  /**
   * In compare mode, B's row for the same dragged spectrum (B is A with another activation or
   * untied weights, so it always shares A's eigenvalues), computed in the same job; else null.
   */
  fieldB: GradientField | null;
  /** The job's wall time, ms (one drag frame's compute: A's row, and B's in compare mode). */
  wallMs: number;
  /** The engine that computed it. */
  engine: string;
}

/**
 * The swept value of the network the plots show: the slider's row of the result on screen, or
 * the live row while an eigenvalue is dragged (on the outlier axis the dragged magnitude itself,
 * not yet a grid value).
 */
export function shownValue(s: Snapshot): number {
  const { config, view } = s.state;
  // The outlier axis: the slider holds the dragged magnitude itself (the live row may be a frame behind).
  if (config.sweep === 'outlier' && (s.dragging || s.live)) return view.rho;
  if (s.live) return s.live.field.rho[0];
  const r = s.result?.a;
  return r && r.K > 0 ? r.rho[nearestRhoIndex(r.rho, view.rho)] : view.rho;
}

/** Where an imported result came from. */
export interface ImportedRun {
  /** The file's name. */
  source: string;
  /** The engine and adapter that computed it, as the bundle says. */
  backend: string;
  adapter: string;
}

/** How the store reads and writes the page's URL; a fake one in Node tests. */
export interface HashPort {
  get(): string;
  /** push: a new history entry (settings); replace: the current one (slider, camera). */
  set(hash: string, mode: 'push' | 'replace'): void;
}

type Listener = (s: Snapshot) => void;

/** Gives the engine for a backend choice, with the WebGPU kernels asked for (backends.ts in the browser; a fake in Node tests). */
export type BackendPort = (choice: BackendChoice, kernel: KernelChoice) => Promise<SelectedBackend>;

/**
 * Computes the eigenvalues of a config's W0 off the page's thread (spectrum-client.ts in the
 * browser): large runs arrive without them (core/problem.ts) so that the first picture does not
 * wait for them; the spectrum plot fills in when they come. With `layer`, those of untied weights'
 * W0_layer instead (core/weights.ts layerSpectrum).
 */
export type EigenvaluePort = (config: Config, layer?: number) => Promise<Spectrum>;

/**
 * Bins the float64 histogram of one row where the sweep's engine cannot (preactivation-client.ts
 * in the browser: a worker): the derivative panel's labelled fallback.
 */
export type HistogramPort = (config: Config, request: ReturnType<typeof histogramRequest>, signal?: AbortSignal) => Promise<PreactivationHistogram>;

/**
 * Multiply-adds (N^2 T per sample) one histogram may cost: about 0.1-0.5 s of the CPU engine's
 * float32 forward pass on 2 cores, all S samples of every default-sized sweep.
 */
export const HISTOGRAM_BUDGET = 1e9;
/** The same for the float64 reference fallback, several times slower per multiply-add. */
export const REFERENCE_HISTOGRAM_BUDGET = 3e8;

/** A histogram for the derivative panel, and why the reference binned it instead of the sweep's engine (null: it did not). */
export interface PanelHistogram {
  histogram: PreactivationHistogram;
  fallback: string | null;
}

/** Fields whose W0 is the same matrix (the eigenvalues of one serve the others). */
function w0Key(c: Config): string {
  return `${c.init}/${c.normalize}/${c.hidden}/${c.seed}`;
}

const IDLE: RunStatus = { status: 'idle', fraction: 0, phase: '', startedAt: 0, message: '', estimateMs: null };

/**
 * A run predicted to take longer than this asks first (a lecturer who typed hidden 1024 and
 * samples 256 by mistake must not lose the page to an hour of computing).
 */
export const CONFIRM_ABOVE_MS = 10_000;

/**
 * The slowest arithmetic rate assumed for an engine until a run long enough to measure it
 * (SHORT_RUN_MS) has been timed, FLOP/ms: 0.5 GFLOP/s, below every engine in README "Speed"
 * (the float64 reference in Chromium: 0.56), so a prediction from short runs errs long.
 */
const PRIOR_FLOP_PER_MS = 0.5e6;
/** Runs shorter than this are mostly fixed costs (workers, buffers, W0's spectrum); their rate is a lower bound. */
const SHORT_RUN_MS = 300;

/**
 * What the runs on one engine measured: the shortest wall time (an upper bound on the fixed
 * cost of a run) and the run with the most arithmetic (its rate once that fixed cost is taken off).
 */
interface SpeedRecord {
  engine: string;
  minMs: number;
  big: { flops: number; ms: number };
}

/**
 * Predicted wall time of `flops` on an engine: fixed cost + flops / rate, where the rate comes
 * from the largest run with the fixed cost taken off (at most 3/4 of its time, so one run alone
 * does not read as infinitely fast), and no lower than PRIOR_FLOP_PER_MS while every run was short.
 */
export function predictMs(rec: SpeedRecord | undefined, flops: number): { ms: number; flopPerMs: number } {
  if (!rec) return { ms: flops / PRIOR_FLOP_PER_MS, flopPerMs: PRIOR_FLOP_PER_MS };
  const compute = Math.max(rec.big.ms - rec.minMs, 0.25 * rec.big.ms, 1e-3);
  let rate = rec.big.flops / compute;
  if (rec.big.ms < SHORT_RUN_MS) rate = Math.max(rate, PRIOR_FLOP_PER_MS);
  return { ms: rec.minMs + flops / rate, flopPerMs: rate };
}

/**
 * Why the plots do not show the current settings, in words, or null when they do: the settings
 * changed and the new run is computing, waiting for confirmation, was declined or cancelled,
 * or failed. An imported run is current (its config is the state).
 */
export function staleness(s: Snapshot): string | null {
  const r = s.result;
  if (!r) return null;
  const { config, view } = s.state;
  const b = compareConfig(config, view.compare);
  const same = (x: Config, y: Config) => FIELD_NAMES.every((k) => x[k] === y[k]);
  const current = same(r.a.config, config) && (b ? !!r.b && same(r.b.config, b) : !r.b);
  if (current) return null;
  const shown = `${r.a.config.activation}, N ${r.a.config.hidden}, T ${r.a.config.steps}, K ${r.a.config.rhoCount}, S ${r.a.config.samples}${r.b ? ` vs ${r.b.config.activation}` : ''}`;
  return `These plots show an earlier run (${shown}), not the settings on the left`;
}

/**
 * What names the engine a view computes on, for the cache and the measured speeds: the backend
 * choice, and the WebGPU kernels where they were asked for by name and WebGPU may run them.
 */
export function engineKey(view: Pick<ViewState, 'backend' | 'kernel'>): string {
  return view.kernel !== 'auto' && (view.backend === 'webgpu' || view.backend === 'auto') ? `${view.backend}/kernel=${view.kernel}` : view.backend;
}

function cacheKey(c: Config, backend: string): string {
  return `${backend}|${FIELD_NAMES.map((k) => String(c[k])).join('|')}`;
}

/** Largest total of cached grids (bytes) kept for instant switching back to a setting. */
const CACHE_BYTES = 64 * 1024 * 1024;

export class LabStore {
  private snap: Snapshot;
  private listeners = new Set<Listener>();
  private cache = new Map<string, GradientField>();
  private replaceTimer: ReturnType<typeof setTimeout> | null = null;
  private requestSerial = 0;
  /** Fastest arithmetic rate measured per engine (engineKey), FLOP/ms, and where it was measured. */
  private speed = new Map<string, SpeedRecord>();
  /** The request the user said yes to (its cache keys), so it does not ask again. */
  private confirmedKey: string | null = null;
  /** The W0 whose eigenvalues are being computed, if any. */
  private eigenvaluesPending: string | null = null;
  /** The untied layer the eigenvalue plot shows (showLayer), clamped to the result's T. */
  private layerWanted = 1;

  constructor(
    private readonly runner: RunController,
    private readonly hash: HashPort,
    private readonly backends: BackendPort,
    private readonly eigenvalues: EigenvaluePort | null = null,
    /** Runs predicted longer than this ask first (CONFIRM_ABOVE_MS; tests of long runs raise it). */
    private readonly confirmAboveMs = CONFIRM_ABOVE_MS,
    /** The float64 histogram where the engine cannot bin (default: the reference on this thread). */
    private readonly histogramFallback: HistogramPort | null = null,
  ) {
    const decoded = decodeHash(hash.get());
    this.snap = {
      state: decoded.state,
      drafts: {},
      fieldErrors: {},
      linkProblems: decoded.problems.map((p) => p.message),
      run: IDLE,
      result: null,
      backend: null,
      imported: null,
      confirm: null,
      dragging: false,
      live: null,
      spectrumMessage: null,
      layer: null,
    };
    this.liveRow = new LiveRow<LiveJob, LiveRows>(
      (job, signal) => this.runLive(job, signal),
      (r) => this.showLive(r),
      (message) => this.update({ spectrumMessage: `the live row failed: ${message}` }),
    );
  }

  private readonly liveRow: LiveRow<LiveJob, LiveRows>;
  /** Whether this drag has written its history entry yet (its first write pushes one, the rest replace it). */
  private dragPushed = false;

  get snapshot(): Snapshot {
    return this.snap;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    fn(this.snap);
    return () => this.listeners.delete(fn);
  }

  private update(patch: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const fn of this.listeners) fn(this.snap);
    if (patch.result) {
      this.fillEigenvalues();
      this.fillLayer();
    }
  }

  /**
   * Show the eigenvalues of untied layer t (1..T of the result on screen) in the plot: computed
   * off the page's thread, as the engines build W0_t.
   */
  showLayer(t: number): void {
    if (!Number.isFinite(t)) return;
    this.layerWanted = Math.max(1, Math.round(t));
    this.fillLayer();
  }

  /** The result on screen has untied layers of their own: ask for the wanted layer's eigenvalues. */
  private fillLayer(): void {
    const c = this.snap.result?.a.config;
    if (!c || !layersHaveOwnEigenvalues(c)) {
      if (this.snap.layer) this.update({ layer: null });
      return;
    }
    const t = Math.min(this.layerWanted, c.steps);
    const key = `${w0Key(c)}/${t}`;
    const shown = this.snap.layer;
    if (shown?.key === key) {
      if (shown.T !== c.steps) this.update({ layer: { ...shown, T: c.steps } });
      return;
    }
    const T = c.steps;
    // Without a worker to compute them the plot says so rather than show the tied W0's eigenvalues.
    this.update({ layer: { key, t, T, spectrum: null, message: this.eigenvalues ? null : 'no eigenvalue worker here' } });
    this.eigenvalues?.(c, t).then(
      (spectrum) => {
        if (this.snap.layer?.key === key) this.update({ layer: { ...this.snap.layer, spectrum } });
      },
      (e: unknown) => {
        // Superseded by a request for another layer: that one is on its way. Else say why.
        const message = e instanceof Error ? e.message : String(e);
        if (this.snap.layer?.key === key && message !== 'superseded') this.update({ layer: { ...this.snap.layer, message } });
      },
    );
  }

  /** The result on screen has no eigenvalues yet: ask for them, then give them to every field on that W0. */
  private fillEigenvalues(): void {
    const r = this.snap.result;
    if (!r || !this.eigenvalues || hasEigenvalues(r.a.spectrum) || r.a.config.hidden === 0) return;
    const key = w0Key(r.a.config);
    if (this.eigenvaluesPending === key) return;
    this.eigenvaluesPending = key;
    this.eigenvalues(r.a.config).then(
      (spectrum) => {
        if (this.eigenvaluesPending === key) this.eigenvaluesPending = null;
        const fields = [...this.cache.values()];
        const now = this.snap.result;
        if (now) fields.push(now.a, ...(now.b ? [now.b] : []));
        for (const f of fields) if (w0Key(f.config) === key && !hasEigenvalues(f.spectrum)) f.spectrum = spectrum;
        if (now && w0Key(now.a.config) === key) this.update({ result: { ...now } });
      },
      () => {
        // Superseded by a request for another W0, or the worker failed: the plot stays empty
        // ("…"), and the next result on screen asks again.
        if (this.eigenvaluesPending === key) this.eigenvaluesPending = null;
      },
    );
  }

  /** The WebGPU probe finished after a run had started without it: show what it found. */
  updateProbe(webgpu: BackendInfo['webgpu']): void {
    const b = this.snap.backend;
    if (b && b.webgpu.description === 'probe still running') {
      const words = webgpu.available ? `WebGPU adapter ${webgpu.description} answered after the first run had started` : `WebGPU: ${webgpu.description}`;
      this.update({ backend: { ...b, webgpu, why: b.why.replace('WebGPU: probe still running', words) } });
    }
  }

  /** auto measured its candidates after the first picture: show what it found and which engine runs next. */
  showBackend(info: BackendInfo): void {
    if (this.snap.state.view.backend === info.choice) this.update({ backend: info });
  }

  /** Compute the current state (call once at start-up). */
  start(): void {
    this.writeHash('replace');
    void this.recompute();
  }

  /**
   * A control changed a config field; raw is the control's text. Every field whose typed text
   * is not yet in the state (drafts) is checked together with this one, so a value the user
   * typed is never dropped or reverted without a word: while any field is invalid, each keeps
   * its text and message and nothing runs; once all are valid, they are applied together.
   */
  setField(name: FieldName, raw: string): void {
    const drafts: Partial<Record<FieldName, string>> = { ...this.snap.drafts, [name]: raw };
    const next: Record<string, unknown> = { ...this.snap.state.config };
    for (const [k, text] of Object.entries(drafts) as [FieldName, string][]) next[k] = fieldValue(k, text);
    const r = checkConfig(next);
    if (!r.ok) {
      const fieldErrors: Partial<Record<FieldName, string>> = {};
      for (const p of r.error.problems) {
        // A rule between two fields is shown once, beside the one the user edited last.
        const f = (p.fields?.includes(name) ? name : (p.field ?? name)) as FieldName;
        fieldErrors[f] = fieldErrors[f] ? `${fieldErrors[f]}; ${p.message}` : p.message;
      }
      this.update({ drafts, fieldErrors });
      return;
    }
    this.commit({ ...this.snap.state, config: r.config }, 'push');
  }

  /** View changes (slider, field shown, overlays, compare, camera). */
  setView(patch: Partial<ViewState>): void {
    const view = { ...this.snap.state.view, ...patch };
    const onlyContinuous = Object.keys(patch).every((k) => k === 'rho' || k === 'camera');
    this.commit({ ...this.snap.state, view }, onlyContinuous ? 'replace' : 'push');
  }

  applyPreset(id: string): void {
    const p = presetById(id);
    if (!p) return;
    const s = presetState(p);
    s.view.embed = this.snap.state.view.embed;
    this.commit(s, 'push');
  }

  /** Back/forward or an edited hash: take the state from the URL without adding history. */
  loadHash(hashText: string): void {
    const decoded = decodeHash(hashText);
    if (encodeHash(decoded.state) === encodeHash(this.snap.state) && decoded.problems.length === 0) return;
    this.snap = { ...this.snap, linkProblems: decoded.problems.map((p) => p.message) };
    this.commit(decoded.state, 'none');
  }

  /**
   * Show a finished run (an opened bundle) exactly as it is, without computing: its config
   * becomes the state (one history entry), compare mode goes off, and the view it was saved
   * with (field shown, slider, camera) comes back. The engine choice stays the user's: the
   * badge and the import note say who computed the run, and Recompute runs it on the chosen
   * engine. A run in flight is cancelled so it cannot replace the imported field.
   */
  loadField(field: GradientField, source: string, saved: BundleView | null = null): void {
    this.requestSerial++;
    this.runner.cancel();
    const shown = SHOWN_FIELDS.find((f) => f === saved?.shown);
    const view = this.clampRho(
      {
        ...this.snap.state.view,
        compare: 'off',
        preset: null,
        ...(shown ? { field: shown } : {}),
        ...(saved && Number.isFinite(saved.rho) ? { rho: saved.rho } : {}),
        ...(saved ? { camera: saved.camera } : {}),
      },
      field,
    );
    const wall = field.meta.wallMs;
    this.liveRow.stop();
    this.update({
      state: { config: field.config, view },
      drafts: {},
      fieldErrors: {},
      dragging: false,
      live: null,
      run: IDLE,
      imported: { source, backend: field.meta.backend, adapter: field.meta.adapter },
      result: {
        a: field,
        b: null,
        wallMs: wall,
        msPerStep: wall / field.T,
        gflops: wall > 0 ? sweepFlops(field.config) / (wall * 1e6) : 0,
        finishedAt: Date.now(),
      },
    });
    this.writeHash('push');
  }

  /** Compute the state again even where a cached or imported field exists (the Recompute button). */
  rerun(): void {
    const { config, view } = this.snap.state;
    this.cache.delete(cacheKey(config, engineKey(view)));
    const configB = compareConfig(config, view.compare);
    if (configB) this.cache.delete(cacheKey(configB, engineKey(view)));
    void this.recompute();
  }

  /** Start the long run that is waiting for confirmation. */
  confirmRun(): void {
    if (!this.snap.confirm) return;
    this.confirmedKey = this.requestKey();
    this.update({ confirm: null });
    void this.recompute();
  }

  /** Do not start the long run: the settings stay as typed, the plots (marked stale) show the last run. */
  declineRun(): void {
    if (this.snap.confirm) this.update({ confirm: null });
  }

  /** Compute the current settings (asks first when it would take long): the stale plots' Run button. */
  requestRun(): void {
    void this.recompute();
  }

  /** Stop the run in flight; the last good run stays on screen, marked stale. */
  cancelRun(): void {
    if (this.snap.run.status !== 'running') return;
    this.requestSerial++;
    this.runner.cancel();
    this.confirmedKey = null;
    this.update({ run: IDLE });
  }

  /**
   * An edit of the spectrum init's eigenvalues on the plot (spectrum-edit.ts), in the plot's
   * coordinates. 'drag': the state follows at once (the URL too, one history entry per drag) and
   * only the network shown is computed (one row, latest wins) until endDrag; 'commit' (add,
   * remove): applied like any setting, the full sweep recomputes. An edit that cannot be made
   * changes nothing and says why (spectrumMessage).
   */
  editSpectrum(edit: SpectrumEdit, mode: 'drag' | 'commit'): void {
    const { config, view } = this.snap.state;
    if (config.init !== 'spectrum') return;
    const patch = applyEdit(config, shownValue(this.snap), edit);
    if (typeof patch === 'string') {
      this.update({ spectrumMessage: patch });
      return;
    }
    const checked = checkConfig({ ...config, outliers: patch.outliers, bulk: patch.bulk });
    if (!checked.ok) {
      this.update({ spectrumMessage: checked.error.message });
      return;
    }
    const state: LabState = { config: checked.config, view: patch.rho !== undefined ? { ...view, rho: patch.rho } : view };
    if (mode === 'commit') {
      this.commit(state, 'push');
      return;
    }
    if (!this.snap.dragging) {
      // The sweep in flight is for the spectrum before the drag: of no use any more.
      this.requestSerial++;
      this.runner.cancel();
      this.dragPushed = false;
    }
    const value = config.sweep === 'outlier' ? state.view.rho : shownValue(this.snap);
    this.update({ state, dragging: true, drafts: {}, fieldErrors: {}, spectrumMessage: null, run: IDLE, confirm: null });
    if (this.dragPushed) this.writeHash('replace');
    else {
      // The drag's one history entry, pushed in a task of its own: pushState is a call into the
      // browser (profiled at up to 50 ms on a loaded machine), kept out of the pointer's frame.
      this.dragPushed = true;
      setTimeout(() => this.writeHash('push'), 0);
    }
    const a = previewConfigs(state.config, value);
    const configB = compareConfig(state.config, state.view.compare);
    const b = configB ? previewConfigs(configB, value) : null;
    this.liveRow.request({ runA: a.run, shownA: a.shown, runB: b?.run ?? null, shownB: b?.shown ?? null });
  }

  /** The drag ended: stop the live row (its last result stays on the slice) and compute the full sweep. */
  endDrag(): void {
    if (!this.snap.dragging) return;
    this.liveRow.stop();
    this.commit(this.snap.state, 'replace', true);
  }

  /**
   * The engine for one live row: a forced engine is used as it is. auto uses the sweep's engine
   * where that is WebGPU on a hardware adapter, and otherwise the CPU engine: one row is latency-bound, not
   * throughput-bound; at N = 64, T = 100, S = 16 the CPU engine took 8-14 ms and WebGPU on
   * SwiftShader 1.1-3.7 s a row (bench/drag.ts), though auto's probe sweep (many rows) may find
   * SwiftShader faster.
   */
  private async runRow(config: Config, signal: AbortSignal): Promise<GradientField> {
    const choice = this.snap.state.view.backend;
    const b = this.snap.backend;
    const hardwareGpu = b !== null && b.engine === 'webgpu' && b.webgpu.available && !b.webgpu.isFallback;
    const selected = await this.backends(choice !== 'auto' || hardwareGpu ? choice : 'cpu', this.snap.state.view.kernel);
    return selected.engine.run(config, { signal });
  }

  /**
   * One drag frame: A's row, and in compare mode B's, on the engine runRow picks for each. Both
   * are asked for at once: one engine computes them one after the other (the CPU engine splits
   * each row's sequences over its workers), two different engines side by side; the frame shows
   * when both are in, so A and B are always of the same spectrum.
   */
  private async runLive(job: LiveJob, signal: AbortSignal): Promise<LiveRows> {
    const [a, b] = await Promise.all([this.runRow(job.runA, signal), job.runB ? this.runRow(job.runB, signal) : null]);
    return { a, b };
  }

  /**
   * The derivative panel's histogram of row k of `config`: binned by the engine the sweep runs on
   * (the same backend choice), from its first samples within HISTOGRAM_BUDGET; where that engine
   * cannot bin (no method, or a HistogramUnsupportedError) the float64 reference bins it, and
   * `fallback` says why.
   */
  async preactivationHistogram(config: Config, k: number, signal?: AbortSignal): Promise<PanelHistogram> {
    const { engine } = await this.backends(this.snap.state.view.backend, this.snap.state.view.kernel);
    const { hidden: N, steps: T, samples: S } = config;
    let why: string;
    if (engine.preactivationHistogram) {
      try {
        const histogram = await engine.preactivationHistogram(config, histogramRequest(config, k, samplesWithin(N, T, S, HISTOGRAM_BUDGET)), { signal });
        return { histogram, fallback: null };
      } catch (e) {
        if (isAbortError(e) || signal?.aborted || !(e instanceof Error && e.name === 'HistogramUnsupportedError')) throw e;
        why = e.message;
      }
    } else why = `the ${engine.name} engine does not bin pre-activations`;
    const request = histogramRequest(config, k, samplesWithin(N, T, S, REFERENCE_HISTOGRAM_BUDGET));
    const histogram = this.histogramFallback
      ? await this.histogramFallback(config, request, signal)
      : await new ReferenceEngine().preactivationHistogram(config, request, { signal });
    return { histogram, fallback: why };
  }

  private showLive(r: LiveRowResult<LiveJob, LiveRows>): void {
    // The engine ran the row in its own terms (on the outlier axis: the moved outlier at rho = 1):
    // the slice draws it as row value of the sweep, with the sweep's axis and labels.
    const asShown = (f: GradientField, shown: Config): GradientField => ({ ...f, config: shown, rho: Float64Array.of(shown.rhoMin), K: 1 });
    const { a, b } = r.value;
    const fieldB = b && r.job.shownB ? asShown(b, r.job.shownB) : null;
    this.update({ live: { field: asShown(a, r.job.shownA), fieldB, wallMs: r.wallMs, engine: a.meta.backend } });
  }

  dismissLinkProblems(): void {
    this.update({ linkProblems: [] });
  }

  private commit(state: LabState, history: 'push' | 'replace' | 'none', keepLive = false): void {
    const prev = this.snap.state;
    // A drag changed the config without computing the sweep: whatever comes next computes it.
    const needsRun =
      this.snap.dragging ||
      cacheKey(prev.config, engineKey(prev.view)) !== cacheKey(state.config, engineKey(state.view)) ||
      prev.view.compare !== state.view.compare ||
      !this.snap.result;
    if (!keepLive) this.liveRow.stop();
    this.update({ state, drafts: {}, fieldErrors: {}, dragging: false, ...(keepLive ? {} : { live: null, spectrumMessage: null }) });
    if (history !== 'none') this.writeHash(history);
    if (needsRun) void this.recompute();
  }

  private writeHash(mode: 'push' | 'replace'): void {
    const h = encodeHash(this.snap.state);
    if (mode === 'push') {
      if (this.replaceTimer) clearTimeout(this.replaceTimer);
      this.replaceTimer = null;
      if (h !== this.hash.get()) this.hash.set(h, 'push');
      return;
    }
    // The slider and camera change at display rate; browsers throttle history calls.
    if (this.replaceTimer) return;
    this.replaceTimer = setTimeout(() => {
      this.replaceTimer = null;
      const now = encodeHash(this.snap.state);
      if (now !== this.hash.get()) this.hash.set(now, 'replace');
    }, 250);
  }

  private remember(f: GradientField, backend: string): void {
    const key = cacheKey(f.config, backend);
    this.cache.delete(key);
    this.cache.set(key, f);
    const bytes = (g: GradientField) => g.K * g.T * (GRID_NAMES.length * 8 + 1);
    let total = 0;
    for (const g of this.cache.values()) total += bytes(g);
    for (const [k, g] of this.cache) {
      if (total <= CACHE_BYTES || this.cache.size <= 2) break;
      total -= bytes(g);
      this.cache.delete(k);
    }
  }

  /** The cache keys of what the current state needs, as one string. */
  private requestKey(): string {
    const { config, view } = this.snap.state;
    const b = compareConfig(config, view.compare);
    return [config, ...(b ? [b] : [])].map((c) => cacheKey(c, engineKey(view))).join('||');
  }

  /** How long `flops` of work takes on the chosen engine, from the fastest rate measured on it. */
  private estimate(engine: string, flops: number): RunEstimate {
    const m = this.speed.get(engine);
    const p = predictMs(m, flops);
    const basis = m
      ? `${m.engine} computes about ${(p.flopPerMs / 1e6).toPrecision(3)} GFLOP/s here, after ${formatDuration(m.minMs)} of fixed cost per run (measured on this page's runs${m.big.ms < SHORT_RUN_MS ? ', all of them short: the real time may well be shorter' : ''})`
      : `no run has been timed on this engine yet; assuming ${(p.flopPerMs / 1e6).toPrecision(2)} GFLOP/s`;
    return { ms: p.ms, flops, basis };
  }

  /** Compute what the state needs (cached fields are reused), latest wins. */
  private async recompute(): Promise<void> {
    const serial = ++this.requestSerial;
    const { config, view } = this.snap.state;
    const configB = compareConfig(config, view.compare);
    const wanted = configB ? [config, configB] : [config];
    const be: BackendChoice = view.backend;
    const kernel = view.kernel;
    // The cache and the speeds are per engine: the choice, and the WebGPU kernels where named.
    const ek = engineKey(view);
    const missing = wanted.filter((c) => !this.cache.has(cacheKey(c, ek)));
    const finish = (wallMs: number, fresh: GradientField[]) => {
      const a = this.cache.get(cacheKey(config, ek));
      const b = configB ? this.cache.get(cacheKey(configB, ek)) : null;
      if (!a || b === undefined) return;
      const ran = fresh.length > 0 ? fresh : [a, ...(b ? [b] : [])];
      const wall = fresh.length > 0 ? wallMs : ran.reduce((s, f) => s + f.meta.wallMs, 0);
      const flops = ran.reduce((s, f) => s + sweepFlops(f.config), 0);
      const steps = ran.reduce((s, f) => s + f.T, 0);
      const view = this.clampRho(this.snap.state.view, a);
      this.update({
        state: { ...this.snap.state, view },
        run: IDLE,
        imported: null,
        live: null,
        result: {
          a,
          b: b ?? null,
          wallMs: wall,
          msPerStep: wall / steps,
          gflops: flops / (wall * 1e6),
          finishedAt: Date.now(),
        },
      });
    };
    if (missing.length === 0) {
      this.runner.cancel();
      this.update({ confirm: null });
      finish(0, []);
      // Served from the cache after switching engines: the badge names the engine of this choice.
      if (this.snap.backend?.choice !== be) {
        void this.backends(be, kernel).then((sel) => {
          if (serial === this.requestSerial) this.update({ backend: sel.refresh?.() ?? sel.info });
        });
      }
      return;
    }
    const flops = missing.reduce((sum, c) => sum + sweepFlops(c), 0);
    const estimate = this.estimate(ek, flops);
    const key = this.requestKey();
    if (estimate.ms > this.confirmAboveMs && this.confirmedKey !== key) {
      // Ask first; a run in flight for earlier settings is of no use any more.
      this.runner.cancel();
      this.update({ confirm: estimate, run: IDLE });
      return;
    }
    this.update({
      confirm: null,
      run: { status: 'running', fraction: 0, phase: 'starting', startedAt: performance.now(), message: '', estimateMs: estimate.ms },
    });
    performance.mark('lab:select-backend');
    const selected = await this.backends(be, kernel);
    performance.mark('lab:run-start');
    if (serial !== this.requestSerial) return;
    if (this.snap.backend !== selected.info) this.update({ backend: selected.info });
    const outcome = await this.runner.request(selected.engine, missing, (p: RunProgress) => {
      if (serial !== this.requestSerial) return;
      this.update({ run: { ...this.snap.run, fraction: p.fraction, phase: p.phase } });
    });
    if (serial !== this.requestSerial) return;
    if (outcome.kind === 'cancelled') return;
    if (outcome.kind === 'failed') {
      this.update({ run: { ...IDLE, status: 'failed', message: outcome.message } });
      return;
    }
    performance.mark('lab:run-end');
    // A lost GPU may have been replaced (or fallen back) during the run: the badge says so.
    if (selected.refresh) this.update({ backend: selected.refresh() });
    const rec = this.speed.get(ek);
    const ran = { flops, ms: outcome.wallMs };
    this.speed.set(ek, {
      engine: selected.info.engine,
      minMs: Math.min(rec?.minMs ?? Infinity, ran.ms),
      big: rec && rec.big.flops >= ran.flops ? rec.big : ran,
    });
    for (const f of outcome.fields) this.remember(f, ek);
    finish(outcome.wallMs, outcome.fields);
  }

  /** Keep the slider inside the swept range. */
  private clampRho(view: ViewState, a: GradientField): ViewState {
    const lo = a.rho[0];
    const hi = a.rho[a.K - 1];
    const rho = Math.min(hi, Math.max(lo, view.rho));
    return rho === view.rho ? view : { ...view, rho };
  }
}
