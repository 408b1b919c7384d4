/**
 * The SVG figure: well-formed XML (fast-xml-parser's validator), vector text for the axes,
 * title and colour bar, and cells that carry the colour map's colours -- as <rect>s for small
 * grids, as one embedded PNG (one pixel per cell) for large ones -- with overflow runs hatched.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { colourAt, rgbHex } from '../../src/export/colormap.ts';
import { buildHeatmapScene } from '../../src/export/figure.ts';
import { SVG_RECT_LIMIT, renderHeatmapSvg } from '../../src/export/heatmap.ts';
import { exportFileName } from '../../src/export/names.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

type Node = Record<string, unknown>;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false, parseAttributeValue: false });

/** Every element named `tag` anywhere under `node`. */
function all(node: unknown, tag: string, out: Node[] = []): Node[] {
  if (Array.isArray(node)) for (const n of node) all(n, tag, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === tag) for (const e of Array.isArray(v) ? v : [v]) out.push(typeof e === 'object' ? (e as Node) : { '#text': e });
      if (!k.startsWith('@')) all(v, tag, out);
    }
  }
  return out;
}

mkdirSync('artifacts/exports', { recursive: true });

describe('heatmap SVG', () => {
  it('parses as XML and holds the axes, title and colour-bar text as vector text', async () => {
    const field = await referenceField(SMALL);
    const svg = renderHeatmapSvg(field, testFont(), { grid: 'gradLog10Mean' });
    writeFileSync(`artifacts/exports/${exportFileName(field.config, 'gradLog10Mean', 'svg')}`, svg);
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = parser.parse(svg) as Node;
    const root = doc.svg as Node;
    const scene = buildHeatmapScene(field, testFont(), { grid: 'gradLog10Mean' });
    expect([Number(root['@width']), Number(root['@height'])]).toEqual([scene.width, scene.height]);
    const texts = all(root, 'text').map((t) => String(t['#text']));
    expect(texts).toContain('time step t');
    expect(texts).toContain('spectral radius \u03c1');
    expect(texts).toContain('log\u2081\u2080 \u2016dL/dh\u209c\u2016');
    for (const tick of ['0.6', '1.0', '1.4', '10', '20', '30', '40']) expect(texts).toContain(tick);
    expect(texts.some((t) => t.startsWith('tanh') && t.includes('N = 8') && t.includes('seed 7'))).toBe(true);
    // Rotated labels read upward.
    const rho = all(root, 'text').find((t) => t['#text'] === 'spectral radius \u03c1');
    expect(String(rho?.['@transform'])).toMatch(/^rotate\(-90 /);
  });

  it('small grids: one rect per cell in the colour map colour', async () => {
    const field = await referenceField(SMALL);
    expect(field.K * field.T).toBeLessThanOrEqual(SVG_RECT_LIMIT);
    const svg = renderHeatmapSvg(field, testFont(), { grid: 'hiddenLog10Mean', colormap: 'magma' });
    const scene = buildHeatmapScene(field, testFont(), { grid: 'hiddenLog10Mean', colormap: 'magma' });
    const cells = all((parser.parse(svg) as Node).svg, 'g').find((g) => g['@id'] === 'cells');
    const rects = all(cells, 'rect');
    expect(rects.length).toBe(field.K * field.T);
    const cw = scene.plot.w / field.T;
    const ch = scene.plot.h / field.K;
    for (const r of rects) {
      const j = Math.round((Number(r['@x']) - scene.plot.x) / cw);
      const k = field.K - 1 - Math.round((Number(r['@y']) - scene.plot.y) / ch);
      const v = field.grids.hiddenLog10Mean[k * field.T + j];
      expect(r['@fill']).toBe(rgbHex(colourAt('magma', (v - scene.range.min) / (scene.range.max - scene.range.min))));
    }
  });

  it('large grids: one embedded PNG with a pixel per cell, overflow runs hatched, vector axes', async () => {
    const field = await referenceField(EXTREMES); // 6 x 400 = 2400 cells
    const svg = renderHeatmapSvg(field, testFont(), { grid: 'gradLog10Mean' });
    // Force the image path by checking a grid above the rect limit too.
    const big = await referenceField({ ...EXTREMES, rhoCount: 12 }); // 4800 cells
    expect(big.K * big.T).toBeGreaterThan(SVG_RECT_LIMIT);
    const svgBig = renderHeatmapSvg(big, testFont(), { grid: 'gradLog10Mean' });
    writeFileSync(`artifacts/exports/${exportFileName(big.config, 'gradLog10Mean', 'svg')}`, svgBig);
    expect(XMLValidator.validate(svgBig)).toBe(true);
    const root = (parser.parse(svgBig) as Node).svg;
    const images = all(root, 'image');
    expect(images.length).toBe(1);
    const href = String(images[0]['@xlink:href']);
    expect(href.startsWith('data:image/png;base64,')).toBe(true);
    const img = decode(Buffer.from(href.slice('data:image/png;base64,'.length), 'base64'));
    expect([img.width, img.height]).toEqual([big.T, big.K]);
    const scene = buildHeatmapScene(big, testFont(), { grid: 'gradLog10Mean' });
    for (let k = 0; k < big.K; k++) {
      for (let j = 0; j < big.T; j += 7) {
        const i = k * big.T + j;
        if (scene.overflow[i]) continue;
        const o = 4 * ((big.K - 1 - k) * big.T + j); // image row 0 = the largest rho
        const v = big.grids.gradLog10Mean[i];
        const t = v === -Infinity ? 0 : (v - scene.range.min) / (scene.range.max - scene.range.min);
        expect([img.data[o], img.data[o + 1], img.data[o + 2]]).toEqual([...colourAt('viridis', t)]);
      }
    }
    // One hatched rect per row run of overflow cells, covering exactly the overflow cells.
    const hatched = all(root, 'rect').filter((r) => r['@class'] === 'overflow');
    const cw = scene.plot.w / big.T;
    const covered = hatched.reduce((s, r) => s + Math.round((Number(r['@width']) - 0.02) / cw), 0);
    expect(covered).toBe(scene.counts.overflow);
    expect(scene.counts.overflow).toBeGreaterThan(0);
    // The small one uses rects; both files stay small.
    expect(all((parser.parse(svg) as Node).svg, 'image').length).toBe(0);
    expect(svgBig.length).toBeLessThan(200_000);
  });
});
