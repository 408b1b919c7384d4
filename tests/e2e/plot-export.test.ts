/**
 * The slice chart, the eigenvalue plot and the derivative panel downloaded from the lab's File menu (PNG at 1x and 2x,
 * SVG): names carry the slider's rho and the config; each body is byte-identical to what the
 * shared renderer (src/export/slice.ts, spectrum.ts) gives in Node for the downloaded bundle's
 * field at that rho, so the lab and the CLI draw the same figure; the SVGs parse in the browser
 * and carry their titles and axes as text. The PNGs are saved to artifacts/lab-exports/ to be looked at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadFigureFont } from '../../src/cli/font.ts';
import { fieldFromBundle } from '../../src/core/bundle.ts';
import { chartPng, chartSvg } from '../../src/export/chart.ts';
import { buildSliceScene, sliceFromField } from '../../src/export/slice.ts';
import { buildSpectrumScene } from '../../src/export/spectrum.ts';
import { ARTIFACTS, openLab, startLab, type Lab } from './harness.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';

const CHROMIUM = chromiumRequirement();
const DOWNLOADS = join(ARTIFACTS, '..', 'lab-exports');
let lab: Lab;

beforeAll(async () => {
  mkdirSync(DOWNLOADS, { recursive: true });
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

const SMALL = 'hidden=16&steps=30&rhoMin=0.5&rhoMax=1.5&rhoCount=9&samples=4&seed=5&rho=1.25';
const SLUG = 'tanh-gaussian-N16-T30-S4-seed5';

async function download(page: Page, format: string, scaleIndex?: number): Promise<{ name: string; bytes: Buffer }> {
  await page.locator('lab-export .menu-button').click();
  if (scaleIndex !== undefined) await page.locator(`lab-export [data-choice=scale][data-value="${scaleIndex}"]`).click();
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.locator(`lab-export button[data-format=${format}]`).click()]);
  const path = join(DOWNLOADS, d.suggestedFilename());
  await d.saveAs(path);
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

describeNeeding(CHROMIUM, 'plot exports from the lab', () => {
  it('slice chart and eigenvalue plot: PNG 1x/2x and SVG from the File menu, the same bytes as the renderer in Node', async () => {
    const { page, errors } = await openLab(lab, SMALL);
    const field = fieldFromBundle((await download(page, 'json')).bytes.toString('utf8'));
    const font = loadFigureFont();
    const rho = 1.25; // a grid point of 0.5..1.5 with K = 9

    const s1 = await download(page, 'slice-png', 0);
    const s2 = await download(page, 'slice-png', 1);
    expect(s1.name).toBe(`slice-rho1.250-${SLUG}.png`);
    const data = sliceFromField(field, null, rho);
    expect(Buffer.from(chartPng(buildSliceScene(data, field.config, font, { scale: 1 }), font)).equals(s1.bytes)).toBe(true);
    expect(Buffer.from(chartPng(buildSliceScene(data, field.config, font, { scale: 2 }), font)).equals(s2.bytes)).toBe(true);
    const i1 = decode(s1.bytes);
    const i2 = decode(s2.bytes);
    expect([i2.width, i2.height]).toEqual([2 * i1.width, 2 * i1.height]);

    const sv = await download(page, 'slice-svg');
    expect(sv.name).toBe(`slice-rho1.250-${SLUG}.svg`);
    expect(sv.bytes.toString('utf8')).toBe(chartSvg(buildSliceScene(data, field.config, font)));

    const e1 = await download(page, 'spectrum-png', 0);
    expect(e1.name).toBe(`spectrum-rho1.250-${SLUG}.png`);
    const spectrumScene = (scale: 1 | 2 | 4) => buildSpectrumScene(field.spectrum, rho, field.config, font, { scale, rhoMax: 1.5 });
    expect(Buffer.from(chartPng(spectrumScene(1), font)).equals(e1.bytes)).toBe(true);
    const ev = await download(page, 'spectrum-svg');
    const evText = ev.bytes.toString('utf8');
    expect(evText).toBe(chartSvg(spectrumScene(1)));

    for (const text of [sv.bytes.toString('utf8'), evText]) {
      const parsed = await page.evaluate((t) => {
        const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
        return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.nodeName, text: doc.documentElement.textContent ?? '' };
      }, text);
      expect(parsed.error).toBeNull();
      expect(parsed.root).toBe('svg');
    }
    expect(sv.bytes.toString('utf8')).toContain('time step t');
    expect(evText).toContain('Re \u03bb');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('slice chart with Show = hidden norm, and the derivative panel (PNG 2x, SVG), from the File menu', async () => {
    const { page, errors } = await openLab(lab, `${SMALL}&field=hidden`);
    const field = fieldFromBundle((await download(page, 'json')).bytes.toString('utf8'));
    const font = loadFigureFont();
    // The slice follows Show: the hidden-norm row, byte for byte the renderer's in Node.
    const sv = await download(page, 'slice-svg');
    expect(sv.name).toBe(`slice-hidden-rho1.250-${SLUG}.svg`);
    const data = sliceFromField(field, null, 1.25, 'hiddenLog10Mean');
    expect(sv.bytes.toString('utf8')).toBe(chartSvg(buildSliceScene(data, field.config, font)));
    expect(sv.bytes.toString('utf8')).toContain('Slice at \u03c1 = 1.250 \u00b7 log\u2081\u2080 \u2016h\u209c\u2016');
    // The derivative panel, once its histogram is in: the SVG names the activation, rho, t and what
    // binned the histogram; the 2x PNG decodes at twice the SVG's size.
    await expect.poll(() => page.locator('lab-derivative [data-computed-on]').textContent(), { timeout: 30_000 }).toMatch(/^a_t binned by /);
    const dv = await download(page, 'derivative-svg');
    expect(dv.name).toBe(`derivative-rho1.250-t30-${SLUG}.svg`);
    const dvText = dv.bytes.toString('utf8');
    expect(dvText).toContain('of tanh with the pre-activations a\u209c at \u03c1 = 1.250, t = 30');
    expect(dvText).toContain('pre-activation a');
    expect(dvText).toMatch(/a\u209c binned by [^<]*, 16 units \u00d7 4 samples/);
    const dp = await download(page, 'derivative-png', 1);
    const img = decode(dp.bytes);
    const [w, h] = (dvText.match(/<svg [^>]*width="(\d+)" height="(\d+)"/) ?? []).slice(1).map(Number);
    expect([img.width, img.height]).toEqual([2 * w, 2 * h]);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('Lock colours: the legend says so, typed ends are checked, the link and the heatmap figure keep the range', async () => {
    const { page, errors } = await openLab(lab, SMALL);
    const heat = page.locator('lab-heatmap#heat-a');
    await expect.poll(() => heat.locator('[data-range-rule]').textContent()).toMatch(/^colours: auto, noise-aware/);
    await heat.locator('[data-lock]').click();
    await expect.poll(() => heat.locator('[data-range-rule]').textContent()).toMatch(/^colours: locked range /);
    expect(decodeURIComponent(await page.evaluate(() => location.hash))).toMatch(/lock=grad:-?[\d.]+:-?[\d.]+/);
    // Letters are refused with the field's label; the range on screen stays.
    await heat.locator('[data-lock-min]').fill('abc');
    await heat.locator('[data-lock-min]').press('Enter');
    await expect.poll(() => heat.locator('.lockrange [role=alert]').textContent()).toBe('Colour min must be a number; you entered "abc"');
    await heat.locator('[data-lock-min]').fill('-30');
    await heat.locator('[data-lock-max]').fill('2');
    await heat.locator('[data-lock-max]').press('Enter');
    await expect.poll(() => heat.locator('[data-range-rule]').textContent()).toBe('colours: locked range -30..2');
    expect(decodeURIComponent(await page.evaluate(() => location.hash))).toContain('lock=grad:-30:2');
    const svg = (await download(page, 'svg')).bytes.toString('utf8');
    expect(svg).toContain('colours: locked range -30..2');
    await heat.locator('[data-unlock]').click();
    await expect.poll(() => heat.locator('[data-range-rule]').textContent()).toMatch(/^colours: auto, noise-aware/);
    expect(await page.evaluate(() => location.hash)).not.toContain('lock=');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
