/**
 * CSV and NPY/NPZ round trips: every value comes back exactly (CSV: shortest round-trip
 * decimals; NPY: float32, so the float64 field rounded once with Math.fround), non-finite cells
 * keep their kind (nan = overflow, -inf = exact zero), the NPY header follows NumPy's v1.0 format,
 * and numpy itself loads both files and finds the same numbers (python3 with numpy missing: a
 * failure in CI, a skip with a printed reason elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GRID_NAMES } from '../../src/core/field.ts';
import { CSV_COLUMNS, csvChunks, csvColumns, toCsv } from '../../src/export/csv.ts';
import { parseConfig } from '../../src/core/config.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { bundleFile, csvFile, heatmapFile, npzFile } from '../../src/export/files.ts';
import { exportFileName } from '../../src/export/names.ts';
import { fieldNpz, npyBytes, readNpy } from '../../src/export/npy.ts';
import { RATE_COLUMN_NAMES } from '../../src/export/rate.ts';
import { EXTREMES, SMALL, referenceField } from './fixtures.ts';
import { itNeeding, numpyRequirement } from '../helpers/requirements.ts';
import { testFont } from './font-file.ts';

function parseCsvNumber(s: string): number {
  return s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
}

/** NumPy's own reading of the files: where NumPy is missing, it fails, naming what to install. */
const NUMPY = numpyRequirement();

describe('CSV', () => {
  it('has the documented header and one row per (rho, t) with every grid and the overflow flag, exactly', async () => {
    const field = await referenceField(EXTREMES);
    const csv = toCsv(field);
    const lines = csv.trimEnd().split('\n');
    const comments = lines.filter((l) => l.startsWith('#'));
    for (const col of CSV_COLUMNS) expect(comments.some((c) => c.startsWith(`#   ${col}: `)), `documented column ${col}`).toBe(true);
    expect(comments.some((c) => c.includes(JSON.stringify(field.config)))).toBe(true);
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    const body = lines.filter((l) => !l.startsWith('#'));
    expect(body.length - 1).toBe(field.K * field.T);
    const kinds = new Set<string>();
    body.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      expect(cells.length).toBe(CSV_COLUMNS.length);
      const k = Math.floor(i / field.T);
      const j = i % field.T;
      expect(Number(cells[0])).toBe(field.rho[k]);
      expect(Number(cells[1])).toBe(j + 1);
      GRID_NAMES.forEach((g, c) => {
        const v = parseCsvNumber(cells[2 + c]);
        expect(Object.is(v, field.grids[g][i]) || (Number.isNaN(v) && Number.isNaN(field.grids[g][i])), `${g}[${k}, ${j}]`).toBe(true);
        if (!Number.isFinite(v)) kinds.add(cells[2 + c]);
      });
      expect(Number(cells[CSV_COLUMNS.length - 1])).toBe(field.overflow[i]);
    });
    expect(kinds).toEqual(new Set(['nan', '-inf'])); // the fixture holds both kinds
    // Chunking changes nothing.
    expect(Array.from(csvChunks(field, 37)).join('')).toBe(csv);
  });

  it('names the swept axis in its first column: rho, or abs_lambda1 (the outlier\'s magnitude) on the outlier axis', async () => {
    const config = parseConfig({ init: 'spectrum', bulk: 'disk:0.5', outliers: '-0.9,0', sweep: 'outlier', weights: 'untied', rhoMin: 0.8, rhoMax: 1.2, rhoCount: 3, hidden: 6, steps: 4, samples: 2 });
    const field = await new ReferenceEngine().run(config);
    const lines = toCsv(field).trimEnd().split('\n');
    expect(lines[0]).toBe(csvColumns(config).join(','));
    expect(lines[0].startsWith('abs_lambda1,t,')).toBe(true);
    expect(lines).toContain('# RNN Gradient Lab field, tidy: one row per (abs_lambda1, t); rows by abs_lambda1 then t');
    expect(lines.find((l) => l.startsWith('#   abs_lambda1: '))).toMatch(/magnitude \|lambda_1\| of the first outlier eigenvalue of every W_t/);
    expect(lines.some((l) => l.startsWith('#   rho: '))).toBe(false);
    const body = lines.filter((l) => !l.startsWith('#')).slice(1);
    expect(body.map((l) => Number(l.split(',')[0]))).toEqual(Array.from(field.rho).flatMap((m) => [m, m, m, m]));
    expect(csvColumns({ sweep: 'rho', weights: 'tied' })).toEqual([...CSV_COLUMNS]);
  });
});

