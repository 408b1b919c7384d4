/**
 * The drag budgets (not a test: nothing asserts). At the default size (N = 64, T = 100, S = 16):
 *
 * 1. One drag frame's compute: the one-row config a drag computes (core/spectrum-edit.ts
 *    previewConfigs) with the outlier moved a little every frame, timed on each Node engine;
 *    target: median <= 16 ms on the fastest.
 * 2. In headless Chromium, the lab (test build) with the spectrum init on the outlier axis: a
 *    5-second scripted drag of the outlier back and forth across the unit circle, with a
 *    PerformanceObserver for 'longtask' (every main-thread task over 50 ms) and the live rows
 *    the page showed (their wall times as the page saw them); target: no task over 50 ms. The drag
 *    is also traced: each main-thread task's CPU time beside its wall time, since on a machine
 *    that other processes load a task's wall time includes its waits for a core (at a load of 20
 *    on 2 cores, a task of 10 ms of CPU can take 100 ms of wall time).
 *
 * Prints the numbers and writes bench/results/drag-<time>.json with the machine and its load.
 *
 * With --profile the page is the unminified build, traced and profiled during the drag, and each
 * task over 50 ms is printed with its parts (script by function, style, layout, paint, GC).
 *
 * With --compare MODE the page is in compare mode (B = A with activation MODE, or untied), whose
 * drag computes B's row with A's in every frame.
 *
 *   node --import ./src/node/register.mjs bench/drag.ts [--frames 40] [--seconds 5] [--engine cpu,reference,webgpu] [--no-browser] [--profile] [--compare untied]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { parseConfig, type Config } from '../src/core/config.ts';
import type { Engine } from '../src/core/engine.ts';
import { previewConfigs } from '../src/core/spectrum-edit.ts';
import { ensureVulkanDriver } from '../src/node/vulkan.ts';
import { startLab } from '../tests/e2e/harness.ts';
import { describeLongTasks, longTasks, mainThreadTasks, TRACE_CATEGORIES, type LongTask } from './long-tasks.ts';
import { nodeBenchEngines } from './engines.ts';
import { describeMachine, machineLine } from './machine.ts';
import { median } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '5' },
    'no-browser': { type: 'boolean', default: false },
    /** Trace the drag (devtools.timeline) and take a CPU profile: print what each long task was made of (unminified build). */
    profile: { type: 'boolean', default: false },
    /** Compare mode in the browser drag (e.g. untied: B = A with untied weights, computed live with A). */
    compare: { type: 'string' },
    engine: { type: 'string' },
  },
});
const frames = Math.max(3, Number(args.frames));
const wantEngines = args.engine ? new Set(args.engine.split(',')) : null;
const dragSeconds = Number(args.seconds);
const vulkan = ensureVulkanDriver();

/** The q-quantile of xs (nearest rank), NaN when empty. */
function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** The default size with the spectrum init on the outlier axis (the "One eigenvalue above 1" spectrum). */
const BASE: Config = parseConfig({ init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0', sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3, rhoCount: 26, activation: 'tanh' });

/** Frame i of a drag: the outlier's magnitude sweeps 0.85..1.25 and its direction turns a little, so no frame repeats one before it. */
function frameConfig(i: number): Config {
  const m = 0.85 + 0.4 * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / frames));
  const angle = 0.3 * Math.sin((2 * Math.PI * i) / frames) + 1e-3 * i;
  const config = { ...BASE, outliers: `${Math.cos(angle).toFixed(4)},${Math.sin(angle).toFixed(4)}` };
  return previewConfigs(config, m).run;
}

interface NodeRow {
  engine: string;
  adapter: string;
  frames: number;
  ms: number[];
  medianMs: number;
  /**
   * CPU time of this process (every thread: the engine's workers too) per frame, ms: what a frame
   * costs whatever else the machine runs; on an idle machine its wall time is about this over the
   * threads that work in parallel, plus the messages between them.
   */
  cpuMs: number[];
  medianCpuMs: number;
}

