/**
 * <lab-badge>: the engine picker and a short label of which engine ran and how long the last run
 * took ("CPU, 2 workers · 0.31 s"); the details (adapter, timings, what the WebGPU probe found,
 * why this engine runs) in a popover behind the label. The popover is the platform's (the
 * popover attribute): the label is a button that opens it, Escape or a click outside closes it
 * and focus goes back to the button, and the button says expanded or collapsed to a screen reader.
 */
import { html, LitElement, css } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { BackendInfo } from '../app/backends.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../app/state.ts';
import { ViewChangeEvent } from './events.ts';
import type { RunResult } from '../app/store.ts';
import { badgeDetails, badgeLabel } from './badge-words.ts';
import { panelStyles } from './theme.ts';

@customElement('lab-badge')
export class LabBadge extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: inline-block;
        min-width: 0;
        max-width: 100%;
      }
      .badge {
        display: flex;
        gap: 6px;
        align-items: center;
        border: 1px solid var(--border);
        border-radius: 999px;
        padding: 2px 4px;
        background: var(--panel);
        font-size: calc(12px * var(--s, 1));
        white-space: nowrap;
        min-width: 0;
      }
      select {
        border-radius: 999px;
        font-size: calc(12px * var(--s, 1));
        flex: 0 1 auto;
        min-width: 0;
      }
      button.short {
        flex: 0 0 auto;
        border: none;
        border-radius: 999px;
        background: transparent;
        font-size: calc(12px * var(--s, 1));
        padding: 1px 8px;
        cursor: pointer;
      }
      button.short:hover,
      button.short:focus-visible {
        background: var(--input-bg);
      }
      .engine {
        font-weight: 700;
        color: var(--accent);
      }
      .more {
        color: var(--muted);
        margin-left: 3px;
      }
      .details {
        /* A popover sits in the top layer, centred by default: placed under the label instead (place()). */
        position: fixed;
        inset: auto;
        margin: 0;
        box-sizing: border-box;
        max-width: min(62ch, calc(100vw - 16px));
        padding: 8px 12px;
        border: 1px solid var(--border);
        border-radius: 8px;
        background: var(--panel);
        color: var(--fg);
        font: calc(12.5px * var(--s, 1)) / 1.4 var(--font);
        box-shadow: 0 6px 24px rgba(0, 0, 0, 0.25);
        white-space: normal;
      }
      .details h2 {
        font-size: calc(13px * var(--s, 1));
        margin: 0 0 6px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 3px 10px;
        margin: 0;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property({ attribute: false }) backend: BackendInfo | null = null;
  @property({ attribute: false }) result: RunResult | null = null;
  @property({ type: String }) choice: BackendChoice = 'auto';
  /** Hide the engine picker (embed mode). */
  @property({ type: Boolean }) readonly = false;
  /** The details are open (the button's aria-expanded). */
  @state() private open = false;
  @query('.details') private details!: HTMLElement;
  @query('button.short') private button!: HTMLButtonElement;

  /** Under the label, right-aligned with it where it fits, always inside the window. */
  private place = (e: Event): void => {
    this.open = (e as ToggleEvent).newState === 'open';
    if (!this.open) return;
    const r = this.button.getBoundingClientRect();
    const p = this.details;
    p.style.top = `${Math.round(r.bottom + 6)}px`;
    const width = p.offsetWidth;
    const left = Math.min(window.innerWidth - width - 8, Math.max(8, r.right - width));
    p.style.left = `${Math.round(Math.max(8, left))}px`;
  };

  override render() {
    const b = this.backend;
    const r = this.result;
    const label = badgeLabel(b, r);
    const [engine, ...rest] = label.split(' · ');
    return html`<div class="badge">
      ${this.readonly
        ? null
        : html`<select aria-label="Engine (backend)" @change=${(e: Event) => this.dispatchEvent(new ViewChangeEvent({ backend: (e.target as HTMLSelectElement).value as BackendChoice }))}>
            ${BACKEND_CHOICES.map((c) => html`<option value=${c} ?selected=${c === this.choice}>${c === 'auto' ? 'engine: auto' : c}</option>`)}
          </select>`}
      <button class="short" popovertarget="engine-details" aria-haspopup="dialog" aria-expanded=${this.open ? 'true' : 'false'} title="engine details"
        ><span class="engine" data-short>${engine}</span>${rest.length ? html` · <span class="num" data-timing>${rest.join(' · ')}</span>` : null}<span
          class="more"
          aria-hidden="true"
          >▾</span
        ></button
      >
      <div id="engine-details" class="details" popover role="dialog" aria-label="Engine details" @toggle=${this.place}>
        <h2>Engine details</h2>
        <dl>
          ${badgeDetails(b, r).map((row) => html`<dt>${row.term}</dt> <dd>${row.text}</dd> `)}
        </dl>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-badge': LabBadge;
  }
}
