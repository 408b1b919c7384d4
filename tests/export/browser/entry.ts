/** Page for browser.test.ts: the lab's own export modules, as the browser runs them, on a window hook. */
import { fieldFromBundle } from '../../../src/core/bundle.ts';
import type { HeatmapOptions } from '../../../src/export/figure.ts';
import { fetchFigureFont } from '../../../src/export/font-url.ts';
import { renderHeatmapPng, renderHeatmapSvg } from '../../../src/export/heatmap.ts';

async function render(bundleJson: string, opts: HeatmapOptions): Promise<{ png: number[]; svg: string }> {
  const font = await fetchFigureFont();
  const field = fieldFromBundle(bundleJson);
  return { png: Array.from(renderHeatmapPng(field, font, opts)), svg: renderHeatmapSvg(field, font, opts) };
}

(window as unknown as { rnnlabExport: { render: typeof render } }).rnnlabExport = { render };
document.title = 'ready';
