/** <lab-presets>: the preset picker, and the current preset's explanation and paper. */
import { html, LitElement, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { PRESETS, type Preset } from '../app/presets.ts';
import { PresetEvent } from './events.ts';
import { panelStyles } from './theme.ts';

@customElement('lab-presets')
export class LabPresets extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .list {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .list button {
        font-size: calc(12px * var(--s, 1));
        padding: 2px 7px;
      }
      .list button[aria-pressed='true'] {
        background: var(--accent);
        color: var(--accent-fg);
        border-color: var(--accent);
      }
      .text {
        margin-top: 8px;
        font-size: calc(12.5px * var(--s, 1));
        line-height: 1.45;
      }
      .text h3 {
        margin: 0 0 4px;
        font-size: calc(13px * var(--s, 1));
      }
      .text p {
        margin: 0 0 6px;
      }
      .paper {
        font-size: calc(11.5px * var(--s, 1));
        color: var(--muted);
      }
      a {
        color: var(--accent);
      }
    `,
  ];

  @property({ attribute: false }) preset: Preset | null = null;
  /** The settings were changed after the preset was picked. */
  @property({ type: Boolean }) modified = false;

  override render() {
    const p = this.preset;
    return html`<div class="list" role="group" aria-label="Presets">
        ${PRESETS.map(
          (q) => html`<button aria-pressed=${p?.id === q.id ? 'true' : 'false'} @click=${() => this.dispatchEvent(new PresetEvent(q.id))}>${q.title}</button>`,
        )}
      </div>
      ${p
        ? html`<div class="text" aria-live="polite">
            <h3>${p.title}${this.modified ? html` <span class="muted">(settings changed since)</span>` : null}</h3>
            <p>${p.explanation}</p>
            <div class="paper">From: <a href=${p.paper.url} target="_blank" rel="noopener">${p.paper.cite}</a></div>
          </div>`
        : html`<div class="text">
            <p>
              Each row of the surface is one network W = ρ·W0 run forward over T steps and backpropagated. The height is
              how large the gradient is at step t: where it falls towards t = 1 the gradient vanishes, where it rises it explodes.
              Drag ρ across 1 and compare activations, or pick a preset.
            </p>
          </div>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-presets': LabPresets;
  }
}
