/**
 * <lab-heatmap>: a (rho, t) grid as an image (rho up, t right) with axes, a colour bar, a
 * marker at the slider's rho and a readout of the cell under the pointer (or the keyboard
 * cursor: focus the plot and use the arrow keys). Cells are coloured by src/export/colormap.ts,
 * pixel by pixel as the exported PNG is (each pixel shows the cell under its centre), so a cell
 * has the same colour here and in the file; overflow cells carry the same hatch and are read
 * out as "overflow", never as a number.
 */
import { html, LitElement, css, svg, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cellColourInto, cssGradient, flaggedWords, HATCH_BACK, HATCH_LINE, isHatchLine, type CellCounts, type ColormapName, type ColourRange } from '../export/colormap.ts';
import { formatCell, labelledTicks, stepTicks } from '../export/ticks.ts';
import { ColourLockEvent } from './events.ts';
import { panelStyles, uiScale, svgTextStyles, colourBarStyles } from './theme.ts';
import { PlotSizeController } from './plot-size.ts';

export interface HeatmapData {
  /** [K, T] row-major. */
  values: Float64Array;
  /** [K, T] 1 = overflow / undefined. */
  overflow: Uint8Array;
  K: number;
  T: number;
  /** [K] the swept values. */
  rho: Float64Array;
  /** The swept axis's symbol (ρ, or |λ₁| for the outlier axis); ρ when absent. */
  axis?: string;
  range: ColourRange;
  /** How the range was chosen (colormap.ts statisticRange), for the legend: short words and the whole reason. */
  rangeNote?: { short: string; words: string };
  /** The range is one the user locked (colormap.ts lockedRange). */
  locked?: boolean;
  /** Cells drawn otherwise than as their value (overflow, infinities, clamped), for the legend. */
  counts: CellCounts;
  colormap: ColormapName;
  valueLabel: string;
  /** The grid is a difference A - B (src/export/compare.ts): readouts and legend say so. */
  difference: boolean;
  /** What a hatched cell is, where it is not overflow (a grid absent from an imported file). */
  undefinedText?: string;
  /**
   * [K, T] for a mean of logs: the fraction of the `samples` samples that are exactly 0 and left
   * out of the mean (the readout says how many).
   */
  zeros?: { fraction: Float64Array; samples: number };
}

const M0 = { left: 44, right: 8, top: 8, bottom: 30 };

/** The legend's words for cells not drawn as their plain value (the exported figure's legend says the same). */
export function legendNotes(d: HeatmapData): { hatch: boolean; words: string }[] {
  const c = d.counts;
  const out: { hatch: boolean; words: string }[] = [];
  if (c.overflow > 0 && d.undefinedText) out.push({ hatch: true, words: `${d.undefinedText} (${c.overflow} cells)` });
  else if (c.overflow > 0 && d.difference) out.push({ hatch: true, words: `undefined: overflow or out of range in A or B (${c.overflow} cells)` });
  else if (c.overflow > 0) for (const words of flaggedWords(c)) out.push({ hatch: true, words });
  const inf = c.negativeInfinity + c.positiveInfinity;
  if (d.difference && inf > 0) out.push({ hatch: false, words: `${inf} cells exactly zero in one run only (±∞) at the range ends` });
  if (!d.difference && c.negativeInfinity > 0) out.push({ hatch: false, words: `exact zeros (−∞ in log10) at the bottom colour (${c.negativeInfinity} cells)` });
  if (c.clamped > 0) out.push({ hatch: false, words: `${c.clamped} cells outside the range at its ends` });
  return out;
}

