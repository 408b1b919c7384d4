/** <lab-badge>: which engine ran, on what, why, and how fast the last run was. */
import { html, LitElement, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BackendInfo } from '../app/backends.ts';
import type { RunResult } from '../app/store.ts';
import { panelStyles } from './theme.ts';

@customElement('lab-badge')
export class LabBadge extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: inline-block;
      }
      .badge {
        display: flex;
        gap: 10px;
        align-items: center;
        border: 1px solid var(--border);
        border-radius: 999px;
        padding: 3px 12px;
        background: var(--panel);
        font-size: 12px;
        white-space: nowrap;
      }
      .engine {
        font-weight: 700;
        color: var(--accent);
      }
      .num {
        font-family: var(--mono);
      }
    `,
  ];

  @property({ attribute: false }) backend: BackendInfo | null = null;
  @property({ attribute: false }) result: RunResult | null = null;

  override render() {
    const b = this.backend;
    const r = this.result;
    const title = b ? `${b.why}\nWebGPU: ${b.webgpu.description}` : '';
    return html`<div class="badge" title=${title} role="status" aria-label=${b ? `engine ${b.engine} on ${b.adapter}` : 'engine starting'}>
      <span class="engine">${b ? b.engine : 'starting…'}</span>
      <span class="adapter">${b ? b.adapter : ''}</span>
      ${r
        ? html`<span class="num">${(r.wallMs / 1000).toFixed(2)} s</span>
            <span class="num">${r.msPerStep.toFixed(2)} ms/step</span>
            <span class="num">${r.gflops.toFixed(2)} GFLOP/s</span>`
        : null}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-badge': LabBadge;
  }
}
