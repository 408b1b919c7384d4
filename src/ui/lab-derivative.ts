/**
 * <lab-derivative>: why the gradient vanishes or explodes, at a glance. phi and phi' of the
 * activation (and of B's in compare mode, dashed) over the pre-activation a, with the histogram
 * of the network's own a_t at the slider's rho and a chosen step t drawn under the curves and
 * the mean phi'(a_t) marked: sigmoid's phi' never exceeds 1/4; tanh's a_t slide into the flat
 * tails as rho grows; relu's phi' is 0 or 1. The histogram is binned by the sweep's engine
 * (Engine.preactivationHistogram, core/preactivations.ts: the forward pass of this row alone on the
 * sweep's own W0, U, b and inputs; only the counts reach the page), or by the float64 reference
 * where that engine cannot; the caption says which engine binned it.
 */
import { html, LitElement, css, svg, type SVGTemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { activationFns, activationTitle, type Activation, type ActivationParams } from '../core/activations.ts';
import type { PreactivationHistogram } from '../core/preactivations.ts';
import { CURVE_POINTS, derivativeAxes } from '../export/derivative.ts';
import { labelledTicks } from '../export/ticks.ts';
import { chartStyles, panelStyles, svgTextStyles, uiScale } from './theme.ts';
import { PlotSizeController } from './plot-size.ts';

/** The step shown in the histogram changed (the panel's own control, or a hover on the slice chart). */
export class DerivativeStepEvent extends Event {
  static readonly type = 'lab-derivative-step';
  constructor(readonly t: number) {
    super(DerivativeStepEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'lab-derivative-step': DerivativeStepEvent;
  }
}

export interface DerivativeCurve {
  activation: Activation;
  params: Partial<ActivationParams>;
  /** "A" / "B" in compare mode, else "". */
  tag: string;
}

export interface DerivativeData {
  a: DerivativeCurve;
  b: DerivativeCurve | null;
  /** The binned a_t of the shown row, or null while it is computed or where it cannot be. */
  histogram: PreactivationHistogram | null;
  /** Why the float64 reference binned it rather than the sweep's engine (null: the engine did). */
  fallback: string | null;
  /** Why there is no histogram, or that it is being computed. */
  note: string;
  /** The swept axis's symbol and the row's value. */
  axis: string;
  rho: number;
  T: number;
}

const M0 = { left: 36, right: 10, top: 12, bottom: 30 };

/**
 * What computed the panel's histogram, in words: a short line for the legend (and the exported
 * figure's), the whole of it for the tooltip; or why there is none.
 */
export function histogramWords(d: DerivativeData | null): { short: string; long: string; figure: string } {
  const row = d?.histogram ?? null;
  if (!row || !d) return { short: d?.note ?? '', long: d?.note ?? '', figure: d?.note ? `no histogram of a_t: ${d.note.replace(/^no histogram( of a_t)?:? ?/, '')}` : 'no histogram of a_t' };
  const samples = `${row.samples}${row.samples < row.samplesTotal ? ` of ${row.samplesTotal}` : ''} samples`;
  // The engine that binned it; the float64 reference where the sweep's engine could not (d.fallback says why).
  const binnedBy = d.fallback ? 'the float64 reference (fallback)' : `${row.engine}, ${row.precision}`;
  return {
    short: `a_t binned by ${binnedBy} · ${row.units} units × ${samples}`,
    long:
      `The histogram and the mean φ′ are of a_t over ${row.units} units × ${samples} at ${d.axis} = ${row.rho.toFixed(3)}, from a ${row.precision} forward pass of this row alone on the sweep's own W0, U, b and inputs, binned by the ${row.engine} engine (${row.adapter}) ${row.binnedWhere}, in ${row.wallMs.toFixed(0)} ms; only the counts reached the page.` +
      (d.fallback ? ` The sweep's engine did not bin it: ${d.fallback}.` : ''),
    figure: `a_t binned by ${binnedBy}, ${row.units} units × ${samples}, this ${d.axis} only`,
  };
}

@customElement('lab-derivative')
export class LabDerivative extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    chartStyles,
    css`
      .legend {
        display: flex;
        gap: 3px 12px;
        flex-wrap: wrap;
        padding: 3px 10px 5px;
        border-top: 1px solid var(--border);
        font-size: calc(11.5px * var(--s, 1));
      }
      .key {
        display: inline-block;
        width: 16px;
        height: 0;
        border-top: 2px solid;
        vertical-align: middle;
        margin-right: 3px;
      }
      .bars {
        display: inline-block;
        width: 12px;
        height: 9px;
        background: var(--muted);
        opacity: 0.35;
        margin-right: 3px;
      }
      .step {
        display: flex;
        align-items: center;
        gap: 6px;
        font-size: calc(12px * var(--s, 1));
      }
      .step input {
        width: calc(72px * var(--s, 1));
        min-width: 0;
      }
      .step b {
        font-family: var(--mono);
        min-width: 4ch;
      }
    `,
  ];

  @property({ attribute: false }) data: DerivativeData | null = null;
  /** The step t (1..T) whose a_t the histogram shows. */
  @property({ type: Number }) step = 1;
  private readonly plot = new PlotSizeController(this);

  private setStep(t: number): void {
    this.dispatchEvent(new DerivativeStepEvent(t));
  }

  override render() {
    const d = this.data;
    const { w: W, h: Hpx } = this.plot.size;
    const sc = uiScale(this);
    const M = { left: M0.left * sc, right: M0.right, top: M0.top, bottom: M0.bottom * sc };
    const b = { x: M.left, y: M.top, w: Math.max(10, W - M.left - M.right), h: Math.max(10, Hpx - M.top - M.bottom) };
    const row = d?.histogram ?? null;
    const T = d?.T ?? 1;
    const t = Math.min(T, Math.max(1, Math.round(this.step)));
    const j = t - 1;
    let body: SVGTemplateResult | null = null;
    let mean = NaN;
    let outside = 0;
    let total = 0;
    if (d && W > 0) {
      // The axes and the curves' sampling are the exported figure's (src/export/derivative.ts).
      const { X, yLo, yHi } = derivativeAxes([d.a, ...(d.b ? [d.b] : [])], row);
      const curves = [d.a, ...(d.b ? [d.b] : [])].map((c) => ({ c, f: activationFns(c.activation, c.params) }));
      const xOf = (a: number) => b.x + ((a + X) / (2 * X)) * b.w;
      const yOf = (v: number) => b.y + b.h - ((v - yLo) / (yHi - yLo)) * b.h;
      const path = (fn: (a: number) => number) => {
        let p = '';
        for (let i = 0; i < CURVE_POINTS; i++) {
          const a = -X + (2 * X * i) / (CURVE_POINTS - 1);
          const v = fn(a);
          if (!Number.isFinite(v)) continue;
          p += `${p ? 'L' : 'M'}${xOf(a).toFixed(1)} ${yOf(Math.max(yLo - 1, Math.min(yHi + 1, v))).toFixed(1)}`;
        }
        return p;
      };
      // The histogram: bar heights relative to the fullest bin, which reaches 85% of the plot.
      let bars: SVGTemplateResult[] = [];
      if (row && j < row.T) {
        let peak = 0;
        for (let i = 0; i < row.bins; i++) peak = Math.max(peak, row.counts[j * row.bins + i]);
        const bw = b.w / row.bins;
        bars = Array.from({ length: row.bins }, (_, i) => {
          const c = row.counts[j * row.bins + i];
          const hgt = peak > 0 ? (c / peak) * b.h * 0.85 : 0;
          return svg`<rect x=${b.x + i * bw} y=${b.y + b.h - hgt} width=${Math.max(0.5, bw - 0.6)} height=${hgt} fill="var(--muted)" opacity="0.35"></rect>`;
        });
        mean = row.meanDeriv[j];
        outside = row.below[j] + row.above[j];
        total = row.units * row.samples - row.nonFinite[j];
      }
      const xt = labelledTicks(-X, X, Math.max(3, Math.min(8, Math.floor(b.w / 45))));
      const yt = labelledTicks(yLo, yHi, 4);
      const colour = (k: number) => (k === 0 ? 'var(--series-a)' : 'var(--series-b)');
      body = svg`
        <defs><clipPath id="dclip"><rect x=${b.x} y=${b.y} width=${b.w} height=${b.h}></rect></clipPath></defs>
        ${yt.map((v) => svg`<line class="gridline" x1=${b.x} x2=${b.x + b.w} y1=${yOf(v.value)} y2=${yOf(v.value)}></line>
          <text x=${b.x - 5} y=${yOf(v.value) + 4} text-anchor="end">${v.label}</text>`)}
        ${xt.map((v) => svg`<text x=${xOf(v.value)} y=${b.y + b.h + 14 * sc} text-anchor="middle">${v.label}</text>`)}
        <text x=${b.x + b.w / 2} y=${b.y + b.h + 27 * sc} text-anchor="middle" style="fill:var(--muted)">pre-activation a</text>
        <line class="axis" x1=${b.x} x2=${b.x + b.w} y1=${yOf(0)} y2=${yOf(0)}></line>
        <line class="axis" x1=${xOf(0)} x2=${xOf(0)} y1=${b.y} y2=${b.y + b.h}></line>
        <g clip-path="url(#dclip)">
          ${bars}
          ${curves.map(
            ({ f }, k) => svg`<path d=${path(f.output)} fill="none" stroke=${colour(k)} stroke-width="1.4" stroke-dasharray=${k === 0 ? '5 3' : '2 3'} opacity="0.8"></path>
              <path d=${path(f.der)} fill="none" stroke=${colour(k)} stroke-width="2.4" stroke-dasharray=${k === 0 ? 'none' : '7 3'}></path>`,
          )}
          ${Number.isFinite(mean)
            ? svg`<line x1=${b.x} x2=${b.x + b.w} y1=${yOf(mean)} y2=${yOf(mean)} stroke="var(--vanish)" stroke-width="1.5" stroke-dasharray="4 3"></line>
              <text x=${b.x + b.w - 4} y=${yOf(mean) - 4} text-anchor="end" style="fill:var(--vanish);paint-order:stroke;stroke:var(--panel);stroke-width:3px">mean φ′(a_t) = ${mean.toFixed(3)}</text>`
            : null}
        </g>`;
    }
    const name = (c: DerivativeCurve) => activationTitle(c.activation, c.params);
    const { short: computedOn, long: computedWhy } = histogramWords(d);
    return html`<div class="panel">
      <div class="head">
        <h2 title="φ and φ′ of the activation over the pre-activation a, with the network's a_t at step t under them">φ′ and a_t</h2>
        ${d
          ? html`<label class="step"
              >t
              <input
                type="range"
                min="1"
                max=${T}
                step="1"
                .value=${String(t)}
                aria-label="step t of the histogram"
                @input=${(e: Event) => this.setStep(Number((e.target as HTMLInputElement).value))}
              /><b>${t}</b></label
            >`
          : null}
      </div>
      <div
        class="plot"
        role="img"
        aria-label=${d
          ? `phi and phi prime of ${name(d.a)}${d.b ? ` and ${name(d.b)}` : ''}; histogram of the pre-activations at step ${t}${Number.isFinite(mean) ? `; mean phi prime ${mean.toFixed(3)}` : ''}`
          : 'derivative panel'}
      >
        <svg width="100%" height="100%">${body}</svg>
      </div>
      <div class="legend">
        ${d
          ? html`<span><span class="key" style="border-color:var(--series-a)"></span>φ′ ${d.b ? `A (${name(d.a)})` : name(d.a)}</span>
              <span><span class="key" style="border-color:var(--series-a);border-top-style:dashed"></span>φ</span>
              ${d.b
                ? html`<span><span class="key" style="border-color:var(--series-b);border-top-style:dashed"></span>φ′, φ B (${name(d.b)})</span>`
                : null}
              <span><span class="bars"></span>a_t at t = ${t}${total > 0 && outside > 0 ? `, ${((100 * outside) / total).toFixed(1)}% beyond ±${Math.max(-row!.lo, row!.hi)}` : ''}</span>
              <span title="the mean of φ′ over the a_t themselves, not over the bins"><span class="key" style="border-color:var(--vanish);border-top-style:dashed"></span>mean φ′(a_t)</span>`
          : null}
        <span class="note" data-computed-on title=${computedWhy}>${computedOn}</span>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-derivative': LabDerivative;
  }
}
