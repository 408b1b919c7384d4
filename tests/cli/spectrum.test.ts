/**
 * rnnlab with a chosen spectrum, the outlier axis and untied weights: --help, runs (in process,
 * main() with captured output) checked against an in-process reference run, and bad input.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldFromBundle } from '../../src/core/bundle.ts';
import { parseConfig } from '../../src/core/config.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { main } from '../../src/cli/main.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnnlab-spectrum-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rnnlab(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const SMALL = ['--hidden', '8', '--input', '2', '--steps', '10', '--samples', '2', '--seed', '5'];

describe('rnnlab sweep: chosen spectrum, outlier axis, untied weights', () => {
  it('--help documents the spectrum, the outlier axis (with --rho as its magnitude) and untied weights', async () => {
    const r = await rnnlab(['sweep', '--help']);
    expect(r.code).toBe(0);
    for (const text of ['--bulk <value>', '--outliers <value>', '--outlier <re,im>', '--sweep <value>', '--weights <value>', "the first outlier's magnitude", 'T eigenvalue computations', 'does not apply to init spectrum']) {
      expect(r.out.replace(/\s+/g, ' ')).toContain(text);
    }
  });

  it('--sweep outlier with repeated --outlier: runs on the asked engine, the bundle holds the spectrum and its grids', async () => {
    const out = join(dir, 'outlier.json');
    const r = await rnnlab(['sweep', '--init', 'spectrum', '--bulk', 'disk:0.8', '--outlier', '1.1,0', '--outlier', '0.3,0.9', '--sweep', 'outlier', '--rho', '0.8:1.3:3', '--activation', 'relu', ...SMALL, '--backend', 'reference', '--out', out]);
    expect(r.err).toMatch(/backend reference /);
    expect(r.code).toBe(0);
    const field = fieldFromBundle(JSON.parse(readFileSync(out, 'utf8')));
    expect(field.config).toMatchObject({ init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0;0.3,0.9', sweep: 'outlier' });
    const want = await new ReferenceEngine().run(parseConfig(field.config));
    expect(Array.from(field.grids.gradLog10Mean)).toEqual(Array.from(want.grids.gradLog10Mean));
  });

  it('--sweep outlier with --weights untied runs on the float32 CPU engine', async () => {
    const out = join(dir, 'outlier-cpu.json');
    const r = await rnnlab(['sweep', '--init', 'spectrum', '--outlier', '1.1,0', '--sweep', 'outlier', '--weights', 'untied', '--rho', '0.8:1.3:3', ...SMALL, '--backend', 'cpu', '--out', out]);
    expect(r.err).toMatch(/backend cpu \(float32/);
    expect(r.code).toBe(0);
    const field = fieldFromBundle(JSON.parse(readFileSync(out, 'utf8')));
    expect(field.meta.precision).toBe('float32');
    expect(field.config).toMatchObject({ sweep: 'outlier', weights: 'untied' });
  });

  it('files of the outlier axis and of untied weights are named apart from a tied rho sweep', async () => {
    const { exportFileName } = await import('../../src/export/names.ts');
    const tied = parseConfig({ init: 'spectrum' });
    expect(exportFileName(tied, 'run', 'json')).toBe('run-tanh-spectrum-N64-T100-S16-seed1.json');
    expect(exportFileName({ ...tied, sweep: 'outlier', weights: 'untied' }, 'run', 'json')).toBe('run-tanh-spectrum-outlier-untied-N64-T100-S16-seed1.json');
  });

  it('--weights untied says what building the T matrices costs and shows it as progress', async () => {
    const r = await rnnlab(['sweep', '--weights', 'untied', ...SMALL, '--rho', '0.5:1:2', '--progress-every', '0.001', '--out', join(dir, 'untied.json')]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('untied weights: 10 gaussian 8x8 matrices, each normalised to spectral radius 1 exactly: 10 eigenvalue computations');
  });
});

describe('rnnlab sweep: bad spectrum input exits 2 with a message naming the field, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['more outliers than N allows', ['--init', 'spectrum', '--hidden', '3', '--outlier', '0.5,0.5', '--outlier', '1,1'], /Outliers: "0\.5,0\.5;1,1" takes 4 eigenvalues.*Hidden size N \(3\)/],
    ['five outliers', ['--init', 'spectrum', '--outlier', '1,0', '--outlier', '1,0', '--outlier', '1,0', '--outlier', '1,0', '--outlier', '1,0'], /at most 4/],
    ['a bad bulk', ['--init', 'spectrum', '--bulk', 'ring:0.5'], /Bulk: "ring:0\.5" has shape "ring", not one of disk, circle, segment/],
    ['normalize with init spectrum', ['--init', 'spectrum', '--normalize', 'norm'], /Normalise W0 to: "norm" does not apply to init spectrum/],
    ['sweep outlier without init spectrum', ['--sweep', 'outlier'], /Sweep axis: "outlier" moves an eigenvalue of init spectrum/],
    ['both --outlier and --outliers', ['--init', 'spectrum', '--outliers', '1,0', '--outlier', '1,0'], /not both/],
    ['untied weights that do not fit', ['--weights', 'untied', '--hidden', '1024', '--steps', '5000'], /weights: untied needs 5000 matrices of 1024x1024 float64, 39\.1 GiB.*reduce Steps T to at most 64/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const out = mkdtempSync(join(dir, 'bad-'));
      const r = await rnnlab(['sweep', ...args, '--out', join(out, 'out')]);
      expect(r.err).toMatch(message);
      expect(r.code).toBe(2);
      expect(readdirSync(out)).toEqual([]);
    });
  }
});
