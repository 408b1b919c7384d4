/**
 * <lab-app>: the page. It subscribes to the one LabStore, hands each component the slice of
 * state it draws (properties down) and turns the components' events into store calls
 * (events up). Derived plot data is memoised per (result, field) so that moving the slider
 * costs only the slice.
 */
import { html, LitElement, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { presetById, presetMatches } from '../app/presets.ts';
import { COMPARE_OPTIONS, compareName, compareOptionLabel, SHOWN_FIELDS, SHOWN_LABEL, SHOWN_SHORT, type ColourLock, type CompareMode, type ShownField } from '../app/state.ts';
import { shownValue, staleness, type LabStore, type RunResult, type Snapshot } from '../app/store.ts';
import { sweepAxis, type Config } from '../core/config.ts';
import { nearestRhoIndex } from '../core/field.ts';
import { addProblem, removeProblem, shownSpectrum } from '../core/spectrum-edit.ts';
import type { Spectrum } from '../core/spectrum.ts';
import { movedSpectrum } from '../core/spectrum-init.ts';
import { formatDuration } from '../core/work.ts';
import { formatNumber } from '../export/ticks.ts';
import { absentIn, derivePlots, deriveRate, deriveSlice, type Plots } from './derive.ts';
import type { RateData } from './lab-rate.ts';
import { exportFile, exportLossFigure, readBundleInWorker, saveFile, trainedFieldInWorker, surfaceFileName, type ExportFormat, type ExportOptions } from '../app/downloads.ts';
import { ColourLockEvent, ExportEvent, FieldChangeEvent, ImportFileEvent, PresetEvent, RecomputeEvent, ViewChangeEvent } from './events.ts';
import type { SpectrumEditor } from './lab-spectrum.ts';
import { SpectrumDragEndEvent, SpectrumEditEvent, SpectrumLayerEvent } from './spectrum-events.ts';
import { panelStyles } from './theme.ts';
import type { PanelHistogram } from '../app/store.ts';
import { isAbortError } from '../core/engine.ts';
import { DerivativeStepEvent, histogramWords, type DerivativeData } from './lab-derivative.ts';
import type { DerivativeFigureData } from '../export/derivative.ts';
// Static: the slice and derivative panels already load it with src/export/slice.ts.
import { configTitle } from '../export/figure.ts';
import './lab-badge.ts';
import './lab-derivative.ts';
import './lab-controls.ts';
import './lab-export.ts';
import './lab-heatmap.ts';
import './lab-presets.ts';
import './lab-rate.ts';
import type { SliceData } from './lab-slice.ts';
import './lab-slice.ts';
import './lab-slider.ts';
import './lab-spectrum.ts';
import './lab-surface.ts';
import type { TrainSession, TrainSnapshot } from '../app/train-session.ts';
import { DEFAULT_TRAIN, nextModel, specLabel, trainConfigOf, trainFileBase, withSetting } from '../app/train-settings.ts';
import { TABS, type Tab } from '../app/state.ts';
import { TrainCommandEvent, TrainPresetEvent, TrainSettingEvent } from './train/events.ts';
import { trainPresetById } from '../app/train-presets.ts';
import './train/train-view.ts';

/** A run must take this long before the progress bar shows (short runs would only flicker). */
const PROGRESS_DELAY_MS = 200;

@customElement('lab-app')
export class LabApp extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: grid;
        grid-template-rows: auto 1fr;
        height: 100vh;
        overflow: hidden;
        background: var(--bg);
      }
      header {
        display: flex;
        align-items: center;
        gap: 14px;
        padding: 6px 14px;
        border-bottom: 1px solid var(--border);
        min-width: 0;
      }
      header h1 {
        font-size: calc(16px * var(--s, 1));
        margin: 0;
        white-space: nowrap;
      }
      @media (max-width: 1500px) {
        header .sub {
          display: none;
        }
      }
      header lab-badge {
        margin-left: auto;
        flex: 0 1 auto;
        min-width: 0;
      }
      header .sub {
        color: var(--muted);
        font-size: calc(12px * var(--s, 1));
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
        flex: 1 1 auto;
        min-width: 0;
      }
      .tabs {
        display: flex;
        gap: 2px;
        flex: 0 0 auto;
      }
      .tabs button[aria-selected='true'] {
        border-color: var(--accent);
        font-weight: 600;
      }
      .main.train {
        grid-template-columns: 1fr;
        padding: 8px;
      }
      .main {
        display: grid;
        grid-template-columns: calc(clamp(270px, 21vw, 340px) * var(--s, 1)) 1fr;
        min-height: 0;
      }
      :host([embed]) .main {
        grid-template-columns: 1fr;
      }
      aside {
        overflow-y: auto;
        padding: 8px 12px 16px;
        border-right: 1px solid var(--border);
        background: var(--panel);
      }
      .plots {
        display: grid;
        grid-template-rows: auto minmax(0, 1.15fr) minmax(0, 1fr);
        gap: 8px;
        padding: 8px;
        min-height: 0;
        min-width: 0;
      }
      .bar {
        /* Above the plots, so the File menu opening over them is not crossed by the 3D axis labels. */
        position: relative;
        z-index: 5;
        display: flex;
        align-items: center;
        gap: 14px;
        flex-wrap: wrap;
        padding: 4px 10px;
        border: 1px solid var(--border);
        border-radius: 8px;
        background: var(--panel);
      }
      .bar label {
        font-size: calc(12.5px * var(--s, 1));
      }
      /* A laptop's width (1280 px): the Show menu gives way (its longest entry is 370 px wide), so
         that Show, the slider, Compare and File fit on one line and the plots keep their height. */
      @media (min-width: 1001px) and (max-width: 1400px) {
        .bar select.show {
          max-width: 230px;
        }
      }
      .row {
        display: grid;
        gap: 8px;
        min-height: 0;
      }
      /* Each plot panel's size comes from the grid (or a fixed height on a phone), never from what
         it draws: contained, a redraw inside one (the slice chart and the eigenvalue plot at every
         frame of a drag) lays out that panel alone, not the page. */
      .row > * {
        contain: strict;
      }
      .top {
        grid-template-columns: 1.25fr 1fr;
      }
      .top.compare {
        grid-template-columns: 1fr 1fr;
      }
      .bottom {
        grid-template-columns: 1.25fr 1fr 1fr 0.75fr;
      }
      /* Compare mode: the difference heatmap keeps at least 2 px per step at 1280 px (T = 60). */
      .bottom.compare {
        grid-template-columns: 1.35fr 1.1fr 1fr 0.9fr 0.6fr;
      }
      .progress {
        position: fixed;
        left: 0;
        right: 0;
        top: 0;
        height: 3px;
        background: transparent;
        z-index: 10;
      }
      .progress div {
        height: 100%;
        background: var(--accent);
        transition: width 0.1s linear;
      }
      .status {
        font-size: calc(12px * var(--s, 1));
        color: var(--muted);
        white-space: nowrap;
      }
      .status.bad,
      .problems {
        color: var(--error);
      }
      .problems {
        font-size: calc(12px * var(--s, 1));
        border: 1px solid var(--error);
        background: var(--error-bg);
        border-radius: 6px;
        padding: 4px 8px;
        margin-bottom: 8px;
      }
      .problems ul {
        margin: 2px 0;
        padding-left: 16px;
      }
      .drop {
        position: fixed;
        inset: 8px;
        z-index: 30;
        display: grid;
        place-items: center;
        border: 3px dashed var(--accent);
        border-radius: 12px;
        background: color-mix(in srgb, var(--bg) 80%, transparent);
        font-size: calc(18px * var(--s, 1));
        pointer-events: none;
      }
      .drop span {
        background: var(--panel);
        border: 1px solid var(--border);
        border-radius: 8px;
        padding: 10px 18px;
      }
      .stale-note {
        flex-basis: 100%;
        display: flex;
        align-items: center;
        gap: 10px;
        font-size: calc(12.5px * var(--s, 1));
        color: var(--warn);
        border-top: 1px dashed var(--border);
        padding-top: 3px;
      }
      .plots.stale .row {
        opacity: 0.55;
      }
      .status button {
        margin-left: 6px;
      }
      dialog {
        border: 1px solid var(--border);
        border-radius: 10px;
        background: var(--panel);
        color: var(--fg);
        max-width: 52ch;
        padding: 14px 18px;
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.35);
      }
      dialog h2 {
        font-size: calc(16px * var(--s, 1));
        margin: 0 0 8px;
      }
      dialog p {
        font-size: calc(13px * var(--s, 1));
        margin: 6px 0;
      }
      dialog .buttons {
        display: flex;
        gap: 10px;
        justify-content: flex-end;
        margin-top: 12px;
      }
      .drawer-toggle,
      .drawer-close,
      .embed-link {
        display: none;
      }
      :host([embed]) .embed-link {
        display: inline;
        position: fixed;
        right: 8px;
        bottom: 6px;
        z-index: 12;
        font-size: calc(12px * var(--s, 1));
        background: var(--panel);
        border: 1px solid var(--border);
        border-radius: 5px;
        padding: 1px 8px;
        color: var(--accent);
      }
      :host([embed]) header {
        display: none;
      }
      :host([embed]) {
        grid-template-rows: 1fr;
      }
      /* A phone, a tablet or a narrow window: a page that scrolls; the settings in a drawer
         opened from the bar; the bar (Show, the slider) stays on top; plots two per row up to
         1000 px, one per row at full width on a phone (760 px and below). */
      @media (max-width: 1000px) {
        :host {
          height: auto;
          min-height: 100vh;
          overflow: visible;
        }
        header {
          flex-wrap: wrap;
          row-gap: 4px;
          padding: 6px 10px;
        }
        header .sub {
          display: none;
        }
        header lab-badge {
          margin-left: 0;
          flex: 1 1 100%;
        }
        .main {
          grid-template-columns: minmax(0, 1fr);
        }
        aside {
          position: fixed;
          z-index: 25;
          top: 0;
          bottom: 0;
          left: 0;
          width: min(88vw, 360px);
          box-sizing: border-box;
          transform: translateX(-105%);
          transition: transform 0.2s ease;
          visibility: hidden;
          box-shadow: 0 0 24px rgba(0, 0, 0, 0.3);
        }
        aside.open {
          transform: none;
          visibility: visible;
        }
        .drawer-toggle,
        .drawer-close {
          display: inline-block;
        }
        .drawer-close {
          float: right;
        }
        .plots {
          display: flex;
          flex-direction: column;
          padding: 6px;
        }
        .bar {
          position: sticky;
          top: 0;
          z-index: 8;
          gap: 6px 10px;
        }
        .bar select {
          max-width: 100%;
        }
        .bar label {
          max-width: 100%;
        }
        .row,
        .top.compare,
        .bottom,
        .bottom.compare {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
        .row > * {
          height: 360px;
          min-width: 0;
        }
      }
      @media (max-width: 760px) {
        .row,
        .top.compare,
        .bottom,
        .bottom.compare {
          grid-template-columns: minmax(0, 1fr);
        }
        .row > * {
          height: 340px;
        }
      }
      h2.side {
        font-size: calc(12px * var(--s, 1));
        text-transform: uppercase;
        color: var(--muted);
        letter-spacing: 0.03em;
        margin: 4px 0 6px;
      }
    `,
  ];

  @property({ attribute: false }) store: LabStore | null = null;
  /** The Train view's run (its worker lives as long as the page). */
  @property({ attribute: false }) train: TrainSession | null = null;
  @state() private trainSnap: TrainSnapshot | null = null;
  /** Train settings that were not applied, with their messages, by field. */
  @state() private trainErrors: Record<string, string> = {};
  /** Whether a frame callback is waiting for the surface's first drawing. */
  private drawCheck = false;
  /** Train view work in progress, in words. */
  @state() private trainNote: string | null = null;
  private unsubscribeTrain: (() => void) | null = null;
  @property({ type: Boolean, reflect: true }) embed = false;
  @state() private snap: Snapshot | null = null;
  /** What an export is doing or why it failed, in words (null when idle). */
  @state() private exportNote: { text: string; bad: boolean } | null = null;
  /** Why the last bundle import failed (null when it worked or none was tried). */
  @state() private importError: string | null = null;
  /** The 3D view cannot be drawn (no WebGL): compare mode shows A and B as heatmaps instead. */
  @state() private noWebGL = false;
  /** A file is being dragged over the page: show where it goes. */
  @state() private dropping = false;
  /** On a phone: the settings drawer is open. */
  @state() private drawerOpen = false;
  private dropTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;
  private plotsMemo: { result: RunResult; field: ShownField; lock: ColourLock | null; plots: Plots } | null = null;
  /** The slice last derived: of a live row (rho null) or of a result at the slider's value. */
  private sliceMemo: { source: NonNullable<Snapshot['live']> | RunResult; field: ShownField; rho: number | null; k: number; slice: SliceData } | null = null;
  private derivativeMemo: DerivativeData | null = null;
  /** The last snapshot before the drag in progress (heldSnapshot); null when nothing is dragged. */
  private beforeDrag: Snapshot | null = null;
  private rateMemo: { result: RunResult; rate: RateData } | null = null;
  private progressTimer: ReturnType<typeof setTimeout> | null = null;
  /** Re-renders the elapsed time and time left once a second while a run computes. */
  private clock: ReturnType<typeof setInterval> | null = null;
  /** The derivative panel's histogram: of which result and row, the engine's binned a_t (or why not). */
  @state() private preact: { result: RunResult; k: number; got: PanelHistogram | null; note: string } | null = null;
  /** The derivative panel's step t (null: the last step, T). */
  @state() private derivStep: number | null = null;
  private preactTimer: ReturnType<typeof setTimeout> | null = null;
  /** Cancels the histogram in flight when another row is asked for (latest wins). */
  private preactAbort: AbortController | null = null;
  /** performance.now() when the first surface was drawn (for the load-time figure). */
  firstDrawMs: number | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener(FieldChangeEvent.type, (e) => this.store?.setField(e.name, e.raw));
    this.addEventListener(ViewChangeEvent.type, (e) => this.store?.setView(e.patch));
    this.addEventListener(PresetEvent.type, (e) => this.store?.applyPreset(e.id));
    this.addEventListener(ExportEvent.type, (e) => void this.export(e.format, e.options));
    this.addEventListener(ImportFileEvent.type, (e) => void this.importFile(e.file));
    this.addEventListener(RecomputeEvent.type, () => this.store?.rerun());
    this.addEventListener(SpectrumEditEvent.type, (e) => this.store?.editSpectrum(e.edit, e.mode));
    this.addEventListener(SpectrumDragEndEvent.type, () => this.store?.endDrag());
    this.addEventListener(SpectrumLayerEvent.type, (e) => this.store?.showLayer(e.t));
    this.addEventListener('lab-surface-no-webgl', () => (this.noWebGL = true));
    this.addEventListener(TrainSettingEvent.type, (e) => this.trainSetting(e.field, e.raw));
    this.addEventListener(DerivativeStepEvent.type, (e) => (this.derivStep = e.t));
    this.addEventListener(ColourLockEvent.type, (e) => {
      const field = this.snap?.state.view.field;
      if (field) this.store?.setView({ colourLock: e.range ? { field, ...e.range } : null });
    });
    this.addEventListener(TrainCommandEvent.type, (e) => void this.trainCommand(e));
    this.addEventListener(TrainPresetEvent.type, (e) => this.trainPreset(e.id));
    // A run bundle dropped anywhere on the page opens like one picked in the file input.
    this.addEventListener('dragover', (e) => {
      if (e.dataTransfer?.types.includes('Files')) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        // dragover repeats every ~50 ms while a file is over the page: the hint goes soon after it stops.
        this.dropping = true;
        if (this.dropTimer) clearTimeout(this.dropTimer);
        this.dropTimer = setTimeout(() => (this.dropping = false), 250);
      }
    });
    this.addEventListener('drop', (e) => {
      this.dropping = false;
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      void this.importFile(file);
    });
    this.subscribe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.clock) clearInterval(this.clock);
    this.clock = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeTrain?.();
    this.unsubscribeTrain = null;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('store')) this.subscribe();
    if (changed.has('train')) {
      this.unsubscribeTrain?.();
      this.unsubscribeTrain = this.train?.subscribe((t) => (this.trainSnap = t)) ?? null;
    }
    this.embed = this.snap?.state.view.embed ?? false;
  }

  private subscribe(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.store?.subscribe((s) => {
      const wasRunning = this.snap?.run.status === 'running';
      if (!s.dragging) this.beforeDrag = null;
      else if (!this.beforeDrag && this.snap && !this.snap.dragging) this.beforeDrag = this.snap;
      this.snap = s;
      if (s.run.status === 'running' && !wasRunning) {
        // Re-render once the delay has passed so the bar appears for long runs only.
        if (this.progressTimer) clearTimeout(this.progressTimer);
        this.progressTimer = setTimeout(() => this.requestUpdate(), PROGRESS_DELAY_MS + 5);
        if (!this.clock) this.clock = setInterval(() => this.requestUpdate(), 1000);
      }
      if (s.run.status !== 'running' && this.clock) {
        clearInterval(this.clock);
        this.clock = null;
      }
    }) ?? null;
  }

  /** The plot data, recomputed only when the result or the shown field changes. */
  plots(): Plots | null {
    const s = this.snap;
    if (!s?.result) return null;
    const { field, colourLock: lock } = s.state.view;
    if (!this.plotsMemo || this.plotsMemo.result !== s.result || this.plotsMemo.field !== field || this.plotsMemo.lock !== lock) {
      this.plotsMemo = { result: s.result, field, lock, plots: derivePlots(s.result, field, lock) };
    }
    return this.plotsMemo.plots;
  }

  /** The phase diagram, recomputed only when the result changes. */
  rate(): RateData | null {
    const r = this.snap?.result;
    if (!r) return null;
    if (this.rateMemo?.result !== r) this.rateMemo = { result: r, rate: deriveRate(r) };
    return this.rateMemo.rate;
  }

  /**
   * The slice the chart shows (the test hook reads it): the slider's row of the result, or while
   * an eigenvalue is dragged the live row (k stays the result's row, where the plots mark it).
   * Memoised on what it is made of, so a re-render for anything else gives the chart the same
   * slice object and does not redraw it (a drag re-renders the page twice a frame).
   */
  slice() {
    const s = this.snap;
    if (!s) return null;
    const field = s.state.view.field;
    const m = this.sliceMemo;
    let slice: SliceData | null;
    let k: number;
    if (s.live) {
      // The live rows' slice (A's, and B's in compare mode) depends on them alone, not on the slider moving with the drag.
      k = s.result ? nearestRhoIndex(s.result.a.rho, s.state.view.rho) : -1;
      if (m && m.source === s.live && m.field === field && m.rho === null) slice = m.slice;
      else {
        const f = s.live.field;
        slice = deriveSlice({ a: f, b: s.live.fieldB, wallMs: s.live.wallMs, msPerStep: s.live.wallMs / f.T, gflops: 0, finishedAt: 0 }, f.rho[0], field).slice;
        this.sliceMemo = { source: s.live, field, rho: null, k, slice };
      }
      return { k, slice, live: true };
    }
    if (!s.result) return null;
    if (m && m.source === s.result && m.field === field && m.rho === s.state.view.rho) return { k: m.k, slice: m.slice, live: false };
    const d = deriveSlice(s.result, s.state.view.rho, field);
    this.sliceMemo = { source: s.result, field, rho: s.state.view.rho, k: d.k, slice: d.slice };
    return { ...d, live: false };
  }

  /**
   * The snapshot the panels that show the last full sweep draw: while an eigenvalue is dragged,
   * the one from before the drag. Only the slice chart, the slider and the eigenvalue plot
   * follow the pointer; the surface, heatmaps, rate and derivative panels, presets and settings
   * keep their pre-drag properties (so Lit leaves them alone: re-rendering them, the 3D view
   * above all on a software GL, made the drag's long tasks) and catch up when it ends.
   */
  private heldSnapshot(s: Snapshot): Snapshot {
    return s.dragging && this.beforeDrag ? this.beforeDrag : s;
  }

  /** The result row the plots mark for a snapshot (the slider's), or -1. */
  private markerK(s: Snapshot): number {
    return s.result && s.result.a.K > 0 ? nearestRhoIndex(s.result.a.rho, s.state.view.rho) : -1;
  }

  /** The eigenvalue editor's state (init spectrum, not embedded), or null: the plot only shows. */
  private spectrumEditor(s: Snapshot): { spectrum: Spectrum; editor: SpectrumEditor } | null {
    const { config, view } = s.state;
    if (config.init !== 'spectrum' || view.embed) return null;
    const value = shownValue(s);
    const shown = shownSpectrum(config, value);
    if (!shown) return null;
    const axis = sweepAxis(config).symbol;
    const liveNote = s.live ? `live ${s.live.fieldB ? 'rows A and B' : 'row'}: ${s.live.wallMs.toFixed(0)} ms on ${s.live.engine}` : null;
    return {
      spectrum: shown.spectrum,
      editor: {
        outliers: shown.outliers,
        bulk: shown.bulk,
        addProblem: addProblem(config, false),
        removeProblems: shown.outliers.map((_, i) => removeProblem(config, i)),
        message: s.spectrumMessage,
        liveNote,
        title: config.sweep === 'outlier' ? `W with ${axis} = ${value.toFixed(3)}` : `ρ·W0, ρ = ${value.toFixed(3)}`,
      },
    };
  }

  /**
   * The derivative panel's histogram for the shown row: asked of the sweep's engine (the store
   * picks it, and the reference where it cannot bin) once the slider has rested 120 ms on a new
   * row; a request in flight for another row is cancelled (latest wins). It holds every step t,
   * so hovering t in the slice chart asks for nothing.
   */
  private requestPreactivations(): void {
    // A drag holds the panel at its row from before the drag (heldSnapshot): nothing to ask yet.
    if (this.snap?.dragging) return;
    const r = this.snap?.result;
    const store = this.store;
    const k = this.slice()?.k ?? -1;
    if (!r || !store || k < 0 || (this.preact?.result === r && this.preact.k === k)) return;
    const c = r.a.config;
    this.preact = { result: r, k, got: this.preact?.result === r ? this.preact.got : null, note: `computing the histogram of a_t for this ${sweepAxis(c).symbol}…` };
    if (this.preactTimer) clearTimeout(this.preactTimer);
    this.preactAbort?.abort();
    const ctrl = new AbortController();
    this.preactAbort = ctrl;
    this.preactTimer = setTimeout(() => {
      store.preactivationHistogram(c, k, ctrl.signal).then(
        (got) => {
          if (this.preact?.result === r && this.preact.k === k) this.preact = { result: r, k, got, note: '' };
        },
        (e: Error) => {
          if (isAbortError(e) || ctrl.signal.aborted) return;
          if (this.preact?.result === r && this.preact.k === k) this.preact = { result: r, k, got: null, note: `no histogram: ${e.message}` };
        },
      );
    }, 120);
  }

  /** What the derivative panel draws (the same object while nothing in it changed, so the panel is not redrawn). */
  private derivative(): DerivativeData | null {
    const s = this.snap;
    const r = s?.result;
    const sl = this.slice();
    if (!s || !r || !sl) return null;
    // During a drag: the row of the slider before it (heldSnapshot), not the live row's value.
    const k = s.dragging ? this.markerK(this.heldSnapshot(s)) : sl.k;
    const rho = s.dragging ? (r.a.rho[k] ?? sl.slice.rho) : sl.slice.rho;
    const p = this.preact?.result === r && this.preact.k === k ? this.preact : null;
    // The row shown until the new one arrives is the old row's only when it is of this run.
    const got = p?.got && p.got.histogram.k === k ? p.got : null;
    const histogram = got?.histogram ?? null;
    const fallback = got?.fallback ?? null;
    const note = p?.note ?? '';
    const m = this.derivativeMemo;
    if (
      m &&
      m.a.params === r.a.config &&
      (m.b?.params ?? null) === (r.b?.config ?? null) &&
      m.histogram === histogram &&
      m.fallback === fallback &&
      m.note === note &&
      m.rho === rho &&
      m.T === r.a.T
    )
      return m;
    this.derivativeMemo = {
      a: { activation: r.a.config.activation, params: r.a.config, tag: r.b ? 'A' : '' },
      b: r.b ? { activation: r.b.config.activation, params: r.b.config, tag: 'B' } : null,
      histogram,
      fallback,
      note,
      axis: sweepAxis(r.a.config).symbol,
      rho,
      T: r.a.T,
    };
    return this.derivativeMemo;
  }

  /** The derivative panel as drawn now (curves, the histogram at its step, what computed it), for its export. */
  private derivativeFigure(): DerivativeFigureData | undefined {
    const d = this.derivative();
    if (!d) return undefined;
    const step = Math.min(d.T, Math.max(1, Math.round(this.derivStep ?? d.T)));
    return { a: d.a, b: d.b, row: d.histogram, step, axis: d.axis, rho: d.rho, T: d.T, source: histogramWords(d).figure };
  }

  override updated(): void {
    this.requestPreactivations();
    // The confirmation of a long run is a modal dialog while the store waits for an answer.
    const dialog = this.renderRoot.querySelector<HTMLDialogElement>('dialog.confirm-run');
    if (dialog && this.snap?.confirm && !dialog.open) dialog.showModal();
    if (dialog && !this.snap?.confirm && dialog.open) dialog.close();
    if (this.firstDrawMs === null && this.snap?.result && !this.drawCheck && this.renderRoot.querySelector('lab-surface')) {
      // The scene (three.js) may still be loading: check each frame until it has drawn the data.
      // One check at a time, and none while the surface is not on the page (the Train view
      // redraws several times a second: a check per update would pile up frame callbacks).
      this.drawCheck = true;
      const check = () => {
        const surf = this.renderRoot.querySelector('lab-surface');
        if (this.firstDrawMs !== null || !surf) {
          this.drawCheck = false;
          return;
        }
        if (surf.drawn) {
          this.firstDrawMs = performance.now();
          performance.mark('lab:surface-drawn');
          this.drawCheck = false;
        } else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    }
  }

  private async export(format: ExportFormat, options: ExportOptions = {}): Promise<void> {
    const s = this.snap;
    if (!s?.result) return;
    this.exportNote = { text: `exporting ${format === 'surface' ? '3D surface PNG' : format.toUpperCase()}…`, bad: false };
    try {
      if (format === 'surface') {
        if (this.noWebGL) throw new Error('there is no 3D view to save: this browser gives the page no WebGL; the heatmap PNG and SVG export the same field');
        // Every surface on screen (A, and B in compare mode), each with its own config in the name.
        const [w, h] = options.size ?? [1920, 1200];
        const fields = [s.result.a, ...(s.result.b ? [s.result.b] : [])];
        const surfaces = Array.from(this.renderRoot.querySelectorAll('lab-surface'));
        const names: string[] = [];
        for (let i = 0; i < fields.length && i < surfaces.length; i++) {
          const f = fields[i];
          const title = `${SHOWN_SHORT[s.state.view.field]} · ${configTitle(f.config).title}`;
          const blob = await surfaces[i].exportImage(w, h, title, this.slice()?.slice.rho ?? null);
          const name = await surfaceFileName(f, s.state.view.field);
          saveFile({ name, mime: 'image/png', blob });
          names.push(name);
        }
        this.exportNote = { text: `saved ${names.join(', ')}`, bad: false };
        return;
      }
      const file = await exportFile(s.result, s.state.view, format, format.startsWith('derivative') ? { ...options, derivative: this.derivativeFigure() } : options);
      saveFile(file);
      this.exportNote = { text: `saved ${file.name}`, bad: false };
    } catch (e) {
      this.exportNote = { text: `export failed: ${e instanceof Error ? e.message : String(e)}`, bad: true };
    }
  }

  /** Open a run bundle: shown as it is (no run), or the reason it cannot be, the view kept. */
  private async importFile(file: File): Promise<void> {
    this.importError = null;
    this.exportNote = { text: `opening ${file.name}…`, bad: false };
    try {
      const { field, view } = await readBundleInWorker(file);
      this.store?.loadField(field, file.name, view);
      this.exportNote = null;
    } catch (e) {
      this.exportNote = null;
      this.importError = `Could not open it: ${e instanceof Error ? e.message : String(e)}. The run on screen is unchanged.`;
    }
  }

  /** The question before a run that the measured speed says takes long. */
  private renderConfirm() {
    const c = this.snap?.confirm;
    return html`<dialog class="confirm-run" aria-labelledby="confirm-title" @cancel=${(e: Event) => {
      e.preventDefault();
      this.store?.declineRun();
    }}>
      ${c
        ? html`<h2 id="confirm-title">This run takes about ${formatDuration(c.ms)}</h2>
            <p>${(c.flops / 1e9).toPrecision(3)} GFLOP of forward and backward passes; ${c.basis}.</p>
            <p>The plots keep showing the last run until it finishes, and you can cancel it at any time.</p>
            <div class="buttons">
              <button data-decline @click=${() => this.store?.declineRun()}>Don't run</button>
              <button data-confirm autofocus @click=${() => this.store?.confirmRun()}>Run it</button>
            </div>`
        : null}
    </dialog>`;
  }

  private renderProgress() {
    const run = this.snap?.run;
    if (!run || run.status !== 'running' || performance.now() - run.startedAt < PROGRESS_DELAY_MS) return null;
    return html`<div class="progress" role="progressbar" aria-label="computing" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${Math.round(run.fraction * 100)}><div style=${`width:${(run.fraction * 100).toFixed(1)}%`}></div></div>`;
  }

  private renderStatus() {
    const s = this.snap;
    if (!s) return null;
    const r = s.run;
    if (r.status === 'running') {
      const elapsed = performance.now() - r.startedAt;
      if (elapsed < PROGRESS_DELAY_MS) return html`<span class="status">computing…</span>`;
      // Time left from the engine's own progress once it has some, else from the prediction.
      const left = r.fraction >= 0.02 ? (elapsed * (1 - r.fraction)) / r.fraction : r.estimateMs !== null ? Math.max(0, r.estimateMs - elapsed) : NaN;
      return html`<span class="status" data-running
        ><span aria-live="polite">computing ${Math.round(r.fraction * 100)}% · ${r.phase}</span> ·
        <span data-elapsed>${formatDuration(elapsed)} elapsed</span> ·
        <span data-left>${Number.isFinite(left) ? `about ${formatDuration(left)} left` : 'estimating time left'}</span>
        <button data-cancel-run @click=${() => this.store?.cancelRun()}>Cancel</button></span
      >`;
    }
    if (r.status === 'failed') return html`<span class="status bad" role="alert">run failed: ${r.message} (showing the last good run)</span>`;
    if (Object.keys(s.fieldErrors).length > 0) return html`<span class="status bad">fix the highlighted setting; the last good run stays on screen</span>`;
    if (this.exportNote) return html`<span class="status ${this.exportNote.bad ? 'bad' : ''}" role="status">${this.exportNote.text}</span>`;
    return null;
  }

  private trainSetting(field: string, raw: string): void {
    const settings = this.snap?.state.view.train;
    if (!settings) return;
    const r = withSetting(settings, field, raw);
    const { [field]: _, ...others } = this.trainErrors;
    this.trainErrors = r.ok ? others : { ...others, [field]: r.message };
    if (r.ok) this.store?.setView({ train: r.settings });
  }

  /** A story preset: its settings (in the link too) and a fresh run of them. */
  private trainPreset(id: string): void {
    const preset = trainPresetById(id);
    const session = this.train;
    if (!preset || !session) return;
    const check = trainConfigOf(preset.settings);
    this.trainErrors = check.ok ? {} : { settings: check.problems.map((p) => p.message).join('; ') };
    this.store?.setView({ train: preset.settings });
    if (check.ok) session.start(check.config);
  }

  private async trainCommand(e: TrainCommandEvent): Promise<void> {
    const settings = this.snap?.state.view.train;
    const session = this.train;
    if (!settings || !session) return;
    const check = trainConfigOf(settings);
    switch (e.command) {
      case 'start':
      case 'step':
        if (!check.ok) {
          this.trainErrors = { ...this.trainErrors, settings: check.problems.map((p) => p.message).join('; ') };
          return;
        }
        if (e.command === 'start') session.start(check.config);
        else session.step(check.config);
        return;
      case 'pause':
        return session.pause();
      case 'resume':
        return session.resume();
      case 'reset':
        return session.reset();
      case 'add-model': {
        const m = nextModel(settings);
        if (m) this.store?.setView({ train: { ...settings, models: [...settings.models, m] } });
        return;
      }
      case 'remove-model':
        if (settings.models.length > 1) {
          this.trainErrors = {};
          this.store?.setView({ train: { ...settings, models: settings.models.filter((_, k) => k !== e.model) } });
        }
        return;
      case 'defaults':
        this.trainErrors = {};
        this.store?.setView({ train: { ...settings, models: DEFAULT_TRAIN.models } });
        return;
      case 'svg':
      case 'png': {
        const t = session.snapshot;
        if (!t.config || t.rows.length === 0) return;
        const input = { config: t.config, rows: t.rows, labels: t.config.models.map(specLabel), divergences: t.divergences };
        const stem = `loss-${trainFileBase(t.config)}${t.status === 'done' ? '' : `-at${Math.max(0, t.iteration)}`}`;
        try {
          saveFile(await exportLossFigure(input, e.command, stem));
          const { export: _, ...others } = this.trainErrors;
          this.trainErrors = others;
        } catch (err) {
          this.trainErrors = { ...this.trainErrors, export: `the loss figure could not be written: ${err instanceof Error ? err.message : String(err)}` };
        }
        return;
      }
      case 'open-gradient':
        return this.openTrainedW(e.model, e.iteration);
      case 'csv':
      case 'bundle': {
        const result = session.snapshot.result;
        if (!result) return;
        const base = trainFileBase(result.config);
        if (e.command === 'csv') {
          const { curvesCsv } = await import('../export/train.ts');
          saveFile({ name: `curves-${base}.csv`, mime: 'text/csv', blob: new Blob([curvesCsv(result)], { type: 'text/csv' }) });
        } else {
          const { trainBundleToJson } = await import('../core/train/bundle.ts');
          saveFile({ name: `train-${base}.json`, mime: 'application/json', blob: new Blob([trainBundleToJson(result)], { type: 'application/json' }) });
        }
        return;
      }
    }
  }

  /**
   * Open the gradient view on model k's W at checkpoint `iteration` (core/train/gradient.ts): the
   * field is computed on the float64 reference in the export worker and shown like an opened
   * bundle, the rho slider at W's own spectral radius.
   */
  private async openTrainedW(k: number, iteration: number): Promise<void> {
    const t = this.train?.snapshot;
    const s = this.snap;
    const cp = t?.checkpoints.find((c) => c.model === k && c.iteration === iteration);
    if (!t?.config || !s || !cp) return;
    const model = t.config.models[k];
    let radius = 0;
    for (let i = 0; i < cp.re.length; i++) radius = Math.max(radius, Math.hypot(cp.re[i], cp.im[i]));
    const { trainedConfig } = await import('../core/train/gradient.ts');
    const c = trainedConfig(s.state.config, { model, length: t.config.length, seed: t.config.seed, W: cp.W, radius });
    if (!c.ok) {
      this.trainErrors = { ...this.trainErrors, open: `model ${k} at step ${iteration} cannot be opened in the gradient view: ${c.message}` };
      return;
    }
    const { open: _, ...others } = this.trainErrors;
    this.trainErrors = others;
    this.trainNote = `computing the gradient field of model ${k}'s W at step ${iteration} on the float64 reference…`;
    try {
      const field = await trainedFieldInWorker(c.config, cp.W, c.radius);
      const view = s.state.view;
      this.store?.loadField(field, `training: W of model ${k} (${specLabel(model)}) at step ${iteration}, rho = its radius ${formatNumber(c.radius)}`, {
        shown: view.field,
        rho: c.radius,
        camera: view.camera,
      });
      this.store?.setView({ tab: 'gradient' });
    } catch (err) {
      this.trainErrors = { ...this.trainErrors, open: `the gradient field of model ${k} could not be computed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      this.trainNote = null;
    }
  }

  private renderTabs(tab: Tab) {
    const names: Record<Tab, string> = { gradient: 'Gradient at initialisation', train: 'Training' };
    return html`<nav class="tabs" role="tablist" aria-label="View">
      ${TABS.map(
        (t) => html`<button role="tab" data-tab=${t} aria-selected=${t === tab ? 'true' : 'false'} @click=${() => this.store?.setView({ tab: t })}>${names[t]}</button>`,
      )}
    </nav>`;
  }

  override render() {
    const s = this.snap;
    if (!s) return html`<p>starting…</p>`;
    if (s.state.view.tab === 'train' && !s.state.view.embed) {
      return html`<header>
          <h1>RNN Gradient Lab</h1>
          ${this.renderTabs('train')}
          <span class="sub">train vanilla RNNs side by side on a long-memory task: loss, gradient norms and W's eigenvalues as they learn</span>
        </header>
        <div class="main train">
          <train-view .settings=${s.state.view.train} .snapshot=${this.trainSnap} .errors=${this.trainErrors} .note=${this.trainNote}></train-view>
        </div>`;
    }
    const { config, view } = s.state;
    const plots = this.plots();
    const sl = this.slice();
    // The row the plots of the last sweep mark: during a drag, the one from before it (heldSnapshot).
    const held = this.heldSnapshot(s);
    const k = s.dragging ? this.markerK(held) : (sl?.k ?? -1);
    const preset = presetById(held.state.view.preset) ?? null;
    const compare = !!s.result?.b && !!plots?.b;
    const aName = compareName(s.result?.a.config ?? config, view.compare);
    const bName = s.result?.b ? compareName(s.result.b.config, view.compare) : '';
    const heading = (name: string) => `${name} · ${SHOWN_SHORT[view.field]}`;
    // While an eigenvalue is dragged the plots other than the slice are knowingly behind: no note
    // (it would shift the layout under the pointer); it comes back if the full sweep lags after the drag.
    const stale = s.dragging ? null : staleness(s);
    const editor = this.spectrumEditor(s);
    return html`${this.renderProgress()} ${this.renderConfirm()}
      ${this.dropping ? html`<div class="drop" aria-hidden="true"><span>Drop a run bundle (run-….json) to open it</span></div>` : null}
      <header>
        <h1>RNN Gradient Lab</h1>
        ${view.embed ? null : this.renderTabs('gradient')}
        <span class="sub">how the spectral radius ρ of W and the activation decide whether BPTT gradients vanish or explode</span>
        ${this.renderStatus()}
        <lab-badge .backend=${s.backend} .result=${s.result} choice=${view.backend} ?readonly=${view.embed}></lab-badge>
      </header>
      <main class="main">
        ${view.embed
          ? null
          : html`<aside
              id="settings-drawer"
              aria-label="Settings"
              class=${this.drawerOpen ? 'open' : ''}
              @keydown=${(e: KeyboardEvent) => {
                if (e.key === 'Escape' && this.drawerOpen) this.closeDrawer();
              }}
            >
              <button class="drawer-close" aria-label="Close the settings" @click=${() => this.closeDrawer()}>✕</button>
              ${s.linkProblems.length > 0
                ? html`<div class="problems" role="alert">
                    Some settings in the link were not used:
                    <ul>${s.linkProblems.slice(0, 8).map((m) => html`<li>${m}</li>`)}</ul>
                    <button @click=${() => this.store?.dismissLinkProblems()}>Dismiss</button>
                  </div>`
                : null}
              <h2 class="side">Presets</h2>
              <lab-presets .preset=${preset} ?modified=${preset ? !presetMatches(preset, held.state.config) : false}></lab-presets>
              <h2 class="side" style="margin-top:12px">Settings</h2>
              <lab-controls .config=${held.state.config} .drafts=${held.drafts} .errors=${held.fieldErrors}></lab-controls>
            </aside>`}
        <section class="plots ${stale ? 'stale' : ''}" aria-label="Plots">
          <div class="bar">
            ${view.embed
              ? null
              : html`<button class="drawer-toggle" aria-controls="settings-drawer" aria-expanded=${this.drawerOpen ? 'true' : 'false'} @click=${() => this.openDrawer()}>
                  ☰ Settings${s.linkProblems.length > 0 || Object.keys(s.fieldErrors).length > 0 ? html` <span class="status bad">⚠ see inside</span>` : null}
                </button>`}
            ${view.embed
              ? null
              : html`<label
                    >Show
                    <select
                      class="show"
                      aria-label="Field shown on the surface, the heatmap and the slice chart"
                      @change=${(e: Event) => this.store?.setView({ field: (e.target as HTMLSelectElement).value as ShownField })}
                    >
                      ${SHOWN_FIELDS.map((f) => {
                        const absent = s.result ? absentIn(s.result.a, f) : false;
                        return html`<option value=${f} ?selected=${f === view.field} ?disabled=${absent}>${SHOWN_LABEL[f]}${absent ? ' (not in this file)' : ''}</option>`;
                      })}
                    </select></label
                  >`}
            <lab-slider .values=${s.result?.a.rho ?? null} .rho=${view.rho} axis=${sweepAxis(s.result?.a.config ?? config).symbol}></lab-slider>
            ${view.embed
              ? null
              : html`<label
                  >Compare with
                  <select
                    aria-label="Compare mode: activation of configuration B, or B with untied weights"
                    @change=${(e: Event) => this.store?.setView({ compare: (e.target as HTMLSelectElement).value as CompareMode })}
                  >
                    ${COMPARE_OPTIONS.map((o) => html`<option value=${o} ?selected=${o === view.compare}>${compareOptionLabel(o)}</option>`)}
                  </select></label
                >`}
            ${view.embed
              ? null
              : html`<lab-export
                  ?disabled=${!s.result}
                  ?compare=${compare}
                  ?busy=${s.run.status === 'running'}
                  .imported=${s.imported}
                  .importError=${this.importError}
                ></lab-export>`}
            ${!s.result && s.run.status !== 'running' && !s.confirm && !view.embed
              ? html`<div class="stale-note" role="status" data-stale>
                  <span>Nothing computed yet for these settings.</span>
                  <button @click=${() => this.store?.requestRun()}>Run the settings</button>
                </div>`
              : null}
            ${stale
              ? html`<div class="stale-note" role="status" data-stale>
                  <span>⚠ ${stale}${s.run.status === 'running' ? '; the new run is computing' : ''}.</span>
                  ${s.run.status === 'running' || view.embed ? null : html`<button @click=${() => this.store?.requestRun()}>Run the settings</button>`}
                </div>`
              : null}
          </div>
          <div class="row top ${compare ? 'compare' : ''}">
            ${compare && this.noWebGL
              ? html`<lab-heatmap id="heat-a" lockable .data=${plots?.heatA ?? null} .markerK=${k} heading=${heading(`A (${aName})`)}></lab-heatmap>
                  <lab-heatmap id="heat-b" .data=${plots?.heatB ?? null} .markerK=${k} heading=${heading(`B (${bName})`)}></lab-heatmap>`
              : html`<lab-surface
                    id="surface-a"
                    .data=${plots?.a ?? null}
                    .sliceK=${k}
                    .camera=${view.camera}
                    heading=${compare ? heading(`A (${aName})`) : heading('3D surface')}
                  ></lab-surface>
                  ${compare
                    ? html`<lab-surface id="surface-b" .data=${plots?.b ?? null} .sliceK=${k} .camera=${view.camera} heading=${heading(`B (${bName})`)}></lab-surface>`
                    : html`<lab-heatmap id="heat-a" lockable .data=${plots?.heatA ?? null} .markerK=${k} heading=${heading('Heatmap')}></lab-heatmap>`}`}
          </div>
          <div class="row bottom ${compare ? 'compare' : ''}">
            ${compare
              ? html`<lab-heatmap id="heat-diff" .data=${plots?.diff ?? null} .markerK=${k} heading=${`A − B: ${aName} − ${bName}`}></lab-heatmap>`
              : null}
            <lab-slice .data=${sl?.slice ?? null} .overlays=${view.overlays}></lab-slice>
            <lab-derivative .data=${this.derivative()} .step=${this.derivStep ?? s.result?.a.T ?? 1}></lab-derivative>
            <lab-rate .data=${this.rate()} .sliceK=${k}></lab-rate>
            ${editor
              ? html`<lab-spectrum .spectrum=${editor.spectrum} .editor=${editor.editor} note=${sharedLayersNote(config)}></lab-spectrum>`
              : s.result?.a.config.sweep === 'outlier'
              ? // The outlier axis: the eigenvalues of W_k itself (its first outlier moved), not a scaled W0.
                html`<lab-spectrum
                  .spectrum=${movedSpectrum(s.result.a.spectrum, s.result.a.config.outliers, sl?.slice.rho ?? view.rho)}
                  .rho=${1}
                  .rhoMax=${1}
                  matrix=${`W at ${sweepAxis(s.result.a.config).symbol} = ${(sl?.slice.rho ?? view.rho).toFixed(3)}`}
                  note=${sharedLayersNote(s.result.a.config)}
                ></lab-spectrum>`
              : s.layer
              ? // Untied gaussian or orthogonal layers: one layer's own W0_t (store.ts fillLayer), never the tied W0's.
                html`<lab-spectrum
                  .spectrum=${s.layer.spectrum}
                  .rho=${sl?.slice.rho ?? view.rho}
                  .rhoMax=${s.result ? s.result.a.rho[s.result.a.K - 1] : config.rhoMax}
                  matrix=${`ρ·W0_${s.layer.t}`}
                  .layer=${{ t: s.layer.t, T: s.layer.T }}
                  note=${s.layer.message ? `layer ${s.layer.t}: ${s.layer.message}` : ''}
                ></lab-spectrum>`
              : html`<lab-spectrum
                  .spectrum=${s.result?.a.spectrum ?? null}
                  .rho=${sl?.slice.rho ?? view.rho}
                  .rhoMax=${s.result ? s.result.a.rho[s.result.a.K - 1] : config.rhoMax}
                  note=${s.result ? sharedLayersNote(s.result.a.config) : ''}
                ></lab-spectrum>`}
          </div>
        </section>
      </main>
      ${view.embed ? html`<a class="embed-link" href=${labUrl()} target="_blank" rel="noopener">open in the lab ↗</a>` : null}`;
  }

  private async openDrawer(): Promise<void> {
    this.drawerOpen = true;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('.drawer-close')?.focus();
  }

  private closeDrawer(): void {
    this.drawerOpen = false;
    this.renderRoot.querySelector<HTMLElement>('.drawer-toggle')?.focus();
  }
}

/**
 * The eigenvalue plot's caption for untied weights whose layers all have the eigenvalues shown
 * (init spectrum: W0_t = Q_t B Q_t^T with the same B; identity: every W0_t is I); '' otherwise
 * (tied weights, or gaussian and orthogonal layers, which the plot shows one at a time).
 */
function sharedLayersNote(config: Pick<Config, 'weights' | 'init'>): string {
  if (config.weights !== 'untied') return '';
  if (config.init === 'spectrum') return 'untied: every layer W0_t = Q_t B Q_t^T has these eigenvalues (each its own eigenvectors Q_t)';
  if (config.init === 'identity') return 'untied: every layer W0_t is I, the same matrix';
  return '';
}

/** This page's address without embed=1: the full lab with the same settings. */
function labUrl(): string {
  const hash = location.hash.replace(/^#/, '').split('&').filter((p) => p !== '' && !p.startsWith('embed=')).join('&');
  return `${location.origin}${location.pathname}${location.search}${hash ? `#${hash}` : ''}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-app': LabApp;
  }
}
