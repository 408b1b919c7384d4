/** <lab-export>: a small menu of downloads of the run on screen (formats from src/app/downloads.ts). */
import { html, LitElement, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { EXPORT_FORMATS, EXPORT_LABELS, type ExportFormat } from '../app/downloads.ts';
import { ExportEvent } from './events.ts';
import { panelStyles } from './theme.ts';

@customElement('lab-export')
export class LabExport extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: inline-block;
        position: relative;
      }
      summary {
        list-style: none;
        cursor: pointer;
        border: 1px solid var(--border);
        border-radius: 5px;
        padding: 2px 8px;
        background: var(--input-bg);
        white-space: nowrap;
      }
      summary::-webkit-details-marker {
        display: none;
      }
      .menu {
        position: absolute;
        right: 0;
        top: calc(100% + 4px);
        z-index: 20;
        display: flex;
        flex-direction: column;
        gap: 2px;
        padding: 4px;
        background: var(--panel);
        border: 1px solid var(--border);
        border-radius: 6px;
        box-shadow: 0 4px 14px rgba(0, 0, 0, 0.18);
        min-width: 170px;
      }
      .menu button {
        text-align: left;
        border: none;
        background: none;
      }
      .menu button:hover,
      .menu button:focus-visible {
        background: var(--input-bg);
      }
    `,
  ];

  /** Whether there is a run to export. */
  @property({ type: Boolean }) disabled = false;

  private pick(f: ExportFormat): void {
    (this.renderRoot.querySelector('details') as HTMLDetailsElement).open = false;
    this.dispatchEvent(new ExportEvent(f));
  }

  override render() {
    return html`<details>
      <summary aria-label="Export the run on screen" aria-disabled=${this.disabled ? 'true' : 'false'}>Export ▾</summary>
      <div class="menu" role="menu">
        ${EXPORT_FORMATS.map(
          (f) => html`<button role="menuitem" data-format=${f} ?disabled=${this.disabled} @click=${() => this.pick(f)}>${EXPORT_LABELS[f]}</button>`,
        )}
      </div>
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-export': LabExport;
  }
}
