/**
 * The exported slice figure follows Show, as <lab-slice> does: the statistic Show names is the
 * main line (its grid row, on its own unit's axis), the gradient an optional dashed second line
 * (on a right-hand axis where the statistic is not a log10 norm), the title and the axis titles say
 * what is drawn, and flagged steps of the shown row (overflow, out of the engine's range) are marked
 * and named in the legend. Checked on the SVG's polylines (coordinates to the writer's 0.01 px) and
 * texts, and on the PNG's pixels.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { decode } from 'fast-png';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { gridRow, nearestRhoIndex, type GradientField } from '../../src/core/field.ts';
import { CELL_FLAG } from '../../src/core/range.ts';
import { chartPng, chartSvg } from '../../src/export/chart.ts';
import { OVERFLOW_SOLID, rgbHex } from '../../src/export/colormap.ts';
import { sliceFile } from '../../src/export/files.ts';
import { buildSliceScene, DEFAULT_OVERLAYS, SLICE_COLOURS, sliceFromField } from '../../src/export/slice.ts';
import { SMALL, referenceField } from './fixtures.ts';
import { testFont } from './font-file.ts';

const OUT = 'artifacts/exports';
mkdirSync(OUT, { recursive: true });

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false });

function texts(svg: string): string[] {
  const doc = parser.parse(svg) as { svg: { g: { text: { '#text': string } | { '#text': string }[] } } };
  const t = doc.svg.g.text;
  return (Array.isArray(t) ? t : [t]).map((x) => String(x['#text']));
}

/** The series polylines of a colour in the plot (not the legend's two-point swatches), each as its [x, y] points. */
function polylines(svg: string, colour: readonly [number, number, number]): { points: number[][]; dashed: boolean }[] {
  const out: { points: number[][]; dashed: boolean }[] = [];
  for (const m of svg.matchAll(/<polyline class="series" points="([^"]*)"[^>]*stroke="(#[0-9a-f]{6})"([^>]*)>/g)) {
    if (m[2] !== rgbHex(colour) || m[1].split(' ').length <= 2) continue;
    out.push({ points: m[1].split(' ').map((p) => p.split(',').map(Number)), dashed: m[3].includes('stroke-dasharray') });
  }
  return out;
}

const RHO = 1.25;

