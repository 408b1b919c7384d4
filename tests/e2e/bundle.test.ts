/**
 * The lab's production bundle (`vite build`, what ships): no Dawn (Node-only), gpu.js only as a
 * chunk loaded when that engine runs, and none of the test hooks, which only a test build
 * (`vite build --mode e2e`, the e2e harness's) carries. The same names are looked for in the
 * test build too, so the check cannot pass by searching for names that never exist.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * What the test hooks leave in a bundle: the page's hook object, the engines' hooks (exported
 * functions: minified names vanish, but their exports are named in the chunks that hold them),
 * and the host worker's actions.
 */
const TEST_HOOK_MARKERS = ['__labRobust', 'loseContextForTest', 'lose-device', 'lose-context', 'live-buffers'];

let prod = '';
let e2e = '';

async function buildInto(mode: 'production' | 'e2e'): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), `rnnlab-${mode}-`));
  await build({ root: ROOT, mode, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
  return outDir;
}

/** Every JavaScript file of a build (page, workers, lazy chunks) by name. */
function scripts(dir: string): Map<string, string> {
  const assets = join(dir, 'assets');
  return new Map(
    readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => [f, readFileSync(join(assets, f), 'utf8')]),
  );
}

beforeAll(async () => {
  // One after the other: two builds at once would only compete for the cores.
  prod = await buildInto('production');
  e2e = await buildInto('e2e');
}, 240_000);

afterAll(() => {
  for (const d of [prod, e2e]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('the production bundle', () => {
  it('holds no Dawn (Node-only) and no gpu.js in the page\'s entry chunk', () => {
    const js = scripts(prod);
    expect(js.size).toBeGreaterThan(0);
    // Dawn (npm webgpu) is Node-only: nowhere in the browser build.
    for (const text of js.values()) expect(text).not.toContain('dawn.node');
    // gpu.js may only come as a chunk loaded when that engine is chosen, never with the page itself.
    const html = readFileSync(join(prod, 'index.html'), 'utf8');
    const entry = /src="\.\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    // (WebGL2FunctionNode is one of gpu.js's own classes; the words "gpu.js" may appear in messages.)
    expect(js.get(entry!)).not.toContain('WebGL2FunctionNode');
    // gpu.js is there, as a lazy chunk: the search above looks for something real.
    expect([...js.values()].some((t) => t.includes('WebGL2FunctionNode'))).toBe(true);
  });

  it('holds none of the test hooks; the e2e build (mode e2e) holds them all', () => {
    const found = (dir: string) => TEST_HOOK_MARKERS.filter((m) => [...scripts(dir).values()].some((t) => t.includes(m)));
    expect(found(prod)).toEqual([]);
    expect(found(e2e)).toEqual(TEST_HOOK_MARKERS);
  });
});
