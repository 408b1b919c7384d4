/**
 * The field as tidy CSV: one row per (swept value, t), every grid a column, plus the cell flag (`overflow`, src/core/range.ts).
 * The first column names the swept axis: `rho` (W = rho W0), or `abs_lambda1` on the outlier
 * axis (the first outlier's magnitude |lambda_1|, the rest of the spectrum fixed).
 * The first line names the columns; comment lines (starting with #) follow it and document
 * each column (after the names line, so that numpy.genfromtxt(path, delimiter=',', names=True)
 * reads the names; pandas.read_csv(path, comment='#') skips them anywhere).
 * Non-finite values: `nan` = undefined (the cell is flagged: overflow or out of range); `-inf` = log10 of
 * an exact zero (e.g. every gradient before t = T when rho = 0). Both parse as floats in
 * pandas, NumPy and R (read.csv with na.strings = "nan").
 */
import type { Config } from '../core/config.ts';
import type { GradientField } from '../core/field.ts';
import { STATISTICS, GRID_NAMES } from '../core/field.ts';
import { CELL_FLAG_WORDS } from '../core/range.ts';
import { LAB_VERSION } from '../core/version.ts';

/** The columns of a rho sweep. */
export const CSV_COLUMNS = ['rho', 't', ...GRID_NAMES, 'overflow'] as const;

/** The swept axis's column: its name and its documentation line. */
function axisColumn(config: Pick<Config, 'sweep' | 'weights'>): { name: string; doc: string } {
  const W = config.weights === 'untied' ? 'every W_t (W0_t: a fresh matrix per step, untied weights)' : 'the recurrent matrix W';
  if (config.sweep === 'outlier') {
    return {
      name: 'abs_lambda1',
      doc: `magnitude |lambda_1| of the first outlier eigenvalue of ${W}, moved along its ray from the chosen outlier; every other eigenvalue fixed (W = W0 + (|lambda_1| - |lambda_1 of W0|) D, D its rank-one or rank-two projection)`,
    };
  }
  return { name: 'rho', doc: `spectral radius of ${W} = rho W0${config.weights === 'untied' ? '_t' : ''} (W0 normalised)` };
}

/** The columns of a field: its swept axis, t, every grid, the overflow flag. */
export function csvColumns(config: Pick<Config, 'sweep' | 'weights'>): string[] {
  return [axisColumn(config).name, ...CSV_COLUMNS.slice(1)];
}

/** A number as CSV text: shortest round-trip decimal; nan, inf, -inf for the rest. */
export function csvNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** The column-name line, then the comment lines that document the columns. */
export function csvHeader(field: GradientField): string {
  const axis = axisColumn(field.config);
  const lines = [
    csvColumns(field.config).join(','),
    `# RNN Gradient Lab field, tidy: one row per (${axis.name}, t); rows by ${axis.name} then t`,
    `# lab ${LAB_VERSION}; backend ${field.meta.backend} on ${field.meta.adapter}; precision ${field.meta.precision}; K = ${field.K}, T = ${field.T}`,
    `# config: ${JSON.stringify(field.config)}`,
    '# columns:',
    `#   ${axis.name}: ${axis.doc}`,
    '#   t: time step, 1..T',
    ...GRID_NAMES.map((g) => `#   ${g}: ${STATISTICS[g].description} [${STATISTICS[g].unit}]`),
    `#   overflow: the cell's flag (docs/bundle.md): 0 none; 1 ${CELL_FLAG_WORDS.overflow.long}; 2 out of range: ${CELL_FLAG_WORDS.range.long}; 3 both`,
    "# nan = undefined (flagged: overflow or out of range); -inf = log10 of an exact zero (in a mean over samples: zero in every sample; the *ZeroFraction columns count the samples that are).",
    "# pandas: pd.read_csv(path, comment='#'); numpy: np.genfromtxt(path, delimiter=',', names=True, comments='#')",
  ];
  return `${lines.join('\n')}\n`;
}

/** The CSV in pieces of `rowsPerChunk` rows (a 512 x 5000 field is ~250 MB: write it piece by piece). */
export function* csvChunks(field: GradientField, rowsPerChunk = 8192): Generator<string> {
  yield csvHeader(field);
  const { K, T } = field;
  const grids = GRID_NAMES.map((g) => field.grids[g]); // in CSV_COLUMNS order
  let rows: string[] = [];
  for (let k = 0; k < K; k++) {
    const rho = csvNumber(field.rho[k]);
    for (let j = 0; j < T; j++) {
      const i = k * T + j;
      let row = `${rho},${j + 1}`;
      for (const g of grids) row += `,${csvNumber(g[i])}`;
      rows.push(`${row},${field.overflow[i]}`);
      if (rows.length === rowsPerChunk) {
        yield `${rows.join('\n')}\n`;
        rows = [];
      }
    }
  }
  if (rows.length > 0) yield `${rows.join('\n')}\n`;
}

/** The whole CSV as one string (fine up to tens of MB; use csvChunks beyond). */
export function toCsv(field: GradientField): string {
  return Array.from(csvChunks(field)).join('');
}
