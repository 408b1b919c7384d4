/**
 * The rate per step against rho as files (src/export/rate.ts): the CSV, the NPZ arrays, the
 * bundle's `rates` and the figure all carry the numbers of phaseDiagram, and the figure draws
 * them where they belong.
 */
import { decode } from 'fast-png';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { toBundle } from '../../src/core/bundle.ts';
import { phaseDiagram } from '../../src/core/phase.ts';
import { rateCsvFile, rateFigureFile } from '../../src/export/files.ts';
import { fieldNpz, readNpy } from '../../src/export/npy.ts';
import { RATE_COLUMN_NAMES, buildRateScene, rateColumns, rateCsv, renderRatePng, renderRateSvg } from '../../src/export/rate.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

describe('rate exports', () => {
  it('the CSV has one row per rho with the phase diagram’s numbers, nan where there is no rate', async () => {
    const field = await referenceField(SMALL);
    const p = phaseDiagram(field);
    const text = rateCsv(field, p);
    const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(rows[0]).toBe(RATE_COLUMN_NAMES.join(','));
    expect(rows.length - 1).toBe(field.K);
    const cols = rateColumns(p);
    rows.slice(1).forEach((line, k) => {
      const cells = line.split(',').map(Number);
      RATE_COLUMN_NAMES.forEach((c, i) => (Number.isNaN(cols[c][k]) ? expect(line.split(',')[i]).toBe('nan') : expect(cells[i]).toBe(cols[c][k])));
    });
    expect(text).toMatch(/# window: least-squares slope over t = 9\.\.32/);
    expect(rateCsvFile(field).name).toBe('rate-tanh-gaussian-N8-T40-S3-seed7.csv');
  });

  it('a row with an exact zero or an overflow in the window has no rate, in every file', async () => {
    const field = await referenceField(EXTREMES);
    const p = phaseDiagram(field);
    // rho = 0: exact zeros; rho = 10: the forward pass overflows.
    expect(p.measured.reasons[0]).toMatch(/exactly 0/);
    expect(p.measured.reasons[field.K - 1]).toMatch(/undefined|flagged/);
    const csvRows = rateCsv(field, p).split('\n').filter((l) => l !== '' && !l.startsWith('#')).slice(1);
    expect(csvRows[0].split(',')[1]).toBe('nan');
    const b = toBundle(field);
    expect(b.rates?.rate[0]).toBeNull();
    expect(b.rates?.rate[field.K - 1]).toBeNull();
    // linear + gaussian: mean field applies; rho = 2 (row 1) is a plain number.
    expect(b.rates?.rate[1]).toBeCloseTo(p.measured.rate[1], 12);
  });

  it('the NPZ and the bundle carry the same columns', async () => {
    const field = await referenceField(SMALL);
    const p = phaseDiagram(field);
    const files = unzipSync(fieldNpz(field));
    for (const c of ['rate', 'rateSeBound', 'rateMeanField', 'rateLinear', 'ratePascanu'] as const) {
      const arr = readNpy(files[`${c}.npy`]);
      expect(arr.shape).toEqual([field.K]);
      expect(Array.from(arr.data)).toEqual(Array.from(rateColumns(p)[c]));
    }
    const sidecar = JSON.parse(strFromU8(files['config.json'])) as { rates: { window: unknown }; arrays: Record<string, string> };
    expect(sidecar.rates.window).toEqual(p.window);
    expect(sidecar.arrays.rateMeanField).toMatch(/mean-field rate/);
    const b = toBundle(field);
    expect(b.rates?.window).toEqual(p.window);
    expect(b.rates?.rateMeanField).toEqual(Array.from(p.meanField ?? [], (v) => (Number.isFinite(v) ? v : null)));
  });

  it('the figure draws the measured curve through every rate, and the same scene as PNG and SVG', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const scene = buildRateScene(field, font, { highlightK: 3 });
    const p = scene.phase;
    const svgText = renderRateSvg(field, font, { highlightK: 3 });
    // One polyline per curve run plus the error bars, the zero line, the edges and the legend keys.
    const lines = scene.items.filter((i) => i.kind === 'line').length;
    expect((svgText.match(/<polyline /g) ?? []).length).toBe(lines);
    // The measured curve is the widest solid polyline with K points; its y order follows the rates' order.
    const measured = scene.items.find((i) => i.kind === 'line' && i.dash === null && i.width === 2 && i.points.length === field.K);
    expect(measured).toBeDefined();
    if (measured?.kind === 'line') {
      for (let k = 1; k < field.K; k++) {
        const up = p.measured.rate[k] > p.measured.rate[k - 1];
        expect(measured.points[k][1] < measured.points[k - 1][1]).toBe(up);
      }
    }
    const png = decode(renderRatePng(field, font, { scale: 2 }));
    expect(png.width).toBe(scene.width * 2);
    expect(png.height).toBe(scene.height * 2);
    expect(rateFigureFile(field, font, 'svg').name).toBe('rate-tanh-gaussian-N8-T40-S3-seed7.svg');
  });
});
