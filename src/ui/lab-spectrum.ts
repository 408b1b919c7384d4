/**
 * <lab-spectrum>: the eigenvalues of the network shown in the complex plane with the unit circle.
 * As the slider moves, they scale with rho and cross the circle; the spectral radius and
 * spectral norm are shown as numbers.
 *
 * With `editor` set (init spectrum) the plot is an editor: the outliers and the bulk's radius are
 * handles to drag (mouse, pen or touch: pointer events, touch-action none), to move with the
 * arrow keys (Shift: ten times the step) or to remove (Delete); + or a double click adds an
 * outlier. It only emits SpectrumEditEvent / SpectrumDragEndEvent: the store applies the edits.
 *
 * Untied weights give each step its own W0_t. Where the layers' eigenvalues differ (gaussian,
 * orthogonal) the host passes one layer's spectrum and `layer`: the caption says which layer of T
 * is shown, with controls to pick another (SpectrumLayerEvent). Where they do not (spectrum,
 * identity), `note` says that every layer has the eigenvalues shown.
 */
import { html, LitElement, css, svg, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Spectrum } from '../core/spectrum.ts';
import type { SpectrumEdit } from '../core/spectrum-edit.ts';
import type { BulkSpec } from '../core/spectrum-init.ts';
import { labelledTicks } from '../export/ticks.ts';
import { chartStyles, panelStyles, svgTextStyles } from './theme.ts';
import { PlotSizeController } from './plot-size.ts';
import { SpectrumDragEndEvent, SpectrumEditEvent, SpectrumLayerEvent } from './spectrum-events.ts';

/** What the editor shows and allows (all positions in the plot's units: the shown network's eigenvalues). */
export interface SpectrumEditor {
  /** Each outlier (the upper one of a pair). */
  outliers: { re: number; im: number }[];
  bulk: BulkSpec;
  /** Why no outlier can be added, or null. */
  addProblem: string | null;
  /** Per outlier: why it cannot be removed, or null. */
  removeProblems: (string | null)[];
  /** The last edit refused, or the live row's failure; null otherwise. */
  message: string | null;
  /** The live row's last compute, in words ("live row 8 ms, cpu"), or null. */
  liveNote: string | null;
  /** What the shown network is, in words ("ρ = 1.000 · W0", "W0 with |λ₁| = 1.100"). */
  title: string;
}

/** A pointer this close to the real axis (CSS pixels) puts the eigenvalue on it. */
const AXIS_SNAP_PX = 5;
/** Arrow-key step in the plot's units (Shift: ten times). */
const KEY_STEP = 0.01;
/** Where the + button puts a new outlier: the first of these not already taken. */
const ADD_SPOTS: readonly [number, number][] = [
  [1.05, 0],
  [-1.05, 0],
  [0.7, 0.7],
  [-0.7, 0.7],
  [0.5, 0],
];

type Handle = { kind: 'outlier'; index: number } | { kind: 'bulk' };

