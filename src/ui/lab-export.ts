/**
 * <lab-export>: downloads of the run on screen and opening a saved run.
 * - Export menu: the heatmap of the shown field as PNG (1x, 2x, 4x) or SVG (the difference
 *   A - B in compare mode), the grids as CSV or NPZ, the JSON run bundle, the 3D surface as a
 *   PNG of a chosen size (formats in src/app/downloads.ts).
 * - Open (in the same menu): a file input for a run bundle (the page also takes a bundle
 *   dropped anywhere on it).
 * - When the run on screen was imported: which file, who computed it, and a Recompute button;
 *   when an import failed: why, until dismissed.
 * The menu follows the WAI-ARIA menu button pattern: the File button opens it (click, Enter,
 * Space, ArrowDown to the first item, ArrowUp to the last); ArrowDown/ArrowUp, Home/End move
 * between items; Escape closes it and gives focus back to the button; Tab or a click elsewhere
 * closes it. The PNG scale and the surface size are menuitemradio groups in the same order.
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
      .wrap {
        position: relative;
      }
      .menu-button {
        cursor: pointer;
        border: 1px solid var(--border);
        border-radius: 5px;
        padding: 2px 8px;
        background: var(--input-bg);
        white-space: nowrap;
      }
      .menu[hidden] {
        display: none;
      }
      .menu.align-left {
        right: auto;
        left: 0;
      }
      @media (max-width: 560px) {
        .menu {
          max-width: calc(100vw - 16px);
          grid-template-columns: auto;
        }
        .choices {
          flex-wrap: wrap;
        }
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
        outline: 2px solid var(--accent);
        outline-offset: -2px;
      }
      .choices {
        display: flex;
        gap: 2px;
        flex-wrap: nowrap;
      }
      .choices button {
        border: 1px solid var(--border);
        border-radius: 4px;
        padding: 0 5px;
        font-size: 0.92em;
      }
      .choices button[aria-checked='true'] {
        border-color: var(--accent);
        font-weight: 600;
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
  @state() private open = false;
  /** The menu opens rightwards from the button's left edge (no room on the left). */
  @state() private alignLeft = false;

  /** A click elsewhere on the page closes the menu, as menus do. */
  private onOutside = (e: Event) => {
    if (this.open && !e.composedPath().includes(this)) this.open = false;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('pointerdown', this.onOutside);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('pointerdown', this.onOutside);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // A new failure shows even when an earlier one with the same words was dismissed.
    if (changed.has('importError')) this.dismissed = null;
  }

  /** The menu's items in order (menuitem and menuitemradio), skipping disabled ones. */
  private items(): HTMLElement[] {
    return Array.from(this.renderRoot.querySelectorAll<HTMLElement>('.menu [role^=menuitem]')).filter((el) => !(el as HTMLButtonElement).disabled);
  }

  private async openMenu(focus: 'first' | 'last'): Promise<void> {
    this.open = true;
    this.alignLeft = false;
    await this.updateComplete;
    // Anchored at the button's right edge it may run off the left of the viewport (the button
    // sits near the left when the toolbar wraps, or on a phone): then anchor it at the left edge.
    const menu = this.renderRoot.querySelector<HTMLElement>('.menu');
    if (menu && menu.getBoundingClientRect().left < 0) {
      this.alignLeft = true;
      await this.updateComplete;
    }
    const items = this.items();
    (focus === 'first' ? items[0] : items[items.length - 1])?.focus();
  }

  private closeMenu(refocus: boolean): void {
    this.open = false;
    if (refocus) this.renderRoot.querySelector<HTMLButtonElement>('.menu-button')?.focus();
  }

  private onButtonKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      void this.openMenu(e.key === 'ArrowDown' ? 'first' : 'last');
    }
  }

  private onMenuKey(e: KeyboardEvent): void {
    const items = this.items();
    const at = items.indexOf((this.renderRoot as ShadowRoot).activeElement as HTMLElement);
    const go = (i: number) => {
      e.preventDefault();
      items[(i + items.length) % items.length]?.focus();
    };
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at < 0 ? -1 : at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(-1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      this.closeMenu(true);
    } else if (e.key === 'Tab') this.closeMenu(false);
  }

  private pick(f: ExportFormat): void {
    this.closeMenu(true);
    this.dispatchEvent(new ExportEvent(f, f.endsWith('png') && f !== 'surface' ? { scale: this.scale } : f === 'surface' ? { size: SURFACE_SIZES[this.sizeIndex] } : {}));
  }

  private openPicker(): void {
    this.closeMenu(true);
    (this.renderRoot.querySelector('input.file') as HTMLInputElement).click();
  }

  private opened(e: Event): void {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = ''; // the same file can be opened again
    if (file) this.dispatchEvent(new ImportFileEvent(file));
  }

  private item(f: ExportFormat, label = EXPORT_LABELS[f]) {
    return html`<button role="menuitem" tabindex="-1" data-format=${f} ?disabled=${this.disabled} @click=${() => this.pick(f)}>${label}</button>`;
  }

  /** A row of menuitemradio choices (the PNG scale, the surface size): picking one keeps the menu open. */
  private choices<T>(label: string, attr: string, options: readonly T[], checked: (o: T, i: number) => boolean, words: (o: T) => string, pick: (o: T, i: number) => void) {
    return html`<div class="choices" role="group" aria-label=${label}>
      ${options.map(
        (o, i) => html`<button role="menuitemradio" tabindex="-1" data-choice=${attr} data-value=${String(i)} aria-checked=${checked(o, i) ? 'true' : 'false'} @click=${() => pick(o, i)}>${words(o)}</button>`,
      )}
    </div>`;
  }

  override render() {
    const diff = this.compare ? 'Difference heatmap' : 'Heatmap';
    const err = this.importError && this.importError !== this.dismissed ? this.importError : null;
    return html`<div class="wrap">
        <button
          class="menu-button"
          id="file-button"
          aria-haspopup="menu"
          aria-expanded=${this.open ? 'true' : 'false'}
          aria-controls="file-menu"
          title="Export the run on screen, or open a saved run"
          @click=${() => (this.open ? this.closeMenu(true) : void this.openMenu('first'))}
          @keydown=${(e: KeyboardEvent) => this.onButtonKey(e)}
        >
          File <span aria-hidden="true">▾</span>
        </button>
        <div class="menu ${this.alignLeft ? 'align-left' : ''}" id="file-menu" role="menu" aria-labelledby="file-button" ?hidden=${!this.open} @keydown=${(e: KeyboardEvent) => this.onMenuKey(e)}>
          ${this.item('png', `${diff} PNG`)}
          ${this.choices('PNG scale', 'scale', PNG_SCALES, (o) => o === this.scale, (o) => `${o}x`, (o) => (this.scale = o))}
          ${this.item('svg', `${diff} SVG`)}<span></span>
          ${this.item('surface')}
          ${this.choices('Surface image size', 'size', SURFACE_SIZES, (_, i) => i === this.sizeIndex, ([w, h]) => `${w}×${h}`, (_, i) => (this.sizeIndex = i))}
          <hr />
          ${this.item('slice-png')}<span></span> ${this.item('slice-svg')}<span></span>
          ${this.item('spectrum-png')}<span></span> ${this.item('spectrum-svg')}<span></span>
          ${this.item('derivative-png')}<span></span> ${this.item('derivative-svg')}<span></span>
          ${this.item('rate-png')}<span></span> ${this.item('rate-svg')}<span></span> ${this.item('rate-csv')}<span></span>
          <hr />
          ${this.item('csv')}<span></span> ${this.item('npz')}<span></span> ${this.item('json')}<span></span>
          ${this.compare ? html`<span class="note">grids and bundle: configuration A; the surface image: every surface shown</span>` : null}
          <hr />
          <button role="menuitem" tabindex="-1" class="wide" data-action="open" @click=${() => this.openPicker()}>Open a run bundle…</button>
          <span class="note">run-….json saved here or by rnnlab; or drop it on the page</span>
        </div>
      </div>
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
