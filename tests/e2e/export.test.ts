/**
 * Export and import from the lab page in headless Chromium (issue 5, "From the lab"):
 * every download has the expected name and a body that decodes (the heatmap PNG and SVG are
 * byte-identical to what the shared renderer gives in Node for the same field, so the lab and
 * the CLI give the same picture), the 3D surface PNG has the asked size and is not blank, an
 * opened bundle shows exactly its run without computing, Recompute on the same engine gives the
 * same grids, and corrupt bundles are refused with a message while the view stays.
 * Screenshots (export menu open, after an import, after a refused import) go to
 * artifacts/screenshots/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadFigureFont } from '../../src/cli/font.ts';
import { fieldFromBundle } from '../../src/core/bundle.ts';
import { GRID_NAMES, type GradientField } from '../../src/core/field.ts';
import { HATCH_BACK, HATCH_LINE } from '../../src/export/colormap.ts';
import { buildHeatmapScene, type HeatmapScene } from '../../src/export/figure.ts';
import { plotPixels, renderHeatmapPng, renderHeatmapSvg } from '../../src/export/heatmap.ts';
import { differenceOf } from '../../src/export/compare.ts';
import { readNpy } from '../../src/export/npy.ts';
import { ARTIFACTS, openLab, startLab, waitIdle, type Lab } from './harness.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';

/** Headless Chromium runs every test here: where it is missing, they fail, naming what to install. */
const CHROMIUM = chromiumRequirement();

let lab: Lab;

/** The bundle the first export test downloaded, shared with the import tests (vitest runs a file's tests in order). */
const sharedBundle = { name: '', text: '' };
function bundleTextReady(): boolean {
  return sharedBundle.text.length > 0;
}
const DOWNLOADS = join(ARTIFACTS, '..', 'lab-exports');

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  mkdirSync(DOWNLOADS, { recursive: true });
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

/** A small sweep (quick on 2 cores) with rho = 1 inside and a few steps. */
const SMALL = { hidden: 16, steps: 30, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 9, samples: 4, seed: 5 };
const hashOf = (o: Readonly<Record<string, number | string>>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
const SLUG = 'tanh-gaussian-N16-T30-S4-seed5';

/** Grids of the field on screen (A) as plain arrays; non-finite cells as their names so NaN and -Infinity compare exactly. */
type PageGrids = Record<string, (number | string)[]> & { overflow: number[] };
function pageGrids(page: Page, which: 'a' | 'b' = 'a'): Promise<{ grids: PageGrids; config: Record<string, unknown>; K: number; T: number; backend: string }> {
  return page.evaluate((w) => {
    type F = { grids: Record<string, Float64Array>; overflow: Uint8Array; K: number; T: number; config: Record<string, unknown>; meta: { backend: string } };
    const a = (window as unknown as { __lab: { snapshot(): { result: Record<'a' | 'b', F> } } }).__lab.snapshot().result[w];
    const grids: Record<string, (number | string)[]> = {};
    for (const [g, values] of Object.entries(a.grids)) grids[g] = Array.from(values, (v) => (Number.isFinite(v) ? v : String(v)));
    return { grids: { ...grids, overflow: Array.from(a.overflow as Uint8Array) } as never, config: a.config, K: a.K, T: a.T, backend: a.meta.backend };
  }, which);
}

function gridsOf(f: GradientField): PageGrids {
  const out: Record<string, unknown> = {};
  for (const g of GRID_NAMES) out[g] = Array.from(f.grids[g], (v) => (Number.isFinite(v) ? v : String(v)));
  out.overflow = Array.from(f.overflow);
  return out as PageGrids;
}

/** Open the menu, pick a choice in it if asked (PNG scale or surface size, by index), click a format; the browser's download, saved. */
async function download(page: Page, format: string, choice?: { kind: 'scale' | 'size'; index: number }): Promise<{ name: string; bytes: Buffer }> {
  await page.locator('lab-export .menu-button').click();
  if (choice) await page.locator(`lab-export [data-choice=${choice.kind}][data-value="${choice.index}"]`).click();
  const [d] = await Promise.all([page.waitForEvent('download'), page.locator(`lab-export button[data-format=${format}]`).click()]);
  const path = join(DOWNLOADS, d.suggestedFilename());
  await d.saveAs(path);
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

/** How many runs the page has started (the store marks each one). */
const runsStarted = (page: Page) => page.evaluate(() => performance.getEntriesByName('lab:run-start').length);

/** Hand the page's file input a file, as a person picking it would. */
async function openBundle(page: Page, name: string, body: string | Buffer): Promise<void> {
  await page.locator('lab-export input[type=file]').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(body) });
}

