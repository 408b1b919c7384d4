/**
 * The eigenvalue editor in headless Chromium: dragging the outlier across the unit circle turns
 * the slice from vanishing to exploding while the pointer is still down (the live row), the drag's
 * end computes the sweep and puts the spectrum in the link, and the arrow keys move it back.
 * A small config in the URL keeps it to seconds. Screenshots (light and dark) go to artifacts/.
 * With untied gaussian weights the plot shows one layer's own W0_t, checked against the engines' matrix.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ARTIFACTS, openLab, startLab, waitIdle, type Lab } from './harness.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';
import { testSeed } from '../helpers/seed.ts';
import { parseConfig } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { Rng } from '../../src/core/rng.ts';
import { eigenvalues } from '../../src/core/spectrum.ts';
import { untiedWeightsSync } from '../../src/core/weights.ts';

const CHROMIUM = chromiumRequirement();

let lab: Lab;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  lab = await startLab();
}, 180_000);

afterAll(async () => {
  await lab?.close();
});

/** Linear, so the slope at t = 1 is -log10 |lambda_1| once the outlier dominates: its sign flips at 1. */
const HASH = 'init=spectrum&sweep=outlier&outliers=0.9,0&bulk=disk:0.5&activation=linear&hidden=16&steps=40&samples=4&rhoMin=0.8&rhoMax=1.3&rhoCount=11&rho=0.9&seed=3';

type Slice = { k: number; rho: number; grad: number[]; gradB: number[] | null; live: boolean };
type Hook = { slice(): Slice | null; snapshot(): { state: { config: Record<string, unknown>; view: { rho: number } }; dragging: boolean } };

const sliceOf = (page: import('playwright-core').Page) => page.evaluate(() => (window as unknown as { __lab: Hook }).__lab.slice()!);
/** d log10 ||dL/dh_t|| / dt at t = 1: positive, the gradient vanishes going back; negative, it explodes. */
const slope = (s: Slice) => s.grad[1] - s.grad[0];

