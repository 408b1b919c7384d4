/**
 * <lab-surface>: the three.js surface of a (rho, t) field with its colour bar, legend and a
 * reset-view button. Owns one SurfaceScene (src/ui/three) and disposes it when removed.
 */
import { html, LitElement, css, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { cssGradient, flaggedShort } from '../export/colormap.ts';
import { labelledTicks } from '../export/ticks.ts';
import { ViewChangeEvent } from './events.ts';
import { panelStyles, prefersDark, colourBarStyles } from './theme.ts';
import type { CameraPose, SurfaceData, SurfaceScene } from './three/surface-scene.ts';

/** three.js is loaded on demand (main.ts preloads it once the first run is computing). */
export const sceneModule = () => import('./three/surface-scene.ts');

/** true, or why the page gets no WebGL context (checked once; the probe context is freed at once). */
let webgl: true | string | null = null;
export function webglAvailable(): true | string {
  if (webgl !== null) return webgl;
  try {
    const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
    if (gl) gl.getExtension('WEBGL_lose_context')?.loseContext();
    webgl = gl ? true : 'the browser refused a WebGL context';
  } catch (e) {
    webgl = `WebGL failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return webgl;
}

@customElement('lab-surface')
export class LabSurface extends LitElement {
  static override styles = [
    panelStyles,
    colourBarStyles,
    css`
      .body {
        flex: 1 1 auto;
        display: flex;
        min-height: 0;
      }
      .view {
        position: relative;
        flex: 1 1 auto;
        min-width: 0;
        overflow: hidden;
      }
      .lbl {
        font: calc(11px * var(--s, 1)) var(--font);
        color: var(--fg);
        white-space: nowrap;
        /* A halo in the panel colour keeps labels readable where they sit over the surface. */
        text-shadow: 0 0 2px var(--panel), 0 0 2px var(--panel), 0 0 3px var(--panel);
      }
      .lbl.title {
        color: var(--muted);
        font-weight: 600;
      }
      .lbl.axis-rho {
        font-size: calc(15px * var(--s, 1));
        color: var(--fg);
      }
      .lbl.rho1 {
        color: #ff8c1a;
        font-weight: 600;
      }
      /* A narrow view (surface-scene.ts NARROW_VIEW_PX): smaller labels, so they fit beside the box. */
      .narrow .lbl {
        font-size: calc(9.5px * var(--s, 1));
      }
      .narrow .lbl.axis-rho {
        font-size: calc(12px * var(--s, 1));
      }
      /* In a narrow panel the title keeps the room; the hint is on the view's tooltip. */
      @container (max-width: 480px) {
        .head .hint {
          display: none;
        }
      }
      .bar {
        width: calc(58px * var(--s, 1));
        flex: 0 0 calc(58px * var(--s, 1));
        padding: 14px 4px 18px 6px;
        display: flex;
        flex-direction: column;
        gap: 4px;
        font-size: calc(11px * var(--s, 1));
      }
      .ramp {
        position: relative;
        flex: 1 1 auto;
        width: 12px;
        border-radius: 2px;
      }
      .empty {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
        color: var(--muted);
      }
      .empty.lost {
        padding: 0 12%;
        text-align: center;
        color: var(--fg);
        background: var(--panel);
      }
    `,
  ];

  @property({ attribute: false }) data: SurfaceData | null = null;
  @property({ type: Number }) sliceK = 0;
  @property({ attribute: false }) camera: CameraPose | null = null;
  @property({ type: String }) heading = 'Gradient surface';
  /** The WebGL context of the 3D view is lost now (a message replaces the picture until it is restored). */
  @property({ attribute: false }) glLost = false;
  /** Why this browser gives the page no WebGL at all (the panel says so), or null. */
  @property({ attribute: false }) noWebGL: string | null = null;

  private scene: SurfaceScene | null = null;
  private resizeObs: ResizeObserver | null = null;
  private darkQuery: MediaQueryList | null = null;

  override render() {
    const d = this.data;
    const r = d?.range;
    return html`<div class="panel">
      <div class="head">
        <h2>${this.heading}</h2>
        <span class="note hint">drag to orbit · wheel to zoom</span>
        <button @click=${() => this.scene?.resetView()} aria-label=${`Reset view of ${this.heading}`}>Reset view</button>
      </div>
      <div class="body">
        <div class="view" role="figure" title="drag to orbit · wheel or pinch to zoom" aria-label=${`${this.heading}: 3D surface over timestep and rho`}>
          ${d || this.noWebGL ? null : html`<div class="empty">computing…</div>`}
          ${this.noWebGL
            ? html`<div class="empty lost" role="note" data-no-webgl>
                No 3D view: this browser gives the page no WebGL (${this.noWebGL}), as on some locked-down or
                remote machines. The heatmap shows the same field; the slice and eigenvalue plots work as usual.
              </div>`
            : null}
          ${this.glLost
            ? html`<div class="empty lost" role="alert">The 3D view's graphics context was lost (a GPU reset, or too many WebGL pages open); it is redrawn as soon as the browser restores it. The heatmap and slice below still show the run.</div>`
            : null}
        </div>
        ${r && d && !this.noWebGL
          ? html`<div class="bar" aria-label="colour bar">
              <div class="ramp" style=${`background:${cssGradient(d.colormap)}`}>
                ${labelledTicks(r.min, r.max, 4).map((v) => html`<span style=${`bottom:${((v.value - r.min) / (r.max - r.min)) * 100}%`}>${v.label}</span>`)}
              </div>
            </div>`
          : null}
      </div>
      ${d && !this.noWebGL
        ? html`<div class="legend">
            <span><span class="swatch" style="background:#ff8c1a"></span>ρ = 1</span>
            <span><span class="swatch" style="background:var(--fg)"></span>current ρ slice</span>
            ${d.counts.overflow > 0 ? html`<span><span class="swatch overflow-solid"></span>${flaggedShort(d.counts)}, drawn on top</span>` : null}
            ${d.counts.negativeInfinity > 0 ? html`<span class="note">exact zeros (−∞ in log10) drawn at the bottom of the range</span>` : null}
          </div>`
        : null}
    </div>`;
  }

  /** The scene (and three.js) is made when there is something to draw, so loading three.js never delays the first run's start. */
  override firstUpdated(): void {
    if (this.data) void this.createScene();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-attached after a removal (the scene was disposed then): build a new one.
    if (this.hasUpdated && !this.scene) void this.createScene();
  }

  private creating = false;

  private async createScene(): Promise<void> {
    if (this.creating || this.scene) return;
    this.creating = true;
    // Without WebGL (blocked by policy, --disable-3d-apis) three.js would throw from its
    // constructor: ask first, and say why the panel is empty instead.
    const gl = webglAvailable();
    if (gl !== true) {
      this.creating = false;
      this.noWebGL = gl;
      this.dispatchEvent(new Event('lab-surface-no-webgl', { bubbles: true, composed: true }));
      return;
    }
    const { SurfaceScene } = await sceneModule();
    this.creating = false;
    if (!this.isConnected || this.scene) return;
    const view = this.renderRoot.querySelector('.view') as HTMLElement;
    try {
      this.scene = new SurfaceScene(view, (pose) => this.dispatchEvent(new ViewChangeEvent({ camera: pose })));
    } catch (e) {
      this.noWebGL = `three.js could not start: ${e instanceof Error ? e.message : String(e)}`;
      this.dispatchEvent(new Event('lab-surface-no-webgl', { bubbles: true, composed: true }));
      return;
    }
    this.scene.onContextChange = (lost) => (this.glLost = lost);
    this.darkQuery = matchMedia('(prefers-color-scheme: dark)');
    this.darkQuery.addEventListener('change', this.onScheme);
    this.scene.setTheme(prefersDark());
    this.resizeObs = new ResizeObserver(() => this.scene?.resize(view.clientWidth, view.clientHeight));
    this.resizeObs.observe(view);
    this.scene.resize(view.clientWidth, view.clientHeight);
    if (this.camera) this.scene.setPose(this.camera);
    if (this.data) this.scene.setData(this.data);
    this.scene.setSlice(this.sliceK);
    this.scene.renderNow();
    this.dispatchEvent(new Event('lab-surface-ready', { bubbles: true, composed: true }));
  }

  /** Whether the panel shows its data (drawn, or the reason it cannot be: no WebGL); the load-time figure and tests wait for it. */
  get drawn(): boolean {
    return (this.scene !== null || this.noWebGL !== null) && this.data !== null;
  }

  private onScheme = () => this.scene?.setTheme(prefersDark());

  override updated(changed: PropertyValues<this>): void {
    if (!this.scene) {
      if (this.data && !this.noWebGL) void this.createScene();
      return;
    }
    if (changed.has('data') && this.data) this.scene.setData(this.data);
    if (changed.has('sliceK') || changed.has('data')) this.scene.setSlice(this.sliceK);
    if (changed.has('camera')) this.scene.setPose(this.camera);
  }

  /**
   * The view as a PNG of width x height pixels with its title, axis labels, colour bar and
   * legend (three/surface-image.ts). Throws an Error with a message to show.
   */
  async exportImage(width: number, height: number, title: string, sliceRho: number | null): Promise<Blob> {
    if (this.noWebGL) throw new Error(`there is no 3D view to save: this browser gives the page no WebGL (${this.noWebGL}); the heatmap PNG and SVG export the same field`);
    if (!this.scene || !this.data) throw new Error('the 3D view has not been drawn yet; export again once it shows');
    const { composeSurfaceImage } = await import('./three/surface-image.ts');
    const font = getComputedStyle(this).getPropertyValue('--font').trim() || 'sans-serif';
    const canvas = composeSurfaceImage(this.scene, this.data, { width, height, title, font, sliceRho });
    return new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error(`the browser could not encode a ${width} x ${height} PNG`))), 'image/png'),
    );
  }

  /** The canvas, for tests and PNG export. */
  get canvas(): HTMLCanvasElement | null {
    return this.scene?.canvas ?? null;
  }

  get sceneStats() {
    return this.scene?.stats() ?? null;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObs?.disconnect();
    this.darkQuery?.removeEventListener('change', this.onScheme);
    this.scene?.dispose();
    this.scene = null;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-surface': LabSurface;
  }
}
