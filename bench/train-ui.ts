/**
 * Responsiveness of the Train view while it trains (a benchmark, not a test: nothing asserts).
 * Builds the lab (tests/e2e/harness.ts), opens the Train view in headless Chromium with the
 * default four-model run (adding, N = 64, T = 150, batch 32) or a story preset, clicks Start and
 * records every main-thread task over 50 ms (Long Tasks API, PerformanceObserver 'longtask')
 * for --seconds of training, then the steps/s the view reports. Prints the numbers and writes
 * bench/results/train-ui-<time>.json with the load average, since the machine is shared.
 *
 *   node --import ./src/node/register.mjs bench/train-ui.ts [--seconds 40] [--hash tab=train] [--preset ID] [--profile]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { serveDirectory } from '../src/node/static-server.ts';
import { CHROME_ARGS } from '../tests/e2e/harness.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '40' },
    hash: { type: 'string', default: 'tab=train' },
    preset: { type: 'string' },
    /** Also record a CPU profile of the page's main thread and print the functions with the most self time. */
    profile: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);

interface TrainHook {
  status: string;
  iteration: number;
  rows: number;
}

const trainState = (page: Page) => page.evaluate(() => (window as unknown as { __lab: { train(): TrainHook } }).__lab.train());

const load0 = loadavg()[0];
console.log(`train-ui benchmark: ${args.preset ? `preset ${args.preset}` : `#${args.hash}`}, ${seconds} s of training; ${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}; load ${load0.toFixed(1)}`);
// The e2e build (its test hooks report the run's state), unminified so a profile names functions.
const outDir = mkdtempSync(join(tmpdir(), 'rnnlab-train-ui-'));
await build({ root: resolve(import.meta.dirname, '..'), mode: 'e2e', logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false, minify: false } });
const server = await serveDirectory(outDir);
const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROME_ARGS });
const lab = { browser, url: `${server.url}/index.html` };
try {
  const page = await lab.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${lab.url}#${args.hash}`);
  await page.locator('train-view').waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push({ start: e.startTime, duration: e.duration }))).observe({ type: 'longtask' });
  });
  const cdp = args.profile ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  const t0 = Date.now();
  // A story preset's button loads its settings and starts training itself; otherwise Start does.
  if (args.preset) await page.locator(`train-view [data-preset="${args.preset}"]`).click();
  else await page.locator('train-view [data-cmd=start]').click();
  const progress: { s: number; iteration: number }[] = [];
  while (Date.now() - t0 < seconds * 1000) {
    await page.waitForTimeout(2000);
    const s = await trainState(page);
    progress.push({ s: (Date.now() - t0) / 1000, iteration: s.iteration });
    if (s.status === 'done' || s.status === 'failed') break;
  }
  let hot: { fn: string; ms: number }[] = [];
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    // Self time per function: samples x the mean interval between them.
    const dt = new Map<number, number>();
    profile.samples?.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1000));
    const byFn = new Map<string, number>();
    for (const n of profile.nodes) {
      const f = n.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + (dt.get(n.id) ?? 0));
    }
    hot = [...byFn].map(([fn, ms]) => ({ fn, ms })).sort((a, b) => b.ms - a.ms).slice(0, 25);
    console.log('main thread, most self time:');
    for (const h of hot) console.log(`  ${h.ms.toFixed(0).padStart(7)} ms  ${h.fn}`);
  }
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks);
  const text = (await page.locator('train-view [data-progress]').textContent()) ?? '';
  const last = progress.at(-1) ?? { s: 0, iteration: -1 };
  const load1 = loadavg()[0];
  const over = longTasks.map((t) => t.duration);
  console.log(`main-thread tasks over 50 ms: ${over.length}${over.length ? ` (longest ${Math.max(...over).toFixed(0)} ms; ${over.map((d) => d.toFixed(0)).join(', ')})` : ''}`);
  console.log(`training: step ${last.iteration} after ${last.s.toFixed(1)} s; the view says "${text.trim()}"; load ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/train-ui-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ hash: args.hash, preset: args.preset ?? null, seconds, longTasks, hot, progress, viewText: text.trim(), loadavg: [load0, load1], cpus: cpus().length }, null, 2)}\n`,
  );
  console.log(`wrote ${file}`);
  await page.close();
} finally {
  await browser.close();
  await server.close();
  rmSync(outDir, { recursive: true, force: true });
}