describe('NPY / NPZ', () => {
  it('writes NumPy v1.0 headers (64-byte aligned) and reads back exactly', () => {
    const values = Float64Array.from([1.5, -2.25, NaN, -Infinity, 1e-3, 3.4e38]);
    const bytes = npyBytes(values, '<f4', [2, 3]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
    const hlen = bytes[8] | (bytes[9] << 8);
    expect((10 + hlen) % 64).toBe(0);
    const header = String.fromCharCode(...bytes.subarray(10, 10 + hlen));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    const back = readNpy(bytes);
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(values, Math.fround));
    expect(readNpy(npyBytes([0.1, 2], '<f8', [2])).data).toEqual(Float64Array.from([0.1, 2]));
    expect(String.fromCharCode(...npyBytes([1], '<f8', [1]).subarray(10, 128))).toContain("'shape': (1,), }");
    expect(() => npyBytes([1, 2], '<f4', [3])).toThrow(/holds 3 values/);
  });

  it('zips every grid (float32 [K, T]), overflow (uint8), rho (float64), the rates (float64 [K]) and a config sidecar', async () => {
    const field = await referenceField(EXTREMES);
    const files = unzipSync(fieldNpz(field));
    const rates = RATE_COLUMN_NAMES.filter((c) => c !== 'rho').map((c) => `${c}.npy`);
    expect(Object.keys(files).sort()).toEqual([...GRID_NAMES.map((g) => `${g}.npy`), ...rates, 'config.json', 'overflow.npy', 'rho.npy'].sort());
    for (const g of GRID_NAMES) {
      const a = readNpy(files[`${g}.npy`]);
      expect([a.descr, a.shape]).toEqual(['<f4', [field.K, field.T]]);
      expect(Array.from(a.data)).toEqual(Array.from(field.grids[g], Math.fround));
    }
    expect(Array.from(readNpy(files['overflow.npy']).data)).toEqual(Array.from(field.overflow));
    expect(readNpy(files['rho.npy']).data).toEqual(field.rho);
    const side = JSON.parse(strFromU8(files['config.json']));
    expect(side.config).toEqual(field.config);
    expect(side.shape).toEqual({ K: field.K, T: field.T });
  });

  itNeeding(NUMPY, 'numpy loads the NPZ and the CSV and finds the same numbers', async () => {
    const field = await referenceField(EXTREMES);
    const small = await referenceField(SMALL);
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-export-'));
    try {
      for (const [name, f] of [['extremes', field], ['small', small]] as const) {
        writeFileSync(join(dir, `${name}.npz`), fieldNpz(f));
        writeFileSync(join(dir, `${name}.csv`), toCsv(f));
      }
      const script = `
import json, sys, numpy as np
out = {}
for name in ['extremes', 'small']:
    z = np.load(sys.argv[1] + '/' + name + '.npz')
    side = json.loads(bytes(z['config.json']).decode())
    K, T = side['shape']['K'], side['shape']['T']
    csv = np.genfromtxt(sys.argv[1] + '/' + name + '.csv', delimiter=',', names=True, comments='#')
    assert csv.shape == (K * T,), csv.shape
    grids = [g for g in csv.dtype.names if g not in ('rho', 't', 'overflow')]
    for g in grids:
        a = z[g]
        assert a.dtype == np.float32 and a.shape == (K, T), (g, a.dtype, a.shape)
        b = csv[g].reshape(K, T).astype(np.float32)
        assert np.array_equal(a, b, equal_nan=True), g
    assert z['overflow'].dtype == np.uint8 and np.array_equal(z['overflow'], csv['overflow'].reshape(K, T))
    assert np.array_equal(np.repeat(z['rho'], T), csv['rho'])
    g = z['gradLog10Mean']
    out[name] = {'grids': grids, 'nan': int(np.isnan(z['hiddenLog10Mean']).sum()), 'neginf': int(np.isneginf(g).sum()), 'rho': z['rho'].tolist(), 'first': float(g[-1, -1])}
print(json.dumps(out))
`;
      const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = JSON.parse(r.stdout);
      expect(got.extremes.grids).toEqual([...GRID_NAMES]);
      // Linear activation: the gradient stays defined where h_t overflows, ||h_t|| does not.
      expect(got.extremes.nan).toBe(Array.from(field.grids.hiddenLog10Mean).filter(Number.isNaN).length);
      expect(got.extremes.nan).toBeGreaterThan(0);
      expect(got.extremes.neginf).toBe(field.T - 1);
      expect(got.small.rho).toEqual(Array.from(small.rho));
      expect(got.small.first).toBe(Math.fround(small.grids.gradLog10Mean[small.K * small.T - 1]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('file names', () => {
  it('export files carry the config in their names, with MIME types', async () => {
    const field = await referenceField(SMALL);
    const font = testFont();
    const files = [
      heatmapFile(field, font, { grid: 'saturation' }, 'png'),
      heatmapFile(field, font, { grid: 'gradLog10Mean', difference: { values: new Float64Array(field.K * field.T), label: 'zero' } }, 'svg'),
      csvFile(field),
      npzFile(field),
      bundleFile(field),
    ];
    expect(files.map((f) => [f.name, f.mime])).toEqual([
      ['saturation-tanh-gaussian-N8-T40-S3-seed7.png', 'image/png'],
      ['diff-grad-tanh-gaussian-N8-T40-S3-seed7.svg', 'image/svg+xml'],
      ['field-tanh-gaussian-N8-T40-S3-seed7.csv', 'text/csv'],
      ['field-tanh-gaussian-N8-T40-S3-seed7.npz', 'application/zip'],
      ['run-tanh-gaussian-N8-T40-S3-seed7.json', 'application/json'],
    ]);
    expect(Array.from(files[2].parts).join('')).toBe(toCsv(field));
  });

  it('carry the config', async () => {
    const field = await referenceField({ ...SMALL, hidden: 64, steps: 100, samples: 16, seed: 1 });
    expect(exportFileName(field.config, 'gradLog10Mean', 'png')).toBe('grad-tanh-gaussian-N64-T100-S16-seed1.png');
    expect(exportFileName(field.config, { difference: 'saturation' }, 'svg')).toBe('diff-saturation-tanh-gaussian-N64-T100-S16-seed1.svg');
    expect(exportFileName(field.config, 'field', 'npz')).toBe('field-tanh-gaussian-N64-T100-S16-seed1.npz');
  });
});
