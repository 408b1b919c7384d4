/** Shared styles of the lab's components; colours come from CSS variables set in index.html (light and dark). */
import { css, unsafeCSS } from 'lit';
import { HATCH_BACK, HATCH_LINE, HATCH_PERIOD, HATCH_WIDTH, OVERFLOW_SOLID, rgbCss } from '../export/colormap.ts';

export const panelStyles = css`
  :host {
    display: block;
    box-sizing: border-box;
    color: var(--fg);
    font: calc(13px * var(--s, 1))/1.35 var(--font);
    min-width: 0;
    min-height: 0;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .panel {
    background: var(--panel);
    border: 1px solid var(--border);
    border-radius: 8px;
    height: 100%;
    display: flex;
    flex-direction: column;
    min-height: 0;
    overflow: hidden;
    /* The head's layout follows the panel's own width (a phone, a quarter of a laptop screen). */
    container-type: inline-size;
  }
  .head {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 5px 10px;
    border-bottom: 1px solid var(--border);
    min-height: 30px;
    flex-wrap: nowrap;
    white-space: nowrap;
  }
  .head h2 {
    font-size: calc(13px * var(--s, 1));
    font-weight: 600;
    margin: 0;
    flex: 1 1 0;
    min-width: 0;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  /* In a narrow panel the head's readout or hint goes under the title instead of cutting it off. */
  @container (max-width: 440px) {
    .head {
      flex-wrap: wrap;
      row-gap: 2px;
    }
    .head h2 {
      flex: 1 0 auto;
      max-width: 100%;
    }
  }
  .muted {
    color: var(--muted);
  }
  button,
  select,
  input {
    font: inherit;
    color: var(--fg);
    background: var(--input-bg);
    border: 1px solid var(--border);
    border-radius: 5px;
    padding: 2px 6px;
  }
  button {
    cursor: pointer;
  }
  button:hover {
    border-color: var(--accent);
  }
  :focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 1px;
  }
  .note {
    font-size: calc(11.5px * var(--s, 1));
    color: var(--muted);
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    vertical-align: -1px;
    margin-right: 3px;
  }
  /* The heatmaps' overflow hatch (src/export/colormap.ts HATCH_*: light grey, darker lines up to the right). */
  .overflow-swatch {
    background: repeating-linear-gradient(135deg, ${unsafeCSS(rgbCss(HATCH_LINE))} 0 ${unsafeCSS(HATCH_WIDTH / Math.SQRT2)}px, ${unsafeCSS(rgbCss(HATCH_BACK))} ${unsafeCSS(HATCH_WIDTH / Math.SQRT2)}px ${unsafeCSS(HATCH_PERIOD / Math.SQRT2)}px);
  }
  /* Overflow where no hatch can be drawn (the 3D surface, the slice chart's marks). */
  .overflow-solid {
    background: ${unsafeCSS(rgbCss(OVERFLOW_SOLID))};
  }
`;

/** Whether the page is in dark mode (for canvases, which cannot read CSS variables cheaply). */
export function prefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** uiScale's last reading, until the window is resized (--s follows media queries on its size alone). */
let scaleRead: number | null = null;

/**
 * The page's type scale (--s in index.html: 1 at 1280x720, larger on big screens), for plot
 * margins. Read once per window size: getComputedStyle in a chart's render forced a style
 * recalculation of the page in the middle of every frame of a drag.
 */
export function uiScale(el: Element): number {
  if (scaleRead !== null) return scaleRead;
  const v = parseFloat(getComputedStyle(el).getPropertyValue('--s'));
  const scale = Number.isFinite(v) && v > 0 ? v : 1;
  // Not yet on the page, the element has no computed style: read again next time.
  if (!el.isConnected) return scale;
  scaleRead = scale;
  addEventListener('resize', () => (scaleRead = null), { once: true });
  return scale;
}

/** Text inside the SVG plots (heatmap axes, slice chart, spectrum). */
export const svgTextStyles = css`
  svg text {
    fill: var(--fg);
    font: calc(11px * var(--s, 1)) var(--font);
  }
`;

/** An SVG chart filling the panel's remaining height (slice chart, rate chart, spectrum), with its axis and grid strokes. */
export const chartStyles = css`
  .plot {
    position: relative;
    flex: 1 1 auto;
    min-height: 0;
  }
  svg {
    position: absolute;
    inset: 0;
  }
  .axis {
    stroke: var(--muted);
  }
  .gridline {
    stroke: var(--border);
  }
`;

/** Colour-bar labels and the legend row under a plot (heatmap and surface). */
export const colourBarStyles = css`
  .ramp span {
    position: absolute;
    left: 16px;
    transform: translateY(50%);
    white-space: nowrap;
  }
  .legend {
    font-size: calc(11px * var(--s, 1));
    padding: 3px 10px 5px;
    border-top: 1px solid var(--border);
    display: flex;
    gap: 12px;
    flex-wrap: wrap;
  }
`;
