/**
 * <lab-spectrum>: the eigenvalues of rho * W0 in the complex plane with the unit circle.
 * As the slider moves, they scale with rho and cross the circle; the spectral radius and
 * spectral norm of rho * W0 are shown as numbers.
 */
import { html, LitElement, css, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Spectrum } from '../core/spectrum.ts';
import { labelledTicks } from '../export/ticks.ts';
import { chartStyles, panelStyles, svgTextStyles } from './theme.ts';
import { PlotSizeController } from './plot-size.ts';

@customElement('lab-spectrum')
export class LabSpectrum extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    chartStyles,
    css`
      .nums {
        display: flex;
        gap: 14px;
        padding: 3px 10px 5px;
        border-top: 1px solid var(--border);
        font-size: calc(12px * var(--s, 1));
        flex-wrap: wrap;
      }
      .nums b {
        font-family: var(--mono);
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) spectrum: Spectrum | null = null;
  @property({ type: Number }) rho = 1;
  /** Largest rho of the sweep: fixes the plot's scale so moving the slider moves the points. */
  @property({ type: Number }) rhoMax = 1.5;
  private readonly plot = new PlotSizeController(this);
  private get size(): { w: number; h: number } {
    return this.plot.size;
  }


  override render() {
    const s = this.spectrum;
    const { w, h } = this.size;
    const ok = s && Number.isFinite(s.radius) && s.re.length > 0;
    let body = null;
    if (ok && w > 0) {
      // Scale: the largest |lambda| over the sweep (and the unit circle) fits with a margin.
      const reach = Math.max(1.05, s.radius * this.rhoMax * 1.05, s.radius * this.rho * 1.05);
      const cx = w / 2;
      const cy = h / 2;
      const R = Math.max(10, Math.min(w, h) / 2 - 18);
      const px = (v: number) => cx + (v / reach) * R;
      const py = (v: number) => cy - (v / reach) * R;
      const t = labelledTicks(-reach, reach, 4).filter((v) => v.value !== 0);
      const pts = [];
      for (let i = 0; i < s.re.length; i++) {
        const re = s.re[i] * this.rho;
        const im = s.im[i] * this.rho;
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
        ${pts}`;
    }
    return html`<div class="panel">
      <div class="head"><h2>Eigenvalues of ρ·W0</h2></div>
      <div class="plot" role="img" aria-label=${ok ? `eigenvalues of rho times W0 at rho ${this.rho.toFixed(3)}; spectral radius ${(s.radius * this.rho).toFixed(3)}` : 'eigenvalues'}>
        <svg width="100%" height="100%">${body}</svg>
      </div>
      <div class="nums">
        <span title="max |λ| of ρ·W0">spectral radius <b>${ok ? (s.radius * this.rho).toFixed(3) : '…'}</b></span>
        <span title="largest singular value of ρ·W0">spectral norm <b>${ok ? (s.norm * this.rho).toFixed(3) : '…'}</b></span>
        <span class="note"><span class="swatch" style="background:var(--series-b)"></span>outside the unit circle</span>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-spectrum': LabSpectrum;
  }
}
