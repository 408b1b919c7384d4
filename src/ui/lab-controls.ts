/**
 * <lab-controls>: one labelled control per config field (from the core FIELDS table),
 * grouped; the store's validation message appears next to the field it names.
 */
import { html, LitElement, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { describeAllowed, FIELDS, type Config, type FieldName } from '../core/config.ts';
import { FieldChangeEvent } from './events.ts';
import { panelStyles } from './theme.ts';

const GROUPS: { title: string; fields: FieldName[] }[] = [
  { title: 'Network', fields: ['activation', 'leakyAlpha', 'hidden', 'input'] },
  { title: 'Recurrent matrix W = ρ·W0', fields: ['init', 'normalize', 'seed'] },
  { title: 'Inputs', fields: ['inputs', 'inputUntil', 'inputScale', 'biasScale', 'h0'] },
  { title: 'Sweep', fields: ['rhoMin', 'rhoMax', 'rhoCount', 'steps', 'samples'] },
];

@customElement('lab-controls')
export class LabControls extends LitElement {
  static override styles = [
    panelStyles,
    css`
      fieldset {
        border: none;
        border-top: 1px solid var(--border);
        margin: 0;
        padding: 6px 0 8px;
      }
      legend {
        font-weight: 600;
        font-size: calc(12px * var(--s, 1));
        color: var(--muted);
        padding: 0 4px 0 0;
        text-transform: uppercase;
        letter-spacing: 0.03em;
      }
      .row {
        display: grid;
        grid-template-columns: 1fr calc(112px * var(--s, 1));
        align-items: center;
        gap: 2px 8px;
        margin: 3px 0;
      }
      .row label {
        font-size: calc(12.5px * var(--s, 1));
      }
      .row input,
      .row select {
        width: 100%;
      }
      .row.bad input,
      .row.bad select {
        border-color: var(--error);
        background: var(--error-bg);
      }
      .err {
        grid-column: 1 / -1;
        color: var(--error);
        font-size: calc(11.5px * var(--s, 1));
      }
      .dim {
        opacity: 0.55;
      }
    `,
  ];

  @property({ attribute: false }) config: Config | null = null;
  @property({ attribute: false }) drafts: Partial<Record<FieldName, string>> = {};
  @property({ attribute: false }) errors: Partial<Record<FieldName, string>> = {};

  private emit(name: FieldName, raw: string): void {
    this.dispatchEvent(new FieldChangeEvent(name, raw));
  }

  /** Fields that do nothing in the current configuration are dimmed (still editable). */
  private inactive(name: FieldName, c: Config): boolean {
    if (name === 'leakyAlpha') return c.activation !== 'leaky_relu';
    if (name === 'inputUntil') return c.inputs !== 'zero-after';
    return false;
  }

  private control(name: FieldName, c: Config) {
    const spec = FIELDS[name];
    const id = `f-${name}`;
    const err = this.errors[name];
    const value = this.drafts[name] ?? String(c[name]);
    const input =
      spec.kind === 'enum'
        ? html`<select id=${id} .value=${value} aria-invalid=${err ? 'true' : 'false'} aria-describedby=${`${id}-err`}
            @change=${(e: Event) => this.emit(name, (e.target as HTMLSelectElement).value)}>
            ${spec.options.map((o) => html`<option value=${o} ?selected=${o === value}>${o}</option>`)}
          </select>`
        : html`<input id=${id} type="number" inputmode="decimal" min=${spec.min} max=${spec.max}
            step=${spec.kind === 'int' ? 1 : 'any'} .value=${value} aria-invalid=${err ? 'true' : 'false'}
            aria-describedby=${`${id}-err`}
            @change=${(e: Event) => this.emit(name, (e.target as HTMLInputElement).value)} />`;
    return html`<div class="row ${err ? 'bad' : ''} ${this.inactive(name, c) ? 'dim' : ''}" title=${`${spec.help}; ${describeAllowed(name)}`}>
      <label for=${id}>${spec.label}</label>${input}
      ${err ? html`<div class="err" id=${`${id}-err`} role="alert">${err}</div>` : null}
    </div>`;
  }

  override render() {
    const c = this.config;
    if (!c) return null;
    return html`${GROUPS.map((g) => html`<fieldset><legend>${g.title}</legend>${g.fields.map((f) => this.control(f, c))}</fieldset>`)}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-controls': LabControls;
  }
}
