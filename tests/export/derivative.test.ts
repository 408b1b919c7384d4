/**
 * The derivative panel as a figure (src/export/derivative.ts): phi' of the activation is drawn
 * where the activation table puts it, the histogram's bars have the heights of the row's counts
 * (the fullest bin at 85% of the plot), the mean phi'(a_t) line sits at the row's value; the PNG
 * decodes at the scene's size times the scale, and the SVG is well-formed XML with the title,
 * axes and legend (activations, rho, t, what binned the histogram) as text. Rows come from
 * core/preactivations.ts on a fresh random config.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { activationFns, activationTitle } from '../../src/core/activations.ts';
import { parseConfig } from '../../src/core/config.ts';
import { histogramRequest } from '../../src/core/preactivations.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { chartPng, chartSvg } from '../../src/export/chart.ts';
import { buildDerivativeScene, DERIVATIVE_COLOURS, PEAK_HEIGHT, type DerivativeFigureData } from '../../src/export/derivative.ts';
import { derivativeFile } from '../../src/export/files.ts';
import { testSeed } from '../helpers/seed.ts';
import { testFont } from './font-file.ts';

const OUT = 'artifacts/exports';
mkdirSync(OUT, { recursive: true });

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false });
function texts(svg: string): string[] {
  const doc = parser.parse(svg) as { svg: { g: { text: { '#text': string } | { '#text': string }[] } } };
  const t = doc.svg.g.text;
  return (Array.isArray(t) ? t : [t]).map((x) => String(x['#text']));
}

function near(img: { width: number; data: ArrayLike<number> }, x: number, y: number, c: readonly number[], r: number, tol: number): boolean {
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) {
      const i = 4 * ((Math.round(y) + dy) * img.width + Math.round(x) + dx);
      if ([0, 1, 2].every((k) => Math.abs(img.data[i + k] - c[k]) <= tol)) return true;
    }
  return false;
}

const SOURCE = 'a_t binned by reference, float64, 8 units × 4 samples, this ρ only';

async function figureData(activation: 'tanh' | 'sigmoid', compare: 'relu' | null, step: number) {
  const seed = testSeed('export/derivative');
  const config = parseConfig({ activation, hidden: 8, input: 3, steps: 12, samples: 4, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 3, seed });
  // The last row, rho = 1.5, binned by the float64 reference.
  const row = await new ReferenceEngine().preactivationHistogram(config, histogramRequest(config, 2, 4));
  const data: DerivativeFigureData = {
    a: { activation, params: {}, tag: compare ? 'A' : '' },
    b: compare ? { activation: compare, params: {}, tag: 'B' } : null,
    row,
    step,
    axis: '\u03c1',
    rho: 1.5,
    T: config.steps,
    source: SOURCE,
  };
  return { config, data, row, seed };
}

describe('derivative panel figure', () => {
  it("draws phi', the histogram of a_t and the mean phi' where the data put them (PNG at 2x)", async () => {
    const { config, data, row, seed } = await figureData('tanh', null, 7);
    const font = testFont();
    const scene = buildDerivativeScene(data, config, font, { scale: 2 });
    const png = chartPng(scene, font);
    writeFileSync(`${OUT}/derivative.2x.png`, png);
    const img = decode(png);
    expect([img.width, img.height], `seed ${seed}`).toEqual([scene.width * 2, scene.height * 2]);
    // tanh' over the a axis: A's colour at (a, tanh'(a)) within 1 CSS px (40 per channel: anti-aliasing, bars under it).
    const der = activationFns('tanh').der;
    for (const a of [-2, -1, -0.5, 0, 0.5, 1, 2]) {
      expect(near(img, scene.xOf(a) * 2, scene.yOf(der(a)) * 2, DERIVATIVE_COLOURS.a, 2, 40), `tanh'(${a})`).toBe(true);
    }
    // Bars: height proportional to the counts at step t, the fullest bin at PEAK_HEIGHT of the plot.
    const j = data.step - 1;
    const counts = Array.from(row.counts.subarray(j * row.bins, (j + 1) * row.bins));
    const peak = Math.max(...counts);
    expect(peak).toBeGreaterThan(0);
    expect(scene.bars).toHaveLength(row.bins);
    scene.bars.forEach((b, i) => expect(b.h, `bin ${i}`).toBeCloseTo((counts[i] / peak) * scene.plot.h * PEAK_HEIGHT, 9));
    // The mean phi' line at the row's own value (violet, dashed 4 on 3 off: some pixel along it).
    expect(scene.mean).toBe(row.meanDeriv[j]);
    let onMean = 0;
    for (let x = scene.plot.x + 2; x < scene.plot.x + scene.plot.w - 150; x += 2) if (near(img, x * 2, scene.yOf(scene.mean) * 2, DERIVATIVE_COLOURS.mean, 1, 50)) onMean++;
    expect(onMean).toBeGreaterThan(10);
  });

  it('writes an SVG with title, axes and legend naming the activations, rho, t and what binned the histogram', async () => {
    const { config, data } = await figureData('sigmoid', 'relu', 12);
    const font = testFont();
    const file = derivativeFile(data, config, font, {}, 'svg');
    expect(file.name).toMatch(/^derivative-rho1\.500-t12-sigmoid-/);
    const svg = [...file.parts].join('');
    writeFileSync(`${OUT}/derivative-compare.svg`, svg);
    expect(XMLValidator.validate(svg)).toBe(true);
    const t = texts(svg);
    const sig = activationTitle('sigmoid');
    const relu = activationTitle('relu');
    expect(t[0]).toBe(`\u03c6 and \u03c6\u2032 of ${sig} vs ${relu} with the pre-activations a\u209c at \u03c1 = 1.500, t = 12`);
    expect(t).toContain('pre-activation a');
    expect(t).toContain('\u03c6(a), \u03c6\u2032(a)');
    expect(t).toContain(`\u03c6\u2032 A (${sig})`);
    expect(t).toContain(`\u03c6\u2032, \u03c6 B (${relu})`);
    expect(t.some((s) => s.startsWith('a\u209c at t = 12, \u03c1 = 1.500'))).toBe(true);
    expect(t).toContain('a\u209c binned by reference, float64, 8 units × 4 samples, this \u03c1 only');
    expect(t.some((s) => s.startsWith('mean \u03c6\u2032(a\u209c) = '))).toBe(true);
    // Bars are filled polygons, curves polylines: A's phi and phi', B's phi and phi', the mean, and the swatches.
    expect((svg.match(/<polyline class="series"/g) ?? []).length).toBeGreaterThanOrEqual(5);
  });

  it('draws the curves and says why where there is no histogram, and refuses a step outside 1..T', async () => {
    const { config, data } = await figureData('tanh', null, 3);
    const font = testFont();
    const none = { ...data, row: null, source: 'no histogram of a_t: it is computed for a plain ρ sweep with tied weights only' };
    const scene = buildDerivativeScene(none, config, font);
    expect(scene.bars).toHaveLength(0);
    expect(Number.isNaN(scene.mean)).toBe(true);
    expect(texts(chartSvg(scene))).toContain('no histogram of a\u209c: it is computed for a plain \u03c1 sweep with tied weights only');
    expect(() => buildDerivativeScene({ ...data, step: 0 }, config, font)).toThrow(/step t = 0 is not between 1 and T = 12/);
  });
});
