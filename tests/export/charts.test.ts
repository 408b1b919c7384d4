/**
 * The slice chart and the eigenvalue plot as figures (src/export/slice.ts, spectrum.ts through
 * chart.ts): PNGs decode at the scene's size times the scale; the measured gradient curve's
 * colour is found at the pixels where the scene places its values (curve drawn where the data
 * says); theory curves are drawn only when switched on; each eigenvalue of rho * W0 is a dot at
 * its coordinates, coloured by inside/outside the unit circle; the SVGs are well-formed XML with
 * the title, axis labels and legend as vector text. Figures go to artifacts/exports/ to be looked at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { eigenvaluesOf } from '../../src/core/problem.ts';
import { hasEigenvalues } from '../../src/core/spectrum.ts';
import { chartPng, chartSvg } from '../../src/export/chart.ts';
import { OVERFLOW_SOLID } from '../../src/export/colormap.ts';
import { sliceFile, spectrumFile } from '../../src/export/files.ts';
import { buildSliceScene, DEFAULT_OVERLAYS, SLICE_COLOURS, sliceFromField } from '../../src/export/slice.ts';
import { buildSpectrumScene, SPECTRUM_COLOURS } from '../../src/export/spectrum.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

const OUT = 'artifacts/exports';
mkdirSync(OUT, { recursive: true });

type Img = { width: number; height: number; data: ArrayLike<number> };

function pixel(img: Img, x: number, y: number): number[] {
  const i = 4 * (y * img.width + x);
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

/** Whether a pixel within r of (x, y) has colour c to within tol per channel (anti-aliased edges blend with the background). */
function near(img: Img, x: number, y: number, c: readonly number[], r: number, tol: number): boolean {
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const p = pixel(img, Math.round(x) + dx, Math.round(y) + dy);
      if (p.every((v, i) => Math.abs(v - c[i]) <= tol)) return true;
    }
  }
  return false;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false });

function texts(svg: string): string[] {
  const doc = parser.parse(svg) as { svg: { g: { text: { '#text': string } | { '#text': string }[] } } };
  const t = doc.svg.g.text;
  return (Array.isArray(t) ? t : [t]).map((x) => String(x['#text']));
}

