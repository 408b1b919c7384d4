/**
 * <lab-slice>: the field at the slider's rho against t: log10 ||dL/dh_t|| with a +-1 std band,
 * log10 ||h_t||, and the theory overlays (linear prediction, Pascanu bound, mean field), each
 * toggled from the legend. Overflow steps are marked at the top and never plotted as numbers; a
 * gradient that is exactly zero in every sample (-Infinity) is pinned to the bottom edge and said
 * so; where it is exactly zero in only some samples, the line is the mean over the others and the
 * legend and the verdict say in how many.
 */
import { html, LitElement, css, svg, type SVGTemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Overlay } from '../app/state.ts';
import { CELL_FLAG, cellFlagText, flaggedStepsText, flagKinds, noGradientText } from '../core/range.ts';
import { OVERFLOW_SOLID, rgbCss } from '../export/colormap.ts';
import { SLICE_UNIT_WORDS, sliceYRange, THEORY_KEYS, type SliceFigureData } from '../export/slice.ts';
import { labelledTicks, stepTicks } from '../export/ticks.ts';
import { ViewChangeEvent } from './events.ts';
import { DerivativeStepEvent } from './lab-derivative.ts';
import { chartStyles, panelStyles, uiScale, svgTextStyles } from './theme.ts';
import { PlotSizeController } from './plot-size.ts';

/** What the slice chart draws: the same data the exported figure takes (src/export/slice.ts). */
export type SliceData = SliceFigureData;

/** The y axis's title for a unit (the exported figure's words). */
const UNIT_WORDS = SLICE_UNIT_WORDS;

const COLORS = { grad: 'var(--series-a)', gradB: 'var(--series-b)', hidden: 'var(--series-h)', linear: '#8a8f98', pascanu: '#d9534f', meanfield: '#e69f00' };
/** Series that are predictions, not measurements: they never set the y range on their own. */
const M0 = { left: 44, right: 12, top: 10, bottom: 30 };

interface Series {
  key: string;
  values: Float64Array;
  overflow?: Uint8Array;
  color: string;
  dash?: string;
  width: number;
}