describeNeeding(CHROMIUM, 'the eigenvalue editor', () => {
  it('dragging the outlier across the unit circle flips the slope of the slice at t = 1, live; the link keeps the spectrum; the keys move it back', async () => {
    const { page, errors } = await openLab(lab, HASH, { width: 1280, height: 800 });
    const before = await sliceOf(page);
    expect(before.rho).toBeCloseTo(0.9, 12);
    expect(slope(before)).toBeGreaterThan(0);

    const handle = page.locator('lab-spectrum [data-handle="outlier-0"]');
    await expect(handle.getAttribute('aria-label')).resolves.toMatch(/Outlier 1 at 0\.900 \(real\)/);
    await page.locator('lab-spectrum').scrollIntoViewIfNeeded();
    const plot = await page.locator('lab-spectrum .plot').boundingBox();
    const h = await handle.locator('circle.ring').boundingBox();
    const centre = { x: plot!.x + plot!.width / 2, y: plot!.y + plot!.height / 2 };
    const at = { x: h!.x + h!.width / 2, y: h!.y + h!.height / 2 };
    // The handle sits at re = 0.9 on the real axis: pixels per unit from the centre.
    const perUnit = (at.x - centre.x) / 0.9;
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(at.x + (i / 12) * 0.3 * perUnit, at.y);
    // Still dragging: the live row (one network, K = 1) already shows the explosion.
    await page.waitForFunction(() => {
      const s = (window as unknown as { __lab: Hook }).__lab.slice();
      return s !== null && s.live && s.rho > 1.15;
    });
    const live = await sliceOf(page);
    expect(await page.evaluate(() => (window as unknown as { __lab: Hook }).__lab.snapshot().dragging)).toBe(true);
    expect(slope(live)).toBeLessThan(0);
    await page.locator('lab-spectrum').screenshot({ path: join(ARTIFACTS, 'spectrum-editor-dragging.png') });
    await page.mouse.up();

    await waitIdle(page);
    const after = await sliceOf(page);
    expect(after.live).toBe(false);
    expect(after.rho).toBeGreaterThan(1.1);
    expect(slope(after)).toBeLessThan(0);
    const outliers = String(await page.evaluate(() => (window as unknown as { __lab: Hook }).__lab.snapshot().state.config.outliers));
    // Dragged 0.3 to the right along the real axis (to within a pixel): the outlier is real, near 1.2.
    const [re, im] = outliers.split(',').map(Number);
    expect(Math.abs(re - 1.2)).toBeLessThan(0.03);
    expect(im).toBe(0);
    await page.waitForFunction((o) => decodeURIComponent(location.hash).includes(`outliers=${o}`), outliers);

    // Keyboard: Shift+ArrowLeft moves the focused outlier by 0.1 per press, back inside the circle.
    await handle.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowLeft');
    await waitIdle(page);
    const back = await sliceOf(page);
    expect(back.rho).toBeLessThan(1);
    expect(slope(back)).toBeGreaterThan(0);

    // A shared link reproduces the exact spectrum.
    const link = await page.evaluate(() => location.hash.slice(1));
    const { page: again } = await openLab(lab, link, { width: 1280, height: 800 });
    const same = await again.evaluate(() => (window as unknown as { __lab: Hook }).__lab.snapshot().state.config.outliers);
    expect(same).toBe(await page.evaluate(() => (window as unknown as { __lab: Hook }).__lab.snapshot().state.config.outliers));
    expect((await sliceOf(again)).grad).toEqual(back.grad);
    await again.close();

    await page.locator('lab-spectrum').screenshot({ path: join(ARTIFACTS, 'spectrum-editor-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.locator('lab-spectrum').screenshot({ path: join(ARTIFACTS, 'spectrum-editor-dark.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'spectrum-editor-page-dark.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("in compare mode (tied A, untied B) B's row follows the drag too, live", async () => {
    const { page, errors } = await openLab(lab, `${HASH}&cmp=untied`, { width: 1280, height: 800 });
    const before = await sliceOf(page);
    expect(before.gradB).not.toBeNull();
    const handle = page.locator('lab-spectrum [data-handle="outlier-0"]');
    await page.locator('lab-spectrum').scrollIntoViewIfNeeded();
    const plot = (await page.locator('lab-spectrum .plot').boundingBox())!;
    const h = (await handle.locator('circle.ring').boundingBox())!;
    const centre = { x: plot.x + plot.width / 2, y: plot.y + plot.height / 2 };
    const at = { x: h.x + h.width / 2, y: h.y + h.height / 2 };
    const perUnit = (at.x - centre.x) / 0.9;
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(at.x + (i / 12) * 0.3 * perUnit, at.y);
    await page.waitForFunction(() => {
      const s = (window as unknown as { __lab: Hook }).__lab.slice();
      return s !== null && s.live && s.rho > 1.15;
    });
    const live = await sliceOf(page);
    await page.mouse.up();
    // B's live row is of the dragged spectrum: its outlier went from 0.9 to about 1.2 in every
    // untied layer, so the gradient reaching t = 1 is larger than before the drag (seed 3 in the link).
    expect(live.gradB).not.toBeNull();
    expect(live.gradB!.length).toBe(before.gradB!.length);
    expect(live.gradB![0]).toBeGreaterThan(before.gradB![0] + 0.5);
    // And it is B's, not A's: untied layers do not compound the outlier as the tied W does.
    expect(Math.abs(live.gradB![0] - live.grad[0])).toBeGreaterThan(0.1);
    await waitIdle(page);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('where the plot only shows (embedded), the outlier axis heads it with W at |λ₁|, not ρ·W0', async () => {
    const { page, errors } = await openLab(lab, `${HASH}&embed=1`, { width: 1280, height: 800 });
    await waitIdle(page);
    const heading = page.locator('lab-spectrum h2');
    await expect(heading.textContent()).resolves.toBe('Eigenvalues of W at |λ₁| = 0.900');
    await expect(page.locator('lab-spectrum .plot').getAttribute('aria-label')).resolves.toMatch(/^eigenvalues of W at \|λ₁\| = 0\.900; spectral radius 0\.900$/);
    await page.locator('lab-spectrum').screenshot({ path: join(ARTIFACTS, 'spectrum-outlier-embed.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('a finger drags the bulk radius (touch events, no page scroll), and the link keeps it', async () => {
    const context = await lab.browser.newContext({ viewport: { width: 800, height: 900 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${lab.url}#${HASH}`);
    await waitIdle(page);
    await page.locator('lab-spectrum').scrollIntoViewIfNeeded();
    const handle = page.locator('lab-spectrum [data-handle="bulk"]');
    await expect(handle.getAttribute('aria-label')).resolves.toMatch(/Bulk radius 0\.500 \(disk\)/);
    const plot = (await page.locator('lab-spectrum .plot').boundingBox())!;
    const h = (await handle.locator('rect.ring').boundingBox())!;
    const centre = { x: plot.x + plot.width / 2, y: plot.y + plot.height / 2 };
    const at = { x: h.x + h.width / 2, y: h.y + h.height / 2 };
    const scrollBefore = await page.evaluate(() => document.scrollingElement?.scrollTop ?? 0);
    // Drag the handle outwards along its ray to 1.5 times its distance from the centre: radius 0.75.
    const cdp = await context.newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    await touch('touchStart', at.x, at.y);
    for (let i = 1; i <= 8; i++) {
      const f = 1 + (0.5 * i) / 8;
      await touch('touchMove', centre.x + (at.x - centre.x) * f, centre.y + (at.y - centre.y) * f);
    }
    await touch('touchEnd', 0, 0);
    await page.waitForFunction(() => String((window as unknown as { __lab: Hook }).__lab.snapshot().state.config.bulk) !== 'disk:0.5');
    await waitIdle(page);
    const bulk = String(await page.evaluate(() => (window as unknown as { __lab: Hook }).__lab.snapshot().state.config.bulk));
    // Within two pixels of 0.75 (the handle's centre is found to a pixel, at about 60 px per unit here).
    expect(Math.abs(Number(bulk.split(':')[1]) - 0.75)).toBeLessThan(0.05);
    expect(await page.evaluate(() => document.scrollingElement?.scrollTop ?? 0)).toBe(scrollBefore);
    await page.waitForFunction((b) => decodeURIComponent(location.hash).includes(`bulk=${b}`), bulk);
    await context.close();
  }, 120_000);
});

describeNeeding(CHROMIUM, 'the eigenvalue plot with untied weights', () => {
  it("gaussian untied: the plot shows one layer's own W0_t (the engines' matrix), says which of T, and the › button shows the next", async () => {
    const seed = new Rng(testSeed('spectrum e2e tests'), 1).nextU32();
    const config = parseConfig({ init: 'gaussian', weights: 'untied', activation: 'tanh', hidden: 12, steps: 5, rhoCount: 3, samples: 2, seed });
    const hash = `init=gaussian&weights=untied&activation=tanh&hidden=12&steps=5&rhoCount=3&samples=2&rho=1.2&seed=${seed}`;
    const layers = untiedWeightsSync(config)!.W;
    const { page, errors } = await openLab(lab, hash, { width: 1280, height: 800 });
    /** The eigenvalues lab-spectrum was given, once the layer asked for is in. */
    const plotted = async (t: number) => {
      await page.waitForFunction((tt) => {
        const el = document.querySelector('lab-app')?.shadowRoot?.querySelector('lab-spectrum') as unknown as { layer: { t: number } | null; spectrum: { re: ArrayLike<number> } | null } | null;
        return el?.layer?.t === tt && (el.spectrum?.re.length ?? 0) > 0;
      }, t);
      return page.evaluate(() => {
        const el = document.querySelector('lab-app')!.shadowRoot!.querySelector('lab-spectrum') as unknown as { spectrum: { re: ArrayLike<number>; im: ArrayLike<number> } };
        return { re: Array.from(el.spectrum.re), im: Array.from(el.spectrum.im) };
      });
    };
    // Each plotted eigenvalue is one of layer t's (the same hqr on the same float64 matrix: 1e-12 at N = 12), and none is far from one.
    const near = (got: { re: number[]; im: number[] }, W: Float64Array) => {
      const own = eigenvalues(W, 12);
      let worst = 0;
      for (let i = 0; i < got.re.length; i++) {
        let best = Infinity;
        for (let j = 0; j < own.re.length; j++) best = Math.min(best, Math.hypot(got.re[i] - own.re[j], got.im[i] - own.im[j]));
        worst = Math.max(worst, best);
      }
      return worst;
    };
    const first = await plotted(1);
    expect(first.re.length).toBe(12);
    expect(near(first, layers[0]), `seed ${seed}`).toBeLessThan(1e-12);
    // ... not the tied W0's (a different gaussian draw).
    expect(near(first, buildProblem(config, { outlierAndUntied: true }).W0), `seed ${seed}`).toBeGreaterThan(1e-3);
    const caption = page.locator('lab-spectrum .caption');
    await expect(caption.textContent()).resolves.toMatch(/^\s*untied: each layer has its own W0_t\s+layer\s+‹\s+›\s+of 5\s*$/);
    await expect(page.locator('lab-spectrum h2').textContent()).resolves.toBe('Eigenvalues of ρ·W0_1');
    await page.locator('lab-spectrum').scrollIntoViewIfNeeded();
    await page.locator('lab-spectrum').screenshot({ path: join(ARTIFACTS, 'spectrum-untied-layer1.png') });
    await page.locator('lab-spectrum button[aria-label="next layer"]').click();
    const second = await plotted(2);
    expect(near(second, layers[1]), `seed ${seed}`).toBeLessThan(1e-12);
    await expect(page.locator('lab-spectrum h2').textContent()).resolves.toBe('Eigenvalues of ρ·W0_2');
    await expect(page.locator('lab-spectrum .caption input').inputValue()).resolves.toBe('2');
    // A layer typed in; beyond T it is the last layer, and › is then disabled.
    await page.locator('lab-spectrum .caption input').fill('9');
    await page.locator('lab-spectrum .caption input').press('Enter');
    expect(near(await plotted(5), layers[4]), `seed ${seed}`).toBeLessThan(1e-12);
    await expect(page.locator('lab-spectrum button[aria-label="next layer"]').isDisabled()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