describe('slice chart figure', () => {
  for (const scale of [1, 2, 4] as const) {
    it(`draws the mean gradient where its values are (${scale}x)`, async () => {
      const field = await referenceField(SMALL);
      const font = testFont();
      const data = sliceFromField(field, null, 1);
      const scene = buildSliceScene(data, field.config, font, { scale });
      const png = chartPng(scene, font);
      writeFileSync(`${OUT}/${sliceFile(data, field.config, font, { scale }, 'png').name.replace('.png', `.${scale}x.png`)}`, png);
      const img = decode(png);
      expect([img.width, img.height]).toEqual([scene.width * scale, scene.height * scale]);
      // The grad curve is drawn last (on top): at every step's (x, y) the series colour is within
      // 1 CSS px; 40 tolerance: anti-aliasing against the +-1 std band it sits in.
      let checked = 0;
      for (let t = 1; t <= data.T; t++) {
        const v = data.grad[t - 1];
        if (!Number.isFinite(v)) continue;
        expect(near(img, scene.xOfT(t) * scale, scene.yOf(v) * scale, SLICE_COLOURS.grad, scale, 40), `t = ${t}`).toBe(true);
        checked++;
      }
      expect(checked).toBe(data.T);
      // Far from the curve and its band, at the plot's top-left corner region with no data, the background is white or grid.
      // Mean field comes with the measured rms it predicts (gradLog10Rms), drawn beside it.
      expect(scene.drawn).toEqual(['linear', 'pascanu', 'meanfield', 'rms', 'grad']);
    });
  }

  it('draws theory curves only when switched on, and the hidden norm when asked', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const data = sliceFromField(field, null, 1.3);
    const off = buildSliceScene(data, field.config, font, { overlays: { std: false, hidden: true, linear: false, pascanu: false, meanfield: false } });
    expect(off.drawn).toEqual(['hidden', 'grad']);
    const img = decode(chartPng(off, font));
    for (let t = 1; t <= data.T; t += 7) {
      expect(near(img, off.xOfT(t), off.yOf(data.hidden[t - 1]), SLICE_COLOURS.hidden, 1, 40), `hidden at t = ${t}`).toBe(true);
    }
    // The linear theory (T - t) log10 rho, where it lies inside the plot, is not drawn: no grey dash pixel on its path.
    let inside = 0;
    for (let t = 1; t <= data.T; t += 3) {
      const y = off.yOf(data.linear[t - 1]);
      if (y < off.plot.y + 3 || y > off.plot.y + off.plot.h - 3) continue;
      inside++;
      expect(near(img, off.xOfT(t), y, SLICE_COLOURS.linear, 0, 6), `linear at t = ${t}`).toBe(false);
    }
    const on = buildSliceScene(data, field.config, font, { overlays: { ...DEFAULT_OVERLAYS, std: false } });
    const img2 = decode(chartPng(on, font));
    let found = 0;
    for (let t = 1; t <= data.T; t++) {
      const y = on.yOf(data.linear[t - 1]);
      if (y < on.plot.y + 3 || y > on.plot.y + on.plot.h - 3) continue;
      if (near(img2, on.xOfT(t), y, SLICE_COLOURS.linear, 1, 30)) found++;
    }
    // Dashed 6 on, 4 off: well over a third of the in-plot steps land on a dash.
    expect(inside).toBeGreaterThan(0);
    expect(found).toBeGreaterThan(0.3 * data.T * 0.5);
    // The measured rms (what mean field predicts) is drawn, solid, where its values are, away from
    // the mean-of-log curve drawn over it; the legend says what it is.
    let apart = 0;
    let onRms = 0;
    for (let t = 1; t <= data.T; t++) {
      const y = on.yOf(data.gradRms![t - 1]);
      if (Math.abs(y - on.yOf(data.grad[t - 1])) < 4 || y < on.plot.y + 3 || y > on.plot.y + on.plot.h - 3) continue;
      apart++;
      if (near(img2, on.xOfT(t), y, SLICE_COLOURS.rms, 1, 40)) onRms++;
    }
    // (rms >= the mean of logs by Jensen; the samples spread here, so they lie apart at many steps)
    expect(apart).toBeGreaterThan(0);
    expect(onRms).toBeGreaterThan(0.8 * apart);
    expect(texts([...sliceFile(data, field.config, font, {}, 'svg').parts].join(''))).toContain('measured rms over samples, \u00bd\u00b7log\u2081\u2080 mean \u2016dL/dh\u209c\u2016\u00b2');
  });

  it('marks overflow and exact zeros and says so in the legend (PNG and SVG)', async () => {
    const field = await referenceField(EXTREMES);
    const font = testFont();
    const zero = sliceFromField(field, null, 0);
    expect(zero.grad.some((v) => v === -Infinity)).toBe(true);
    const svgZero = sliceFile(zero, field.config, font, {}, 'svg').parts;
    const s0 = [...svgZero].join('');
    expect(XMLValidator.validate(s0)).toBe(true);
    expect(texts(s0)).toContain('exactly 0 in every sample (\u2212\u221e): pinned to the bottom edge');
    const big = sliceFromField(field, null, 10);
    expect(big.overflow.some((o) => o === 1)).toBe(true);
    const scene = buildSliceScene(big, field.config, font, {});
    const png = chartPng(scene, font);
    writeFileSync(`${OUT}/slice-overflow.png`, png);
    const img = decode(png);
    const j = big.overflow.indexOf(1);
    // The overflow mark: the solid overflow colour at the top of the plot over that step.
    expect(near(img, scene.xOfT(j + 1), scene.plot.y + 3, OVERFLOW_SOLID, 1, 10)).toBe(true);
    const s1 = [...sliceFile(big, field.config, font, {}, 'svg').parts].join('');
    expect(texts(s1)).toContain('overflow steps (no value)');
  });

  it('writes a well-formed SVG with title, axes and legend as text', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const data = sliceFromField(field, null, 1);
    const svg = chartSvg(buildSliceScene(data, field.config, font));
    writeFileSync(`${OUT}/slice.svg`, svg);
    expect(XMLValidator.validate(svg)).toBe(true);
    const t = texts(svg);
    // The title says what is drawn; the run's config is the line under it.
    expect(t[0]).toBe(`Slice at \u03c1 = ${data.rho.toFixed(3)} \u00b7 log\u2081\u2080 \u2016dL/dh\u209c\u2016`);
    expect(t[1].startsWith('tanh')).toBe(true);
    expect(t).toContain('time step t');
    expect(t).toContain('log\u2081\u2080 norm');
    expect(t).toContain('Pascanu bound');
    expect(t).toContain('\u00b11 std over samples');
    const polylines = (svg.match(/<polyline class="series"/g) ?? []).length;
    expect(polylines).toBeGreaterThanOrEqual(4);
  });
});

