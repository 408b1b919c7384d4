/**
 * The heatmap renderer: PNG decodes at the stated size; every sampled cell's pixel has the
 * colour map's colour for that cell's value (d3-scale-chromatic, called directly, not through
 * the renderer's lookup table); overflow cells are hatched; exact zeros sit at the bottom of the
 * range; the rho = 1 line is drawn; the same field gives the same bytes. Figures are written
 * to artifacts/exports/ to be looked at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { GRID_NAMES, STATISTICS } from '../../src/core/field.ts';
import { Rng } from '../../src/core/rng.ts';
import { colourAt, NOISE_SPANS, samplingNoise, type ColormapName } from '../../src/export/colormap.ts';
import { differenceOf } from '../../src/export/compare.ts';
import { buildHeatmapScene, type HeatmapScene } from '../../src/export/figure.ts';
import { FigureFont, FontError } from '../../src/export/font.ts';
import { plotPixels, renderHeatmapPng, renderHeatmapRaster } from '../../src/export/heatmap.ts';
import { exportFileName } from '../../src/export/names.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

const OUT = 'artifacts/exports';
mkdirSync(OUT, { recursive: true });

function pixel(img: { width: number; data: ArrayLike<number> }, x: number, y: number): number[] {
  const i = 4 * (y * img.width + x);
  return [img.data[i], img.data[i + 1], img.data[i + 2], img.data[i + 3]];
}

/** The colour map's own colour for cell i (what a reader of the colour bar expects). */
function expectedColour(scene: HeatmapScene, i: number): number[] {
  const v = scene.values[i];
  const t = v === -Infinity ? 0 : (v - scene.range.min) / (scene.range.max - scene.range.min);
  return [...colourAt(scene.colormap, t), 255];
}

const HATCH = [
  [224, 224, 224, 255],
  [150, 150, 150, 255],
];

