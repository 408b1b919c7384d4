/**
 * <lab-rate>: the phase diagram. The gradient's measured rate per step backwards against rho
 * (one least-squares slope per row, src/core/rate.ts) with its standard-error bound, beside the
 * mean-field rate, the linear rate log10 rho and the Pascanu bound's rate; markers where the
 * mean-field and the measured rate cross 0 (the edge of chaos). The slider's rho is
 * highlighted; a click (or Enter on the focused plot) asks to move the slider there.
 */
import { html, LitElement, css, svg, type SVGTemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { PhaseDiagram } from '../core/phase.ts';
import { describeWindow } from '../core/rate.ts';
import { labelledTicks } from '../export/ticks.ts';
import { ViewChangeEvent } from './events.ts';
import { PlotSizeController } from './plot-size.ts';
import { chartStyles, panelStyles, svgTextStyles, uiScale } from './theme.ts';

export interface RateData {
  phase: PhaseDiagram;
  labelA: string;
  /** The swept axis in words (spectral radius ρ, or the outlier's magnitude). */
  axisWords: string;
  /** Compare mode: B's measured rates (same rho values). */
  rateB: Float64Array | null;
  labelB: string;
}

const COLORS = { measured: 'var(--series-a)', measuredB: 'var(--series-b)', linear: '#8a8f98', pascanu: '#d9534f', meanfield: '#e69f00' };
const M0 = { left: 48, right: 12, top: 10, bottom: 30 };

export const RATE_HELP =
  'Rate: how many decades ‖dL/dh_t‖ grows (> 0) or shrinks (< 0) per step backwards, the least-squares slope of ' +
  'log10 ‖dL/dh_t‖ over the middle of the run. It is the largest Lyapunov exponent of the backward tangent dynamics ' +
  'g_{t−1} = ρ W0ᵀ (φ′(a_t) ∗ g_t), in base 10: the backward pass renormalises g every step and accumulates the log of ' +
  'the scale, as Engelken, Wolf & Abbott 2020 (arXiv 2006.02427) do with re-orthonormalisation. Error bars: an upper ' +
  'bound on the standard error over samples (from the per-step std; the per-sample rates are not kept).';

@customElement('lab-rate')
export class LabRate extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    chartStyles,
    css`
      .plot {
        cursor: pointer;
      }
      .legend {
        display: flex;
        gap: 3px 10px;
        flex-wrap: wrap;
        padding: 3px 10px 5px;
        border-top: 1px solid var(--border);
        font-size: calc(11px * var(--s, 1));
      }
      .key {
        display: inline-block;
        width: 14px;
        height: 0;
        border-top: 2px solid;
        vertical-align: middle;
        margin-right: 3px;
      }
      .help {
        cursor: help;
        border: 1px solid var(--border);
        border-radius: 999px;
        padding: 0 6px;
        font-size: calc(11px * var(--s, 1));
      }
      .head h2 {
        flex: 0 0 auto;
      }
      .edges {
        font-size: calc(11.5px * var(--s, 1));
        color: var(--muted);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        min-width: 0;
      }
      /* Under the title in a narrow panel (theme.ts): the whole readout, on as many lines as it needs. */
      @container (max-width: 440px) {
        .edges {
          white-space: normal;
          flex: 1 1 100%;
        }
      }
    `,
  ];

  @property({ attribute: false }) data: RateData | null = null;
  /** The slider's row. */
  @property({ type: Number }) sliceK = -1;
  private readonly plot = new PlotSizeController(this);
  private lastX: ((rho: number) => number) | null = null;
  private lastBox = { x: 0, w: 0 };

  private pick(e: MouseEvent): void {
    const d = this.data;
    if (!d || this.lastBox.w <= 0) return;
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const rho = d.phase.rho;
    const K = rho.length;
    const frac = (e.clientX - rect.left - this.lastBox.x) / this.lastBox.w;
    const value = K === 1 ? rho[0] : rho[0] + Math.min(1, Math.max(0, frac)) * (rho[K - 1] - rho[0]);
    this.dispatchEvent(new ViewChangeEvent({ rho: value }));
  }

  private key(e: KeyboardEvent): void {
    const d = this.data;
    if (!d) return;
    const K = d.phase.rho.length;
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    e.preventDefault();
    const k = Math.min(K - 1, Math.max(0, (this.sliceK < 0 ? 0 : this.sliceK) + step));
    this.dispatchEvent(new ViewChangeEvent({ rho: d.phase.rho[k] }));
  }

  override render() {
    const d = this.data;
    const W = this.plot.size.w;
    const H = this.plot.size.h;
    const sc = uiScale(this);
    const M = { left: M0.left * sc, right: M0.right, top: M0.top, bottom: M0.bottom * sc };
    const b = { x: M.left, y: M.top, w: Math.max(10, W - M.left - M.right), h: Math.max(10, H - M.top - M.bottom) };
    this.lastBox = { x: b.x, w: b.w };
    let body: SVGTemplateResult | null = null;
    const p = d?.phase;
    if (d && p && W > 0) {
      const rho = p.rho;
      const K = rho.length;
      const lo0 = rho[0];
      const hi0 = K > 1 ? rho[K - 1] : rho[0] + 1e-9;
      const xOf = (r: number) => b.x + (K === 1 ? b.w / 2 : ((r - lo0) / (hi0 - lo0)) * b.w);
      this.lastX = xOf;
      // y range: measured +- error and mean field decide; linear and Pascanu widen it by at most half its span.
      let lo = Infinity;
      let hi = -Infinity;
      const take = (v: number) => {
        if (Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      };
      for (let k = 0; k < K; k++) {
        const se = Number.isFinite(p.measured.seBound[k]) ? p.measured.seBound[k] : 0;
        take(p.measured.rate[k] - se);
        take(p.measured.rate[k] + se);
        take(p.meanField?.[k] ?? NaN);
        take(d.rateB?.[k] ?? NaN);
      }
      take(0);
      let tlo = Infinity;
      let thi = -Infinity;
      for (let k = 0; k < K; k++)
        for (const v of [p.linear[k], p.pascanu[k]])
          if (Number.isFinite(v)) {
            tlo = Math.min(tlo, v);
            thi = Math.max(thi, v);
          }
      const span = Math.max(hi - lo, 0.1);
      if (tlo <= thi) {
        lo = Math.min(lo, Math.max(tlo, lo - span / 2));
        hi = Math.max(hi, Math.min(thi, hi + span / 2));
      }
      const pad = (hi - lo) * 0.06 || 0.05;
      lo -= pad;
      hi += pad;
      const yOf = (v: number) => b.y + b.h - ((v - lo) / (hi - lo)) * b.h;
      const bottom = b.y + b.h;
      // bridge: join the finite points across NaN (mean field evaluated at every m-th row only).
      const pathOf = (values: Float64Array, bridge = false) => {
        let s = '';
        let pen = false;
        for (let k = 0; k < K; k++) {
          const v = values[k];
          if (!Number.isFinite(v)) {
            if (!(bridge && Number.isNaN(v))) pen = false;
            continue;
          }
          s += `${pen ? 'L' : 'M'}${xOf(rho[k]).toFixed(1)} ${Math.max(b.y - 1000, Math.min(bottom + 1000, yOf(v))).toFixed(1)}`;
          pen = true;
        }
        return s;
      };
      const xt = labelledTicks(lo0, hi0, Math.min(8, Math.max(2, Math.floor(b.w / 70))));
      const yt = labelledTicks(lo, hi, Math.min(7, Math.max(3, Math.floor(b.h / 36))));
      const sel = this.sliceK >= 0 && this.sliceK < K ? this.sliceK : -1;
      const dot = (k: number, values: Float64Array, color: string, r: number) =>
        Number.isFinite(values[k]) ? svg`<circle cx=${xOf(rho[k])} cy=${yOf(values[k])} r=${r} fill=${color}></circle>` : null;
      const bars: SVGTemplateResult[] = [];
      for (let k = 0; k < K; k++) {
        const v = p.measured.rate[k];
        const se = p.measured.seBound[k];
        if (!Number.isFinite(v) || !Number.isFinite(se)) continue;
        bars.push(svg`<line x1=${xOf(rho[k])} x2=${xOf(rho[k])} y1=${yOf(v - se)} y2=${yOf(v + se)} stroke=${COLORS.measured} stroke-width="1" opacity="0.55"></line>`);
      }
      const edge = (x: number | null, color: string, label: string, row: number) =>
        x === null
          ? null
          : svg`<line x1=${xOf(x)} x2=${xOf(x)} y1=${b.y} y2=${bottom} stroke=${color} stroke-width="1.5" stroke-dasharray="3 3"></line>
              <path d=${`M${xOf(x) - 5} ${yOf(0) - 5}L${xOf(x)} ${yOf(0)}L${xOf(x) + 5} ${yOf(0) - 5}Z`} fill=${color}></path>
              <text x=${Math.min(b.x + b.w - 4, xOf(x) + 4)} y=${b.y + 12 + 13 * row * sc} text-anchor=${xOf(x) > b.x + b.w * 0.7 ? 'end' : 'start'} style=${`fill:${color}`}>${label} ${x.toFixed(3)}</text>`;
      body = svg`
        <defs><clipPath id="clip"><rect x=${b.x} y=${b.y - 1} width=${b.w} height=${b.h + 2}></rect></clipPath></defs>
        ${yt.map((t) => svg`<line class="gridline" x1=${b.x} x2=${b.x + b.w} y1=${yOf(t.value)} y2=${yOf(t.value)}></line>
          <text x=${b.x - 6} y=${yOf(t.value) + 4} text-anchor="end">${t.label}</text>`)}
        ${xt.map((t) => svg`<line class="axis" x1=${xOf(t.value)} x2=${xOf(t.value)} y1=${bottom} y2=${bottom + 4}></line>
          <text x=${xOf(t.value)} y=${bottom + 15 * sc} text-anchor="middle">${t.label}</text>`)}
        <line class="axis" x1=${b.x} y1=${bottom} x2=${b.x + b.w} y2=${bottom}></line>
        <line class="axis" x1=${b.x} y1=${b.y} x2=${b.x} y2=${bottom}></line>
        <line x1=${b.x} x2=${b.x + b.w} y1=${yOf(0)} y2=${yOf(0)} stroke="var(--fg)" stroke-width="1" opacity="0.6"></line>
        <text x=${b.x + b.w / 2} y=${bottom + 27 * sc} text-anchor="middle" style="fill:var(--muted)">${d.axisWords}</text>
        <text transform=${`translate(${11 * sc} ${b.y + b.h / 2}) rotate(-90)`} text-anchor="middle" style="fill:var(--muted)">${b.h < 150 * sc ? 'decades/step' : 'decades per step back'}</text>
        ${sel >= 0 ? svg`<rect x=${xOf(rho[sel]) - 3} y=${b.y} width="6" height=${b.h} fill="var(--accent)" opacity="0.18"></rect>` : null}
        <g clip-path="url(#clip)">
          <path d=${pathOf(p.linear)} fill="none" stroke=${COLORS.linear} stroke-width="1.5" stroke-dasharray="6 4"></path>
          <path d=${pathOf(p.pascanu)} fill="none" stroke=${COLORS.pascanu} stroke-width="1.5" stroke-dasharray="2 3"></path>
          ${p.meanField ? svg`<path d=${pathOf(p.meanField, p.meanFieldEvery > 1)} fill="none" stroke=${COLORS.meanfield} stroke-width="2" stroke-dasharray="9 3 2 3"></path>` : null}
          ${d.rateB ? svg`<path d=${pathOf(d.rateB)} fill="none" stroke=${COLORS.measuredB} stroke-width="1.5"></path>` : null}
          ${bars}
          <path d=${pathOf(p.measured.rate)} fill="none" stroke=${COLORS.measured} stroke-width="2"></path>
          ${rho.length <= 128 ? Array.from(rho, (_, k) => dot(k, p.measured.rate, COLORS.measured, 2)) : null}
          ${sel >= 0 ? dot(sel, p.measured.rate, COLORS.measured, 4.5) : null}
          ${sel >= 0 && p.meanField ? dot(sel, p.meanField, COLORS.meanfield, 3.5) : null}
        </g>
        ${edge(p.edgeMeanField, COLORS.meanfield, 'mean-field edge ρ =', 0)}
        ${edge(p.edgeMeasured, COLORS.measured, 'measured edge ρ =', 1)}`;
    } else this.lastX = null;
    const sel = p && this.sliceK >= 0 && this.sliceK < p.rho.length ? this.sliceK : -1;
    const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`);
    const readout = p && sel >= 0
      ? html`<span class="edges">at ρ = ${p.rho[sel].toFixed(3)}: measured ${fmt(p.measured.rate[sel])}${Number.isFinite(p.measured.seBound[sel]) ? ` ± ${p.measured.seBound[sel].toFixed(3)}` : ''}${p.meanField ? html`, mean field ${fmt(p.meanField[sel])}` : null}${p.measured.reasons[sel] ? ` (${p.measured.reasons[sel]})` : ''}</span>`
      : null;
    const help = `${RATE_HELP} Window: ${describeWindow(p?.window ?? null)}.`;
    return html`<div class="panel">
      <div class="head">
        <h2>Rate per step vs ρ</h2>
        <span class="help" title=${help} aria-label=${help} tabindex="0">?</span>
        ${readout}
      </div>
      <div
        class="plot"
        role="img"
        tabindex="0"
        aria-label=${p ? `measured and predicted gradient rate per step against rho; ${describeWindow(p.window)}; click to move the slider` : 'rate chart'}
        @click=${(e: MouseEvent) => this.pick(e)}
        @keydown=${(e: KeyboardEvent) => this.key(e)}
      >
        <svg width="100%" height="100%">${body}</svg>
      </div>
      <div class="legend">
        <span><span class="key" style=${`border-color:${COLORS.measured}`}></span>${d?.labelA ?? 'measured'} ± SE bound</span>
        ${d?.rateB ? html`<span><span class="key" style=${`border-color:${COLORS.measuredB}`}></span>${d.labelB}</span>` : null}
        ${p?.meanField
          ? html`<span title=${p.meanFieldNote}><span class="key" style=${`border-top-style:dashed;border-color:${COLORS.meanfield}`}></span>mean field ½·log10 χ${p.meanFieldEvery > 1 ? ` (every ${p.meanFieldEvery}th ρ; the exports have every ρ)` : ''}</span>`
          : html`<span class="note" title=${p?.meanFieldNote ?? ''}>mean field: not drawn (${(p?.meanFieldNote ?? '').replace(/^mean field /, '')})</span>`}
        <span><span class="key" style=${`border-top-style:dashed;border-color:${COLORS.linear}`}></span>linear log10 ρ</span>
        <span><span class="key" style=${`border-top-style:dotted;border-color:${COLORS.pascanu}`}></span>Pascanu bound</span>
        ${p && p.meanField && p.edgeMeanField === null
          ? html`<span class="note"
              >${p.edgeMeanFieldOutside !== null
                ? `mean-field edge ρ ≈ ${p.edgeMeanFieldOutside.toFixed(2)}, outside the swept ρ`
                : 'mean-field edge outside the swept ρ'}</span
            >`
          : null}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-rate': LabRate;
  }
}