@customElement('lab-slice')
export class LabSlice extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    chartStyles,
    css`
      .v {
        font-size: calc(12px * var(--s, 1));
        font-weight: 600;
        padding: 1px 7px;
        border-radius: 999px;
        border: 1px solid currentColor;
      }
      .v sup {
        font-size: 0.75em;
      }
      .head {
        flex-wrap: wrap;
        row-gap: 3px;
      }
      .head h2 {
        flex: 0 0 auto;
      }
      .vanish {
        color: var(--vanish);
      }
      .explode {
        color: var(--error);
      }
      .ok {
        color: var(--series-h);
      }
      .bad {
        color: rgb(220, 40, 170);
      }
      .legend {
        display: flex;
        gap: 4px 12px;
        flex-wrap: wrap;
        padding: 3px 10px 5px;
        border-top: 1px solid var(--border);
        font-size: calc(11.5px * var(--s, 1));
      }
      .legend label {
        display: inline-flex;
        align-items: center;
        gap: 4px;
        cursor: pointer;
        white-space: nowrap;
      }
      .key {
        display: inline-block;
        width: 16px;
        height: 0;
        border-top: 2px solid;
      }
      .band {
        display: inline-block;
        width: 16px;
        height: 8px;
        opacity: 0.3;
      }
    `,
  ];

  @property({ attribute: false }) data: SliceData | null = null;
  @property({ attribute: false }) overlays: Record<Overlay, boolean> = { std: true, hidden: false, linear: true, pascanu: true, meanfield: true, grad: false };
  private readonly plot = new PlotSizeController(this);
  private get size(): { w: number; h: number } {
    return this.plot.size;
  }


  /** The plot box of the last render (the hover's step is read from it). */
  private lastBox = { x: 0, w: 1 };

  /** Hovering a step moves the derivative panel's histogram to it. */
  private hover(e: PointerEvent): void {
    const d = this.data;
    if (!d) return;
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const frac = (e.clientX - rect.left - this.lastBox.x) / this.lastBox.w;
    if (frac < -0.02 || frac > 1.02) return;
    const t = 1 + Math.round(Math.min(1, Math.max(0, frac)) * (d.T - 1));
    this.dispatchEvent(new DerivativeStepEvent(t));
  }

  private toggle(o: Overlay, on: boolean): void {
    this.dispatchEvent(new ViewChangeEvent({ overlays: { ...this.overlays, [o]: on } }));
  }

  /** Whether the gradient (with its band and theory) is drawn: always where Show is the gradient, else when its overlay is on. */
  private gradOn(d: SliceData): boolean {
    return !d.shown || this.overlays.grad;
  }

  /** The log10-norm series: the gradient and its theory (when drawn) and the hidden norm (when on). */
  private series(d: SliceData): Series[] {
    const out: Series[] = [];
    const grad = this.gradOn(d);
    if (grad && this.overlays.linear) out.push({ key: 'linear', values: d.linear, color: COLORS.linear, dash: '6 4', width: 1.5 });
    if (grad && this.overlays.pascanu) out.push({ key: 'pascanu', values: d.pascanu, color: COLORS.pascanu, dash: '2 3', width: 1.5 });
    // Mean field predicts E ||dL/dh_t||^2: it is drawn with the measured rms over samples (thin,
    // solid, same colour), which is what it should lie on; the mean of log10 (thick) sits below it.
    if (grad && this.overlays.meanfield && d.meanField) {
      out.push({ key: 'meanfield', values: d.meanField, color: COLORS.meanfield, dash: '9 3 2 3', width: 2 });
      out.push({ key: 'rms', values: d.gradRms, overflow: d.overflow, color: COLORS.meanfield, width: 1.2 });
    }
    if (this.overlays.hidden && d.shown?.key !== 'hidden') out.push({ key: 'hidden', values: d.hidden, overflow: d.overflow, color: COLORS.hidden, width: 1.5 });
    if (grad && d.gradB) out.push({ key: 'gradB', values: d.gradB, overflow: d.overflowB ?? undefined, color: COLORS.gradB, width: d.shown ? 1.5 : 2, dash: d.shown ? '5 3' : undefined });
    if (grad) out.push({ key: 'grad', values: d.grad, overflow: d.overflow, color: COLORS.grad, width: d.shown ? 1.5 : 2.2, dash: d.shown ? '5 3' : undefined });
    return out;
  }

  /** The shown field's lines (A's, and B's in compare mode), where Show is not the gradient. */
  private shownSeries(d: SliceData): Series[] {
    const s = d.shown;
    if (!s) return [];
    const out: Series[] = [];
    if (s.valuesB) out.push({ key: 'shownB', values: s.valuesB, overflow: d.overflowB ?? undefined, color: COLORS.gradB, width: 2 });
    out.push({ key: 'shown', values: s.values, overflow: d.overflow, color: COLORS.grad, width: 2.2 });
    return out;
  }

  /** y range: the measured curves decide; theory may widen it by at most half the measured span each way. */
  private yRange(d: SliceData, series: Series[]): { lo: number; hi: number } {
    return sliceYRange(d, series, this.overlays.std);
  }

  /**
   * The slice in words: how large the gradient that reaches t = 1 is, relative to dL/dh_T = r
   * (norm 1): the mean of log10 over the samples where it is not exactly 0, and in how many it is.
   */
  private verdict(grad: Float64Array, overflow: Uint8Array | null, zero: Float64Array | null, S: number, name: string) {
    const v = grad[0];
    const zeros = Math.round((zero?.[0] ?? 0) * S);
    const some = zeros > 0 && zeros < S ? ` (exactly 0 in ${zeros} of ${S} samples)` : '';
    const tip =
      'size of the gradient that reaches t = 1, relative to dL/dh_T: 10 to the mean of log10 over the samples where it is not exactly 0' +
      (some ? `; in ${zeros} of ${S} samples every path back to t = 1 is cut and it is exactly 0` : '');
    if (overflow?.[0] || Number.isNaN(v)) return html`<span class="v bad" title=${tip}>${name}: ${cellFlagText(overflow?.[0] || CELL_FLAG.overflow)}</span>`;
    if (v === -Infinity) return html`<span class="v vanish" title=${tip}>${name}: exactly 0 at t = 1 in every sample</span>`;
    const e = Math.abs(v) < 0.05 ? '0.0' : v.toFixed(1); // no "-0.0"
    if (v < -2) return html`<span class="v vanish" title=${tip}>${name} vanishes · 10<sup>${e}</sup> at t = 1${some}</span>`;
    if (v > 2) return html`<span class="v explode" title=${tip}>${name} explodes · 10<sup>${e}</sup> at t = 1${some}</span>`;
    return html`<span class="v ok" title=${tip}>${name} holds · 10<sup>${e}</sup> at t = 1${some}</span>`;
  }

  override render() {
    const d = this.data;
    const W = this.size.w;
    const H = this.size.h;
    const sc = uiScale(this);
    const M = { left: M0.left * sc, right: M0.right, top: M0.top, bottom: M0.bottom * sc };
    const b = { x: M.left, y: M.top, w: Math.max(10, W - M.left - M.right), h: Math.max(10, H - M.top - M.bottom) };
    this.lastBox = { x: b.x, w: b.w };
    let body: SVGTemplateResult | null = null;
    let hasZero = false;
    let partZero = 0; // steps where the gradient is exactly 0 in some samples but not all
    let hasOverflow = false;
    if (d && W > 0) {
      const norms = this.series(d);
      const shown = this.shownSeries(d);
      // The left axis: the shown field (with the norms when it is a log10 norm too); the norms get
      // an axis of their own at the right where the shown field is a fraction or a mean phi'.
      const twoAxes = !!d.shown && d.shown.unit !== 'log10' && norms.length > 0;
      const left = d.shown ? (twoAxes ? shown : [...norms, ...shown]) : norms;
      const series = [...norms, ...shown];
      const fixed = d.shown?.unit !== 'log10' ? d.shown?.range : null;
      const yr = fixed ? { lo: fixed[0] - 0.03 * (fixed[1] - fixed[0]), hi: fixed[1] + 0.03 * (fixed[1] - fixed[0]) } : this.yRange(d, left);
      const yr2 = twoAxes ? this.yRange(d, norms) : yr;
      if (twoAxes) b.w = Math.max(10, b.w - 34 * sc);
      this.lastBox = { x: b.x, w: b.w };
      const xOf = (j: number) => b.x + (d.T <= 1 ? b.w / 2 : (j / (d.T - 1)) * b.w);
      const yOnLeft = (v: number) => b.y + b.h - ((v - yr.lo) / (yr.hi - yr.lo)) * b.h;
      const yOnRight = (v: number) => b.y + b.h - ((v - yr2.lo) / (yr2.hi - yr2.lo)) * b.h;
      const axisOf = (s: Series) => (twoAxes && !s.key.startsWith('shown') ? yOnRight : yOnLeft);
      // The gradient's band lies on the gradient's axis.
      const yOf = twoAxes ? yOnRight : yOnLeft;
      const bottom = b.y + b.h;
      const pathOf = (s: Series) => {
        const yOf = axisOf(s);
        let p = '';
        let pen = false;
        for (let j = 0; j < d.T; j++) {
          const v = s.values[j];
          if (s.overflow?.[j] || Number.isNaN(v) || v === Infinity) {
            pen = false;
            continue;
          }
          // -Infinity (exact zero) is pinned to the bottom edge.
          const y = v === -Infinity ? bottom : Math.max(b.y - 2000, Math.min(bottom + 2000, yOf(v)));
          p += `${pen ? 'L' : 'M'}${xOf(j).toFixed(1)} ${y.toFixed(1)}`;
          pen = true;
        }
        return p;
      };
      for (const s of series)
        for (let j = 0; j < d.T; j++) {
          if (THEORY_KEYS.has(s.key)) continue;
          if (s.values[j] === -Infinity) hasZero = true;
          if (s.overflow?.[j] || Number.isNaN(s.values[j])) hasOverflow = true;
        }
      if (this.gradOn(d)) for (const z of [d.gradZero, d.gradZeroB]) if (z) for (let j = 0; j < d.T; j++) if (z[j] > 0 && z[j] < 1) partZero++;
      // +-1 std band around the mean gradient (only where both are finite).
      let band = '';
      if (this.overlays.std && this.gradOn(d)) {
        const up: string[] = [];
        const down: string[] = [];
        const flush = () => {
          if (up.length > 1) band += `M${up.join('L')}L${down.reverse().join('L')}Z`;
          up.length = 0;
          down.length = 0;
        };
        for (let j = 0; j < d.T; j++) {
          const m = d.grad[j];
          const s = d.gradStd[j];
          if (d.overflow[j] || !Number.isFinite(m) || !Number.isFinite(s)) {
            flush();
            continue;
          }
          up.push(`${xOf(j).toFixed(1)} ${yOf(m + s).toFixed(1)}`);
          down.push(`${xOf(j).toFixed(1)} ${yOf(m - s).toFixed(1)}`);
        }
        flush();
      }
      const xt = stepTicks(d.T, Math.min(10, Math.max(2, Math.floor(b.w / 80))));
      const yt = labelledTicks(yr.lo, yr.hi, Math.min(8, Math.max(4, Math.floor(b.h / 40))));
      const yt2 = twoAxes ? labelledTicks(yr2.lo, yr2.hi, Math.min(8, Math.max(4, Math.floor(b.h / 40)))) : [];
      const overflowMarks: SVGTemplateResult[] = [];
      for (let j = 0; j < d.T; j++) {
        if (d.overflow[j] || (d.overflowB?.[j] ?? 0)) {
          overflowMarks.push(svg`<rect x=${xOf(j) - Math.max(1, b.w / d.T / 2)} y=${b.y} width=${Math.max(2, b.w / d.T)} height="6" fill=${rgbCss(OVERFLOW_SOLID)}></rect>`);
        }
      }
      body = svg`
        <defs><clipPath id="clip"><rect x=${b.x} y=${b.y - 1} width=${b.w} height=${b.h + 2}></rect></clipPath></defs>
        ${yt.map((v) => svg`<line class="gridline" x1=${b.x} x2=${b.x + b.w} y1=${yOnLeft(v.value)} y2=${yOnLeft(v.value)}></line>
          <text x=${b.x - 6} y=${yOnLeft(v.value) + 4} text-anchor="end">${v.label}</text>`)}
        ${yt2.map((v) => svg`<line class="axis" x1=${b.x + b.w} x2=${b.x + b.w + 4} y1=${yOnRight(v.value)} y2=${yOnRight(v.value)}></line>
          <text x=${b.x + b.w + 6} y=${yOnRight(v.value) + 4} text-anchor="start" style="fill:var(--muted)">${v.label}</text>`)}
        ${twoAxes
          ? svg`<line class="axis" x1=${b.x + b.w} y1=${b.y} x2=${b.x + b.w} y2=${b.y + b.h}></line>
            <text transform=${`translate(${b.x + b.w + 30 * sc} ${b.y + b.h / 2}) rotate(90)`} text-anchor="middle" style="fill:var(--muted)">log10 norm</text>`
          : null}
        ${xt.map((t) => svg`<line class="axis" x1=${xOf(t.value - 1)} x2=${xOf(t.value - 1)} y1=${bottom} y2=${bottom + 4}></line>
          <text x=${xOf(t.value - 1)} y=${bottom + 15 * sc} text-anchor="middle">${t.label}</text>`)}
        <line class="axis" x1=${b.x} y1=${bottom} x2=${b.x + b.w} y2=${bottom}></line>
        <line class="axis" x1=${b.x} y1=${b.y} x2=${b.x} y2=${bottom}></line>
        <text x=${b.x + b.w / 2} y=${bottom + 27 * sc} text-anchor="middle" style="fill:var(--muted)">timestep t</text>
        <text transform=${`translate(${11 * sc} ${b.y + b.h / 2}) rotate(-90)`} text-anchor="middle" style="fill:var(--muted)">${UNIT_WORDS[d.shown?.unit ?? 'log10']}</text>
        <g clip-path="url(#clip)">
          ${band ? svg`<path d=${band} fill=${COLORS.grad} opacity="0.2"></path>` : null}
          ${series.map((s) => svg`<path d=${pathOf(s)} fill="none" stroke=${s.color} stroke-width=${s.width} stroke-dasharray=${s.dash ?? 'none'} stroke-linejoin="round"></path>`)}
        </g>
        ${overflowMarks}
        ${this.gradOn(d) && d.grad.every((v, j) => d.overflow[j] || !Number.isFinite(v))
          ? svg`<text x=${b.x + b.w / 2} y=${b.y + b.h / 2} text-anchor="middle" style="fill:var(--error)">${noGradientText(flagKinds(d.overflow, d.grad))}</text>`
          : null}`;
    }
    const o = this.overlays;
    const box = (key: Overlay, label: string, swatch: unknown) => html`<label
      ><input type="checkbox" .checked=${o[key]} @change=${(e: Event) => this.toggle(key, (e.target as HTMLInputElement).checked)} />${swatch}${label}</label
    >`;
    return html`<div class="panel">
      <div class="head">
        <h2>Slice at ${d?.axis ?? 'ρ'} = ${d ? d.rho.toFixed(3) : '…'}</h2>
        ${d ? this.verdict(d.grad, d.overflow, d.gradZero, d.samples, d.labelA.replace(/^.*, /, '')) : null}
        ${d?.gradB ? this.verdict(d.gradB, d.overflowB, d.gradZeroB, d.samples, d.labelB.replace(/^.*, /, '')) : null}
      </div>
      <div
        class="plot"
        role="img"
        @pointermove=${(e: PointerEvent) => this.hover(e)}
        aria-label=${d ? `${d.shown ? d.shown.label : 'log10 gradient norm'} against timestep at rho ${d.rho.toFixed(3)}${d.shown && this.overlays.grad ? ', with the log10 gradient norm' : ''}` : 'slice chart'}
      >
        <svg width="100%" height="100%">${body}</svg>
      </div>
      <div class="legend">
        ${d?.shown
          ? html`<span><span class="key" style=${`border-color:${COLORS.grad}`}></span>${d.shown.label}</span>
              ${d.shown.valuesB ? html`<span><span class="key" style=${`border-color:${COLORS.gradB}`}></span>${d.shown.labelB}</span>` : null}
              ${box('grad', `log10 ‖dL/dh_t‖ (dashed${d.shown.unit === 'log10' ? '' : ', right axis'})`, html`<span class="key" style=${`border-top-style:dashed;border-color:${COLORS.grad}`}></span>`)}`
          : html`<span><span class="key" style=${`border-color:${COLORS.grad}`}></span>${d?.labelA ?? 'log10 ‖dL/dh_t‖'}</span>
              ${d?.gradB ? html`<span><span class="key" style=${`border-color:${COLORS.gradB}`}></span>${d.labelB}</span>` : null}`}
        ${!d || this.gradOn(d) ? box('std', '±1 std', html`<span class="band" style=${`background:${COLORS.grad}`}></span>`) : null}
        ${d?.shown?.key === 'hidden' ? null : box('hidden', 'log10 ‖h_t‖', html`<span class="key" style=${`border-color:${COLORS.hidden}`}></span>`)}
        ${!d || this.gradOn(d)
          ? html`${box('linear', 'linear theory (T−t)·log10 ρ', html`<span class="key" style=${`border-top-style:dashed;border-color:${COLORS.linear}`}></span>`)}
            ${box('pascanu', 'Pascanu bound', html`<span class="key" style=${`border-top-style:dotted;border-color:${COLORS.pascanu}`}></span>`)}
            ${d && !d.meanField
              ? html`<span class="note" title=${d.meanFieldNote}>mean field: not drawn (${d.meanFieldNote.replace(/^mean field /, '')})</span>`
              : html`<span title=${`${d?.meanFieldNote ?? ''} Mean field predicts the mean over samples of ‖dL/dh_t‖², so it is drawn with the measured rms over samples (thin solid line), not against the mean of log10 (thick line), which lies below the rms when the samples spread.`}
                  >${box('meanfield', 'mean field Σ½·log10 χ_s vs measured rms', html`<span class="key" style=${`border-top-style:dashed;border-color:${COLORS.meanfield}`}></span>`)}</span
                >`}`
          : null}
        ${hasOverflow ? html`<span><span class="swatch overflow-solid"></span>${flaggedStepsText(flagKinds(d?.overflow, d?.grad) | flagKinds(d?.overflowB))}</span>` : null}
        ${hasZero ? html`<span class="note">exactly 0 in every sample (−∞): pinned to the bottom edge</span>` : null}
        ${partZero > 0
          ? html`<span class="note">at ${partZero} step${partZero === 1 ? '' : 's'} the gradient is exactly 0 in some samples: the line is the mean over the others</span>`
          : null}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-slice': LabSlice;
  }
}