async function nodeFrames(): Promise<NodeRow[]> {
  const rows: NodeRow[] = [];
  for (const be of (await nodeBenchEngines()).filter((e) => !wantEngines || wantEngines.has(e.name))) {
    let engine: Engine;
    try {
      engine = await be.create();
    } catch (e) {
      console.log(`${be.name}: not available (${(e as Error).message})`);
      continue;
    }
    try {
      await engine.run(frameConfig(0)); // warm-up: workers, pipelines, compiled code
      const ms: number[] = [];
      const cpuMs: number[] = [];
      for (let i = 1; i <= frames; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await engine.run(frameConfig(i));
        ms.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpuMs.push((c.user + c.system) / 1000);
      }
      const row = { engine: be.name, adapter: engine.adapter, frames, ms, medianMs: median(ms), cpuMs, medianCpuMs: median(cpuMs) };
      rows.push(row);
      console.log(
        `node ${be.name} (${engine.adapter}): one drag frame median ${row.medianMs.toFixed(1)} ms wall over ${frames} frames (min ${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)}); ` +
          `CPU time (all threads) median ${row.medianCpuMs.toFixed(1)} ms per frame`,
      );
    } finally {
      engine.dispose();
    }
  }
  return rows;
}

interface BrowserResult {
  seconds: number;
  /** CDP Performance metrics over the drag: the page's main-thread CPU time (ThreadTime), its tasks' wall time, and JavaScript's. */
  mainThreadCpuSeconds: number;
  mainThreadTaskSeconds: number;
  scriptSeconds: number;
  pointerMoves: number;
  animationFrames: number;
  liveRows: number;
  liveMs: number[];
  liveMedianMs: number;
  liveEngines: string[];
  longTasksMs: number[];
  longestTaskMs: number | null;
  /** Over the drag: updates per component (its tag), resize-observer callbacks, WebGL draw calls. */
  counts: Record<string, number>;
  /** Main-thread tasks during the drag (traced), those whose CPU time was over 50 ms, the longest and the 99th percentile by CPU time, ms. */
  tasks: number;
  tasksOver50MsCpu: number[];
  longestTaskCpuMs: number;
  tasksCpuP99Ms: number;
  /** Tasks over 50 ms from the release until the full sweep is on screen (not part of the drag's budget). */
  afterReleaseLongTasksMs: number[];
  /** With --profile: what each long task was made of. */
  profiled: LongTask[] | null;
}

type PageHook = {
  snapshot(): { run: { status: string }; result: unknown; live: { wallMs: number; engine: string } | null };
};