describe('eigenvalue plot figure', () => {
  it('puts each eigenvalue of rho W0 at its coordinates, coloured by the unit circle', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const spectrum = hasEigenvalues(field.spectrum) ? field.spectrum : eigenvaluesOf(field.config);
    const rho = 1.4;
    for (const scale of [1, 2, 4] as const) {
      const scene = buildSpectrumScene(spectrum, rho, field.config, font, { scale, rhoMax: 1.5 });
      const png = chartPng(scene, font);
      writeFileSync(`${OUT}/spectrum.${scale}x.png`, png);
      const img = decode(png);
      expect([img.width, img.height]).toEqual([scene.width * scale, scene.height * scale]);
      let outside = 0;
      for (let i = 0; i < spectrum.re.length; i++) {
        const re = spectrum.re[i] * rho;
        const im = spectrum.im[i] * rho;
        const out = Math.hypot(re, im) > 1 + 1e-6;
        if (out) outside++;
        // Dots are 85% opaque over white (or over each other): 60 per channel.
        const c = out ? SPECTRUM_COLOURS.outside : SPECTRUM_COLOURS.inside;
        expect(near(img, scene.px(re) * scale, scene.py(im) * scale, c, scale, 60), `eigenvalue ${i}`).toBe(true);
      }
      expect(scene.outside).toBe(outside);
      // The unit circle crosses the positive real axis at px(1) (orange) unless a dot sits there.
      expect(near(img, scene.px(1) * scale, (scene.py(0) - 0.3 * (scene.px(1) - scene.px(0))) * scale, SPECTRUM_COLOURS.circle, 2 * scale, 60) ||
        near(img, scene.px(-1) * scale, scene.py(0) * scale, SPECTRUM_COLOURS.circle, 2 * scale, 60)).toBe(true);
    }
    const svg = [...spectrumFile(spectrum, rho, field.config, font, { rhoMax: 1.5 }, 'svg').parts].join('');
    writeFileSync(`${OUT}/spectrum.svg`, svg);
    expect(XMLValidator.validate(svg)).toBe(true);
    const t = texts(svg);
    expect(t).toContain('Re \u03bb');
    expect(t).toContain('Im \u03bb');
    expect(t.some((s) => s.startsWith(`spectral radius ${(spectrum.radius * rho).toFixed(3)}`))).toBe(true);
    expect((svg.match(/<circle /g) ?? []).length).toBeGreaterThanOrEqual(spectrum.re.length + 1);
  });

  it('refuses a spectrum without eigenvalues with a clear message', async () => {
    const field = await referenceField(SMALL);
    const empty = { ...field.spectrum, re: new Float64Array(0), im: new Float64Array(0) };
    expect(() => buildSpectrumScene(empty, 1, field.config, testFont())).toThrow(/eigenvalues of W0 are not computed/);
  });
});
