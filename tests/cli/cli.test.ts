/**
 * rnnlab end to end: `node bin/rnnlab.mjs` spawned as a user would run it, small configs.
 * Flows: sweep writing every format, render redrawing a saved bundle to the same pixels,
 * --out FILE.json. Bad input: every case exits 2 with a message naming the problem and
 * leaves no file behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decode } from 'fast-png';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldFromBundle } from '../../src/core/bundle.ts';
import { parseConfig } from '../../src/core/config.ts';
import { GRID_NAMES, nearestRhoIndex } from '../../src/core/field.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { chartPng } from '../../src/export/chart.ts';
import { renderHeatmapPng } from '../../src/export/heatmap.ts';
import { renderRatePng } from '../../src/export/rate.ts';
import { buildSliceScene, sliceFromField } from '../../src/export/slice.ts';
import { buildSpectrumScene } from '../../src/export/spectrum.ts';
import { readNpy } from '../../src/export/npy.ts';
import { loadFigureFont } from '../../src/cli/font.ts';
import { main } from '../../src/cli/main.ts';
import { dawnRequirement, itNeeding } from '../helpers/requirements.ts';

const BIN = resolve('bin/rnnlab.mjs');
/** The --backend webgpu run needs a Dawn adapter: where there is none, it fails, naming what to install. */
const DAWN = await dawnRequirement();
const SMALL = ['--hidden', '6', '--input', '2', '--steps', '24', '--rho', '0.5:1.5:5', '--samples', '2', '--seed', '9'];
const SLUG = 'tanh-gaussian-N6-T24-S2-seed9';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnnlab-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rnnlab(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rnnlab sweep and render', () => {
  it('a long sweep piped to a log says its work and predicted time first, then a progress line every --progress-every seconds', () => {
    // 164 GFLOP on the CPU engine: about 2 s on 2 cores (longer under load), so that lines
    // every 0.3 s must appear; what is asserted is their presence and form, not the speed.
    const long = ['--hidden', '256', '--steps', '600', '--rho', '0.5:1.5:32', '--samples', '32', '--seed', '3', '--backend', 'cpu'];
    const r = spawnSync(process.execPath, [BIN, 'sweep', ...long, '--progress-every', '0.3', '--out', 'long.json'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const forecast = lines.findIndex((l) => /^rnnlab: work [\d.]+ GFLOP \(forward \+ BPTT, 1024 sequences x 600 steps\); the cpu engine ran \d+-step and 1-step samples at [\d.]+ GFLOP\/s here: about (\d+ ms|\d+ s|\d+ min \d\d s)$/.test(l));
    const progress = lines.filter((l) => /^rnnlab: sweeping: \d+% \(\d+ of 1024 sequences\), \d+ s elapsed(, about \d+ s left)?$/.test(l));
    expect(forecast, r.stderr).toBeGreaterThan(-1);
    expect(progress.length, r.stderr).toBeGreaterThanOrEqual(2);
    expect(lines.indexOf(progress[0])).toBeGreaterThan(forecast);
    expect(r.stderr).not.toContain('\r');
  }, 200_000);

  it('--progress-every must be a positive number of seconds', () => {
    const r = rnnlab(['sweep', ...SMALL, '--progress-every', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--progress-every must be a number of seconds > 0, not "0"/);
  });

  it('sweep writes every format, named by the config, and says what it did', () => {
    const r = rnnlab(['sweep', ...SMALL, '--backend', 'reference', '--format', 'json,csv,npy,png,svg', '--field', 'grad,saturation', '--out', 'all']);
    expect(r.stderr).toMatch(/backend reference/);
    expect(r.code).toBe(0);
    const names = [
      `run-${SLUG}.json`,
      `field-${SLUG}.csv`,
      `field-${SLUG}.npz`,
      `grad-${SLUG}.png`,
      `saturation-${SLUG}.png`,
      `grad-${SLUG}.svg`,
      `saturation-${SLUG}.svg`,
    ];
    expect(readdirSync(join(dir, 'all')).sort()).toEqual([...names].sort()); // no temp files left
    // One summary line at the end: backend, adapter, time, every file.
    const last = r.stderr.trimEnd().split('\n').pop() ?? '';
    expect(last).toMatch(/^rnnlab: done: backend reference on .+, run \d+\.\d\d s, total \d+\.\d\d s; wrote /);
    for (const n of names) expect(last).toContain(join('all', n));
    // Not a terminal: no progress bar.
    expect(r.stderr).not.toContain('\r');
    expect(r.stdout).toBe('');
  });

  it('the files hold the run: bundle grids equal an in-process reference run, PNG decodes, NPZ and CSV have every grid', async () => {
    const field = fieldFromBundle(readFileSync(join(dir, 'all', `run-${SLUG}.json`), 'utf8'));
    const config = parseConfig({ hidden: 6, input: 2, steps: 24, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 5, samples: 2, seed: 9 });
    expect(field.config).toEqual(config);
    const again = await new ReferenceEngine().run(config);
    for (const g of GRID_NAMES) expect(field.grids[g]).toEqual(again.grids[g]); // same float64 engine, same seed: bit-equal
    const png = decode(readFileSync(join(dir, 'all', `grad-${SLUG}.png`)));
    expect(png.width).toBeGreaterThan(600);
    const npz = unzipSync(readFileSync(join(dir, 'all', `field-${SLUG}.npz`)));
    expect(readNpy(npz['gradLog10Mean.npy']).shape).toEqual([5, 24]);
    const csv = readFileSync(join(dir, 'all', `field-${SLUG}.csv`), 'utf8');
    expect(csv.split('\n')[0]).toBe(['rho', 't', ...GRID_NAMES, 'overflow'].join(','));
    expect(csv.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length).toBe(1 + 5 * 24);
  });

  it('render redraws the saved bundle to exactly the pixels the sweep drew', () => {
    const bundle = join(dir, 'all', `run-${SLUG}.json`);
    const r = rnnlab(['render', bundle, '--format', 'png,svg', '--out', 'redrawn', '--scale', '2', '--colormap', 'magma', '--plot-size', '400x300']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^rnnlab: done: rendered a reference run .* wrote redrawn\/grad-.*\.png, redrawn\/grad-.*\.svg\n$/);
    expect(readdirSync(join(dir, 'redrawn')).sort()).toEqual([`grad-${SLUG}.png`, `grad-${SLUG}.svg`]);
    const field = fieldFromBundle(readFileSync(bundle, 'utf8'));
    const mine = renderHeatmapPng(field, loadFigureFont(), { grid: 'gradLog10Mean', scale: 2, colormap: 'magma', plotWidth: 400, plotHeight: 300 });
    expect(Buffer.from(readFileSync(join(dir, 'redrawn', `grad-${SLUG}.png`))).equals(Buffer.from(mine))).toBe(true);
    // The sweep's 1x PNG (drawn from the live field) equals a 1x render of the bundle.
    const r1 = rnnlab(['render', bundle, '--out', 'redrawn1']);
    expect(r1.code).toBe(0);
    expect(readFileSync(join(dir, 'redrawn1', `grad-${SLUG}.png`)).equals(readFileSync(join(dir, 'all', `grad-${SLUG}.png`)))).toBe(true);
  });

  it('render --figure slice,spectrum draws the slice chart and the eigenvalues at --at-rho, the same bytes as the shared renderer', () => {
    const bundle = join(dir, 'all', `run-${SLUG}.json`);
    const r = rnnlab(['render', bundle, '--format', 'png,svg', '--figure', 'slice,spectrum', '--at-rho', '1.3', '--scale', '2', '--out', 'plots']);
    expect(r.code, r.stderr).toBe(0);
    // 1.3 snaps to the sweep's nearest rho, 1.25 (0.5:1.5:5).
    const names = [`slice-rho1.250-${SLUG}.png`, `slice-rho1.250-${SLUG}.svg`, `spectrum-rho1.250-${SLUG}.png`, `spectrum-rho1.250-${SLUG}.svg`];
    expect(readdirSync(join(dir, 'plots')).sort()).toEqual([...names].sort());
    const field = fieldFromBundle(readFileSync(bundle, 'utf8'));
    const font = loadFigureFont();
    const slice = chartPng(buildSliceScene(sliceFromField(field, null, 1.25), field.config, font, { scale: 2 }), font);
    expect(readFileSync(join(dir, 'plots', names[0])).equals(Buffer.from(slice))).toBe(true);
    const spectrum = chartPng(buildSpectrumScene(field.spectrum, 1.25, field.config, font, { scale: 2, rhoMax: 1.5 }), font);
    expect(readFileSync(join(dir, 'plots', names[2])).equals(Buffer.from(spectrum))).toBe(true);
    expect(readFileSync(join(dir, 'plots', names[1]), 'utf8')).toContain('time step t');
    expect(readFileSync(join(dir, 'plots', names[3]), 'utf8')).toContain('Re \u03bb');
    // --figure all adds the heatmap and the rate chart (the --at-rho row highlighted, as the lab's slider row); --help documents both flags.
    const all = rnnlab(['render', bundle, '--format', 'png,svg', '--figure', 'all', '--out', 'plots-all']);
    expect(all.code, all.stderr).toBe(0);
    const png = [`grad-${SLUG}.png`, `rate-${SLUG}.png`, `slice-rho1.000-${SLUG}.png`, `spectrum-rho1.000-${SLUG}.png`];
    expect(readdirSync(join(dir, 'plots-all')).sort()).toEqual([...png, ...png.map((n) => n.replace(/png$/, 'svg'))].sort());
    const rate = renderRatePng(field, font, { scale: 1, highlightK: nearestRhoIndex(field.rho, 1) });
    expect(readFileSync(join(dir, 'plots-all', `rate-${SLUG}.png`)).equals(Buffer.from(rate))).toBe(true);
    expect(readFileSync(join(dir, 'plots-all', `rate-${SLUG}.svg`), 'utf8')).toContain('Gradient rate per step against');
    const help = rnnlab(['render', '--help']);
    expect(help.stdout).toMatch(/--figure <list>/);
    expect(help.stdout).toMatch(/--at-rho <value>/);
  });

  it('--out FILE.json with the default format writes that one bundle', () => {
    const r = rnnlab(['sweep', ...SMALL, '--backend', 'reference', '--out', 'one/run.json']);
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'one'))).toEqual(['run.json']);
    expect(fieldFromBundle(readFileSync(join(dir, 'one', 'run.json'), 'utf8')).K).toBe(5);
  });

  itNeeding(DAWN, '--backend webgpu runs through Dawn (SwiftShader here) and names the adapter; --backend auto names its choice and why', () => {
    const gpu = rnnlab(['sweep', ...SMALL, '--backend', 'webgpu', '--format', 'json,png', '--out', 'gpu']);
    // /m: the Vulkan loader may print its own harmless lines (XDG_RUNTIME_DIR) first.
    // SwiftShader is a fallback adapter: the persistent kernels, and the line says so.
    expect(gpu.stderr).toMatch(/^rnnlab: backend webgpu \(.+\): asked for WebGPU; fallback adapter: persistent kernels .*$/m);
    expect(gpu.code).toBe(0);
    const field = fieldFromBundle(readFileSync(join(dir, 'gpu', `run-${SLUG}.json`), 'utf8'));
    expect([field.meta.backend, field.meta.precision]).toEqual(['webgpu', 'float32']);
    expect(existsSync(join(dir, 'gpu', `grad-${SLUG}.png`))).toBe(true);
    const auto = rnnlab(['sweep', ...SMALL, '--out', 'auto.json']);
    expect(auto.code).toBe(0);
    expect(auto.stderr).toMatch(/^rnnlab: backend (webgpu|cpu) \(.+\): auto: .+$/m);
    const chosen = /^rnnlab: backend (\w+)/m.exec(auto.stderr)?.[1];
    expect(fieldFromBundle(readFileSync(join(dir, 'auto.json'), 'utf8')).meta.backend).toBe(chosen);
  });
});

