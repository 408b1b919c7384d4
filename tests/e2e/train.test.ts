/**
 * The Train view in headless Chromium on a small run (N = 8, T = 20): the settings come from the
 * link and a bad one is refused with its field named; Step trains one iteration and pauses;
 * Resume trains on with the progress and the held-out loss chart advancing; Pause holds it;
 * Resume finishes it with every model's curves, the checkpoints' eigenvalues and no console
 * errors; the CSV, the training bundle and the loss chart SVG and PNG download and read back; a
 * checkpoint's W opens in the gradient view. A 1280x720 screenshot goes
 * to artifacts/screenshots/train-view.png for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainResultFromBundle } from '../../src/core/train/bundle.ts';
import { CURVE_COLUMNS } from '../../src/export/train.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';
import { ARTIFACTS, startLab, type Lab } from './harness.ts';

const CHROMIUM = chromiumRequirement();
let lab: Lab;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

interface TrainHook {
  status: string;
  iteration: number;
  rows: number;
  checkpoints: number;
  divergences: string[];
  hasResult: boolean;
}

const trainState = (page: Page) => page.evaluate(() => (window as unknown as { __lab: { train(): TrainHook } }).__lab.train());

async function waitTrain(page: Page, test: string, arg: number, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    ([t, n]) => {
      const s = (window as unknown as { __lab?: { train(): TrainHook } }).__lab?.train();
      if (!s) return false;
      if (t === 'paused') return s.status === 'paused';
      if (t === 'done') return s.status === 'done';
      return s.status === 'running' && s.iteration >= Number(n);
    },
    [test, arg] as const,
    { timeout, polling: 50 },
  );
}

/** Points drawn on the held-out loss chart (path vertices over all models). */
const lossPoints = (page: Page) =>
  page.locator('#chart-loss path').evaluateAll((paths) => paths.reduce((n, p) => n + ((p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0), 0));

// Small models and sequences, enough iterations that the run lasts a few seconds on 2 cores.
const ITER = 2000;
const HASH = `tab=train&t.T=20&t.N=8&t.batch=16&t.iter=${ITER}&t.seed=3&hidden=8&steps=10&rhoCount=5&samples=2`;

describeNeeding(CHROMIUM, 'Train view', () => {
  it('step, resume, pause, resume to the end: progress and loss chart advance, curves and eigenvalues for every model, downloads read back, no console errors', async () => {
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${lab.url}#${HASH}`);
    await page.locator('train-view').waitFor();
    // The link's settings are in the form.
    await expect(page.locator('train-view #f-length').inputValue()).resolves.toBe('20');
    await expect(page.locator('train-view #f-hidden').inputValue()).resolves.toBe('8');
    await expect(page.locator('train-view [data-model]').count()).resolves.toBe(4);

    // A bad learning rate is refused with the field named; the link keeps the old settings.
    const before = await page.evaluate(() => location.hash);
    await page.locator('train-view #f-lr').fill('fast');
    await page.locator('train-view #f-lr').press('Tab');
    await expect(page.locator('train-view .err').first().textContent()).resolves.toMatch(/^lr: "fast" is not allowed/);
    expect(await page.evaluate(() => location.hash)).toBe(before);
    await page.locator('train-view #f-lr').fill('0.01');
    await page.locator('train-view #f-lr').press('Tab');
    await page.waitForFunction(() => location.hash.includes('t.lr=0.01'));
    await expect(page.locator('train-view .err').count()).resolves.toBe(0);

    // Step: one iteration (iteration 0 is an evaluation for every model), then paused.
    await page.locator('train-view [data-cmd=step]').click();
    await waitTrain(page, 'paused', 0);
    let s = await trainState(page);
    expect(s.iteration).toBe(0);
    expect(s.rows).toBe(4);
    await expect(page.locator('train-view [data-progress]').textContent()).resolves.toContain(`paused at step 0 of ${ITER}`);
    const lossAt0 = await lossPoints(page);
    expect(lossAt0).toBe(4);

    // Resume: progress and the loss chart advance; Pause holds the run.
    await page.locator('train-view [data-cmd=resume]').click();
    await waitTrain(page, 'running', 200);
    await page.locator('train-view [data-cmd=pause]').click();
    await waitTrain(page, 'paused', 0);
    s = await trainState(page);
    expect(s.iteration).toBeGreaterThanOrEqual(200);
    expect(s.iteration).toBeLessThan(ITER);
    await page.waitForFunction(() => document.querySelector('lab-app')?.shadowRoot?.querySelector('train-view')?.shadowRoot?.querySelector('[data-progress]')?.textContent?.includes('steps/s'));
    const held = s.iteration;
    await page.waitForTimeout(400);
    expect((await trainState(page)).iteration).toBe(held);
    await expect.poll(() => lossPoints(page)).toBeGreaterThan(lossAt0);
    const text = await page.locator('train-view [data-progress]').textContent();
    expect(text).toMatch(new RegExp(`paused at step ${held} of ${ITER} · [0-9.e+]+ steps/s`));

    // Resume to the end.
    // Main-thread tasks over 50 ms while the run trains to its end (Long Tasks API): training is in the worker.
    await page.evaluate(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push(e.duration))).observe({ type: 'longtask' });
    });
    await page.locator('train-view [data-cmd=resume]').click();
    await waitTrain(page, 'done', 0);
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    console.log(`main-thread tasks over 50 ms while training: ${longTasks.length} (${longTasks.map((d) => d.toFixed(0)).join(', ')} ms)`);
    s = await trainState(page);
    const evals = Math.floor(ITER / 50) + 1;
    // Every model that did not diverge has every evaluation; a diverged one is said in words.
    expect(s.rows).toBeLessThanOrEqual(4 * evals);
    expect(s.rows).toBeGreaterThanOrEqual((4 - s.divergences.length) * evals);
    for (const d of s.divergences) expect(d).toMatch(/^model \d diverged at step \d+: /);
    expect(s.checkpoints).toBeGreaterThanOrEqual(4 * 2);
    await expect(page.locator('train-view [data-progress]').textContent()).resolves.toContain(`finished step ${ITER} of ${ITER}`);
    await expect(page.locator('train-eigen circle').count()).resolves.toBeGreaterThan(8);
    // The page never shows NaN or Infinity as a number.
    const shown = await page.locator('train-view').evaluate((el) => {
      const walk = (n: Element | ShadowRoot): string => Array.from(n.children).map((c) => (c.shadowRoot ? walk(c.shadowRoot) : '') + (c.textContent ?? '') + walk(c)).join(' ');
      return walk(el.shadowRoot!);
    });
    expect(shown).not.toMatch(/NaN|Infinity/);

    await page.screenshot({ path: join(ARTIFACTS, 'train-view.png') });

    // Downloads: the curves CSV (its columns, one row per model and evaluation) and the bundle (reads back).
    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('train-view [data-cmd=csv]').click()]);
    expect(csv.suggestedFilename()).toBe('curves-adding-T20-N8-4models-seed3.csv');
    const csvText = readFileSync((await csv.path())!, 'utf8');
    const lines = csvText.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe(CURVE_COLUMNS.join(','));
    expect(lines.length - 1).toBe(s.rows);
    const [bundle] = await Promise.all([page.waitForEvent('download'), page.locator('train-view [data-cmd=bundle]').click()]);
    expect(bundle.suggestedFilename()).toBe('train-adding-T20-N8-4models-seed3.json');
    const run = trainResultFromBundle(readFileSync((await bundle.path())!, 'utf8'));
    expect(run.config.length).toBe(20);
    expect(run.config.lr).toBe(0.01);
    expect(run.models).toHaveLength(4);
    expect(run.rows).toHaveLength(s.rows);
    // The loss chart as SVG: well-formed, one curve per model.
    const [figure] = await Promise.all([page.waitForEvent('download'), page.locator('train-view [data-cmd=svg]').click()]);
    expect(figure.suggestedFilename()).toBe('loss-adding-T20-N8-4models-seed3.svg');
    const svgText = readFileSync((await figure.path())!, 'utf8');
    expect(XMLValidator.validate(svgText)).toBe(true);
    expect(svgText.match(/<polyline class="series"[^>]*stroke-width="1.8"/g)).toHaveLength(4);
    // The same figure as PNG (written in the export worker with the figure font).
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('train-view [data-cmd=png]').click()]);
    expect(png.suggestedFilename()).toBe('loss-adding-T20-N8-4models-seed3.png');
    expect([...readFileSync((await png.path())!).subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');

    // Open model 0's last W in the gradient view: the gradient tab shows it as an imported field
    // of T = 20 and N = 8, the slider at W's spectral radius.
    const label = (await page.locator('train-eigen [data-eigen-label]').textContent()) ?? '';
    const radius = Number(label.match(/ρ\(W\) = ([0-9.e+-]+)/)?.[1]);
    await page.locator('train-eigen [data-cmd=open-gradient]').click();
    await page.locator('[data-imported]').waitFor({ timeout: 60_000 });
    await expect(page.locator('[data-imported]').textContent()).resolves.toContain(`training: W of model 0 (tanh-gaussian) at step ${ITER}`);
    const hash = await page.evaluate(() => location.hash);
    expect(hash).toContain('steps=20');
    expect(hash).toContain('hidden=8');
    expect(Number(new URLSearchParams(hash.slice(1)).get('rho'))).toBeCloseTo(radius, 2);
    await page.screenshot({ path: join(ARTIFACTS, 'train-open-gradient.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('a model that diverges is reported in words and stops while the other trains to the end; no NaN or Infinity on the page', async () => {
    // ReLU at rho = 3 over T = 40 with SGD at lr 0.1: its loss leaves the number range within a few steps (float32 CPU model, seed 3).
    const hash = 'tab=train&t.T=40&t.N=8&t.batch=16&t.iter=50&t.seed=3&t.opt=sgd&t.lr=0.1&t.models=relu:gaussian:3:0~tanh:gaussian:1:0&hidden=8&steps=10&rhoCount=5&samples=2';
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${lab.url}#${hash}`);
    await page.locator('train-view [data-cmd=start]').click();
    await waitTrain(page, 'done', 0);
    const s = await trainState(page);
    expect(s.divergences).toHaveLength(1);
    expect(s.divergences[0]).toMatch(/^model 0 diverged at step \d+: (loss|gradient norm|held-out loss) /);
    await expect(page.locator('train-view [data-diverged]').textContent()).resolves.toContain(`${s.divergences[0]} (relu-gaussian rho 3)`);
    // The other model has every evaluation (every iteration at 50 iterations: evalEveryFor(50) = 1).
    await expect(page.locator('train-view [data-progress]').textContent()).resolves.toContain('finished step 50 of 50');
    const text = await page.locator('train-view').evaluate((el) => {
      const walk = (n: Element | ShadowRoot): string => Array.from(n.children).map((c) => (c.shadowRoot ? walk(c.shadowRoot) : '') + (c.textContent ?? '') + walk(c)).join(' ');
      return walk(el.shadowRoot!);
    });
    // The core says a NaN in words ("undefined (NaN)"); no value is printed as NaN or Infinity.
    expect(text.replaceAll('undefined (NaN)', '')).not.toMatch(/NaN|Infinity/);
    await page.screenshot({ path: join(ARTIFACTS, 'train-view-diverged.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