describe('slice figure follows Show', () => {
  it('Show = hidden norm: draws the hidden-norm row (not the gradient) where its values are, and says so', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const k = nearestRhoIndex(field.rho, RHO);
    const hidden = gridRow(field.grids.hiddenLog10Mean, field.T, k);
    const grad = sliceFromField(field, null, RHO);
    const data = sliceFromField(field, null, RHO, 'hiddenLog10Mean');
    expect(data.shown?.key).toBe('hidden');
    expect(Array.from(data.shown!.values)).toEqual(Array.from(hidden));
    const scene = buildSliceScene(data, field.config, font, { overlays: DEFAULT_OVERLAYS });
    // The gradient's second line is off by default: neither it nor its theory is drawn.
    expect(scene.drawn).toEqual(['shown']);
    const svg = chartSvg(scene);
    expect(XMLValidator.validate(svg)).toBe(true);
    writeFileSync(`${OUT}/slice-hidden.svg`, svg);
    // One solid line in A's colour, through (x(t), y(hidden_t)) at every step: the grid's values.
    const lines = polylines(svg, SLICE_COLOURS.shown);
    expect(lines).toHaveLength(1);
    expect(lines[0].dashed).toBe(false);
    expect(lines[0].points).toHaveLength(field.T);
    for (let t = 1; t <= field.T; t++) {
      const [x, y] = lines[0].points[t - 1];
      // 0.006: the SVG writer rounds coordinates to 2 decimals.
      expect(Math.abs(x - scene.xOfT(t)), `x at t = ${t}`).toBeLessThan(0.006);
      expect(Math.abs(y - scene.yOf(hidden[t - 1])), `y at t = ${t}`).toBeLessThan(0.006);
    }
    // The y range is the hidden norm's, not the gradient's.
    const lo = Math.min(...hidden);
    const hi = Math.max(...hidden);
    expect(scene.yRange.lo).toBeLessThanOrEqual(lo);
    expect(scene.yRange.hi).toBeGreaterThanOrEqual(hi);
    expect(scene.yRange.hi - scene.yRange.lo).toBeLessThan((hi - lo) * 1.2 + 1.01);
    const t = texts(svg);
    const gt = texts(chartSvg(buildSliceScene(grad, field.config, font)));
    expect(t[0]).toBe(`Slice at \u03c1 = ${data.rho.toFixed(3)} \u00b7 log\u2081\u2080 \u2016h\u209c\u2016`);
    expect(gt[0]).toBe(`Slice at \u03c1 = ${data.rho.toFixed(3)} \u00b7 log\u2081\u2080 \u2016dL/dh\u209c\u2016`);
    expect(t).toContain('log\u2081\u2080 \u2016h\u209c\u2016, tanh');
    expect(t).not.toContain('Pascanu bound');
    expect(gt).toContain('Pascanu bound');
    expect(svg).not.toBe(chartSvg(buildSliceScene(grad, field.config, font)));
    expect(sliceFile(data, field.config, font, {}, 'svg').name).toMatch(/^slice-hidden-rho1\.2\d\d-/);
    // The PNG: A's colour at every step's (x, y) within 1 px (40 per channel: anti-aliasing).
    const png = chartPng(buildSliceScene(data, field.config, font, { scale: 2 }), font);
    writeFileSync(`${OUT}/slice-hidden.2x.png`, png);
    const img = decode(png);
    expect([img.width, img.height]).toEqual([scene.width * 2, scene.height * 2]);
    for (let t = 1; t <= field.T; t += 3) {
      const x = Math.round(scene.xOfT(t) * 2);
      const y = Math.round(scene.yOf(hidden[t - 1]) * 2);
      let hit = false;
      for (let dy = -2; dy <= 2 && !hit; dy++)
        for (let dx = -2; dx <= 2 && !hit; dx++) {
          const i = 4 * ((y + dy) * img.width + x + dx);
          hit = [0, 1, 2].every((c) => Math.abs(img.data[i + c] - SLICE_COLOURS.shown[c]) <= 40);
        }
      expect(hit, `hidden at t = ${t}`).toBe(true);
    }
  });

  it('with the gradient as the second line: dashed, its own right axis for a fraction, titles naming both', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const overlays = { ...DEFAULT_OVERLAYS, grad: true };
    const hidden = buildSliceScene(sliceFromField(field, null, RHO, 'hiddenLog10Mean'), field.config, font, { overlays });
    // Both log10 norms: one axis.
    expect(hidden.yRangeRight).toBeNull();
    expect(hidden.drawn).toEqual(['linear', 'pascanu', 'meanfield', 'rms', 'grad', 'shown']);
    const data = sliceFromField(field, null, RHO, 'derivMean');
    expect(data.shown?.unit).toBe("phi'");
    const scene = buildSliceScene(data, field.config, font, { overlays });
    // mean phi' on its fixed range 0..1 (3% margins) on the left, the norms on the right.
    expect(scene.yRange.lo).toBeCloseTo(-0.03, 12);
    expect(scene.yRange.hi).toBeCloseTo(1.03, 12);
    expect(scene.yRangeRight).not.toBeNull();
    const svg = chartSvg(scene);
    writeFileSync(`${OUT}/slice-deriv-grad.svg`, svg);
    const t = texts(svg);
    expect(t[0]).toBe(`Slice at \u03c1 = ${data.rho.toFixed(3)} \u00b7 mean \u03c6\u2032(a\u209c) with log\u2081\u2080 \u2016dL/dh\u209c\u2016 (dashed)`);
    expect(t).toContain('mean \u03c6\u2032');
    expect(t).toContain('log\u2081\u2080 norm');
    expect(t).toContain('log\u2081\u2080 \u2016dL/dh\u209c\u2016, tanh (dashed, right axis)');
    const blue = polylines(svg, SLICE_COLOURS.grad);
    const dashed = blue.filter((l) => l.dashed);
    const solid = blue.filter((l) => !l.dashed);
    expect(dashed.length).toBeGreaterThan(0);
    // The solid blue line is mean phi', on the left axis; the dashed one the gradient, on the right.
    for (let t = 1; t <= data.T; t++) {
      const y = solid.flatMap((l) => l.points).find((p) => Math.abs(p[0] - scene.xOfT(t)) < 0.006)?.[1];
      expect(Math.abs(y! - scene.yOf(data.shown!.values[t - 1])), `phi' at t = ${t}`).toBeLessThan(0.006);
    }
    const gy = dashed[0].points[0];
    const j = data.grad.findIndex((_, i) => Math.abs(scene.xOfT(i + 1) - gy[0]) < 0.006);
    expect(Math.abs(gy[1] - scene.yOfSeries('grad', data.grad[j]))).toBeLessThan(0.006);
  });

  it("marks the shown row's out-of-range and overflow steps and names them", async () => {
    const base = await referenceField(SMALL);
    const font = testFont();
    const k = nearestRhoIndex(base.rho, RHO);
    // A float32 engine's flags (CELL_FLAG.range: the state left its number range) on two steps,
    // an overflow on a third; flagged cells hold NaN, never numbers.
    const overflow = base.overflow.slice();
    const hiddenGrid = base.grids.hiddenLog10Mean.slice();
    const flagged: [number, number][] = [
      [10, CELL_FLAG.range],
      [11, CELL_FLAG.range],
      [30, CELL_FLAG.overflow],
    ];
    for (const [j, flag] of flagged) {
      overflow[k * base.T + j] = flag;
      hiddenGrid[k * base.T + j] = NaN;
    }
    const field: GradientField = { ...base, overflow, grids: { ...base.grids, hiddenLog10Mean: hiddenGrid } };
    const data = sliceFromField(field, null, RHO, 'hiddenLog10Mean');
    const scene = buildSliceScene(data, field.config, font);
    const t = texts(chartSvg(scene));
    expect(t).toContain("overflow / out-of-range steps (no value: the state left the engine's number range)");
    const img = decode(chartPng(scene, font));
    for (const [j] of flagged) {
      const i = 4 * (Math.round(scene.plot.y + 3) * img.width + Math.round(scene.xOfT(j + 1)));
      expect([img.data[i], img.data[i + 1], img.data[i + 2]], `mark at t = ${j + 1}`).toEqual([...OVERFLOW_SOLID]);
    }
    // The line stops at flagged steps: no point of the shown series at those x.
    const pts = polylines(chartSvg(scene), SLICE_COLOURS.shown).flatMap((l) => l.points);
    for (const [j] of flagged) expect(pts.some((p) => Math.abs(p[0] - scene.xOfT(j + 1)) < 0.006), `t = ${j + 1}`).toBe(false);
  });
});