describeNeeding(CHROMIUM, 'exports from the lab', () => {
  it('heatmap PNG (1x, 2x), SVG, CSV, NPZ and the JSON bundle: names, bodies, the same pixels as the shared renderer in Node', async () => {
    const { page, errors } = await openLab(lab, hashOf(SMALL));
    const shown = await pageGrids(page);
    expect(shown.config).toMatchObject(SMALL);

    // The bundle first: its field is the page's field, exactly (float64 as shortest round-trip decimals).
    const json = await download(page, 'json');
    expect(json.name).toBe(`run-${SLUG}.json`);
    sharedBundle.text = json.bytes.toString('utf8');
    sharedBundle.name = json.name;
    const field = fieldFromBundle(sharedBundle.text);
    expect(gridsOf(field)).toEqual(shown.grids);
    const raw = JSON.parse(sharedBundle.text) as { matrices: { W0: number[][] } | null };
    expect(raw.matrices?.W0.length).toBe(SMALL.hidden); // written with the matrices (buildProblem in a worker)

    // With the menu open: a screenshot to look at.
    await page.locator('lab-export .menu-button').click();
    await page.screenshot({ path: join(ARTIFACTS, 'export-menu-open.png') });
    await page.locator('lab-export .menu-button').click();

    const font = loadFigureFont();
    const png1 = await download(page, 'png', { kind: 'scale', index: 0 });
    const png2 = await download(page, 'png', { kind: 'scale', index: 1 });
    expect(png1.name).toBe(`grad-${SLUG}.png`);
    const img1 = decode(png1.bytes);
    const img2 = decode(png2.bytes);
    expect(img1.width).toBeGreaterThan(600); // the plot alone is 600 CSS px wide at 1x
    expect([img2.width, img2.height]).toEqual([img1.width * 2, img1.height * 2]);
    // One renderer: the same field drawn in Node gives the same bytes (IEEE arithmetic only, see src/export/README.md).
    expect(Buffer.from(renderHeatmapPng(field, font, { grid: 'gradLog10Mean', scale: 1 })).equals(png1.bytes)).toBe(true);
    expect(Buffer.from(renderHeatmapPng(field, font, { grid: 'gradLog10Mean', scale: 2 })).equals(png2.bytes)).toBe(true);

    const svg = await download(page, 'svg');
    expect(svg.name).toBe(`grad-${SLUG}.svg`);
    const svgText = svg.bytes.toString('utf8');
    expect(svgText).toBe(renderHeatmapSvg(field, font, { grid: 'gradLog10Mean' }));
    const parsed = await page.evaluate((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.nodeName, text: doc.documentElement.textContent ?? '' };
    }, svgText);
    expect(parsed.error).toBeNull();
    expect(parsed.root).toBe('svg');
    expect(parsed.text).toContain('time step t');
    expect(parsed.text).toContain('spectral radius ρ');

    const csv = await download(page, 'csv');
    expect(csv.name).toBe(`field-${SLUG}.csv`);
    const lines = csv.bytes.toString('utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('rho,t,gradLog10Mean,gradLog10Std,hiddenLog10Mean,saturation,weightGradLog10,gradLog10Rms,gradZeroFraction,hiddenZeroFraction,weightZeroFraction,derivMean,overflow');
    expect(lines.length - 1).toBe(shown.K * shown.T);

    const npz = await download(page, 'npz');
    expect(npz.name).toBe(`field-${SLUG}.npz`);
    const entries = unzipSync(new Uint8Array(npz.bytes));
    for (const g of GRID_NAMES) {
      const a = readNpy(entries[`${g}.npy`]);
      expect(a.shape).toEqual([shown.K, shown.T]);
      // float32 of the page's float64 cells (NaN stays NaN, -Infinity stays -Infinity).
      const want = shown.grids[g].map((v) => (typeof v === 'number' ? Math.fround(v) : Number(v)));
      expect(Array.from(a.data as Float32Array)).toEqual(want);
    }
    expect(JSON.parse(new TextDecoder().decode(entries['config.json'])).config).toMatchObject(SMALL);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the 3D surface as a PNG of the chosen size, not blank', async () => {
    const { page, errors } = await openLab(lab, hashOf(SMALL));
    const png = await download(page, 'surface', { kind: 'size', index: 0 });
    expect(png.name).toBe(`surface-grad-${SLUG}.png`);
    const img = decode(png.bytes);
    expect([img.width, img.height]).toEqual([1280, 800]);
    // Not blank: many pixels differ from the corner (background) colour and there are many colours.
    const d = img.data;
    const ch = img.channels;
    let ink = 0;
    const colours = new Set<number>();
    for (let p = 0; p < d.length; p += ch) {
      if (Math.abs(d[p] - d[0]) + Math.abs(d[p + 1] - d[1]) + Math.abs(d[p + 2] - d[2]) > 30) ink++;
      colours.add((d[p] >> 3) * 1024 + (d[p + 1] >> 3) * 32 + (d[p + 2] >> 3));
    }
    expect(ink / (d.length / ch)).toBeGreaterThan(0.08);
    expect(colours.size).toBeGreaterThan(50);
    // The on-screen view is back at its own size afterwards.
    const canvasWidth = await page.evaluate(() => (window as unknown as { __lab: { surfaces(): { canvas: HTMLCanvasElement | null }[] } }).__lab.surfaces()[0].canvas?.width ?? 0);
    expect(canvasWidth).toBeLessThan(1280);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('in compare mode, the heatmap export is the difference A - B (differenceGrid), the same pixels as in Node', async () => {
    const { page, errors } = await openLab(lab, `${hashOf(SMALL)}&cmp=relu`);
    const png = await download(page, 'png', { kind: 'scale', index: 0 });
    expect(png.name).toBe(`diff-grad-${SLUG}.png`);
    expect(decode(png.bytes).width).toBeGreaterThan(600);
    // A from its bundle, B from the page's grids; the difference drawn in Node must be the same file.
    const a = fieldFromBundle((await download(page, 'json')).bytes.toString('utf8'));
    const pb = await pageGrids(page, 'b');
    expect(pb.config.activation).toBe('relu');
    const b: GradientField = { ...a, grids: { ...a.grids }, config: { ...a.config, activation: 'relu' }, overflow: Uint8Array.from(pb.grids.overflow) };
    for (const g of GRID_NAMES) b.grids[g] = Float64Array.from(pb.grids[g], Number);
    const want = renderHeatmapPng(a, loadFigureFont(), { grid: 'gradLog10Mean', scale: 1, difference: differenceOf(a, b, 'gradLog10Mean', 'tanh', 'relu') });
    expect(Buffer.from(want).equals(png.bytes)).toBe(true);
    // The surface image: one file per surface shown (A and B), each named by its own config.
    await page.locator('lab-export .menu-button').click();
    await page.locator('lab-export [data-choice=size][data-value="0"]').click();
    const names = new Set<string>();
    const got = new Promise<void>((resolve) =>
      page.on('download', (d) => {
        names.add(d.suggestedFilename());
        if (names.size === 2) resolve();
      }),
    );
    await page.locator('lab-export button[data-format=surface]').click();
    await got;
    expect([...names].sort()).toEqual([`surface-grad-${SLUG.replace('tanh', 'relu')}.png`, `surface-grad-${SLUG}.png`]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

/**
 * ReLU with 3 units, rho 0..10 on the float32 CPU engine: rho = 0 gives exact zeros (-Infinity),
 * whole samples die (every unit at a <= 0) so more exact zeros appear, large rho overflows; against
 * linear (compare mode) some cells are exactly zero in A only (an infinite difference). Every kind
 * of cell the colour stack distinguishes is on screen.
 */
const EDGES = { activation: 'relu', hidden: 3, input: 2, steps: 60, rhoMin: 0, rhoMax: 10, rhoCount: 6, samples: 2, seed: 3, backend: 'cpu' };

/** Colour of the on-screen heatmap's canvas pixel at the centre of each cell, [K, T, 3], and the canvas size. */
function screenCells(page: Page, id: string): Promise<{ rgb: number[]; W: number; H: number; K: number; T: number }> {
  return page.evaluate((heatId) => {
    type Heat = HTMLElement & { renderRoot: ShadowRoot; data: { K: number; T: number } | null };
    const h = (window as unknown as { __lab: { heatmaps(): Heat[] } }).__lab.heatmaps().find((x) => x.id === heatId)!;
    const canvas = h.renderRoot.querySelector('canvas')!;
    const { K, T } = h.data!;
    const W = canvas.width;
    const H = canvas.height;
    const px = canvas.getContext('2d')!.getImageData(0, 0, W, H).data;
    const rgb: number[] = [];
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < T; j++) {
        // The pixel under the cell's centre; rho grows upwards.
        const x = Math.floor(((j + 0.5) * W) / T);
        const y = Math.floor(((K - 1 - k + 0.5) * H) / K);
        const o = 4 * (y * W + x);
        rgb.push(px[o], px[o + 1], px[o + 2]);
      }
    }
    return { rgb, W, H, K, T };
  }, id);
}

/**
 * Cell for cell, the on-screen heatmap shows the colour the exported PNG shows: the same colour
 * for a defined cell (exactly: both come from src/export/colormap.ts), the overflow hatch on
 * both for an undefined one. Returns how many cells of each kind were compared.
 */
function expectSameCells(screen: { rgb: number[]; W: number; H: number; K: number; T: number }, png: { width: number; data: ArrayLike<number>; channels: number }, scene: HeatmapScene) {
  const { K, T } = scene;
  expect([screen.K, screen.T]).toEqual([K, T]);
  // At least 2 device pixels per cell, so the centre pixel shows that cell alone.
  expect(screen.W / T).toBeGreaterThanOrEqual(2);
  expect(screen.H / K).toBeGreaterThanOrEqual(2);
  const g = plotPixels(scene);
  const hatch = [HATCH_BACK.join(), HATCH_LINE.join()];
  const seen = { value: 0, infinite: 0, overflow: 0 };
  const mismatches: string[] = [];
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < T; j++) {
      const i = k * T + j;
      const on = screen.rgb.slice(3 * i, 3 * i + 3).join();
      const { x, y } = g.pixelOf(k, j);
      const o = png.channels * (y * png.width + x);
      const file = [png.data[o], png.data[o + 1], png.data[o + 2]].join();
      const v = scene.values[i];
      if (scene.overflow[i]) {
        seen.overflow++;
        if (!hatch.includes(on) || !hatch.includes(file)) mismatches.push(`overflow cell (${k}, ${j}): screen ${on}, PNG ${file}`);
      } else {
        if (Number.isFinite(v)) seen.value++;
        else seen.infinite++;
        if (on !== file) mismatches.push(`cell (${k}, ${j}) = ${v}: screen ${on}, PNG ${file}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
  return seen;
}

describeNeeding(CHROMIUM, 'the heatmap on screen and the exported PNG', () => {
  it('agree cell for cell: values, exact zeros and overflow; in compare mode, the difference A - B with its infinities', async () => {
    const font = loadFigureFont();
    // Values (A alone).
    const { page, errors } = await openLab(lab, hashOf(EDGES));
    const a = fieldFromBundle((await download(page, 'json')).bytes.toString('utf8'));
    const png = decode((await download(page, 'png', { kind: 'scale', index: 0 })).bytes);
    const scene = buildHeatmapScene(a, font, { grid: 'gradLog10Mean', scale: 1 });
    const seen = expectSameCells(await screenCells(page, 'heat-a'), png, scene);
    expect(seen.value).toBeGreaterThan(0);
    expect(seen.infinite).toBeGreaterThan(0); // exact zeros: the bottom colour on both
    expect(seen.overflow).toBeGreaterThan(0);
    await page.locator('lab-heatmap#heat-a').screenshot({ path: join(ARTIFACTS, 'heatmap-colours.png') });
    await page.close();

    // The difference relu - linear.
    const cmp = await openLab(lab, `${hashOf(EDGES)}&cmp=linear`);
    const pb = await pageGrids(cmp.page, 'b');
    expect(pb.config.activation).toBe('linear');
    const b: GradientField = { ...a, grids: { ...a.grids }, config: { ...a.config, activation: 'linear' }, overflow: Uint8Array.from(pb.grids.overflow) };
    for (const g of GRID_NAMES) b.grids[g] = Float64Array.from(pb.grids[g], Number);
    const diffPng = decode((await download(cmp.page, 'png', { kind: 'scale', index: 0 })).bytes);
    const diffScene = buildHeatmapScene(a, font, { grid: 'gradLog10Mean', scale: 1, difference: differenceOf(a, b, 'gradLog10Mean', 'relu', 'linear') });
    const diffSeen = expectSameCells(await screenCells(cmp.page, 'heat-diff'), diffPng, diffScene);
    expect(diffSeen.value).toBeGreaterThan(0);
    expect(diffSeen.infinite).toBeGreaterThan(0); // exactly zero in A only: -Infinity, the bottom colour on both
    expect(diffSeen.overflow).toBeGreaterThan(0);
    // The legend on screen counts what the figure's legend counts.
    const legend = await cmp.page.locator('lab-heatmap#heat-diff .legend').innerText();
    expect(legend).toContain(`(${diffScene.counts.overflow} cells)`);
    expect(legend).toContain(`${diffScene.counts.negativeInfinity + diffScene.counts.positiveInfinity} cells exactly zero in one run only`);
    await cmp.page.locator('lab-heatmap#heat-diff').screenshot({ path: join(ARTIFACTS, 'compare-difference.png') });
    await cmp.page.screenshot({ path: join(ARTIFACTS, 'compare-edges.png') });
    expect([...errors, ...cmp.errors]).toEqual([]);
    await cmp.page.close();
  });
});

describeNeeding(CHROMIUM, 'opening a run bundle', () => {
  it('shows exactly the bundled run without computing; Recompute on the same engine gives the same grids', async () => {
    expect(bundleTextReady()).toBe(true);
    // Another run on screen first (seed 6), so the import visibly replaces it.
    const { page, errors } = await openLab(lab, hashOf({ ...SMALL, seed: 6 }));
    const before = await runsStarted(page);
    await openBundle(page, sharedBundle.name, sharedBundle.text);
    await page.locator('lab-export [data-imported]').waitFor();
    const field = fieldFromBundle(sharedBundle.text);
    const shown = await pageGrids(page);
    expect(shown.grids).toEqual(gridsOf(field));
    expect(shown.config).toMatchObject(SMALL);
    expect(await runsStarted(page)).toBe(before); // nothing was computed
    expect(await page.locator('lab-export [data-imported]').innerText()).toMatch(new RegExp(`imported from\\s+${sharedBundle.name.replace(/\./g, '\\.')}`));
    expect(await page.evaluate(() => location.hash)).toContain('seed=5');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(ARTIFACTS, 'after-import.png') });

    // Opening a file never changes the engine choice (auto here, as when the bundle was made).
    expect(await page.evaluate(() => location.hash)).not.toContain('backend=');
    expect(await page.locator('lab-badge select').inputValue()).toBe('auto');
    // Recompute: runs the config again on the chosen engine, the one that computed the bundle on this page.
    await page.locator('lab-export [data-imported] button').click();
    await page.waitForFunction(() => (window as unknown as { __lab: { snapshot(): { imported: unknown } } }).__lab.snapshot().imported === null, null, { timeout: 90_000 });
    await waitIdle(page);
    expect(await runsStarted(page)).toBe(before + 1);
    const again = await pageGrids(page);
    expect(again.backend).toBe(field.meta.backend);
    // Same engine, same config and seed: the same grids, bit for bit (the engines are deterministic: fixed work split and sum order).
    expect(again.grids).toEqual(gridsOf(field));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses corrupt bundles with a message and keeps the view (file input and drop)', async () => {
    expect(bundleTextReady()).toBe(true);
    const { page, errors } = await openLab(lab, hashOf({ ...SMALL, seed: 6 }));
    const shown = await pageGrids(page);
    const runs = await runsStarted(page);
    const good = JSON.parse(sharedBundle.text) as Record<string, unknown> & { grids: Record<string, unknown[][]>; format: string };
    const variant = (change: (b: typeof good) => void) => {
      const b = structuredClone(good);
      change(b);
      return JSON.stringify(b);
    };
    const cases: [string, string, RegExp][] = [
      ['truncated.json', sharedBundle.text.slice(0, Math.floor(sharedBundle.text.length / 2)), /not valid JSON.*truncated/],
      ['old.json', variant((b) => (b.format = 'rnn-gradient-lab.run/0')), /unsupported bundle format/],
      ['shape.json', variant((b) => b.grids.gradLog10Mean.pop()), /gradLog10Mean has 8 rows; expected K = 9/],
      ['huge.json', variant((b) => b.grids.saturation[2].push(...new Array<number>(100_000).fill(0.5))), /saturation row 2 has 100030 columns; expected T = 30/],
      ['text.json', variant((b) => (b.grids.hiddenLog10Mean[1][3] = 'abc')), /malformed at grids\.hiddenLog10Mean\.1\.3/],
      ['empty.json', '', /empty/],
    ];
    for (const [name, body, message] of cases) {
      await openBundle(page, name, body);
      const alert = page.locator('lab-export [data-import-error]');
      await alert.waitFor();
      const text = await alert.innerText();
      expect(text).toContain(name);
      expect(text).toMatch(message);
      expect(text).toContain('unchanged');
      if (name === 'shape.json') await page.screenshot({ path: join(ARTIFACTS, 'import-refused.png') });
    }
    // A file dragged over the page shows where it goes.
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['{}'], 'x.json', { type: 'application/json' }));
      document.querySelector('lab-app')!.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.locator('lab-app .drop').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'drop-hint.png') });
    // Dropped on the page: the same path.
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
      document.querySelector('lab-app')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, '{"format": "rnn-gradient-lab.run/1"');
    await page.waitForFunction(() => document.querySelector('lab-app')!.shadowRoot!.querySelector('lab-export')!.shadowRoot!.querySelector('[data-import-error]')?.textContent?.includes('dropped.json'));
    // The view is what it was: same grids, no import badge, nothing computed.
    expect((await pageGrids(page)).grids).toEqual(shown.grids);
    expect(await page.locator('lab-export [data-imported]').count()).toBe(0);
    expect(await runsStarted(page)).toBe(runs);
    // A good bundle dropped afterwards opens.
    await page.evaluate(
      ([text, name]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: 'application/json' }));
        document.querySelector('lab-app')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [sharedBundle.text, sharedBundle.name],
    );
    await page.locator('lab-export [data-imported]').waitFor();
    expect(await page.locator('lab-export [data-import-error]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