async function browserDrag(): Promise<BrowserResult> {
  const lab = await startLab({ minify: !args.profile });
  try {
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 800 } });
    // The Node loader keeps function names with a __name helper that the page does not have.
    await page.addInitScript('window.__name = (f) => f;');
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[][]; __counts: Record<string, number> };
      w.__longTasks = [];
      // What the page redoes during the drag: component updates (per tag), resize-observer
      // callbacks and WebGL draw calls, counted from here on (reset when the drag starts).
      w.__counts = {};
      const count = (k: string) => (w.__counts[k] = (w.__counts[k] ?? 0) + 1);
      const RO = window.ResizeObserver;
      window.ResizeObserver = class extends RO {
        constructor(cb: ResizeObserverCallback) {
          super((entries, obs) => {
            count('resize-observer');
            cb(entries, obs);
          });
        }
      };
      for (const name of ['drawElements', 'drawArrays'] as const) {
        const proto = WebGL2RenderingContext.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
        const f = proto[name];
        proto[name] = function (this: unknown, ...a: unknown[]) {
          count('webgl-draw');
          return f.apply(this, a);
        };
      }
      const define = customElements.define.bind(customElements);
      customElements.define = (tag: string, cls: CustomElementConstructor, o?: ElementDefinitionOptions) => {
        const proto = cls.prototype as { update?: (...a: unknown[]) => unknown };
        const update = proto.update;
        if (update)
          proto.update = function (this: unknown, ...a: unknown[]) {
            count(tag);
            return update.apply(this, a);
          };
        define(tag, cls, o);
      };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    const hash = Object.entries({ init: 'spectrum', bulk: BASE.bulk, outliers: BASE.outliers, sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3, rhoCount: 26, rho: 0.9, ...(args.compare ? { cmp: args.compare } : {}) })
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    await page.goto(`${lab.url}#${hash}`);
    const idle = () =>
      page.waitForFunction(
        () => {
          const l = (window as unknown as { __lab?: PageHook }).__lab;
          return !!l && l.snapshot().run.status !== 'running' && l.snapshot().result !== null;
        },
        null,
        { timeout: 600_000, polling: 200 },
      );
    await idle();
    // auto's one-time measurement of the engines runs after the first picture: let it finish first.
    await page.evaluate(async () => {
      const r = (window as unknown as { __labRobust?: { calibration(): Promise<string> } }).__labRobust;
      if (r) await r.calibration();
    });
    await page.locator('lab-spectrum').scrollIntoViewIfNeeded();
    const handle = page.locator('lab-spectrum [data-handle="outlier-0"] circle.ring');
    const plot = (await page.locator('lab-spectrum .plot').boundingBox())!;
    const h = (await handle.boundingBox())!;
    const centre = { x: plot.x + plot.width / 2, y: plot.y + plot.height / 2 };
    const at = { x: h.x + h.width / 2, y: h.y + h.height / 2 };
    const perUnit = (at.x - centre.x) / 0.9;
    // Record every live row the page shows and every animation frame, from inside the page.
    await page.evaluate(() => {
      const w = window as unknown as { __lab: PageHook; __drag: { live: number[]; engines: string[]; frames: number; stop: boolean; start: number } };
      w.__drag = { live: [], engines: [], frames: 0, stop: false, start: performance.now() };
      (window as unknown as { __counts: Record<string, number> }).__counts = {};
      let last: unknown = null;
      const tick = () => {
        const d = w.__drag;
        if (d.stop) return;
        d.frames++;
        const l = w.__lab.snapshot().live;
        if (l && l !== last) {
          d.live.push(l.wallMs);
          d.engines.push(l.engine);
        }
        last = l;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [m.name, m.value]));
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    // Traced always (the tasks, without their insides, unless --profile): each task's CPU time beside its wall time.
    await lab.browser.startTracing(page, { categories: args.profile ? TRACE_CATEGORIES : ['toplevel', 'devtools.timeline'] });
    if (args.profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const m0 = await metrics();
    // The drag itself: one pointer move per animation frame for dragSeconds (as a hand at display
    // rate), back and forth between |lambda_1| = 0.85 and 1.25 once every 2 s, dispatched in the
    // page on the plot's svg with the mouse's pointer id (the real button press captured it).
    const moves = await page.evaluate(
      ([seconds, cx, y, perUnit]) =>
        new Promise<number>((resolve) => {
          const svgEl = document.querySelector('lab-app')!.shadowRoot!.querySelector('lab-spectrum')!.shadowRoot!.querySelector('svg')!;
          const start = performance.now();
          let n = 0;
          const step = (now: number) => {
            if (now - start > seconds * 1000) return resolve(n);
            const re = 1.05 - 0.2 * Math.cos(((now - start) / 2000) * 2 * Math.PI);
            svgEl.dispatchEvent(new PointerEvent('pointermove', { pointerId: 1, pointerType: 'mouse', isPrimary: true, clientX: cx + re * perUnit, clientY: y, buttons: 1, bubbles: true, composed: true }));
            n++;
            requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        }),
      [dragSeconds, centre.x, at.y, perUnit] as const,
    );
    const m1 = await metrics();
    const drag = await page.evaluate(() => {
      const w = window as unknown as { __drag: { live: number[]; engines: string[]; frames: number; stop: boolean; start: number }; __longTasks: number[][] };
      w.__drag.stop = true;
      const long = w.__longTasks.filter(([start]) => start >= w.__drag.start).map(([, d]) => d);
      const counts = { ...(window as unknown as { __counts: Record<string, number> }).__counts };
      return { ...w.__drag, long, counts, seconds: (performance.now() - w.__drag.start) / 1000 };
    });
    let profiled: LongTask[] | null = null;
    const profile = args.profile ? (await cdp.send('Profiler.stop')).profile : null;
    const trace = JSON.parse((await lab.browser.stopTracing()).toString('utf8')) as { traceEvents: Parameters<typeof longTasks>[0] };
    const tasks = mainThreadTasks(trace.traceEvents);
    if (profile) {
      profiled = longTasks(trace.traceEvents, profile);
      for (const line of describeLongTasks(profiled)) console.log(line);
    }
    // The release: the full sweep of the new spectrum runs, and every panel redraws once with it.
    const released = await page.evaluate(() => performance.now());
    await page.mouse.up();
    await idle();
    const afterRelease = await page.evaluate(
      (from) => (window as unknown as { __longTasks: number[][] }).__longTasks.filter(([start]) => start >= from).map(([, d]) => d),
      released,
    );
    const cpu = (k: string) => (m1[k] ?? NaN) - (m0[k] ?? NaN);
    return {
      seconds: drag.seconds,
      mainThreadCpuSeconds: cpu('ThreadTime'),
      mainThreadTaskSeconds: cpu('TaskDuration'),
      scriptSeconds: cpu('ScriptDuration'),
      pointerMoves: moves,
      animationFrames: drag.frames,
      liveRows: drag.live.length,
      liveMs: drag.live,
      liveMedianMs: drag.live.length ? median(drag.live) : NaN,
      liveEngines: [...new Set(drag.engines)],
      longTasksMs: drag.long,
      longestTaskMs: drag.long.length ? Math.max(...drag.long) : null,
      counts: drag.counts,
      afterReleaseLongTasksMs: afterRelease,
      tasks: tasks.length,
      tasksOver50MsCpu: tasks.filter((t) => t.cpuMs > 50).map((t) => t.cpuMs),
      longestTaskCpuMs: Math.max(0, ...tasks.map((t) => t.cpuMs).filter(Number.isFinite)),
      tasksCpuP99Ms: percentile(tasks.map((t) => t.cpuMs).filter(Number.isFinite), 0.99),
      profiled,
    };
  } finally {
    await lab.close();
  }
}

const machine = describeMachine();
console.log(`machine: ${machineLine(machine)}; Vulkan: ${vulkan}`);
console.log(`${args.compare ? `compare mode in the browser: B = ${args.compare}; ` : ''}drag frame: N = ${BASE.hidden}, T = ${BASE.steps}, S = ${BASE.samples}, one row (K = 1), ${BASE.activation}, spectrum init (${BASE.bulk}, one outlier moved every frame)`);
const node = await nodeFrames();
const fastest = node.reduce<NodeRow | null>((b, r) => (!b || r.medianMs < b.medianMs ? r : b), null);
if (fastest) console.log(`fastest Node engine: ${fastest.engine}, median ${fastest.medianMs.toFixed(1)} ms per drag frame (target <= 16 ms)`);
let browser: BrowserResult | null = null;
if (!args['no-browser']) {
  browser = await browserDrag();
  console.log(
    `chromium: ${browser.seconds.toFixed(1)} s drag, ${browser.pointerMoves} pointer moves, ${browser.animationFrames} frames, ${browser.liveRows} live rows shown (median ${browser.liveMedianMs.toFixed(1)} ms each as the page saw it, on ${browser.liveEngines.join(', ') || 'none'}); ` +
      `main-thread tasks over 50 ms: ${browser.longTasksMs.length}${browser.longestTaskMs !== null ? ` (longest ${browser.longestTaskMs.toFixed(0)} ms)` : ''}; ` +
      `main thread over the drag: ${(browser.mainThreadCpuSeconds * 1000).toFixed(0)} ms CPU, ${(browser.mainThreadTaskSeconds * 1000).toFixed(0)} ms in tasks (wall), ${(browser.scriptSeconds * 1000).toFixed(0)} ms script; ` +
      `${((browser.mainThreadCpuSeconds * 1000) / Math.max(1, browser.pointerMoves)).toFixed(1)} ms CPU per pointer move`,
  );
  console.log(
    `the same drag by main-thread CPU time (traced; what the page's own work costs, however loaded the machine): ${browser.tasks} tasks, ` +
      `${browser.tasksOver50MsCpu.length} over 50 ms, longest ${browser.longestTaskCpuMs.toFixed(1)} ms, 99th percentile ${browser.tasksCpuP99Ms.toFixed(1)} ms`,
  );
  const after = browser.afterReleaseLongTasksMs;
  console.log(`after the release (full sweep computed and drawn): ${after.length} tasks over 50 ms${after.length ? ` (${after.map((d) => d.toFixed(0)).join(', ')} ms)` : ''}`);
  console.log(`redone during the drag: ${Object.entries(browser.counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
}
const loadAtEnd = loadavg()[0];
console.log(`load average: ${machine.loadAverageAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at the end (other processes share this machine)`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/drag-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ machine, loadAverageAtEnd: loadAtEnd, config: BASE, compare: args.compare ?? 'off', node, fastest: fastest?.engine ?? null, browser }, null, 2));
console.log(`wrote ${file}`);
process.exit(0);