describe('heatmap PNG', () => {
  for (const [scale, colormap] of [
    [1, 'viridis'],
    [2, 'magma'],
    [4, 'viridis'],
  ] as [1 | 2 | 4, ColormapName][]) {
    it(`decodes at the stated size and shows each cell's colour (${scale}x, ${colormap})`, async () => {
      const field = await referenceField(SMALL);
      const font = testFont();
      const png = renderHeatmapPng(field, font, { grid: 'gradLog10Mean', scale, colormap });
      writeFileSync(`${OUT}/${exportFileName(field.config, 'gradLog10Mean', `${scale}x.${colormap}.png`)}`, png);
      const scene = buildHeatmapScene(field, font, { grid: 'gradLog10Mean', scale, colormap });
      const img = decode(png);
      expect([img.width, img.height, img.channels, img.depth]).toEqual([scene.width * scale, scene.height * scale, 4, 8]);
      const g = plotPixels(scene);
      // Every cell (12 x 40): viridis and magma are 256-colour tables in d3, which the renderer's table reproduces exactly.
      for (let k = 0; k < field.K; k++) {
        for (let j = 0; j < field.T; j++) {
          const { x, y } = g.pixelOf(k, j);
          expect(g.cellAt(x - g.x0, y - g.y0)).toEqual({ k, j });
          expect(pixel(img, x, y), `cell k=${k} j=${j}`).toEqual(expectedColour(scene, k * field.T + j));
        }
      }
    });
  }

  it('draws every grid, auto range = the finite min..max (the fractions: their fixed range from the table)', async () => {
    const field = await referenceField(SMALL);
    for (const grid of GRID_NAMES) {
      const { scene, raster } = renderHeatmapRaster(field, testFont(), { grid });
      const finite = Array.from(field.grids[grid]).filter(Number.isFinite);
      const fixed = STATISTICS[grid].range;
      const range = { min: scene.range.min, max: scene.range.max };
      const data = { min: Math.min(...finite), max: Math.max(...finite) };
      const sigma = samplingNoise([{ values: field.grids[grid], overflow: field.overflow }], field.T);
      if (fixed) expect(range).toEqual({ min: fixed[0], max: fixed[1] });
      else if (data.max - data.min >= NOISE_SPANS * sigma) expect(range, grid).toEqual(data);
      else {
        // Values within sampling noise: the range is NOISE_SPANS sigma about the data's middle.
        expect(range.max - range.min, grid).toBeCloseTo(NOISE_SPANS * sigma, 12);
        expect((range.max + range.min) / 2, grid).toBeCloseTo((data.max + data.min) / 2, 12);
      }
      const g = plotPixels(scene);
      const rng = new Rng(11);
      for (let n = 0; n < 40; n++) {
        const k = Math.floor(rng.uniform() * field.K);
        const j = Math.floor(rng.uniform() * field.T);
        const { x, y } = g.pixelOf(k, j);
        expect(pixel(raster, x, y)).toEqual(expectedColour(scene, k * field.T + j));
      }
    }
  });

  it('hatches overflow cells, puts exact zeros at the bottom colour, and notes both in the legend', async () => {
    const field = await referenceField(EXTREMES);
    const font = testFont();
    const { scene, raster } = renderHeatmapRaster(field, font, { grid: 'gradLog10Mean', scale: 2 });
    writeFileSync(`${OUT}/${exportFileName(field.config, 'gradLog10Mean', 'extremes.png')}`, renderHeatmapPng(field, font, { grid: 'gradLog10Mean', scale: 2 }));
    let overflow = 0;
    let zeros = 0;
    const g = plotPixels(scene);
    for (let k = 0; k < field.K; k++) {
      for (let j = 0; j < field.T; j++) {
        const i = k * field.T + j;
        const { x, y } = g.pixelOf(k, j);
        const p = pixel(raster, x, y);
        if (field.overflow[i] || Number.isNaN(field.grids.gradLog10Mean[i])) {
          overflow++;
          expect(HATCH).toContainEqual(p);
        } else if (field.grids.gradLog10Mean[i] === -Infinity) {
          zeros++;
          expect(p).toEqual([...colourAt('viridis', 0), 255]);
        } else {
          expect(p).toEqual(expectedColour(scene, i));
        }
      }
    }
    // The fixture is built to hold both kinds; without them this test would check nothing.
    expect(overflow).toBeGreaterThan(0);
    expect(zeros).toBe(field.T - 1); // rho = 0: every t < T
    // The reference overflows here (float64 past 1.8e308): every flagged cell is of the overflow kind.
    expect(scene.counts).toEqual({ overflow, outOfRange: 0, overflowKind: overflow, negativeInfinity: zeros, positiveInfinity: 0, clamped: 0 });
    const words = scene.items.flatMap((it) => (it.kind === 'text' ? [it.text] : []));
    expect(words.some((w) => w.startsWith('overflow') && w.includes(`${overflow} cells`))).toBe(true);
    expect(words.some((w) => w.startsWith('exact zero'))).toBe(true);
    // The overflow region in the figure has both hatch colours (stripes, not a flat fill).
    const seen = new Set<string>();
    for (let k = 0; k < field.K; k++) for (let j = 0; j < field.T; j++) {
      if (!field.overflow[k * field.T + j]) continue;
      const { x, y } = g.pixelOf(k, j);
      for (let d = 0; d < 12 && x + d < g.x0 + g.width; d++) {
        const c = g.cellAt(x + d - g.x0, y - g.y0);
        if (field.overflow[c.k * field.T + c.j]) seen.add(pixel(raster, x + d, y).join());
      }
    }
    expect(seen).toEqual(new Set(HATCH.map((h) => h.join())));
  });

  it('draws the rho = 1 line across the plot, white and dashed', async () => {
    const field = await referenceField({ ...SMALL, rhoCount: 11 }); // rho_5 = 1 exactly
    const { scene, raster } = renderHeatmapRaster(field, testFont(), { grid: 'gradLog10Mean' });
    const g = plotPixels(scene);
    const { y } = g.pixelOf(5, 0);
    let white = 0;
    for (let x = g.x0; x < g.x0 + g.width; x++) if (pixel(raster, x, y).join() === '255,255,255,255') white++;
    // Dashes 6 px on, 4 px off: 60% of the row.
    expect(white / g.width).toBeGreaterThan(0.5);
    expect(white / g.width).toBeLessThan(0.7);
    // No such line when 1 is outside the range.
    const above = await referenceField({ ...SMALL, rhoMin: 1.1, rhoMax: 2 });
    const s2 = buildHeatmapScene(above, testFont(), { grid: 'gradLog10Mean' });
    expect(s2.items.some((it) => it.kind === 'dash')).toBe(false);
  });

  it('has the title, axis and colour-bar texts, all drawable in the font', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const scene = buildHeatmapScene(field, font, { grid: 'gradLog10Mean' });
    const words = scene.items.flatMap((it) => (it.kind === 'text' ? [it.text] : []));
    expect(words).toContain('time step t');
    expect(words).toContain('spectral radius \u03c1');
    expect(words).toContain('log\u2081\u2080 \u2016dL/dh\u209c\u2016');
    expect(words.find((w) => w.startsWith('tanh'))).toBe('tanh \u00b7 gaussian W\u2080 \u00b7 N = 8 \u00b7 T = 40 \u00b7 S = 3 \u00b7 seed 7');
    for (const w of words) for (const ch of w) expect(font.hasGlyph(ch) || ch === ' ', `glyph for ${JSON.stringify(ch)} in ${w}`).toBe(true);
    // Text is really drawn: the title's band holds dark pixels.
    const { raster } = renderHeatmapRaster(field, font, { grid: 'gradLog10Mean' });
    let dark = 0;
    for (let y = 0; y < scene.plot.y - 14; y++) for (let x = 0; x < raster.width; x++) if (pixel(raster, x, y)[0] < 100) dark++;
    expect(dark).toBeGreaterThan(200);
  });

  it('fixed ranges clamp and count; the difference mode draws the given grid on a symmetric diverging map', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const fixed = renderHeatmapRaster(field, font, { grid: 'gradLog10Mean', range: { min: -1, max: 0 } });
    const clamped = Array.from(field.grids.gradLog10Mean).filter((v) => v < -1 || v > 0).length;
    expect(fixed.scene.counts.clamped).toBe(clamped);
    expect(clamped).toBeGreaterThan(0);
    const g = plotPixels(fixed.scene);
    for (let k = 0; k < field.K; k += 3) {
      const { x, y } = g.pixelOf(k, 0);
      expect(pixel(fixed.raster, x, y)).toEqual(expectedColour(fixed.scene, k * field.T));
    }
    expect(() => buildHeatmapScene(field, font, { grid: 'gradLog10Mean', range: { min: 1, max: 1 } })).toThrow(/not a range/);

    const other = await referenceField({ ...SMALL, seed: 8 });
    const diff = field.grids.gradLog10Mean.map((v, i) => v - other.grids.gradLog10Mean[i]);
    const d = renderHeatmapRaster(field, font, { grid: 'gradLog10Mean', difference: { values: diff, label: 'seed 7 - seed 8' } });
    writeFileSync(`${OUT}/${exportFileName(field.config, { difference: 'gradLog10Mean' }, 'png')}`, renderHeatmapPng(field, font, { grid: 'gradLog10Mean', difference: { values: diff, label: 'seed 7 \u2212 seed 8, log10 ||dL/dh_t||' } }));
    expect(d.scene.colormap).toBe('rdbu');
    expect(d.scene.range.min).toBe(-d.scene.range.max);
    expect(d.scene.range.max).toBe(Math.max(...Array.from(diff, Math.abs)));
    const gd = plotPixels(d.scene);
    const rng = new Rng(5);
    for (let n = 0; n < 40; n++) {
      const k = Math.floor(rng.uniform() * field.K);
      const j = Math.floor(rng.uniform() * field.T);
      const { x, y } = gd.pixelOf(k, j);
      const want = expectedColour(d.scene, k * field.T + j);
      // RdBu is continuous in d3; the renderer's 1024-entry table is off by at most 1/2048 in t,
      // a colour step of at most 1 per channel between neighbouring RdBu entries.
      pixel(d.raster, x, y).forEach((c, ch) => expect(Math.abs(c - want[ch])).toBeLessThanOrEqual(1));
    }
  });

  it('says what is wrong when the font bytes are not a font', () => {
    expect(() => FigureFont.parse(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(FontError);
    expect(() => FigureFont.parse(new Uint8Array(64))).toThrow(/figure font could not be read/);
  });

  it('gives the same bytes for the same field (the browser and the CLI draw alike)', async () => {
    const field = await referenceField(SMALL);
    const a = renderHeatmapPng(field, testFont(), { grid: 'hiddenLog10Mean', scale: 2 });
    const b = renderHeatmapPng(field, testFont(), { grid: 'hiddenLog10Mean', scale: 2 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describe('the difference figure', () => {
  it('its title says what is drawn ("tanh − relu, …") and then the config A and B share', async () => {
    const a = await referenceField(SMALL);
    const b = await referenceField({ ...SMALL, activation: 'relu' });
    const diff = differenceOf(a, b, 'gradLog10Mean', 'tanh', 'relu');
    const scene = buildHeatmapScene(a, testFont(), { grid: 'gradLog10Mean', difference: diff });
    const texts = scene.items.filter((i) => i.kind === 'text').map((i) => (i as { text: string }).text);
    expect(texts[0]).toMatch(/^tanh − relu, log₁₀ ‖dL\/dhₜ‖ · gaussian W₀ · N = /);
    expect(texts[0]).not.toMatch(/^tanh ·/);
    // A single run's figure keeps its config title.
    const one = buildHeatmapScene(a, testFont(), { grid: 'gradLog10Mean' });
    expect((one.items.find((i) => i.kind === 'text') as { text: string }).text).toMatch(/^tanh · gaussian W₀/);
  });
});
