/**
 * Offline in a lecture hall: after one visit, the built lab opens and computes with no network.
 * The service worker (vite-plugin-pwa, Workbox) precaches the app on the first visit; then the
 * browser goes offline (context.setOffline) and the server that served it is closed (so nothing
 * can come from the network, whatever the emulation covers), and a reload must still compute and
 * draw the surface. The manifest and icons (public/) are served and precached.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serveDirectory, type StaticServer } from '../../src/node/static-server.ts';
import { chromiumRequirement, describeNeeding } from '../helpers/requirements.ts';
import { canvasInk, startLab, waitIdle, type Lab } from './harness.ts';

const CHROMIUM = chromiumRequirement();
let lab: Lab;
let server: StaticServer | null = null;

beforeAll(async () => {
  lab = await startLab({ offline: true });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await lab?.close();
});

describeNeeding(CHROMIUM, 'offline', () => {
  it('after one visit the lab reloads and computes with the network off and the server gone', async () => {
    // A server of its own, so that it can be closed while the browser keeps the page.
    server = await serveDirectory(lab.outDir);
    const context = await lab.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `${server.url}/index.html#hidden=16&steps=30&rhoCount=9&samples=4&backend=cpu`;
    await page.goto(url);
    await waitIdle(page);
    // The manifest names the icons, which are served from public/.
    const manifest = await page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel="manifest"]')!.href;
      const m = (await (await fetch(href)).json()) as { name: string; icons: { src: string }[] };
      const icons = await Promise.all(m.icons.map(async (i) => (await fetch(new URL(i.src, href))).status));
      return { name: m.name, icons };
    });
    expect(manifest.name).toBe('RNN Gradient Lab');
    expect(manifest.icons.every((s) => s === 200)).toBe(true);
    // The worker is active once everything is precached (Workbox installs only then).
    const cached = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      const names = await caches.keys();
      let n = 0;
      for (const name of names) n += (await (await caches.open(name)).keys()).length;
      return n;
    });
    expect(cached).toBeGreaterThan(15);

    await context.setOffline(true);
    await server.close();
    server = null;
    // Nothing answers from the network now.
    expect(await page.evaluate(() => fetch(`./not-cached-${Date.now()}.txt`).then(() => 'answered', () => 'failed'))).toBe('failed');

    await page.reload();
    await waitIdle(page);
    const state = await page.evaluate(() => {
      const l = (window as unknown as { __lab: { snapshot(): { result: { a: { K: number; T: number } } | null } } }).__lab;
      return { controlled: navigator.serviceWorker.controller !== null, K: l.snapshot().result?.a.K, T: l.snapshot().result?.a.T };
    });
    expect(state).toEqual({ controlled: true, K: 9, T: 30 });
    const ink = await canvasInk(page, 0);
    expect(ink.ink).toBeGreaterThan(0.1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
