/**
 * <train-eigen>: W's eigenvalues in the complex plane for one chosen model, at one of the
 * checkpoints saved over training (a slider), with the unit circle and the eigenvalues at
 * iteration 0 drawn faintly, so the movement (IRNN's leaving 1, tanh's shrinking) is visible.
 * "Open in the gradient view" asks (TrainCommandEvent open-gradient) for the gradient field of
 * the W shown.
 */
import { css, html, LitElement, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { EigenCheckpoint } from '../../app/train-protocol.ts';
import { formatNumber } from '../../export/ticks.ts';
import { panelStyles, svgTextStyles } from '../theme.ts';
import { TrainCommandEvent } from './events.ts';
import { modelColour } from './palette.ts';

const S = 200;

@customElement('train-eigen')
export class TrainEigen extends LitElement {
  static override styles = [
    panelStyles,
    svgTextStyles,
    css`
      .ctl {
        display: flex;
        gap: 8px;
        align-items: center;
        padding: 4px 10px;
        flex-wrap: wrap;
      }
      input[type='range'] {
        flex: 1 1 80px;
      }
      svg {
        display: block;
        width: 100%;
        height: calc(150px * var(--s, 1));
      }
    `,
  ];

  @property({ attribute: false }) checkpoints: EigenCheckpoint[] = [];
  @property({ attribute: false }) labels: string[] = [];
  @state() private model = 0;
  /** Index into the model's checkpoints; -1 follows the latest. */
  @state() private index = -1;

  override render() {
    const mine = this.checkpoints.filter((c) => c.model === this.model).sort((a, b) => a.iteration - b.iteration);
    const i = this.index < 0 || this.index >= mine.length ? mine.length - 1 : this.index;
    const cp = mine[i] ?? null;
    const first = mine[0] ?? null;
    let radius = 1;
    for (const c of [cp, first]) if (c) for (let j = 0; j < c.re.length; j++) radius = Math.max(radius, Math.hypot(c.re[j], c.im[j]));
    const lim = radius * 1.1;
    const sc = (v: number) => (v / lim) * (S / 2 - 6);
    const dots = (c: EigenCheckpoint, colour: string, r: number, opacity: number) =>
      Array.from(c.re, (re, j) => svg`<circle cx=${sc(re)} cy=${-sc(c.im[j])} r=${r} fill=${colour} fill-opacity=${opacity}></circle>`);
    let spectral = 0;
    if (cp) for (let j = 0; j < cp.re.length; j++) spectral = Math.max(spectral, Math.hypot(cp.re[j], cp.im[j]));
    const colour = modelColour(this.model);
    return html`<div class="panel">
      <div class="head"><h2>Eigenvalues of W over training</h2></div>
      <div class="ctl">
        <select aria-label="Model whose eigenvalues are shown" @change=${(e: Event) => ((this.model = Number((e.target as HTMLSelectElement).value)), (this.index = -1))}>
          ${this.labels.map((l, k) => html`<option value=${k} ?selected=${k === this.model}>${k}: ${l}</option>`)}
        </select>
        <input
          type="range"
          aria-label="Checkpoint"
          min="0"
          max=${Math.max(0, mine.length - 1)}
          .value=${String(Math.max(0, i))}
          ?disabled=${mine.length < 2}
          @input=${(e: Event) => {
            const v = Number((e.target as HTMLInputElement).value);
            this.index = v === mine.length - 1 ? -1 : v;
          }}
        />
        <span data-eigen-label>${cp ? `iteration ${cp.iteration}, ρ(W) = ${formatNumber(spectral)}` : 'no checkpoint yet'}</span>
        <button
          data-cmd="open-gradient"
          ?disabled=${!cp}
          title="The gradient lab's field of this W (same T): the rho slider at its spectral radius, the sweep from half to 1.5 times it"
          @click=${() => cp && this.dispatchEvent(new TrainCommandEvent('open-gradient', cp.model, cp.iteration))}
        >
          Open in the gradient view
        </button>
      </div>
      <svg viewBox="${-S / 2} ${-S / 2} ${S} ${S}" role="img" aria-label="Eigenvalues of W in the complex plane">
        <line x1=${-S / 2} x2=${S / 2} y1="0" y2="0" stroke="var(--border)"></line>
        <line y1=${-S / 2} y2=${S / 2} x1="0" x2="0" stroke="var(--border)"></line>
        <circle r=${sc(1)} fill="none" stroke="var(--muted)" stroke-dasharray="3 2"></circle>
        <text x=${sc(1) + 2} y="-3">1</text>
        ${first && cp && first !== cp ? dots(first, 'var(--muted)', 1.6, 0.45) : null}
        ${cp ? dots(cp, colour, 2, 0.9) : null}
      </svg>
      <div class="note" style="padding:0 10px 4px">grey: at iteration 0; dashed: the unit circle</div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'train-eigen': TrainEigen;
  }
}
