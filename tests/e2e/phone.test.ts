/**
 * The lab on a phone (390x844, isMobile, hasTouch) and in embed mode: no sideways scrolling
 * (the document is no wider than the viewport), the settings in a drawer that a tap opens and
 * Escape closes, the bar (Show, the slider) on top, every plot one per row at nearly the full
 * width; embed=1 shows the plots and an "open in the lab" link to the same settings without
 * embed. At 1280x720 the File menu opens inside the viewport. Screenshots at 390x844 (closed,
 * drawer open, embed) and 1280x720 go to artifacts/screenshots/ to be looked at.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ARTIFACTS, startLab, waitIdle, type Lab } from './harness.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';

const CHROMIUM = chromiumRequirement();
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

const SMALL = 'hidden=16&steps=30&rhoCount=9&samples=4&seed=5';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

async function phone(hash: string): Promise<{ page: Page; errors: string[] }> {
  const page = await lab.browser.newPage(PHONE);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${lab.url}#${hash}`);
  await waitIdle(page);
  return { page, errors };
}

const scrollWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describeNeeding(CHROMIUM, 'the lab on a phone', () => {
  it('390x844: no sideways scroll, settings in a drawer, plots one per row at full width', async () => {
    const { page, errors } = await phone(SMALL);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(390);
    const drawer = page.locator('lab-app aside#settings-drawer');
    const toggle = page.locator('lab-app .drawer-toggle');
    expect(await drawer.isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    // The bar with Show and the slider comes before the plots, at the top of the content.
    const bar = await page.locator('lab-app section.plots > .bar').boundingBox();
    expect(bar).not.toBeNull();
    expect(bar!.width).toBeLessThanOrEqual(390);
    let lastBottom = bar!.y + bar!.height;
    for (const tag of ['lab-surface', 'lab-heatmap', 'lab-slice', 'lab-rate', 'lab-spectrum']) {
      const box = await page.locator(`lab-app ${tag}`).first().boundingBox();
      expect(box, tag).not.toBeNull();
      // One per row: nearly the full width (the page's 6 px padding each side), below the one before.
      expect(box!.width, tag).toBeGreaterThanOrEqual(390 - 20);
      expect(box!.x + box!.width, tag).toBeLessThanOrEqual(390);
      expect(box!.height, tag).toBeGreaterThan(250);
      expect(box!.y, tag).toBeGreaterThanOrEqual(lastBottom - 1);
      lastBottom = box!.y + box!.height;
    }
    await page.screenshot({ path: join(ARTIFACTS, 'phone-390x844.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'phone-390x844-full.png'), fullPage: true });

    // Scrolled down, the bar stays on top (sticky).
    await page.mouse.wheel(0, 900);
    await page.evaluate(() => window.scrollTo(0, 900));
    const barScrolled = await page.locator('lab-app section.plots > .bar').boundingBox();
    expect(Math.abs(barScrolled!.y)).toBeLessThan(2);
    await page.evaluate(() => window.scrollTo(0, 0));

    await toggle.tap();
    await expect.poll(() => drawer.isVisible()).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const open = await drawer.boundingBox();
    await expect.poll(async () => (await drawer.boundingBox())?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect(open!.width).toBeLessThanOrEqual(390);
    expect(await page.locator('lab-app aside lab-controls').isVisible()).toBe(true);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, 'phone-390x844-drawer.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => drawer.isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('a link with a bad setting says so on the closed drawer\'s button, and the message is inside', async () => {
    const { page } = await phone(`${SMALL}&hidden=5000`);
    const toggle = page.locator('lab-app .drawer-toggle');
    expect(await toggle.textContent()).toContain('see inside');
    await toggle.tap();
    await expect.poll(() => page.locator('lab-app aside .problems').isVisible()).toBe(true);
    await page.close();
  }, 180_000);

  it('embed=1 shows the plots and an "open in the lab" link without embed', async () => {
    const { page, errors } = await phone(`${SMALL}&embed=1`);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(390);
    expect(await page.locator('lab-app header').isVisible()).toBe(false);
    expect(await page.locator('lab-app aside').count()).toBe(0);
    expect(await page.locator('lab-app lab-export').count()).toBe(0);
    const link = page.locator('lab-app a.embed-link');
    expect(await link.isVisible()).toBe(true);
    expect(await link.textContent()).toContain('open in the lab');
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toContain('hidden=16');
    expect(href).not.toContain('embed');
    expect(await page.locator('lab-app lab-slice').isVisible()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'phone-390x844-embed.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('768x1024 (a tablet held upright): no sideways scroll, settings in the drawer, plots two per row, each at least 300 px wide', async () => {
    const page = await lab.browser.newPage({ viewport: { width: 768, height: 1024 }, hasTouch: true });
    await page.goto(`${lab.url}#${SMALL}`);
    await waitIdle(page);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(768);
    expect(await page.locator('lab-app aside#settings-drawer').isVisible()).toBe(false);
    expect(await page.locator('lab-app .drawer-toggle').isVisible()).toBe(true);
    for (const tag of ['lab-surface', 'lab-heatmap', 'lab-slice', 'lab-rate', 'lab-spectrum']) {
      const box = await page.locator(`lab-app ${tag}`).first().boundingBox();
      expect(box!.width, tag).toBeGreaterThanOrEqual(300);
      expect(box!.x + box!.width, tag).toBeLessThanOrEqual(768);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'tablet-768x1024.png') });
    await page.close();
  }, 180_000);

  it('1280x720: the desktop layout keeps its columns and the File menu opens inside the viewport', async () => {
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${lab.url}#${SMALL}`);
    await waitIdle(page);
    expect(await page.locator('lab-app .drawer-toggle').isVisible()).toBe(false);
    expect(await page.locator('lab-app aside').isVisible()).toBe(true);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-1280x720.png') });
    await page.locator('lab-export .menu-button').click();
    const menu = await page.locator('lab-export [role=menu]').boundingBox();
    expect(menu!.x).toBeGreaterThanOrEqual(0);
    expect(menu!.x + menu!.width).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-1280x720-file-menu.png') });
    await page.close();
  }, 180_000);
});
