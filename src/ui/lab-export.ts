/**
 * <lab-export>: downloads of the run on screen and opening a saved run.
 * - Export menu: the heatmap of the shown field as PNG (1x, 2x, 4x) or SVG (the difference
 *   A - B in compare mode), the grids as CSV or NPZ, the JSON run bundle, the 3D surface as a
 *   PNG of a chosen size (formats in src/app/downloads.ts).
 * - Open (in the same menu): a file input for a run bundle (the page also takes a bundle
 *   dropped anywhere on it).
 * - When the run on screen was imported: which file, who computed it, and a Recompute button;
 *   when an import failed: why, until dismissed.
 * Properties down, events up (ExportEvent, ImportFileEvent, RecomputeEvent).
 */
import { html, LitElement, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { EXPORT_LABELS, PNG_SCALES, SURFACE_SIZES, type ExportFormat, type PngScale } from '../app/downloads.ts';
import type { ImportedRun } from '../app/store.ts';
import { ExportEvent, ImportFileEvent, RecomputeEvent } from './events.ts';
import { panelStyles } from './theme.ts';

@customElement('lab-export')
export class LabExport extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: inline-flex;
        align-items: center;
        gap: 8px;
        flex-wrap: wrap;
        position: relative;
        font-size: calc(12.5px * var(--s, 1));
      }
      details {
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
        display: grid;
        grid-template-columns: auto auto;
        align-items: center;
        gap: 2px 6px;
        padding: 6px;
        background: var(--panel);
        border: 1px solid var(--border);
        border-radius: 6px;
        box-shadow: 0 4px 14px rgba(0, 0, 0, 0.18);
        min-width: 240px;
      }
      .menu button {
        text-align: left;
        border: none;
        background: none;
        white-space: nowrap;
      }
      .menu button:hover,
      .menu button:focus-visible {
        background: var(--input-bg);
      }
      .menu .note {
        grid-column: 1 / -1;
        color: var(--muted);
        font-size: 0.9em;
        padding: 0 4px 2px;
        max-width: 260px;
      }
      .menu hr {
        grid-column: 1 / -1;
        width: 100%;
        border: none;
        border-top: 1px solid var(--border);
        margin: 3px 0;
      }
      input.file {
        display: none;
      }
      .menu .wide {
        grid-column: 1 / -1;
      }
      .imported {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        border: 1px solid var(--accent);
        border-radius: 5px;
        padding: 1px 2px 1px 8px;
        white-space: nowrap;
      }
      .imported .file {
        max-width: 34ch;
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .error {
        color: var(--error);
        border: 1px solid var(--error);
        background: var(--error-bg);
        border-radius: 5px;
        padding: 2px 4px 2px 8px;
        display: inline-flex;
        align-items: center;
        gap: 6px;
        max-width: 70ch;
      }
    `,
  ];

  /** Whether there is a run to export. */
  @property({ type: Boolean }) disabled = false;
  /** Compare mode is on: the heatmap exports are the difference A - B. */
  @property({ type: Boolean }) compare = false;
  /** The run on screen came from this file (or null). */
  @property({ attribute: false }) imported: ImportedRun | null = null;
  /** Why the last import failed (or null). */
  @property({ attribute: false }) importError: string | null = null;
  /** A run is computing (Recompute is off meanwhile). */
  @property({ type: Boolean }) busy = false;

  @state() private scale: PngScale = 2;
  @state() private sizeIndex = 1;
  @state() private dismissed: string | null = null;

  /** The menu closes on a click elsewhere on the page or on Escape, as menus do. */
  private onOutside = (e: Event) => {
    const d = this.renderRoot.querySelector('details');
    if (!d?.open) return;
    if (e instanceof KeyboardEvent ? e.key === 'Escape' : !e.composedPath().includes(this)) d.open = false;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('pointerdown', this.onOutside);
    document.addEventListener('keydown', this.onOutside);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('pointerdown', this.onOutside);
    document.removeEventListener('keydown', this.onOutside);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // A new failure shows even when an earlier one with the same words was dismissed.
    if (changed.has('importError')) this.dismissed = null;
  }

  private pick(f: ExportFormat): void {
    (this.renderRoot.querySelector('details') as HTMLDetailsElement).open = false;
    this.dispatchEvent(new ExportEvent(f, f === 'png' ? { scale: this.scale } : f === 'surface' ? { size: SURFACE_SIZES[this.sizeIndex] } : {}));
  }

  private openPicker(): void {
    (this.renderRoot.querySelector('details') as HTMLDetailsElement).open = false;
    (this.renderRoot.querySelector('input.file') as HTMLInputElement).click();
  }

  private opened(e: Event): void {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = ''; // the same file can be opened again
    if (file) this.dispatchEvent(new ImportFileEvent(file));
  }

  private item(f: ExportFormat, label = EXPORT_LABELS[f]) {
    return html`<button role="menuitem" data-format=${f} ?disabled=${this.disabled} @click=${() => this.pick(f)}>${label}</button>`;
  }

  override render() {
    const diff = this.compare ? 'Difference heatmap' : 'Heatmap';
    const err = this.importError && this.importError !== this.dismissed ? this.importError : null;
    return html`<details>
        <summary aria-label="Export the run on screen, or open a saved run" aria-disabled=${this.disabled ? 'true' : 'false'}>File ▾</summary>
        <div class="menu" role="menu">
          ${this.item('png', `${diff} PNG`)}
          <select aria-label="PNG scale" @change=${(e: Event) => (this.scale = Number((e.target as HTMLSelectElement).value) as PngScale)}>
            ${PNG_SCALES.map((s) => html`<option value=${s} ?selected=${s === this.scale}>${s}x</option>`)}
          </select>
          ${this.item('svg', `${diff} SVG`)}<span></span>
          ${this.item('surface')}
          <select aria-label="Surface image size" @change=${(e: Event) => (this.sizeIndex = Number((e.target as HTMLSelectElement).value))}>
            ${SURFACE_SIZES.map(([w, h], i) => html`<option value=${i} ?selected=${i === this.sizeIndex}>${w} × ${h}</option>`)}
          </select>
          <hr />
          ${this.item('csv')}<span></span> ${this.item('npz')}<span></span> ${this.item('json')}<span></span>
          ${this.compare ? html`<span class="note">grids and bundle: configuration A; the surface image: every surface shown</span>` : null}
          <hr />
          <button role="menuitem" class="wide" data-action="open" @click=${() => this.openPicker()}>Open a run bundle…</button>
          <span class="note">run-….json saved here or by rnnlab; or drop it on the page</span>
        </div>
      </details>
      <input class="file" type="file" accept=".json,application/json" aria-label="Open a run bundle" @change=${(e: Event) => this.opened(e)} />
      ${this.imported
        ? html`<span class="imported" role="status" data-imported>
            <span>imported from</span>
            <span class="file" title=${`${this.imported.source}: computed by ${this.imported.backend} on ${this.imported.adapter}`}>${this.imported.source}</span>
            <span class="by">· ${this.imported.backend}</span>
            <button ?disabled=${this.busy} @click=${() => this.dispatchEvent(new RecomputeEvent())} title="Run this config again here">Recompute</button>
          </span>`
        : null}
      ${err
        ? html`<span class="error" role="alert" data-import-error
            >${err} <button aria-label="Dismiss" @click=${() => (this.dismissed = err)}>×</button></span
          >`
        : null}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-export': LabExport;
  }
}
