/** <lab-badge>: which engine ran, on what, why, and how fast the last run was. */
import { html, LitElement, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BackendInfo } from '../app/backends.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../app/state.ts';
import { ViewChangeEvent } from './events.ts';
import type { RunResult } from '../app/store.ts';
import { panelStyles } from './theme.ts';

/** Two significant digits for small rates, two decimals otherwise. */
function fmtRate(g: number): string {
  return g >= 1 ? g.toFixed(2) : g.toPrecision(2);
}

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
        overflow: hidden;
        gap: 10px;
        align-items: center;
        border: 1px solid var(--border);
        border-radius: 999px;
        padding: 2px 12px 2px 4px;
        background: var(--panel);
        font-size: calc(12px * var(--s, 1));
        white-space: nowrap;
      }
      .engine {
        font-weight: 700;
        color: var(--accent);
      }
      select {
        border-radius: 999px;
        font-size: calc(12px * var(--s, 1));
      }
      .num {
        font-family: var(--mono);
      }
      /* Why this engine runs and the others were skipped: one line, whole text on hover. */
      .why {
        max-width: 32ch;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      /* The timings come right after the engine and never shrink; the adapter, the WebGPU note
         and why give way (ellipsis, whole text on hover) when the header is narrow. */
      .num,
      .engine,
      select {
        flex: 0 0 auto;
      }
      .adapter,
      .webgpu,
      .why {
        flex: 0 1 auto;
        min-width: 3ch;
        overflow: hidden;
        text-overflow: ellipsis;
      }
    `,
  ];

  @property({ attribute: false }) backend: BackendInfo | null = null;
  @property({ attribute: false }) result: RunResult | null = null;
  @property({ type: String }) choice: BackendChoice = 'auto';
  /** Hide the engine picker (embed mode). */
  @property({ type: Boolean }) readonly = false;

  private webgpuWords(b: BackendInfo): string {
    const w = b.webgpu;
    if (!w.available) return w.description;
    const name = w.description.replace(/ \(software\)$/, '');
    return w.isFallback ? `${name} (software, skipped)` : `${name} (not used)`;
  }

  override render() {
    const b = this.backend;
    const r = this.result;
    const title = b ? `${b.why}\nWebGPU: ${b.webgpu.description}` : '';
    return html`<div class="badge" title=${title} role="status" aria-label=${b ? `engine ${b.engine} on ${b.adapter}` : 'engine starting'}>
      ${this.readonly
        ? null
        : html`<select aria-label="Engine (backend)" @change=${(e: Event) => this.dispatchEvent(new ViewChangeEvent({ backend: (e.target as HTMLSelectElement).value as BackendChoice }))}>
            ${BACKEND_CHOICES.map((c) => html`<option value=${c} ?selected=${c === this.choice}>${c === 'auto' ? 'engine: auto' : c}</option>`)}
          </select>`}
      <span class="engine">${b ? b.engine : 'starting…'}</span>
      ${r
        ? html`<span class="num" data-timing>${(r.wallMs / 1000).toFixed(2)} s</span>
            <span class="num" data-timing>${r.msPerStep.toFixed(2)} ms/step</span>
            <span class="num" data-timing>${fmtRate(r.gflops)} GFLOP/s</span>`
        : null}
      <span class="adapter" title=${b?.adapter ?? ''}>${b ? b.adapter : ''}</span>
      ${b && b.engine !== 'webgpu' ? html`<span class="muted webgpu" title=${b.why}>WebGPU: ${this.webgpuWords(b)}</span>` : null}
      ${b ? html`<span class="why muted" title=${b.why}>${b.why}</span>` : null}

    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-badge': LabBadge;
  }
}
