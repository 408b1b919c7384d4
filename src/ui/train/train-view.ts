/**
 * <train-view>: the Train view. Settings on the left (the run's task, T, N, optimiser, learning
 * rate, batch, iterations, seed; each model's activation, init, rho and clip), run control and a
 * progress bar with steps/s and time left above live charts: held-out loss (log axis, baseline),
 * gradient norm before clipping (log axis, clip thresholds), fraction of steps clipped, spectral
 * radius of W, and W's eigenvalues over the saved checkpoints. A model that diverged is reported
 * in words and its curves stop there. It receives state and sends TrainSettingEvent / TrainCommandEvent.
 */
import { css, html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { TrainConfig } from '../../core/train/config.ts';
import { taskShape } from '../../core/train/tasks.ts';
import type { TrainSnapshot } from '../../app/train-session.ts';
import { CHOICES, MAX_MODELS_IN_VIEW, specLabel, trainConfigOf, type TrainSettings } from '../../app/train-settings.ts';
import type { LiveRow } from '../../app/train-protocol.ts';
import { formatNumber } from '../../export/ticks.ts';
import { panelStyles } from '../theme.ts';
import { TRAIN_PRESETS, trainPresetMatching } from '../../app/train-presets.ts';
import { TrainCommandEvent, TrainPresetEvent, TrainSettingEvent, type TrainCommand } from './events.ts';
import { modelColour } from './palette.ts';
import type { ChartRef, ChartSeries } from './train-chart.ts';
import './train-chart.ts';
import './train-eigen.ts';

const RUN_INPUTS: { field: keyof TrainSettings; label: string; options?: readonly string[] }[] = [
  { field: 'task', label: 'Task', options: CHOICES.task },
  { field: 'length', label: 'Length T' },
  { field: 'hidden', label: 'Hidden N' },
  { field: 'optimizer', label: 'Optimiser', options: CHOICES.optimizer },
  { field: 'lr', label: 'Learning rate' },
  { field: 'batch', label: 'Batch' },
  { field: 'iterations', label: 'Iterations' },
  { field: 'seed', label: 'Seed' },
];

function seconds(s: number): string {
  if (s < 90) return `${Math.max(0, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

@customElement('train-view')
export class TrainView extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        display: grid;
        grid-template-columns: calc(300px * var(--s, 1)) 1fr;
        gap: 10px;
        height: 100%;
        min-height: 0;
      }
      aside {
        overflow: auto;
        min-height: 0;
        padding-right: 4px;
      }
      h2 {
        font-size: calc(13px * var(--s, 1));
        margin: 4px 0 6px;
      }
      .fields {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 4px 8px;
        align-items: center;
      }
      .fields input,
      .fields select {
        width: 100%;
      }
      .err {
        grid-column: 1 / -1;
        color: var(--bad, #b00020);
        font-size: calc(11.5px * var(--s, 1));
      }
      .model {
        border: 1px solid var(--border);
        border-left: 4px solid;
        border-radius: 6px;
        padding: 4px 6px;
        margin: 6px 0;
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 3px 6px;
      }
      .model .title {
        grid-column: 1 / -1;
        display: flex;
        justify-content: space-between;
        font-weight: 600;
      }
      .model label {
        display: flex;
        flex-direction: column;
        font-size: calc(11.5px * var(--s, 1));
      }
      .model input,
      .model select {
        width: 100%;
      }
      section {
        display: flex;
        flex-direction: column;
        min-height: 0;
        gap: 6px;
      }
      .bar {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
      }
      progress {
        flex: 1 1 100px;
        height: 12px;
      }
      .diverged {
        color: var(--bad, #b00020);
        margin: 0;
        padding-left: 18px;
      }
      .charts {
        flex: 1 1 auto;
        min-height: 0;
        overflow: auto;
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: 8px;
        align-content: start;
      }
      button:disabled {
        opacity: 0.5;
        cursor: default;
      }
      .stories {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .stories button[aria-pressed='true'] {
        outline: 2px solid var(--accent, #0072b2);
      }
      .story p {
        margin: 6px 0;
        font-size: calc(12px * var(--s, 1));
        line-height: 1.4;
      }
      .story code {
        word-break: break-all;
        font-size: calc(11px * var(--s, 1));
      }
    `,
  ];

  @property({ attribute: false }) settings: TrainSettings | null = null;
  @property({ attribute: false }) snapshot: TrainSnapshot | null = null;
  /** Messages of settings that were not applied, by field ("lr", "models[2].clip"). */
  @property({ attribute: false }) errors: Record<string, string> = {};
  /** Work in progress in words (the gradient field of a checkpoint being computed), or null. */
  @property({ attribute: false }) note: string | null = null;

  private send(command: TrainCommand, model = -1): void {
    this.dispatchEvent(new TrainCommandEvent(command, model));
  }

  private setting(field: string, raw: string): void {
    this.dispatchEvent(new TrainSettingEvent(field, raw));
  }

  private input(field: string, value: string | number, label: string, options?: readonly string[]) {
    const onChange = (e: Event) => this.setting(field, (e.target as HTMLInputElement | HTMLSelectElement).value);
    const id = `f-${field.replace(/\W/g, '-')}`;
    return options
      ? html`<select id=${id} data-field=${field} aria-label=${label} @change=${onChange}>
          ${options.map((o) => html`<option value=${o} ?selected=${o === value}>${o}</option>`)}
        </select>`
      : html`<input id=${id} data-field=${field} aria-label=${label} type="text" inputmode="decimal" .value=${String(value)} @change=${onChange} />`;
  }

  private renderStories(s: TrainSettings) {
    const on = trainPresetMatching(s);
    return html`<h2>Stories</h2>
      <div class="stories">
        ${TRAIN_PRESETS.map(
          (p) => html`<button data-preset=${p.id} aria-pressed=${p === on ? 'true' : 'false'} title="Load this story's settings and start training" @click=${() => this.dispatchEvent(new TrainPresetEvent(p.id))}>
            ${p.title}
          </button>`,
        )}
      </div>
      ${on
        ? html`<div class="story" data-story=${on.id}>
            <p>${on.explanation}</p>
            <p class="note">Headless: <code>${on.command}</code></p>
            <p class="note"><a href=${on.paper.url} target="_blank" rel="noopener">${on.paper.cite}</a></p>
          </div>`
        : null}`;
  }

  private renderSettings(s: TrainSettings, locked: boolean) {
    return html`<aside aria-label="Training settings">
      ${this.renderStories(s)}
      <h2>Run</h2>
      <div class="fields">
        ${RUN_INPUTS.map(
          (f) => html`<label for=${`f-${f.field}`}>${f.label}</label>${this.input(f.field, s[f.field] as string | number, f.label, f.options)}
            ${this.errors[f.field] ? html`<div class="err" role="alert">${this.errors[f.field]}</div>` : null}`,
        )}
      </div>
      <h2 style="margin-top:10px">Models</h2>
      ${s.models.map(
        (m, k) => html`<div class="model" style="border-left-color:${modelColour(k)}" data-model=${k}>
          <div class="title"><span>${k}: ${specLabel(m)}</span>
            <button aria-label=${`Remove model ${k}`} ?disabled=${s.models.length <= 1} @click=${() => this.send('remove-model', k)}>✕</button></div>
          <label>activation ${this.input(`models[${k}].activation`, m.activation, `Model ${k} activation`, CHOICES.activation)}</label>
          <label>init ${this.input(`models[${k}].init`, m.init, `Model ${k} init`, CHOICES.init)}</label>
          <label>rho ${this.input(`models[${k}].rho`, m.rho, `Model ${k} rho`)}</label>
          <label>clip (0 = off) ${this.input(`models[${k}].clip`, m.clip, `Model ${k} clip`)}</label>
          <label title="U starts with N(0, scale²/D) entries">input scale ${this.input(`models[${k}].inputWeightScale`, m.inputWeightScale, `Model ${k} input weight scale`)}</label>
          <label title="every entry of b starts at this value">bias init ${this.input(`models[${k}].biasInit`, m.biasInit, `Model ${k} bias init`)}</label>
          ${(['activation', 'init', 'rho', 'clip', 'inputWeightScale', 'biasInit'] as const).map((f) => {
            const msg = this.errors[`models[${k}].${f}`];
            return msg ? html`<div class="err" style="grid-column:1/-1" role="alert">${msg}</div>` : null;
          })}
        </div>`,
      )}
      <div class="bar">
        <button ?disabled=${s.models.length >= MAX_MODELS_IN_VIEW} @click=${() => this.send('add-model')}>Add a model</button>
        <button @click=${() => this.send('defaults')}>The four defaults</button>
      </div>
      ${this.errors.settings ? html`<div class="err" role="alert">${this.errors.settings}</div>` : null}
      ${locked ? html`<p class="note">A run is in progress with the settings it started with; Reset or Start again to use new ones.</p>` : null}
    </aside>`;
  }

  private renderControl(snap: TrainSnapshot, valid: TrainConfig | null) {
    const st = snap.status;
    const total = snap.config?.iterations ?? valid?.iterations ?? 0;
    const done = snap.iteration + 1;
    const text =
      st === 'idle'
        ? 'not started'
        : st === 'failed'
          ? `failed: ${snap.message}`
          : `${st === 'done' ? 'finished' : st === 'paused' ? 'paused at' : ''} step ${Math.max(0, snap.iteration)} of ${total}${
              snap.stepsPerSecond !== null ? ` · ${snap.stepsPerSecond.toPrecision(3)} steps/s` : ''
            }${st === 'running' && snap.secondsLeft !== null ? ` · about ${seconds(snap.secondsLeft)} left` : ''}${
              st === 'done' && snap.result ? ` in ${seconds(snap.result.meta.wallMs / 1000)}` : ''
            }`;
    return html`<div class="bar">
      <button data-cmd="start" ?disabled=${!valid || st === 'running' || st === 'paused'} @click=${() => this.send('start')}>Start</button>
      <button data-cmd="pause" ?disabled=${st !== 'running'} @click=${() => this.send('pause')}>Pause</button>
      <button data-cmd="resume" ?disabled=${st !== 'paused'} @click=${() => this.send('resume')}>Resume</button>
      <button data-cmd="step" ?disabled=${!valid || st === 'running'} @click=${() => this.send('step')}>Step</button>
      <button data-cmd="reset" ?disabled=${st === 'idle'} @click=${() => this.send('reset')}>Reset</button>
      <progress max=${Math.max(1, total + 1)} .value=${Math.max(0, st === 'done' ? total + 1 : done)} aria-label="Training progress"></progress>
      <span data-progress role="status">${text}</span>
      <button data-cmd="csv" ?disabled=${!snap.result} @click=${() => this.send('csv')}>Curves CSV</button>
      <button data-cmd="bundle" ?disabled=${!snap.result} @click=${() => this.send('bundle')}>Bundle</button>
      <button data-cmd="png" ?disabled=${snap.rows.length === 0} title="The held-out loss chart as PNG at 2x (the curves so far while a run is going)" @click=${() => this.send('png')}>Loss PNG</button>
      <button data-cmd="svg" ?disabled=${snap.rows.length === 0} title="The held-out loss chart as SVG (the curves so far while a run is going)" @click=${() => this.send('svg')}>Loss SVG</button>
    </div>
    ${this.note ? html`<div class="note" role="status" data-note>${this.note}</div>` : null}
    ${(['export', 'open'] as const).map((k) => (this.errors[k] ? html`<div class="err" role="alert" data-error=${k}>${this.errors[k]}</div>` : null))}`;
  }

  override render() {
    const s = this.settings;
    const snap = this.snapshot;
    if (!s || !snap) return html`<p>starting…</p>`;
    const check = trainConfigOf(s);
    const valid = check.ok ? check.config : null;
    const config = snap.config ?? valid;
    const labels = (config ? config.models : s.models).map(specLabel);
    const byModel: LiveRow[][] = labels.map(() => []);
    for (const r of snap.rows) byModel[r.model]?.push(r);
    const xMax = config?.iterations ?? 1;
    const series = (pick: (r: LiveRow) => number, only?: (k: number) => boolean): ChartSeries[] =>
      byModel.flatMap((rows, k) => (only && !only(k) ? [] : [{ label: `${k}: ${labels[k]}`, colour: modelColour(k), points: rows.map((r) => [r.iteration, pick(r)] as const) }]));
    const baseline = config ? taskShape(config).baseline : null;
    const clips = new Map<number, number[]>();
    config?.models.forEach((m, k) => m.clip > 0 && clips.set(m.clip, [...(clips.get(m.clip) ?? []), k]));
    const clipRefs: ChartRef[] = [...clips].map(([c, ks]) => ({ y: c, label: `clip ${c} (model ${ks.join(', ')})`, colour: 'var(--muted)' }));
    const clipping = (k: number) => (config?.models[k].clip ?? 0) > 0;
    return html`${this.renderSettings(s, snap.status === 'running' || snap.status === 'paused')}
      <section aria-label="Training">
        ${this.renderControl(snap, valid)}
        ${snap.trainer ? html`<p class="note" data-trainer>${snap.trainer}</p>` : null}
        ${snap.notices.map((n) => html`<p class="note" role="status" data-notice>${n}</p>`)}
        ${snap.divergences.length > 0
          ? html`<ul class="diverged" role="alert">
              ${snap.divergences.map((d) => html`<li data-diverged>${d.message} (${labels[d.model]}); the others go on</li>`)}
            </ul>`
          : null}
        <div class="charts">
          <train-chart
            id="chart-loss"
            heading="Held-out loss"
            log
            .xMax=${xMax}
            .series=${series((r) => r.heldoutLoss)}
            .refs=${baseline !== null ? [{ y: baseline, label: `baseline ${formatNumber(baseline)} (${config?.task === 'copy' ? 'a uniform guess' : 'predict the mean'})`, colour: 'var(--fg)' }] : []}
          ></train-chart>
          <train-chart
            id="chart-grad"
            heading="Gradient norm before clipping"
            log
            .xMax=${xMax}
            .series=${series((r) => r.gradNorm)}
            .refs=${clipRefs}
          ></train-chart>
          <train-chart
            id="chart-clipped"
            heading=${clips.size > 0 ? 'Fraction of steps clipped' : 'Steps clipped: no model clips'}
            .xMax=${xMax}
            .yRange=${[0, 1]}
            .series=${series((r) => r.clippedFraction, clipping)}
          ></train-chart>
          <train-chart
            id="chart-radius"
            heading="Spectral radius of W"
            .xMax=${xMax}
            .series=${series((r) => r.spectralRadius)}
            .refs=${[{ y: 1, label: 'ρ = 1', colour: 'var(--muted)' }]}
          ></train-chart>
          <train-eigen .checkpoints=${snap.checkpoints} .labels=${labels}></train-eigen>
        </div>
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'train-view': TrainView;
  }
}