describe('bad input: a clear message, exit 2, nothing written', () => {
  // Spawned, as a user meets them: the cases the issue names.
  const spawned: [string, string[], RegExp][] = [
    ['unknown flag', ['sweep', '--hiden', '8', '--out', 'out'], /unknown option '--hiden'/],
    ['out-of-range value', ['sweep', '--hidden', '0', '--out', 'out'], /--hidden: Hidden size N must be a whole number between 1 and 1024; you entered 0/],
    ['unreadable bundle', ['render', 'missing.json', '--out', 'out'], /cannot read the bundle missing\.json: ENOENT/],
    ['unknown figure', ['sweep', '--figure', 'slices', '--format', 'png', '--out', 'out'], /--figure: "slices" is not a figure; expected all, or a comma list of heatmap, slice, spectrum, rate/],
    ['bad --at-rho', ['sweep', '--at-rho', 'one', '--format', 'png', '--out', 'out'], /--at-rho: "one" is not allowed; expected a number in 0\.\.10/],
  ];
  for (const [what, args, message] of spawned) {
    it(what, () => {
      const cwd = mkdtempSync(join(dir, 'bad-'));
      const r = rnnlab(args, cwd);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(readdirSync(cwd)).toEqual([]);
    });
  }

  // In process (main() with captured output, the same code path after argv), to keep the suite fast.
  const inProcess: [string, string[], RegExp][] = [
    ['non-numeric value', ['sweep', '--steps', 'ten'], /--steps: Steps T must be a number \(a whole number between 1 and 5000\); you entered "ten"/],
    ['malformed --rho', ['sweep', '--rho', '1.5:0.5'], /rho: "1\.5:0\.5" does not have three parts/],
    ['unknown format', ['sweep', '--format', 'png,gif'], /--format: "gif" is not a format/],
    ['bad scale', ['sweep', '--format', 'png', '--scale', '3'], /--scale: "3" is not allowed; expected one of 1, 2, 4/],
    ['bad colour map', ['sweep', '--format', 'png', '--colormap', 'jet'], /--colormap: "jet" is not allowed/],
    ['bad field', ['sweep', '--format', 'png', '--field', 'grad,loss'], /--field: "loss" is not a grid/],
    ['bad range', ['sweep', '--format', 'png', '--range', '0:-1'], /--range: "0:-1" is not a colour range/],
    ['bad plot size', ['sweep', '--format', 'png', '--plot-size', '50x2000'], /--plot-size: "50x2000" is not allowed/],
    ['unknown backend', ['sweep', '--backend', 'tpu'], /argument 'tpu' is invalid/],
    ['unknown WebGPU variant', ['sweep', '--webgpu-variant', 'fast'], /argument 'fast' is invalid.*Allowed choices are auto, persistent, tiled/],
    ['WebGPU variant for the CPU engine', ['sweep', '--backend', 'cpu', '--webgpu-variant', 'tiled'], /--webgpu-variant tiled applies to the webgpu backend, not --backend cpu/],
    ['stray argument', ['sweep', 'extra'], /too many arguments/],
    ['no command', [], /no command given/],
    ['a directory as the bundle', ['render', '.'], /cannot read the bundle \.: EISDIR/],
    ['render to json', ['render', 'b.json', '--format', 'json'], /--format: "json" is not a format this command writes/],
  ];
  for (const [what, args, message] of inProcess) {
    it(what, async () => {
      const out = mkdtempSync(join(dir, 'bad-'));
      let err = '';
      const code = await main([...args, ...(args.length > 0 ? ['--out', join(out, 'out')] : [])], { out: () => {}, err: (s) => (err += s) });
      expect(err).toMatch(message);
      expect(code).toBe(2);
      expect(readdirSync(out)).toEqual([]);
    });
  }

  it('an interrupted run (Ctrl-C) exits 130, writes nothing and removes the directories it made', async () => {
    const out = join(dir, 'interrupted', 'deep');
    const interrupt = new AbortController();
    let err = '';
    const running = main(['sweep', '--hidden', '32', '--steps', '400', '--rho', '0.5:1.5:16', '--samples', '8', '--backend', 'reference', '--format', 'png', '--out', out], {
      out: () => {},
      err: (s) => (err += s),
      signal: interrupt.signal,
    });
    setTimeout(() => interrupt.abort(), 300);
    expect(await running).toBe(130);
    expect(err).toMatch(/interrupted; nothing was written/);
    expect(existsSync(join(dir, 'interrupted'))).toBe(false);
  });

  it('one .json file asked to hold several formats', async () => {
    let err = '';
    const code = await main(['sweep', '--format', 'json,png', '--out', join(dir, 'x.json')], { out: () => {}, err: (s) => (err += s) });
    expect(err).toMatch(/names one \.json file, but --format asks for json, png; give a directory/);
    expect(code).toBe(2);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  it('corrupt bundles: truncated (spawned), not a bundle, wrong shape', async () => {
    const cwd = mkdtempSync(join(dir, 'corrupt-'));
    const good = readFileSync(join(dir, 'all', `run-${SLUG}.json`), 'utf8');
    const bundle = JSON.parse(good);
    bundle.grids.gradLog10Mean[2].pop();
    const files: [string, string, RegExp][] = [
      ['truncated.json', good.slice(0, good.length / 2), /truncated\.json is not a usable run bundle: the file is not valid JSON .*is it truncated\?/],
      ['other.json', '{"hello": 1}', /other\.json is not a usable run bundle: this is not an RNN Gradient Lab bundle/],
      ['shape.json', JSON.stringify(bundle), /shape\.json is not a usable run bundle: grid gradLog10Mean row 2 has 23 columns; expected T = 24/],
    ];
    for (const [name, text] of files) writeFileSync(join(cwd, name), text);
    const r = rnnlab(['render', files[0][0], '--out', 'out'], cwd);
    expect(r.stderr).toMatch(files[0][2]);
    expect(r.code).toBe(2);
    for (const [name, , message] of files.slice(1)) {
      let err = '';
      const code = await main(['render', join(cwd, name), '--out', join(cwd, 'out')], { out: () => {}, err: (s) => (err += s) });
      expect(err).toMatch(message);
      expect(code).toBe(2);
    }
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  it('unwritable output path: refused before the run, nothing left', async () => {
    const cwd = mkdtempSync(join(dir, 'unwritable-'));
    writeFileSync(join(cwd, 'a-file'), 'x');
    const r = rnnlab(['sweep', ...SMALL, '--format', 'png', '--out', 'a-file/figures'], cwd);
    expect(r.stderr).toMatch(/cannot write to .*a-file\/figures: ENOTDIR/);
    expect(r.stderr).not.toMatch(/backend/); // refused before an engine was made
    expect(r.code).toBe(2);
    expect(readdirSync(cwd)).toEqual(['a-file']);
    let err = '';
    const code = await main(['render', join(dir, 'all', `run-${SLUG}.json`), '--out', join(cwd, 'a-file')], { out: () => {}, err: (s) => (err += s) });
    expect(err).toMatch(/cannot write to .*a-file: EEXIST/);
    expect(code).toBe(2);
    expect(readdirSync(cwd)).toEqual(['a-file']);
  });
});
