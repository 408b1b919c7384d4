/**
 * NumPy's .npy format (version 1.0) and the field as an .npz (a zip of .npy files that
 * `numpy.load` opens as a dict): each grid as float32 [K, T], `overflow` as uint8 [K, T],
 * `rho` as float64 [K], and `config.json`, a sidecar with the config and the run's facts.
 * Non-finite cells: NaN = undefined (the cell's flag says overflow or out of range); -inf = log10 of an
 * exact zero (kept: it is the true value, and float32 holds it). `np.load(f)['config.json']`
 * gives the sidecar's bytes.
 * Format: https://numpy.org/devdocs/reference/generated/numpy.lib.format.html
 */
import { strToU8, zipSync } from 'fflate';
import { STATISTICS, GRID_NAMES, type GradientField } from '../core/field.ts';
import { phaseDiagram, rateSummary, type PhaseDiagram } from '../core/phase.ts';
import { CELL_FLAG_WORDS } from '../core/range.ts';
import { LAB_VERSION } from '../core/version.ts';
import { RATE_COLUMN_NAMES, RATE_COLUMNS, rateColumns } from './rate.ts';

export type NpyDescr = '<f4' | '<f8' | '|u1';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const BYTES: Record<NpyDescr, number> = { '<f4': 4, '<f8': 8, '|u1': 1 };

/** An .npy file (v1.0, C order, little-endian) of `values` stored as `descr` with `shape`. */
export function npyBytes(values: ArrayLike<number>, descr: NpyDescr, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${count} values, got ${values.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + count * BYTES[descr]);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, total);
  for (let i = 0; i < count; i++) {
    if (descr === '<f4') view.setFloat32(4 * i, values[i], true);
    else if (descr === '<f8') view.setFloat64(8 * i, values[i], true);
    else view.setUint8(i, values[i]);
  }
  return out;
}

export interface NpyArray {
  descr: NpyDescr;
  shape: number[];
  fortranOrder: boolean;
  data: Float32Array | Float64Array | Uint8Array;
}

/** Read an .npy file written by npyBytes (v1.0, the three dtypes used here). Throws on anything else. */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw new Error('not an .npy file (bad magic)');
  if (bytes[6] !== 1) throw new Error(`unsupported .npy version ${bytes[6]}.${bytes[7]}`);
  const len = bytes[8] | (bytes[9] << 8);
  const header = String.fromCharCode(...bytes.subarray(10, 10 + len));
  const m = /^\{'descr': '([^']+)', 'fortran_order': (True|False), 'shape': \(([\d, ]*)\), \} *\n$/.exec(header);
  if (!m) throw new Error(`unexpected .npy header ${JSON.stringify(header)}`);
  const descr = m[1] as NpyDescr;
  if (!(descr in BYTES)) throw new Error(`unsupported dtype ${descr}`);
  const shape = m[3].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = 10 + len;
  if (bytes.length !== off + count * BYTES[descr]) throw new Error(`.npy data is ${bytes.length - off} bytes; the header says ${count * BYTES[descr]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + off);
  let data: Float32Array | Float64Array | Uint8Array;
  if (descr === '<f4') data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  else if (descr === '<f8') data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
  else data = bytes.slice(off, off + count);
  return { descr, shape, fortranOrder: m[2] === 'True', data };
}

/** The sidecar: everything about the arrays that is not an array. */
export function npzSidecar(field: GradientField, phase: PhaseDiagram = phaseDiagram(field)) {
  return {
    format: 'rnn-gradient-lab.npz/1',
    version: LAB_VERSION,
    backend: field.meta.backend,
    adapter: field.meta.adapter,
    precision: field.meta.precision,
    wallMs: field.meta.wallMs,
    config: field.config,
    spectrum: { radius: field.spectrum.radius, norm: field.spectrum.norm, meanSquare: field.spectrum.meanSquare },
    rates: rateSummary(phase),
    arrays: {
      rho: 'float64 [K]: spectral radius of W = rho W0, row k of every grid',
      overflow: `uint8 [K, T]: the cell's flag (docs/bundle.md): 0 none; 1 ${CELL_FLAG_WORDS.overflow.long}; 2 out of range: ${CELL_FLAG_WORDS.range.long}; 3 both`,
      ...Object.fromEntries(GRID_NAMES.map((g) => [g, `float32 [K, T], column j = time step t = j + 1: ${STATISTICS[g].description} [${STATISTICS[g].unit}]`])),
      ...Object.fromEntries(RATE_COLUMN_NAMES.filter((c) => c !== 'rho').map((c) => [c, `float64 [K]: ${RATE_COLUMNS[c]}`])),
    },
    nonFinite: 'NaN = undefined: the cell is flagged (overflow or out of range); -inf = log10 of an exact zero (in a mean over samples: zero in every sample; the *ZeroFraction arrays count the samples that are)',
    shape: { K: field.K, T: field.T },
  };
}

/** The field as .npz bytes (a zip that numpy.load opens). */
export function fieldNpz(field: GradientField): Uint8Array {
  const { K, T } = field;
  const files: Record<string, Uint8Array> = {};
  for (const g of GRID_NAMES) files[`${g}.npy`] = npyBytes(field.grids[g], '<f4', [K, T]);
  files['overflow.npy'] = npyBytes(field.overflow, '|u1', [K, T]);
  files['rho.npy'] = npyBytes(field.rho, '<f8', [K]);
  // The rate per step against rho (docs/theory.md), one value per row.
  const phase = phaseDiagram(field);
  const rates = rateColumns(phase);
  for (const c of RATE_COLUMN_NAMES) if (c !== 'rho') files[`${c}.npy`] = npyBytes(rates[c], '<f8', [K]);
  files['config.json'] = strToU8(JSON.stringify(npzSidecar(field, phase), null, 2));
  // Level 6 deflate: log grids are smooth, so this saves most of the space at little cost.
  return zipSync(files, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
}