@customElement('lab-heatmap')
export class LabHeatmap extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    colourBarStyles,
    css`
      .body {
        flex: 1 1 auto;
        display: flex;
        min-height: 0;
      }
      .plot {
        position: relative;
        flex: 1 1 auto;
        min-width: 0;
      }
      canvas {
        position: absolute;
        image-rendering: pixelated;
        cursor: crosshair;
      }
      svg {
        position: absolute;
        inset: 0;
        pointer-events: none;
        overflow: visible;
      }
      .axis {
        stroke: var(--muted);
      }
      .readout {
        font: calc(12px * var(--s, 1)) var(--mono);
        min-width: 22ch;
        text-align: right;
        color: var(--fg);
      }
      .bar {
        width: calc(58px * var(--s, 1));
        flex: 0 0 calc(58px * var(--s, 1));
        padding: 8px 4px calc(30px * var(--s, 1)) 6px;
        display: flex;
        font-size: calc(11px * var(--s, 1));
      }
      .ramp {
        position: relative;
        width: 12px;
        border-radius: 2px;
      }
      /* Under the title in a narrow panel (theme.ts): from the left, as wide as it needs. */
      @container (max-width: 440px) {
        .readout {
          min-width: 0;
          text-align: left;
        }
      }
      .lock {
        font-size: 0.95em;
        padding: 0 6px;
        border: 1px solid var(--border);
        border-radius: 4px;
        background: var(--input-bg);
        color: var(--fg);
        cursor: pointer;
      }
      .lockrange {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        flex-wrap: wrap;
      }
      .lockrange input {
        width: 7ch;
        font: inherit;
        padding: 0 3px;
      }
      .lockrange .error {
        color: var(--error);
      }
    `,
  ];

  @property({ attribute: false }) data: HeatmapData | null = null;
  @property({ type: Number }) markerK = -1;
  @property({ type: String }) heading = 'Heatmap';
  /** Offers the colour-range lock in the legend (A's heatmap: one control for the field shown). */
  @property({ type: Boolean }) lockable = false;
  @state() private hover: { k: number; j: number } | null = null;
  /** Why the typed colour range was not taken (the field keeps what was typed). */
  @state() private lockError: string | null = null;
  private readonly plot = new PlotSizeController(this);
  private get size(): { w: number; h: number } {
    return this.plot.size;
  }

  /** [K, T, 3] RGB of each cell, and [K, T] 1 where the cell is hatched (overflow); built once per data. */
  private cellRgb: Uint8Array | null = null;
  private cellHatched: Uint8Array | null = null;
  /** What the canvas shows now (cells and size), so slider moves do not redraw it. */
  private drawnKey = '';
  private imageVersion = 0;

  /** The colour of every cell, once per data (slider moves only move the marker). */
  private buildCells(): void {
    const d = this.data;
    if (!d) return;
    const n = d.K * d.T;
    const rgb = new Uint8Array(n * 3);
    const hatched = new Uint8Array(n);
    for (let i = 0; i < n; i++) hatched[i] = cellColourInto(rgb, 3 * i, d.values[i], d.overflow[i], d.range, d.colormap) ? 0 : 1;
    this.cellRgb = rgb;
    this.cellHatched = hatched;
    this.imageVersion++;
  }

  /**
   * Paint W x H device pixels: each pixel shows the cell under its centre (the PNG writer's
   * rule, src/export/heatmap.ts plotPixels), overflow cells the hatch at `scale` device px per CSS px.
   */
  private paint(ctx: CanvasRenderingContext2D, W: number, H: number, scale: number): void {
    const d = this.data!;
    const rgb = this.cellRgb!;
    const hatched = this.cellHatched!;
    const img = ctx.createImageData(W, H);
    const px = img.data;
    const col = new Int32Array(W);
    for (let x = 0; x < W; x++) col[x] = Math.floor(((x + 0.5) * d.T) / W);
    for (let y = 0; y < H; y++) {
      const k = d.K - 1 - Math.floor(((y + 0.5) * d.K) / H); // rho grows upwards
      for (let x = 0; x < W; x++) {
        const i = k * d.T + col[x];
        const o = 4 * (y * W + x);
        if (hatched[i]) {
          const c = isHatchLine(x, y, scale) ? HATCH_LINE : HATCH_BACK;
          px[o] = c[0];
          px[o + 1] = c[1];
          px[o + 2] = c[2];
        } else {
          px[o] = rgb[3 * i];
          px[o + 1] = rgb[3 * i + 1];
          px[o + 2] = rgb[3 * i + 2];
        }
        px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  private plotBox() {
    const M = this.margins();
    return { x: M.left, y: M.top, w: Math.max(10, this.size.w - M.left - M.right), h: Math.max(10, this.size.h - M.top - M.bottom) };
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('data')) {
      this.buildCells();
      if (this.hover && this.data && (this.hover.k >= this.data.K || this.hover.j >= this.data.T)) this.hover = null;
    }
  }

  override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    const d = this.data;
    if (!canvas || !d || !this.cellRgb) return;
    const b = this.plotBox();
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const W = Math.round(b.w * dpr);
    const Hh = Math.round(b.h * dpr);
    const key = `${this.imageVersion}/${W}x${Hh}@${b.x},${b.y}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    if (canvas.width !== W || canvas.height !== Hh) {
      canvas.width = W;
      canvas.height = Hh;
    }
    canvas.style.left = `${b.x}px`;
    canvas.style.top = `${b.y}px`;
    canvas.style.width = `${b.w}px`;
    canvas.style.height = `${b.h}px`;
    const ctx = canvas.getContext('2d');
    if (ctx) this.paint(ctx, W, Hh, dpr);
  }

  private margins() {
    const k = uiScale(this);
    return { left: M0.left * k, right: M0.right, top: M0.top, bottom: M0.bottom * k };
  }

  private cellAt(e: MouseEvent): { k: number; j: number } | null {
    const d = this.data;
    if (!d) return null;
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const fx = (e.clientX - rect.left) / rect.width;
    const fy = (e.clientY - rect.top) / rect.height;
    if (fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return null;
    return { j: Math.floor(fx * d.T), k: d.K - 1 - Math.floor(fy * d.K) };
  }

  private onKey(e: KeyboardEvent): void {
    const d = this.data;
    if (!d) return;
    const h = this.hover ?? { k: Math.max(0, this.markerK), j: 0 };
    const step = e.shiftKey ? 10 : 1;
    const moves: Record<string, [number, number]> = { ArrowLeft: [0, -step], ArrowRight: [0, step], ArrowUp: [step, 0], ArrowDown: [-step, 0] };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    this.hover = { k: Math.min(d.K - 1, Math.max(0, h.k + m[0])), j: Math.min(d.T - 1, Math.max(0, h.j + m[1])) };
  }

  private readout(): string {
    const d = this.data;
    const h = this.hover;
    if (!d || !h) return 'hover for values';
    const i = h.k * d.T + h.j;
    const v = d.overflow[i] && d.undefinedText ? d.undefinedText : formatCell(d.values[i], d.overflow[i], d.difference);
    const z = d.zeros ? Math.round(d.zeros.fraction[i] * d.zeros.samples) : 0;
    const zeros = z > 0 && z < (d.zeros?.samples ?? 0) && Number.isFinite(d.values[i]) ? `  (mean over the ${d.zeros!.samples - z} of ${d.zeros!.samples} samples not exactly 0)` : '';
    return `${d.axis ?? 'ρ'}=${d.rho[h.k].toFixed(3)}  t=${h.j + 1}  ${v}${zeros}`;
  }

  /** Lock the colour range at the one drawn, type its ends, or unlock (events up: ColourLockEvent). */
  private lockControl(d: HeatmapData) {
    if (!d.locked) {
      return html`<button class="lock" data-lock @click=${() => this.dispatchEvent(new ColourLockEvent({ min: d.range.min, max: d.range.max }))}
        title="Keep this colour range across runs (and in the link and the exports), or type its ends">Lock colours</button>`;
    }
    const typed = (e: Event) => {
      const root = (e.target as HTMLElement).closest('.lockrange')!;
      const [lo, hi] = Array.from(root.querySelectorAll('input')).map((i) => i.value.trim());
      const min = lo === '' ? NaN : Number(lo);
      const max = hi === '' ? NaN : Number(hi);
      if (!Number.isFinite(min) || !Number.isFinite(max)) {
        this.lockError = `Colour ${!Number.isFinite(min) ? 'min' : 'max'} must be a number; you entered ${JSON.stringify(!Number.isFinite(min) ? lo : hi)}`;
        return;
      }
      if (!(min < max)) {
        this.lockError = `Colour min (${min}) must be below Colour max (${max})`;
        return;
      }
      this.lockError = null;
      this.dispatchEvent(new ColourLockEvent({ min, max }));
    };
    return html`<span class="lockrange">
      <label>min <input data-lock-min inputmode="decimal" aria-label="Colour min" .value=${String(Number(d.range.min.toPrecision(6)))} @change=${typed} /></label>
      <label>max <input data-lock-max inputmode="decimal" aria-label="Colour max" .value=${String(Number(d.range.max.toPrecision(6)))} @change=${typed} /></label>
      <button class="lock" data-unlock @click=${() => ((this.lockError = null), this.dispatchEvent(new ColourLockEvent(null)))} title="Back to the auto, noise-aware range">Unlock</button>
      ${this.lockError ? html`<span class="error" role="alert">${this.lockError}</span>` : null}
    </span>`;
  }

  override render() {
    const d = this.data;
    const b = this.plotBox();
    const r = d?.range;
    const sc = uiScale(this);
    let axes = null;
    if (d) {
      const xOf = (t: number) => b.x + ((t - 0.5) / d.T) * b.w;
      const r0 = d.rho[0];
      const r1 = d.rho[d.K - 1];
      // rho_k sits at the centre of its row.
      const yOfRho = (rho: number) => (d.K === 1 || r1 === r0 ? b.y + b.h / 2 : b.y + b.h - ((rho - r0) / (r1 - r0)) * (b.h * (1 - 1 / d.K)) - b.h / (2 * d.K));
      const tt = stepTicks(d.T, Math.min(10, Math.max(2, Math.floor(b.w / 80))));
      const rt = labelledTicks(r0, r1, Math.min(8, Math.max(2, Math.floor(b.h / 55))));
      const mk = this.markerK >= 0 && this.markerK < d.K ? yOfRho(d.rho[this.markerK]) : null;
      const one = r0 <= 1 && r1 >= 1 && r1 > r0 ? yOfRho(1) : null;
      axes = svg`
        <line class="axis" x1=${b.x} y1=${b.y + b.h} x2=${b.x + b.w} y2=${b.y + b.h}></line>
        <line class="axis" x1=${b.x} y1=${b.y} x2=${b.x} y2=${b.y + b.h}></line>
        ${tt.map((t) => svg`<line class="axis" x1=${xOf(t.value)} x2=${xOf(t.value)} y1=${b.y + b.h} y2=${b.y + b.h + 4}></line>
          <text x=${xOf(t.value)} y=${b.y + b.h + 15 * sc} text-anchor="middle">${t.label}</text>`)}
        <text x=${b.x + b.w / 2} y=${b.y + b.h + 27 * sc} text-anchor="middle" style="fill:var(--muted)">timestep t</text>
        ${rt.map((v) => svg`<line class="axis" x1=${b.x - 4} x2=${b.x} y1=${yOfRho(v.value)} y2=${yOfRho(v.value)}></line>
          <text x=${b.x - 6} y=${yOfRho(v.value) + 4} text-anchor="end">${v.label}</text>`)}
        <text transform=${`translate(${11 * sc} ${b.y + b.h / 2}) rotate(-90)`} text-anchor="middle" style="fill:var(--muted)">${d.axis ?? 'ρ'}</text>
        ${one !== null ? svg`<line x1=${b.x} x2=${b.x + b.w} y1=${one} y2=${one} stroke="#ff8c1a" stroke-dasharray="5 4" stroke-width="1.2"></line>` : null}
        ${mk !== null
          ? svg`<line x1=${b.x} x2=${b.x + b.w} y1=${mk} y2=${mk} stroke="white" stroke-width="3" opacity="0.9"></line>
                <line x1=${b.x} x2=${b.x + b.w} y1=${mk} y2=${mk} stroke="black" stroke-width="1.2"></line>
                <path d=${`M${b.x + b.w + 1} ${mk} l7 -5 v10 z`} fill="var(--fg)"></path>`
          : null}
        ${this.hover
          ? svg`<rect x=${b.x + (this.hover.j / d.T) * b.w} y=${b.y + ((d.K - 1 - this.hover.k) / d.K) * b.h}
              width=${Math.max(2, b.w / d.T)} height=${Math.max(2, b.h / d.K)} fill="none" stroke="var(--fg)" stroke-width="1.5"></rect>`
          : null}`;
    }
    return html`<div class="panel">
      <div class="head">
        <h2>${this.heading}</h2>
        <span class="readout" aria-live="polite">${this.readout()}</span>
      </div>
      <div class="body">
        <div class="plot">
          <canvas
            tabindex="0"
            role="img"
            aria-label=${`${this.heading}; focus and use the arrow keys to read values`}
            @mousemove=${(e: MouseEvent) => (this.hover = this.cellAt(e))}
            @mouseleave=${() => (this.hover = null)}
            @keydown=${this.onKey}
          ></canvas>
          <svg width="100%" height="100%">${axes}</svg>
        </div>
        ${d && r
          ? html`<div class="bar" aria-label="colour bar">
              <div class="ramp" style=${`background:${cssGradient(d.colormap)}`}>
                ${labelledTicks(r.min, r.max, 4).map((v) => html`<span style=${`bottom:${((v.value - r.min) / (r.max - r.min)) * 100}%`}>${v.label}</span>`)}
              </div>
            </div>`
          : null}
      </div>
      ${d
        ? html`<div class="legend">
            <span class="muted">${d.valueLabel}</span>
            ${d.rangeNote ? html`<span class="note" data-range-rule title=${d.rangeNote.words}>${d.rangeNote.short}</span>` : null}
            ${this.lockable && !d.difference ? this.lockControl(d) : null}
            ${legendNotes(d).map((n) => (n.hatch ? html`<span><span class="swatch overflow-swatch"></span>${n.words}</span>` : html`<span class="note">${n.words}</span>`))}
          </div>`
        : null}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-heatmap': LabHeatmap;
  }
}
