/**
 * <lab-slider>: the eigenvalue slider. Its range is the sweep's rho values (one step per
 * computed row), so dragging only moves the highlighted slice; nothing is recomputed.
 * Arrow keys step one row, Page Up/Down ten; the play button sweeps back and forth.
 */
import { html, LitElement, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { nearestRhoIndex } from '../core/field.ts';
import { ViewChangeEvent } from './events.ts';
import { panelStyles } from './theme.ts';

/** Rows per second while playing. */
const PLAY_RATE = 16;

@customElement('lab-slider')
export class LabSlider extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 8px;
        flex: 1 1 auto;
      }
      label {
        font-weight: 600;
        white-space: nowrap;
      }
      input[type='range'] {
        flex: 1 1 auto;
        min-width: 120px;
        accent-color: var(--accent);
        padding: 0;
        border: none;
        background: none;
      }
      output {
        font: 600 calc(13px * var(--s, 1)) var(--mono);
        min-width: 9ch;
      }
      .ends {
        font-size: calc(11px * var(--s, 1));
        color: var(--muted);
        font-family: var(--mono);
      }
      button {
        min-width: 64px;
      }
    `,
  ];

  /** [K] the swept rho values (from the last run). */
  @property({ attribute: false }) values: Float64Array | null = null;
  @property({ type: Number }) rho = 1;
  /** The swept axis's symbol: ρ, or |λ₁| for the outlier axis. */
  @property({ type: String }) axis = 'ρ';
  @state() private playing = false;
  private raf = 0;
  private direction = 1;
  private last = 0;
  private acc = 0;

  private index(): number {
    return this.values ? nearestRhoIndex(this.values, this.rho) : 0;
  }

  private set(k: number): void {
    if (!this.values) return;
    this.dispatchEvent(new ViewChangeEvent({ rho: this.values[k] }));
  }

  private togglePlay(): void {
    this.playing = !this.playing;
    if (this.playing) {
      this.last = performance.now();
      this.acc = 0;
      this.raf = requestAnimationFrame(this.tick);
    } else cancelAnimationFrame(this.raf);
  }

  private tick = (now: number) => {
    if (!this.playing || !this.values) return;
    this.acc += ((now - this.last) / 1000) * PLAY_RATE;
    this.last = now;
    const steps = Math.floor(this.acc);
    if (steps > 0) {
      this.acc -= steps;
      const K = this.values.length;
      let k = this.index();
      for (let i = 0; i < steps; i++) {
        if (k + this.direction < 0 || k + this.direction > K - 1) this.direction = -this.direction;
        k = Math.min(K - 1, Math.max(0, k + this.direction));
      }
      this.set(k);
    }
    this.raf = requestAnimationFrame(this.tick);
  };

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.raf);
    this.playing = false;
  }

  override render() {
    const v = this.values;
    const K = v?.length ?? 1;
    const k = this.index();
    const shown = v ? v[k] : this.rho;
    return html`<label for="rho">${this.axis}</label>
      <span class="ends">${v ? v[0].toFixed(2) : ''}</span>
      <input
        id="rho"
        type="range"
        min="0"
        max=${K - 1}
        step="1"
        .value=${String(k)}
        ?disabled=${!v || K < 2}
        aria-label="spectral radius rho of W; arrow keys step one swept value"
        aria-valuetext=${`rho ${shown.toFixed(3)}`}
        @input=${(e: Event) => this.set(Number((e.target as HTMLInputElement).value))}
      />
      <span class="ends">${v ? v[K - 1].toFixed(2) : ''}</span>
      <output for="rho" aria-live="off">${shown.toFixed(3)}</output>
      <button @click=${this.togglePlay} ?disabled=${!v || K < 2} aria-pressed=${this.playing ? 'true' : 'false'} aria-label=${this.playing ? 'Pause the rho sweep' : 'Play: sweep rho back and forth'}>
        ${this.playing ? '❚❚ Pause' : '▶ Play'}
      </button>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-slider': LabSlider;
  }
}