@customElement('lab-spectrum')
export class LabSpectrum extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    chartStyles,
    css`
      .nums {
        display: flex;
        gap: 6px 14px;
        padding: 3px 10px 5px;
        border-top: 1px solid var(--border);
        font-size: calc(12px * var(--s, 1));
        flex-wrap: wrap;
        align-items: center;
      }
      .nums b {
        font-family: var(--mono);
        font-weight: 600;
      }
      .editing svg {
        touch-action: none;
        user-select: none;
      }
      .handle {
        cursor: grab;
        outline: none;
      }
      .handle:focus-visible .ring,
      .handle.selected .ring {
        stroke: var(--fg);
        stroke-width: 2.5;
      }
      .handle:focus-visible .focus {
        display: inline;
      }
      .focus {
        display: none;
      }
      .tools button {
        font: inherit;
        font-size: calc(12px * var(--s, 1));
        padding: 1px 7px;
      }
      .msg {
        color: var(--bad, #c0392b);
      }
      .muted {
        color: var(--muted);
      }
      .caption {
        display: flex;
        gap: 4px 6px;
        align-items: center;
        flex-wrap: wrap;
        padding: 2px 10px;
        font-size: calc(12px * var(--s, 1));
        color: var(--muted);
      }
      .caption .pick {
        display: inline-flex;
        gap: 4px;
        align-items: center;
        white-space: nowrap;
      }
      .caption b {
        color: var(--fg);
        font-weight: 600;
      }
      .caption button {
        font: inherit;
        padding: 0 6px;
      }
      .caption input {
        font: inherit;
        width: 3.2em;
        padding: 0 2px;
      }
    `,
  ];

  @property({ attribute: false }) spectrum: Spectrum | null = null;
  @property({ type: Number }) rho = 1;
  /** Largest rho of the sweep: fixes the plot's scale so moving the slider moves the points. */
  @property({ type: Number }) rhoMax = 1.5;
  /**
   * The matrix whose eigenvalues are shown, for the heading: ρ·W0 (the points are the spectrum
   * times rho), or on the outlier axis W itself with its outlier moved ("W at |λ₁| = 1.100").
   */
  @property({ type: String }) matrix = 'ρ·W0';
  /** The editor (init spectrum), or null: the plot only shows. */
  @property({ attribute: false }) editor: SpectrumEditor | null = null;
  /** Untied weights whose layers differ: the layer t of T whose W0_t is shown; null otherwise. */
  @property({ attribute: false }) layer: { t: number; T: number } | null = null;
  /** A caption under the heading (untied weights whose layers all have these eigenvalues; a failure), or ''. */
  @property({ type: String }) note = '';

  /** The outlier last focused or dragged: what the − button removes. */
  @state() private selected = 0;
  private readonly plot = new PlotSizeController(this);
  /**
   * The drag in progress: the handle, and the plot's scale and size frozen at its start, so that
   * the point stays under the pointer even if the panel's layout changes meanwhile.
   */
  private drag: { handle: Handle; reach: number; size: { w: number; h: number }; box: DOMRect; pointerId: number } | null = null;
  /** The latest pointer position not yet sent (one edit per animation frame). */
  private pendingMove: { x: number; y: number } | null = null;
  private frame = 0;
  /** The scale of the last render (plot units at the edge). */
  private reach = 1.5;
  /** Arrow keys held down on a handle (the keyboard's drag ends when the last is released). */
  private keysDown = new Set<string>();

  private get size(): { w: number; h: number } {
    return this.drag?.size ?? this.plot.size;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  private geometry(reach: number) {
    const { w, h } = this.size;
    const cx = w / 2;
    const cy = h / 2;
    const R = Math.max(10, Math.min(w, h) / 2 - 18);
    return { cx, cy, R, px: (v: number) => cx + (v / reach) * R, py: (v: number) => cy - (v / reach) * R };
  }

  /** The plot's scale: the largest |lambda| shown (and the unit circle) with a margin; an editor leaves room to drag past 1. */
  private reachFor(s: Spectrum): number {
    if (this.drag) return this.drag.reach;
    if (this.editor) {
      const handles = Math.max(this.editor.bulk.radius, ...this.editor.outliers.map((o) => Math.hypot(o.re, o.im)), 0);
      return Math.max(1.4, s.radius * 1.1, handles * 1.1);
    }
    return Math.max(1.05, s.radius * this.rhoMax * 1.05, s.radius * this.rho * 1.05);
  }

  private emit(edit: SpectrumEdit, mode: 'drag' | 'commit'): void {
    this.dispatchEvent(new SpectrumEditEvent(edit, mode));
  }

  private editAt(handle: Handle, re: number, im: number): SpectrumEdit {
    return handle.kind === 'bulk' ? { kind: 'radius', radius: Math.hypot(re, im) } : { kind: 'move', index: handle.index, re, im };
  }

  /**
   * The client point in the plot's units, with the frozen scale of the drag; within AXIS_SNAP_PX
   * of the real axis it is on it (a real eigenvalue: a hand cannot hold a pointer at exactly 0).
   */
  private toPlot(clientX: number, clientY: number, reach: number): { re: number; im: number } {
    // During a drag the box measured at its start: asking again on every move would force a
    // layout of the page in the middle of each frame (profiled: the largest main-thread cost of a drag).
    const box = this.drag?.box ?? this.renderRoot.querySelector('.plot')!.getBoundingClientRect();
    const { cx, cy, R } = this.geometry(reach);
    const dy = clientY - box.top - cy;
    return { re: ((clientX - box.left - cx) / R) * reach, im: Math.abs(dy) < AXIS_SNAP_PX ? 0 : (-dy / R) * reach };
  }

  private onPointerDown(e: PointerEvent, handle: Handle): void {
    if (e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    (e.currentTarget as SVGElement).focus({ preventScroll: true });
    if (handle.kind === 'outlier') this.selected = handle.index;
    this.renderRoot.querySelector('svg')!.setPointerCapture(e.pointerId);
    const box = this.renderRoot.querySelector('.plot')!.getBoundingClientRect();
    this.drag = { handle, reach: this.reach, size: this.plot.size, box, pointerId: e.pointerId };
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.drag || e.pointerId !== this.drag.pointerId) return;
    e.preventDefault();
    this.pendingMove = { x: e.clientX, y: e.clientY };
    // Pointer events can come faster than frames: one edit per frame, the latest position.
    this.frame ||= requestAnimationFrame(() => this.flushMove());
  }

  private flushMove(): void {
    this.frame = 0;
    const d = this.drag;
    const m = this.pendingMove;
    this.pendingMove = null;
    if (!d || !m) return;
    const z = this.toPlot(m.x, m.y, d.reach);
    this.emit(this.editAt(d.handle, z.re, z.im), 'drag');
  }

  private onPointerUp(e: PointerEvent): void {
    if (!this.drag || e.pointerId !== this.drag.pointerId) return;
    this.flushMove();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.drag = null;
    this.dispatchEvent(new SpectrumDragEndEvent());
    this.requestUpdate();
  }

  private onHandleKey(e: KeyboardEvent, handle: Handle, at: { re: number; im: number }): void {
    const step = (e.shiftKey ? 10 : 1) * KEY_STEP;
    const arrows: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const move = arrows[e.key];
    if (move) {
      e.preventDefault();
      this.keysDown.add(e.key);
      if (handle.kind === 'bulk') {
        // Right and up make the bulk larger, left and down smaller.
        const r = Math.max(0, Math.hypot(at.re, at.im) + (move[0] + move[1]));
        this.emit({ kind: 'radius', radius: r }, 'drag');
      } else this.emit({ kind: 'move', index: handle.index, re: at.re + move[0], im: at.im + move[1] }, 'drag');
      return;
    }
    if (handle.kind === 'outlier' && (e.key === 'Delete' || e.key === 'Backspace' || e.key === '-')) {
      e.preventDefault();
      this.removeOutlier(handle.index);
    }
  }

  private onHandleKeyUp(e: KeyboardEvent): void {
    if (!this.keysDown.delete(e.key) || this.keysDown.size > 0) return;
    this.dispatchEvent(new SpectrumDragEndEvent());
  }

  private onHandleBlur(): void {
    if (this.keysDown.size === 0) return;
    this.keysDown.clear();
    this.dispatchEvent(new SpectrumDragEndEvent());
  }

  private onPlotKey(e: KeyboardEvent): void {
    if (e.key === '+' || e.key === '=') {
      e.preventDefault();
      this.add();
    }
  }

  private add(at?: { re: number; im: number }): void {
    const ed = this.editor;
    if (!ed || ed.addProblem) return;
    const free = ADD_SPOTS.find(([re, im]) => ed.outliers.every((o) => Math.hypot(o.re - re, o.im - im) > 0.05)) ?? ADD_SPOTS[0];
    const z = at ?? { re: free[0], im: free[1] };
    this.selected = ed.outliers.length;
    this.emit({ kind: 'add', re: z.re, im: z.im }, 'commit');
  }

  private removeOutlier(index: number): void {
    const ed = this.editor;
    if (!ed || ed.removeProblems[index] !== null) return;
    this.selected = Math.max(0, index - 1);
    this.emit({ kind: 'remove', index }, 'commit');
  }

  private pickLayer(t: number): void {
    const l = this.layer;
    if (!l || !Number.isFinite(t)) return;
    const next = Math.min(l.T, Math.max(1, Math.round(t)));
    if (next !== l.t) this.dispatchEvent(new SpectrumLayerEvent(next));
  }

  private renderCaption() {
    const l = this.layer;
    if (!l) return this.note ? html`<div class="caption" data-note>${this.note}</div>` : nothing;
    return html`<div class="caption" data-layer=${l.t} title=${`untied weights: each layer t has its own W0_t; the plot shows the eigenvalues of layer ${l.t} of ${l.T}`}>
      <span class="why">untied: each layer has its own W0_t</span>
      <span class="pick">
        layer
        <button title="the previous layer" aria-label="previous layer" ?disabled=${l.t <= 1} @click=${() => this.pickLayer(l.t - 1)}>‹</button>
        <input
          type="number"
          min="1"
          max=${l.T}
          step="1"
          aria-label=${`layer t, 1 to ${l.T}`}
          .value=${String(l.t)}
          @change=${(e: Event) => this.pickLayer(Number((e.target as HTMLInputElement).value))}
        />
        <button title="the next layer" aria-label="next layer" ?disabled=${l.t >= l.T} @click=${() => this.pickLayer(l.t + 1)}>›</button>
        of <b>${l.T}</b>
      </span>
      ${this.note ? html`<span class="msg">${this.note}</span>` : nothing}
    </div>`;
  }

  private renderHandles(px: (v: number) => number, py: (v: number) => number) {
    const ed = this.editor!;
    const out = [];
    const b = ed.bulk;
    // The bulk: its disk or circle dashed, or its segment; the radius handle at -45 degrees.
    if (b.shape === 'segment') out.push(svg`<line x1=${px(-b.radius)} x2=${px(b.radius)} y1=${py(0)} y2=${py(0)} stroke="var(--series-a)" stroke-width="3" opacity="0.35"></line>`);
    else out.push(svg`<circle cx=${px(0)} cy=${py(0)} r=${px(b.radius) - px(0)} fill="none" stroke="var(--series-a)" stroke-dasharray="4 3" opacity="0.7"></circle>`);
    const bAt = { re: b.radius * Math.SQRT1_2, im: -b.radius * Math.SQRT1_2 };
    out.push(svg`<g class="handle" data-handle="bulk" tabindex="0" role="button" aria-roledescription="draggable"
      aria-label=${`Bulk radius ${b.radius.toFixed(3)} (${b.shape}); drag it, or use the arrow keys (Shift: larger steps)`}
      @pointerdown=${(e: PointerEvent) => this.onPointerDown(e, { kind: 'bulk' })}
      @keydown=${(e: KeyboardEvent) => this.onHandleKey(e, { kind: 'bulk' }, bAt)}
      @keyup=${(e: KeyboardEvent) => this.onHandleKeyUp(e)} @blur=${() => this.onHandleBlur()}>
      <circle cx=${px(bAt.re)} cy=${py(bAt.im)} r="14" fill="transparent"></circle>
      <rect class="ring" x=${px(bAt.re) - 5} y=${py(bAt.im) - 5} width="10" height="10" fill="var(--panel)" stroke="var(--series-a)" stroke-width="2"></rect>
      <text class="focus" x=${px(bAt.re) + 9} y=${py(bAt.im) + 12} style="fill:var(--fg)">r = ${b.radius.toFixed(3)}</text>
    </g>`);
    ed.outliers.forEach((o, i) => {
      const outside = Math.hypot(o.re, o.im) > 1 + 1e-9;
      const colour = outside ? 'var(--series-b)' : 'var(--series-a)';
      const pair = o.im !== 0;
      const words = `Outlier ${i + 1} at ${o.re.toFixed(3)} ${pair ? `± ${o.im.toFixed(3)}i (a conjugate pair)` : '(real)'}, |λ| = ${Math.hypot(o.re, o.im).toFixed(3)}; drag it or use the arrow keys (Shift: larger steps); Delete removes it`;
      if (pair) out.push(svg`<circle cx=${px(o.re)} cy=${py(-o.im)} r="6" fill="none" stroke=${colour} stroke-width="1.5" stroke-dasharray="2 2"></circle>`);
      out.push(svg`<g class="handle ${this.selected === i ? 'selected' : ''}" data-handle=${`outlier-${i}`} tabindex="0" role="button" aria-roledescription="draggable" aria-label=${words}
        @pointerdown=${(e: PointerEvent) => this.onPointerDown(e, { kind: 'outlier', index: i })}
        @focus=${() => (this.selected = i)}
        @keydown=${(e: KeyboardEvent) => this.onHandleKey(e, { kind: 'outlier', index: i }, o)}
        @keyup=${(e: KeyboardEvent) => this.onHandleKeyUp(e)} @blur=${() => this.onHandleBlur()}>
        <circle cx=${px(o.re)} cy=${py(o.im)} r="16" fill="transparent"></circle>
        <circle class="ring" cx=${px(o.re)} cy=${py(o.im)} r="7" fill=${colour} fill-opacity="0.35" stroke=${colour} stroke-width="2"></circle>
        <text x=${px(o.re) + 10} y=${py(o.im) - 8} style="fill:var(--fg)">λ${i + 1}</text>
        <text class="focus" x=${px(o.re) + 10} y=${py(o.im) + 16} style="fill:var(--fg)">${o.re.toFixed(3)}${pair ? ` ± ${o.im.toFixed(3)}i` : ''}</text>
      </g>`);
    });
    return out;
  }

  override render() {
    const s = this.spectrum;
    const ed = this.editor;
    const { w } = this.size;
    const ok = s && Number.isFinite(s.radius) && s.re.length > 0;
    // With an editor the spectrum is already the shown network's; without, it scales with rho.
    const rho = ed ? 1 : this.rho;
    let body = null;
    if (ok && w > 0) {
      const reach = this.reachFor(s);
      this.reach = reach;
      const { cx, cy, R, px, py } = this.geometry(reach);
      const t = labelledTicks(-reach, reach, 4).filter((v) => v.value !== 0);
      const pts = [];
      for (let i = 0; i < s.re.length; i++) {
        const re = s.re[i] * rho;
        const im = s.im[i] * rho;
        // Eigenvalues of an orthogonal W0 lie on the circle up to the eigensolver's ~1e-8: not "outside".
        const out = Math.hypot(re, im) > 1 + 1e-6;
        pts.push(svg`<circle cx=${px(re)} cy=${py(im)} r="3" fill=${out ? 'var(--series-b)' : 'var(--series-a)'} opacity="0.85"></circle>`);
      }
      body = svg`
        <line x1=${px(-reach)} x2=${px(reach)} y1=${cy} y2=${cy} stroke="var(--border)"></line>
        <line x1=${cx} x2=${cx} y1=${py(reach)} y2=${py(-reach)} stroke="var(--border)"></line>
        ${t.map((v) => svg`<text x=${px(v.value)} y=${cy + 13} text-anchor="middle" style="fill:var(--muted)">${v.label}</text>`)}
        <text x=${px(reach) - 2} y=${cy - 5} text-anchor="end" style="fill:var(--muted)">Re</text>
        <text x=${cx + 5} y=${py(reach) + 10} style="fill:var(--muted)">Im</text>
        <circle cx=${cx} cy=${cy} r=${R / reach} fill="none" stroke="#ff8c1a" stroke-width="1.5"></circle>
        <text x=${px(0.72)} y=${py(0.72) - 3} style="fill:#ff8c1a">|λ| = 1</text>
        ${pts}
        ${ed ? this.renderHandles(px, py) : nothing}`;
    }
    const radius = ok ? s.radius * rho : NaN;
    const norm = ok ? s.norm * rho : NaN;
    const label = ok
      ? ed
        ? `eigenvalue editor: eigenvalues of ${ed.title}; spectral radius ${radius.toFixed(3)}. Tab to a handle and use the arrow keys to move it; + adds an outlier`
        : this.matrix === 'ρ·W0'
          ? `eigenvalues of rho times W0 at rho ${this.rho.toFixed(3)}; spectral radius ${radius.toFixed(3)}`
          : `eigenvalues of ${this.matrix}; spectral radius ${radius.toFixed(3)}`
      : 'eigenvalues';
    return html`<div class="panel ${ed ? 'editing' : ''}">
      <div class="head"><h2 title=${ed ? `eigenvalues of ${ed.title}` : `eigenvalues of ${this.matrix}`}>${ed ? html`Eigenvalues <span class="muted">· drag to edit</span>` : `Eigenvalues of ${this.matrix}`}</h2></div>
      ${this.renderCaption()}
      <div
        class="plot"
        role=${ed ? 'group' : 'img'}
        aria-label=${label}
        tabindex=${ed ? '-1' : nothing}
        @keydown=${ed ? (e: KeyboardEvent) => this.onPlotKey(e) : nothing}
        @dblclick=${ed ? (e: MouseEvent) => this.add(this.toPlot(e.clientX, e.clientY, this.reach)) : nothing}
      >
        <svg
          width="100%"
          height="100%"
          @pointermove=${(e: PointerEvent) => this.onPointerMove(e)}
          @pointerup=${(e: PointerEvent) => this.onPointerUp(e)}
          @pointercancel=${(e: PointerEvent) => this.onPointerUp(e)}
        >
          ${body}
        </svg>
      </div>
      <div class="nums">
        <span title="max |λ| of the network shown">${ed ? 'radius' : 'spectral radius'} <b>${ok ? radius.toFixed(3) : '…'}</b></span>
        <span title="largest singular value of the network shown">${ed ? 'norm' : 'spectral norm'} <b>${ok ? norm.toFixed(3) : '…'}</b></span>
        <span class="note"><span class="swatch" style="background:var(--series-b)"></span>${ed ? '|λ| > 1' : 'outside the unit circle'}</span>
        ${ed
          ? html`<span class="tools">
                <button title=${ed.addProblem ?? 'add an outlier (or press + on the plot, or double-click where it should go)'} ?disabled=${!!ed.addProblem} @click=${() => this.add()}>+ outlier</button>
                <button
                  title=${ed.outliers.length === 0 ? 'no outlier to remove' : (ed.removeProblems[this.selected] ?? `remove outlier ${this.selected + 1} (or press Delete on it)`)}
                  ?disabled=${ed.outliers.length === 0 || ed.removeProblems[Math.min(this.selected, ed.outliers.length - 1)] !== null}
                  @click=${() => this.removeOutlier(Math.min(this.selected, ed.outliers.length - 1))}
                >
                  − λ${Math.min(this.selected, ed.outliers.length - 1) + 1}
                </button>
              </span>
              ${ed.liveNote ? html`<span class="muted" data-live>${ed.liveNote}</span>` : nothing}
              ${ed.message ? html`<span class="msg" role="status">${ed.message}</span>` : nothing}`
          : nothing}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-spectrum': LabSpectrum;
  }
}
