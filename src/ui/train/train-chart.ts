/**
 * <train-chart>: curves over training iterations, one per model, on a linear or log10 y axis,
 * with horizontal reference lines (the loss baseline, clip thresholds). Points that a log axis
 * cannot show (zero or negative) are left out and counted in the note, never drawn at a made-up place.
 */
import { css, html, LitElement, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { formatTick, niceTicks } from '../../export/ticks.ts';
import { panelStyles, svgTextStyles } from '../theme.ts';

export interface ChartSeries {
  label: string;
  colour: string;
  /** [x, y] pairs in x order. */
  points: readonly (readonly [number, number])[];
}

export interface ChartRef {
  y: number;
  label: string;
  colour: string;
}

const W = 420;
const H = 190;
const M = { l: 44, r: 18, t: 8, b: 26 };

@customElement('train-chart')
export class TrainChart extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    css`
      svg {
        width: 100%;
        height: auto;
        display: block;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 10px;
        padding: 0 10px 4px;
        font-size: calc(11px * var(--s, 1));
      }
    `,
  ];

  @property() heading = '';
  @property({ attribute: false }) series: ChartSeries[] = [];
  @property({ attribute: false }) refs: ChartRef[] = [];
  @property({ type: Boolean }) log = false;
  /** The x axis runs 0..xMax (the run's iterations). */
  @property({ type: Number }) xMax = 1;
  /** Fixed y range (e.g. 0..1 for a fraction), else fitted to the data and refs. */
  @property({ attribute: false }) yRange: [number, number] | null = null;

  private yExtent(): [number, number] | null {
    if (this.yRange) return this.yRange;
    let lo = Infinity;
    let hi = -Infinity;
    const take = (y: number) => {
      if (!Number.isFinite(y) || (this.log && y <= 0)) return;
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    };
    for (const s of this.series) for (const [, y] of s.points) take(y);
    for (const r of this.refs) take(r.y);
    if (!(lo <= hi)) return null;
    if (this.log) {
      const a = Math.floor(Math.log10(lo));
      const b = Math.ceil(Math.log10(hi));
      return [a, b > a ? b : a + 1];
    }
    if (lo === hi) return [lo - 1, hi + 1];
    const pad = (hi - lo) * 0.05;
    return [Math.min(lo - pad, lo >= 0 ? Math.max(0, lo - pad) : lo - pad), hi + pad];
  }

  override render() {
    const ext = this.yExtent();
    const pw = W - M.l - M.r;
    const ph = H - M.t - M.b;
    const sx = (x: number) => M.l + (x / Math.max(1, this.xMax)) * pw;
    const ty = (y: number) => (this.log ? Math.log10(y) : y);
    const sy = ext ? (y: number) => M.t + ph - ((ty(y) - ext[0]) / (ext[1] - ext[0])) * ph : () => 0;
    let hidden = 0;
    const paths = ext
      ? this.series.map((s) => {
          let d = '';
          let pen = false;
          for (const [x, y] of s.points) {
            if (!Number.isFinite(y) || (this.log && y <= 0)) {
              hidden++;
              pen = false;
              continue;
            }
            d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
            pen = true;
          }
          const last = s.points.length === 1 ? s.points[0] : null;
          return svg`<path d=${d} fill="none" stroke=${s.colour} stroke-width="1.6"></path>
            ${last && Number.isFinite(last[1]) && !(this.log && last[1] <= 0) ? svg`<circle cx=${sx(last[0])} cy=${sy(last[1])} r="2.5" fill=${s.colour}></circle>` : null}`;
        })
      : [];
    const xt = niceTicks(0, Math.max(1, this.xMax), 5);
    const yTicks: { y: number; text: string }[] = [];
    if (ext) {
      if (this.log) {
        // At most about 6 labelled decades: every decade, or every 2nd, 5th, 10th... over a wide range.
        const span = ext[1] - ext[0];
        const every = niceTicks(0, span, 5).step;
        const stride = span <= 6 ? 1 : Math.max(1, Math.round(every));
        for (let e = Math.ceil(ext[0] / stride) * stride; e <= ext[1]; e += stride) yTicks.push({ y: 10 ** e, text: `1e${e}` });
      }
      else {
        const t = niceTicks(ext[0], ext[1], 4);
        for (const v of t.values) yTicks.push({ y: v, text: formatTick(v, t.step) });
      }
    }
    return html`<div class="panel">
      <div class="head"><h2>${this.heading}</h2></div>
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${this.heading}>
        <rect x=${M.l} y=${M.t} width=${pw} height=${ph} fill="none" stroke="var(--border)"></rect>
        ${yTicks.map(
          (t) => svg`<line x1=${M.l} x2=${M.l + pw} y1=${sy(t.y)} y2=${sy(t.y)} stroke="var(--border)" stroke-width="0.5"></line>
            <text x=${M.l - 4} y=${sy(t.y) + 3.5} text-anchor="end">${t.text}</text>`,
        )}
        ${xt.values
          .filter((v) => v <= this.xMax)
          .map((v) => svg`<text x=${sx(v)} y=${H - M.b + 13} text-anchor="middle">${formatTick(v, xt.step)}</text>`)}
        <text x=${M.l + pw / 2} y=${H - 2} text-anchor="middle" class="muted">iteration</text>
        ${ext
          ? this.refs
              .filter((r) => Number.isFinite(r.y) && !(this.log && r.y <= 0) && ty(r.y) >= ext[0] && ty(r.y) <= ext[1])
              .map(
                (r) => svg`<line x1=${M.l} x2=${M.l + pw} y1=${sy(r.y)} y2=${sy(r.y)} stroke=${r.colour} stroke-dasharray="5 3" stroke-width="1.2"></line>
                  <text x=${M.l + pw - 3} y=${sy(r.y) - 3} text-anchor="end">${r.label}</text>`,
              )
          : null}
        ${paths}
        ${ext ? null : svg`<text x=${M.l + pw / 2} y=${M.t + ph / 2} text-anchor="middle">no data yet</text>`}
      </svg>
      <div class="legend">
        ${this.series.map((s) => html`<span><span class="swatch" style="background:${s.colour}"></span>${s.label}</span>`)}
        ${hidden > 0 ? html`<span class="note">${hidden} point${hidden > 1 ? 's' : ''} at or below 0 not drawn on the log axis</span>` : null}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'train-chart': TrainChart;
  }
}
