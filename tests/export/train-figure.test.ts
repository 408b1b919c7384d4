/**
 * The loss chart SVG: well-formed XML; one curve per model through exactly its drawable
 * held-out losses at their iterations on the log axis; the baseline where log10 puts it;
 * values a log axis cannot show left out and counted; labels and divergences escaped as text.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/core/train/config.ts';
import type { EvalRow } from '../../src/core/train/loop.ts';
import { taskShape } from '../../src/core/train/tasks.ts';
import { buildLossScene, lossChartPng, lossChartSvg, modelColour } from '../../src/export/train-figure.ts';
import { loadFigureFont } from '../../src/cli/font.ts';
import { decode } from 'fast-png';

const parser = new XMLParser({ ignoreAttributes: false, processEntities: true, attributeNamePrefix: '@', textNodeName: '#text', parseTagValue: false, parseAttributeValue: false });
const config = parseTrainConfig({ length: 20, iterations: 100, models: [{ hidden: 4 }, { hidden: 4, activation: 'relu', clip: 1 }] });
const row = (model: number, iteration: number, heldoutLoss: number): EvalRow => ({ model, iteration, heldoutLoss, trainLoss: 0, gradNorm: 1, clipped: false, spectralRadius: 1 });

describe('loss chart SVG', () => {
  it('draws each model through its losses on a log axis with the baseline, skipping what the axis cannot show', () => {
    const rows = [row(0, 0, 0.5), row(0, 50, 0.05), row(0, 100, 0.005), row(1, 0, 2), row(1, 50, 0), row(1, 100, 0.2)];
    const text = lossChartSvg({ config, rows, labels: ['a <tanh>', 'b & relu'], divergences: [{ model: 1, step: 60, reason: 'loss 3e38', message: 'model 1 diverged at step 60: loss 3e38' }] });
    expect(XMLValidator.validate(text)).toBe(true);
    const svg = parser.parse(text).svg;
    const g = svg.g;
    const lines = [g.polyline].flat() as Record<string, string>[];
    const curves = lines.filter((l) => l['@stroke'].toLowerCase() === modelColour(0).toLowerCase() || l['@stroke'].toLowerCase() === modelColour(1).toLowerCase());
    expect(curves.map((p) => p['@stroke'].toLowerCase())).toEqual([modelColour(0).toLowerCase(), modelColour(1).toLowerCase()]);
    const vertices = (pts: string) => pts.split(' ').map((s) => s.split(',').map(Number));
    const v0 = vertices(curves[0]['@points']);
    const v1 = vertices(curves[1]['@points']);
    expect(v0).toHaveLength(3);
    expect(v1).toHaveLength(2); // the zero is not drawn
    // Equal steps in log10 are equal steps on screen: 0.5, 0.05, 0.005 are a decade apart.
    expect(v0[1][1] - v0[0][1]).toBeCloseTo(v0[2][1] - v0[1][1], 1);
    expect(v0[0][0]).toBeLessThan(v0[1][0]);
    // The dashed baseline sits where log10(baseline) falls on the same axis.
    const baseline = taskShape(config).baseline;
    const dashed = lines.find((l) => l['@stroke-dasharray'])!;
    const yOf = (y: number) => v0[0][1] + ((Math.log10(0.5) - Math.log10(y)) / (Math.log10(0.5) - Math.log10(0.05))) * (v0[1][1] - v0[0][1]);
    expect(vertices(dashed['@points'])[0][1]).toBeCloseTo(yOf(baseline), 1);
    const texts = ([g.text].flat() as (Record<string, string> | string)[]).map((t) => (typeof t === 'string' ? t : t['#text']));
    expect(texts).toContain('0: a <tanh>');
    expect(texts).toContain('1: b & relu');
    expect(texts).toContain('model 1 diverged at step 60: loss 3e38');
    expect(texts).toContain('1 value at or below 0 not drawn');
    expect(text).not.toMatch(/NaN|Infinity/);
  });

  it('the PNG is drawn from the same scene: its size at 2x, the model colours present', () => {
    const rows = [row(0, 0, 0.5), row(0, 100, 0.01), row(1, 0, 2), row(1, 100, 0.2)];
    const input = { config, rows, labels: ['tanh', 'relu'] };
    const scene = buildLossScene(input, { scale: 2 });
    const png = decode(lossChartPng(input, loadFigureFont(), 2));
    expect([png.width, png.height]).toEqual([scene.width * 2, scene.height * 2]);
    const data = png.data as Uint8Array;
    const has = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      for (let i = 0; i < data.length; i += png.channels) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) return true;
      return false;
    };
    expect(has(modelColour(0))).toBe(true);
    expect(has(modelColour(1))).toBe(true);
  });
});
