/**
 * What a lecturer preparing a class met in the lab, in headless Chromium: a huge sweep asks
 * before it starts and can be cancelled while it runs, plots that show an earlier run than the
 * settings say so. Screenshots (1280x720) go to artifacts/screenshots/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';
import { ARTIFACTS, CHROME_ARGS, openLab, startLab, waitIdle, type Lab } from './harness.ts';

/** Headless Chromium runs every test here: where it is missing, they fail, naming what to install. */
const CHROMIUM = chromiumRequirement();

let lab: Lab;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

const SMALL_HASH = 'hidden=16&steps=40&rhoCount=11&samples=4&seed=5&backend=cpu';

/** Type a value into a settings field and leave it (Tab), as a person does. */
async function setField(page: Page, name: string, value: string): Promise<void> {
  const input = page.locator(`lab-controls #f-${name}`);
  await input.fill(value);
  await input.press('Tab');
}

const dialog = (page: Page) => page.locator('lab-app dialog.confirm-run');

describeNeeding(CHROMIUM, 'long runs', () => {
  it('a sweep predicted to take long asks first; declined, the plots say they show an earlier run; a confirmed run shows elapsed, time left and Cancel', async () => {
    const { page, errors } = await openLab(lab, SMALL_HASH);
    expect(await page.locator('[data-stale]').count()).toBe(0);
    // hidden 1024, steps 5000, samples 256 (the lecturer's example); each step may already ask.
    for (const [name, value] of [['hidden', '1024'], ['steps', '5000'], ['samples', '256']]) {
      if (await dialog(page).isVisible()) await dialog(page).locator('[data-decline]').click();
      await setField(page, name, value);
    }
    await dialog(page).waitFor({ state: 'visible' });
    const question = await dialog(page).innerText();
    expect(question).toMatch(/This run takes about \d+ (h|days|min)/);
    expect(question).toMatch(/cpu computes about [\d.]+ GFLOP\/s here/);
    await page.screenshot({ path: join(ARTIFACTS, 'long-run-confirm.png') });
    await dialog(page).locator('[data-decline]').click();
    await expect.poll(() => dialog(page).isVisible()).toBe(false);
    const stale = page.locator('[data-stale]');
    expect(await stale.innerText()).toMatch(/These plots show an earlier run \(tanh, N 16, T 40, K 11, S 4\), not the settings on the left/);
    expect(await page.locator('lab-controls #f-samples').inputValue()).toBe('256');
    await page.screenshot({ path: join(ARTIFACTS, 'long-run-stale.png') });

    await stale.locator('button').click();
    await dialog(page).locator('[data-confirm]').click();
    const running = page.locator('[data-running]');
    await running.waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1500);
    expect(await running.innerText()).toMatch(/\d+ s elapsed/);
    expect(await running.locator('[data-left]').innerText()).toMatch(/about .+ left|estimating time left/);
    await page.screenshot({ path: join(ARTIFACTS, 'long-run-running.png') });
    await running.locator('[data-cancel-run]').click();
    await expect.poll(() => page.locator('[data-running]').count()).toBe(0);
    expect(await page.locator('[data-stale]').innerText()).toMatch(/earlier run/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describeNeeding(CHROMIUM, 'the File menu (WAI-ARIA menu button)', () => {
  /** What has focus inside <lab-export> (its shadow root): a format, a choice, the button, or nothing. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const el = document.querySelector('lab-app')?.shadowRoot?.querySelector('lab-export')?.shadowRoot?.activeElement as HTMLElement | null | undefined;
      if (!el) return null;
      return el.dataset.format ?? (el.dataset.choice ? `${el.dataset.choice}:${el.dataset.value}` : (el.dataset.action ?? el.id));
    });

  it('ArrowDown opens it on the first item and moves between items; Home/End; Escape closes it and focus returns to File', async () => {
    const { page, errors } = await openLab(lab, SMALL_HASH);
    const button = page.locator('lab-export .menu-button');
    const menu = page.locator('lab-export [role=menu]');
    expect(await button.getAttribute('aria-haspopup')).toBe('menu');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    await button.focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => focused(page)).toBe('png');
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    expect(await menu.isVisible()).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe('scale:0');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe('svg');
    await page.keyboard.press('ArrowUp');
    expect(await focused(page)).toBe('scale:2');
    await page.keyboard.press('End');
    expect(await focused(page)).toBe('open');
    await page.keyboard.press('ArrowDown'); // wraps
    expect(await focused(page)).toBe('png');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowUp'); // wraps the other way
    expect(await focused(page)).toBe('open');
    await page.screenshot({ path: join(ARTIFACTS, 'file-menu-keyboard.png') });
    await page.keyboard.press('Escape');
    expect(await menu.isVisible()).toBe(false);
    expect(await focused(page)).toBe('file-button');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    // Enter opens it too, on the first item; Tab leaves and closes it.
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('png');
    await page.keyboard.press('Tab');
    expect(await menu.isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describeNeeding(CHROMIUM, 'without WebGL', () => {
  it('--disable-3d-apis: the 3D panel says why it is empty and points to the heatmap; the run computes; nothing throws', async () => {
    const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: [...CHROME_ARGS, '--disable-3d-apis'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const uncaught: string[] = [];
      page.on('pageerror', (e) => uncaught.push(e.message));
      await page.goto(`${lab.url}#hidden=16&steps=40&rhoCount=11&samples=4&seed=5`);
      await waitIdle(page);
      const note = page.locator('lab-surface [data-no-webgl]');
      expect(await note.innerText()).toMatch(/no WebGL.*heatmap/is);
      // The heatmap beside it shows the run.
      expect(await page.evaluate(() => (window as unknown as { __lab: { snapshot(): { result: unknown } } }).__lab.snapshot().result !== null)).toBe(true);
      expect(await page.locator('lab-heatmap').count()).toBe(1);
      await page.screenshot({ path: join(ARTIFACTS, 'no-webgl.png') });
      // Compare mode: A and B as heatmaps instead of the surfaces it cannot draw.
      await page.locator('lab-app select[aria-label^="Compare mode"]').selectOption('relu');
      await waitIdle(page);
      await expect.poll(() => page.locator('lab-heatmap').count()).toBe(3);
      await page.screenshot({ path: join(ARTIFACTS, 'no-webgl-compare.png') });
      // The surface image cannot be made: the File menu says why instead of failing silently.
      await page.locator('lab-export .menu-button').click();
      await page.locator('lab-export button[data-format=surface]').click();
      await expect.poll(() => page.locator('lab-app .status').innerText()).toMatch(/no WebGL/i);
      expect(uncaught).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describeNeeding(CHROMIUM, 'at 1280x720', () => {
  /** Axis labels of the 3D views that stick out of their view (cut off on screen), in words. */
  const cutLabels = (page: Page) =>
    page.evaluate(() => {
      const out: string[] = [];
      for (const s of Array.from(document.querySelector('lab-app')!.shadowRoot!.querySelectorAll('lab-surface'))) {
        const view = s.shadowRoot!.querySelector('.view')!.getBoundingClientRect();
        for (const l of Array.from(s.shadowRoot!.querySelectorAll<HTMLElement>('.lbl'))) {
          const r = l.getBoundingClientRect();
          if (r.width === 0) continue;
          if (r.left < view.left - 0.5 || r.right > view.right + 0.5 || r.top < view.top - 0.5) {
            out.push(`${s.id}: "${l.textContent}" at ${Math.round(r.left)}..${Math.round(r.right)} in ${Math.round(view.left)}..${Math.round(view.right)}`);
          }
        }
      }
      return out;
    });

  it('compare mode: every 3D axis label lies inside its view (the height title is not cut); the badge timings are whole', async () => {
    for (const size of [{ width: 1024, height: 768 }, { width: 1280, height: 720 }]) {
      const { page, errors } = await openLab(lab, `${SMALL_HASH}&cmp=relu`, size);
      await expect.poll(() => page.locator('lab-surface .lbl.title').count()).toBe(6);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: join(ARTIFACTS, `compare-${size.width}.png`) });
      expect(await cutLabels(page)).toEqual([]);
      // The short label (engine and wall time; the other timings are in its popover).
      const timings = page.locator('lab-badge [data-short], lab-badge [data-timing]');
      expect(await timings.count()).toBe(2);
      for (const box of await Promise.all((await timings.all()).map((t) => t.boundingBox()))) {
        expect(box).not.toBeNull();
        expect(box!.x + box!.width).toBeLessThanOrEqual(size.width);
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });
  it('phone and tablet: every visible 3D axis label lies inside its view and none overlaps another', async () => {
    for (const [size, hash] of [
      [{ width: 390, height: 844 }, SMALL_HASH],
      [{ width: 768, height: 1024 }, `${SMALL_HASH}&cmp=relu`],
    ] as const) {
      const { page, errors } = await openLab(lab, hash, size);
      await expect.poll(() => page.locator('lab-surface .lbl.title').count()).toBe(hash.includes('cmp') ? 6 : 3);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: join(ARTIFACTS, `surface-labels-${size.width}.png`) });
      expect(await cutLabels(page), `${size.width}x${size.height}`).toEqual([]);
      const overlapping = await page.evaluate(() => {
        const out: string[] = [];
        for (const s of Array.from(document.querySelector('lab-app')!.shadowRoot!.querySelectorAll('lab-surface'))) {
          const shown = Array.from(s.shadowRoot!.querySelectorAll<HTMLElement>('.lbl')).filter((l) => l.style.visibility !== 'hidden' && l.getBoundingClientRect().width > 0);
          for (let i = 0; i < shown.length; i++)
            for (let k = i + 1; k < shown.length; k++) {
              const a = shown[i].getBoundingClientRect();
              const b = shown[k].getBoundingClientRect();
              if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`"${shown[i].textContent}" and "${shown[k].textContent}"`);
            }
        }
        return out;
      });
      expect(overlapping, `${size.width}x${size.height}`).toEqual([]);
      // Each axis keeps at least two of its tick labels.
      for (const axis of ['tick-t', 'tick-rho', 'tick-v']) {
        const kept = await page.evaluate((cls) => Array.from(document.querySelector('lab-app')!.shadowRoot!.querySelector('lab-surface')!.shadowRoot!.querySelectorAll<HTMLElement>(`.lbl.${cls}`)).filter((l) => l.style.visibility !== 'hidden').length, axis);
        expect(kept, `${axis} at ${size.width}`).toBeGreaterThanOrEqual(2);
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});

describeNeeding(CHROMIUM, 'accessibility', () => {
  /** axe-core (npm) in the page: every violation of the rules it runs by default (WCAG A/AA and best practices), with its nodes. */
  async function axeViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: { id: string; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
      const r = await axe.run(document);
      return r.violations.map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
    });
  }

  for (const [name, hash, scheme] of [
    ['default', '', 'light'],
    ['compare', 'cmp=relu', 'light'],
    ['dark', '', 'dark'],
  ] as const) {
    it(`axe-core finds no violations on the ${name} page`, async () => {
      const page = await lab.browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: scheme });
      await page.goto(`${lab.url}#${SMALL_HASH}${hash ? `&${hash}` : ''}`);
      await waitIdle(page);
      await page.screenshot({ path: join(ARTIFACTS, `axe-${name}.png`) });
      expect(await axeViolations(page)).toEqual([]);
      await page.close();
    });
  }
});

describeNeeding(CHROMIUM, 'the derivative panel', () => {
  it("phi' and the histogram of a_t at the slider's rho: its mean phi'(a_t) is the engine's own grid value, it says what it was computed on, and hovering the slice chart moves its step", async () => {
    const { page, errors } = await openLab(lab, `${SMALL_HASH}&rho=1.3`);
    const note = page.locator('lab-derivative [data-computed-on]');
    // Binned by the sweep's engine (the CPU engine here), in its workers: only the counts reach the page.
    await expect.poll(() => note.textContent(), { timeout: 30_000 }).toBe('a_t binned by cpu, float32 · 16 units × 4 samples');
    expect(await note.getAttribute('title')).toMatch(/at ρ = 1\.300, from a float32 forward pass of this row alone .*binned by the cpu engine \(.*\) in the CPU engine's workers?, in \d+ ms/);
    const plot = page.locator('lab-derivative .plot');
    /** The step and the mean phi' the panel shows, from its accessible description. */
    const shown = async () => {
      const label = (await plot.getAttribute('aria-label')) ?? '';
      const m = /at step (\d+); mean phi prime ([\d.]+)/.exec(label);
      return m ? { t: Number(m[1]), mean: Number(m[2]) } : null;
    };
    /** The engine's mean phi'(a_t) grid (derivMean, float32) at the slider's row and step t. */
    const engineMean = (t: number) =>
      page.evaluate((t) => {
        const lab = (window as unknown as { __lab: { snapshot(): { result: { a: { T: number; rho: Float64Array; grids: Record<string, Float64Array> } } } } }).__lab;
        const a = lab.snapshot().result.a;
        let k = 0;
        for (let i = 1; i < a.rho.length; i++) if (Math.abs(a.rho[i] - 1.3) < Math.abs(a.rho[k] - 1.3)) k = i;
        return a.grids.derivMean[k * a.T + t - 1];
      }, t);
    const last = await shown();
    expect(last?.t).toBe(40); // the last step by default
    // The engine's binned mean against its own grid: the same float32 phi', 3 decimals shown (5e-4) plus summation order (far below 1e-4).
    expect(Math.abs(last!.mean - (await engineMean(40)))).toBeLessThan(1e-3);
    // Hovering the middle of the slice chart moves the histogram there.
    const slice = (await page.locator('lab-slice .plot').boundingBox())!;
    await page.mouse.move(slice.x + slice.width * 0.55, slice.y + slice.height / 2);
    await expect.poll(async () => (await shown())?.t).not.toBe(40);
    const mid = (await shown())!;
    expect(mid.t).toBeGreaterThan(10);
    expect(mid.t).toBeLessThan(35);
    expect(Math.abs(mid.mean - (await engineMean(mid.t)))).toBeLessThan(1e-3);
    await page.screenshot({ path: join(ARTIFACTS, 'derivative-panel.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the WebGPU engine bins it on the GPU (its mean phi\' is its own grid\'s); where gpu.js cannot (untied weights), the float64 reference does, and the caption says so', async () => {
    const hash = 'hidden=16&steps=40&rhoCount=5&samples=4&seed=5&rho=1.25';
    const caption = async (extra: string) => {
      const { page, errors } = await openLab(lab, `${hash}&${extra}`);
      const note = page.locator('lab-derivative [data-computed-on]');
      await expect.poll(() => note.textContent(), { timeout: 60_000 }).toMatch(/^a_t binned by /);
      const label = (await page.locator('lab-derivative .plot').getAttribute('aria-label')) ?? '';
      const mean = Number(/mean phi prime ([\d.]+)/.exec(label)?.[1]);
      const grid = await page.evaluate(() => {
        const a = (window as unknown as { __lab: { snapshot(): { result: { a: { T: number; rho: Float64Array; grids: Record<string, Float64Array> } } } } }).__lab.snapshot().result.a;
        let k = 0;
        for (let i = 1; i < a.rho.length; i++) if (Math.abs(a.rho[i] - 1.25) < Math.abs(a.rho[k] - 1.25)) k = i;
        return a.grids.derivMean[k * a.T + a.T - 1];
      });
      const out = { text: await note.textContent(), title: (await note.getAttribute('title')) ?? '', mean, grid, errors };
      await page.close();
      return out;
    };
    const gpu = await caption('backend=webgpu');
    expect(gpu.text).toBe('a_t binned by webgpu, float32 · 16 units × 4 samples');
    expect(gpu.title).toMatch(/binned by the webgpu engine \(.*\) on the GPU \(WGSL atomics\)/);
    // The engine's mean phi'(a_t) at T against its own sweep's grid: 3 decimals shown (5e-4), float32 sums in another order.
    expect(Math.abs(gpu.mean - gpu.grid)).toBeLessThan(1e-3);
    expect(gpu.errors).toEqual([]);
    const fallback = await caption('backend=gpujs&weights=untied');
    expect(fallback.text).toBe('a_t binned by the float64 reference (fallback) · 16 units × 4 samples');
    expect(fallback.title).toMatch(/The sweep's engine did not bin it: the gpu\.js histogram runs tied rho sweeps only/);
    // float64 against the float32 sweep's grid: 3 decimals shown plus float32 rounding (far below 1e-4).
    expect(Math.abs(fallback.mean - fallback.grid)).toBeLessThan(1e-3);
    expect(fallback.errors).toEqual([]);
  });
});

describeNeeding(CHROMIUM, 'the slice chart follows Show', () => {
  it('draws the shown field at the slider\'s rho, with the gradient as an optional second line on its own axis', async () => {
    const { page, errors } = await openLab(lab, `${SMALL_HASH}&field=deriv`);
    const plot = page.locator('lab-slice .plot');
    expect(await plot.getAttribute('aria-label')).toMatch(/^mean φ′\(a_t\), tanh against timestep at rho/);
    expect(await page.locator('lab-slice .plot svg').innerHTML()).toContain('mean φ′');
    // The line drawn is the engine's derivMean row: one path with a point per step, inside 0..1.
    const paths = () => page.locator('lab-slice .plot path[fill="none"]').count();
    expect(await paths()).toBe(1);
    // The gradient as a second line (with its theory), on a right-hand axis.
    await page.locator('lab-slice .legend label', { hasText: 'log10 ‖dL/dh_t‖' }).locator('input').check();
    await expect.poll(() => plot.getAttribute('aria-label')).toMatch(/with the log10 gradient norm$/);
    expect(await paths()).toBeGreaterThan(2);
    expect(await page.locator('lab-slice .plot svg').innerHTML()).toContain('log10 norm');
    // Back to the gradient: the chart is the gradient's again.
    await page.locator('lab-app select.show').selectOption('grad');
    await expect.poll(() => plot.getAttribute('aria-label')).toMatch(/^log10 gradient norm against timestep/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
