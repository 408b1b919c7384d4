/** The CLI's parts that a spawned run cannot show: the progress bar on a terminal, and all-or-nothing writes. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS, UsageError, destination, parseFields, parseFormats, parseRange, writeAtomic } from '../../src/cli/outputs.ts';
import { ProgressBar } from '../../src/cli/progress.ts';
import { GRID_NAMES } from '../../src/core/field.ts';

describe('progress bar', () => {
  it('draws on a terminal after the delay, fits the width, and erases itself', () => {
    let out = '';
    const bar = new ProgressBar({ write: (s) => (out += s), isTTY: true, columns: 60 }, 'rnnlab: sweeping', 0);
    bar.update({ fraction: 0.42, phase: 'rho 3 of 8' });
    expect(out).toMatch(/^\rrnnlab: sweeping \[#+\.+\] {2}42%.* rho 3 of 8$/);
    expect(out.length - 1).toBeLessThan(60);
    bar.done();
    expect(out.endsWith('\r')).toBe(true);
    expect(out.slice(out.lastIndexOf('\r', out.length - 2) + 1, -1).trim()).toBe('');
  });

  it('off a terminal: a plain line (no carriage return) once every interval, with the time left', async () => {
    let out = '';
    const pipe = new ProgressBar({ write: (s) => (out += s), isTTY: false }, 'rnnlab: sweeping', 0, 20);
    pipe.update({ fraction: 0.1, phase: '100 of 1000 sequences' });
    expect(out).toBe(''); // the first line comes one interval after the start
    await new Promise((r) => setTimeout(r, 30));
    pipe.update({ fraction: 0.25, phase: '250 of 1000 sequences' });
    pipe.update({ fraction: 0.26, phase: '260 of 1000 sequences' }); // within the interval: no line
    expect(out).toMatch(/^rnnlab: sweeping: 25% \(250 of 1000 sequences\), 0 s elapsed, about \d+ s left\n$/);
    pipe.done();
    expect(out).not.toContain('\r');
  });

  it('stays silent off a terminal within the interval, and for runs shorter than the delay', () => {
    let out = '';
    const pipe = new ProgressBar({ write: (s) => (out += s), isTTY: false }, 'x', 0);
    pipe.update({ fraction: 0.5, phase: '' });
    pipe.done();
    const quick = new ProgressBar({ write: (s) => (out += s), isTTY: true }, 'x', 60_000);
    quick.update({ fraction: 0.5, phase: '' });
    quick.done();
    expect(out).toBe('');
  });
});

describe('writeAtomic', () => {
  it('leaves the old file and no temporary file when writing fails half-way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-atomic-'));
    try {
      const path = join(dir, 'figure.csv');
      writeFileSync(path, 'old');
      function* parts() {
        yield 'first half\n';
        throw new Error('disk full (simulated)');
      }
      expect(() => writeAtomic(path, parts())).toThrow(/disk full/);
      expect(readFileSync(path, 'utf8')).toBe('old');
      expect(readdirSync(dir)).toEqual(['figure.csv']);
      writeAtomic(path, ['new ', new TextEncoder().encode('bytes')]);
      expect(readFileSync(path, 'utf8')).toBe('new bytes');
      expect(readdirSync(dir)).toEqual(['figure.csv']);
      expect(existsSync(join(dir, 'figure.csv'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('flag parsing', () => {
  it('formats, fields and ranges', () => {
    expect(parseFormats('all', FORMATS)).toEqual([...FORMATS]);
    expect(parseFormats(' PNG, svg,png ', FORMATS)).toEqual(['png', 'svg']);
    expect(() => parseFormats(',', FORMATS)).toThrow(UsageError);
    expect(parseFields('grad,hiddenLog10Mean,wgrad')).toEqual(['gradLog10Mean', 'hiddenLog10Mean', 'weightGradLog10']);
    expect(parseFields('all')).toEqual(GRID_NAMES);
    expect(parseRange('-20:0')).toEqual({ min: -20, max: 0 });
    expect(() => parseRange('1:1')).toThrow(/not a colour range/);
    expect(() => parseRange('a:b')).toThrow(/not a colour range/);
  });

  it('--out: a .json file for the bundle alone, else a directory', () => {
    expect(destination('x/run.JSON', ['json']).kind).toBe('file');
    expect(destination('x/figs', ['json']).kind).toBe('dir');
    expect(destination(undefined, ['json'])).toEqual({ kind: 'file', path: join(process.cwd(), 'rnnlab-run.json') });
    expect(destination(undefined, ['png'])).toEqual({ kind: 'dir', path: process.cwd() });
    expect(() => destination('run.json', ['json', 'csv'])).toThrow(/give a directory/);
  });
});
