/**
 * <lab-controls>: one labelled control per config field (from the core FIELDS table),
 * grouped; the store's validation message appears next to the field it names.
 */
import { html, LitElement, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { ACTIVATION_PARAMS } from '../core/activations.ts';
import { describeAllowed, FIELDS, rhoCountWithOne, rhoOneMissed, type Config, type FieldName } from '../core/config.ts';
import { untiedCost, untiedRefusal } from '../core/work.ts';
import { FieldChangeEvent } from './events.ts';
import { panelStyles } from './theme.ts';

const GROUPS: { title: string; fields: FieldName[] }[] = [
  { title: 'Network', fields: ['activation', ...ACTIVATION_PARAMS.map((p) => p.key), 'hidden', 'input'] },
  { title: 'Recurrent matrix W = ρ·W0', fields: ['init', 'normalize', 'bulk', 'outliers', 'weights', 'seed'] },
  { title: 'Inputs', fields: ['inputs', 'inputUntil', 'inputScale', 'biasScale', 'h0'] },
  { title: 'Sweep', fields: ['sweep', 'rhoMin', 'rhoMax', 'rhoCount', 'steps', 'samples'] },
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
      .hint {
        grid-column: 1 / -1;
        color: var(--muted);
        font-size: calc(11.5px * var(--s, 1));
      }
      .err {
        grid-column: 1 / -1;
        color: var(--error);
        font-size: calc(11.5px * var(--s, 1));
      }
      /* Fields that do nothing now: muted text (still 4.5:1 against the panel), skipped by Tab. */
      .dim label {
        color: var(--muted);
      }
      .dim input,
      .dim select {
        color: var(--muted);
        border-style: dashed;
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
    const param = ACTIVATION_PARAMS.find((p) => p.key === name);
    if (param) return c.activation !== param.activation;
    if (name === 'inputUntil') return c.inputs !== 'zero-after';
    if (name === 'normalize') return c.init === 'spectrum';
    if (name === 'bulk' || name === 'outliers') return c.init !== 'spectrum';
    return false;
  }

  /** ArrowUp/ArrowDown step a whole-number field by 1 within its bounds, as a number input would. */
  private step(e: KeyboardEvent, name: FieldName): void {
    const spec = FIELDS[name];
    if (spec.kind !== 'int' || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (!Number.isInteger(v)) return;
    e.preventDefault();
    const next = Math.min(spec.max, Math.max(spec.min, v + (e.key === 'ArrowUp' ? 1 : -1)));
    input.value = String(next);
    this.emit(name, input.value);
  }

  /** rho = 1 (where gradients neither vanish nor explode for linear units) should be a row of the grid: say when it is not, and offer the count that makes it one. */
  private rhoOneHint(c: Config) {
    if (!rhoOneMissed(c)) return null;
    const k = rhoCountWithOne(c);
    return html`<div class="hint" data-rho-one>
      ρ = 1 falls between two rows of this grid${k !== null
        ? html`; <button @click=${() => this.emit('rhoCount', String(k))}>use K = ${k}</button> puts it on the grid`
        : ''}.
    </div>`;
  }

  /** Untied weights: what building the T matrices costs, or why they do not fit (planned before the run). */
  private untiedHint(c: Config) {
    if (c.weights !== 'untied') return null;
    const refusal = untiedRefusal(c);
    return html`<div class="hint" data-untied>${refusal ?? `${untiedCost(c)}, built before the sweep (the progress bar counts them)`}</div>`;
  }

  private inactiveWhy(name: FieldName): string {
    if (name === 'normalize') return 'not used by W0 init spectrum, whose eigenvalues are exact';
    if (name === 'bulk' || name === 'outliers') return 'used only when W0 init is spectrum';
    const param = ACTIVATION_PARAMS.find((p) => p.key === name);
    return param ? `used only when Activation is ${param.activation}` : 'used only when Inputs is zero-after';
  }

  private control(name: FieldName, c: Config) {
    const spec = FIELDS[name];
    const id = `f-${name}`;
    const err = this.errors[name];
    const value = this.drafts[name] ?? String(c[name]);
    const inactive = this.inactive(name, c);
    const input =
      spec.kind === 'enum'
        ? html`<select id=${id} .value=${value} tabindex=${inactive ? -1 : 0} aria-invalid=${err ? 'true' : 'false'} aria-describedby=${`${id}-err`}
            @change=${(e: Event) => this.emit(name, (e.target as HTMLSelectElement).value)}>
            ${spec.options.map((o) => html`<option value=${o} ?selected=${o === value}>${o}</option>`)}
          </select>`
        : html`<input id=${id} type="text" inputmode=${spec.kind === 'int' ? 'numeric' : 'decimal'} autocomplete="off"
            spellcheck="false" .value=${value} tabindex=${inactive ? -1 : 0} aria-invalid=${err ? 'true' : 'false'}
            aria-describedby=${`${id}-err`}
            @keydown=${(e: KeyboardEvent) => this.step(e, name)}
            @change=${(e: Event) => this.emit(name, (e.target as HTMLInputElement).value)} />`;
    // Text inputs rather than type=number: a number input hides what was typed ("abc" reads as
    // empty), and the message should quote it.
    return html`<div class="row ${err ? 'bad' : ''} ${inactive ? 'dim' : ''}" title=${`${spec.help}; ${describeAllowed(name)}${inactive ? `; ${this.inactiveWhy(name)}` : ''}`}>
      <label for=${id}>${spec.label}</label>${input}
      ${err ? html`<div class="err" id=${`${id}-err`} role="alert">${err}</div>` : null}
      ${name === 'rhoCount' && !err ? this.rhoOneHint(c) : null}
      ${name === 'weights' && !err ? this.untiedHint(c) : null}
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
