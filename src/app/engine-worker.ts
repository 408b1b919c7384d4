/**
 * A Web Worker that runs rows of the float64 reference sweep off the main thread.
 * Each worker rebuilds the same Problem from the config's seed (bit-identical W0, U, inputs),
 * runs the rows it is given with the core's traceSequence/reduceRow, and posts each row back
 * as soon as it is done, so the page gets progress and never blocks.
 */
import type { Config } from '../core/config.ts';
import { emptyField, GRID_NAMES } from '../core/field.ts';
import { buildProblem } from '../core/problem.ts';
import { reduceRow, traceSequence, type SequenceTrace } from '../core/reference.ts';
import { rowWeights, untiedWeightsSync } from '../core/weights.ts';
import type { WorkerReply, WorkerRequest } from './worker-protocol.ts';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(msg: WorkerReply, transfer?: Transferable[]): void;
};

function runRows(id: number, config: Config, rows: number[], sendSpectrum: boolean): void {
  const p = buildProblem(config, { outlierAndUntied: true });
  const untied = untiedWeightsSync(config);
  if (sendSpectrum) ctx.postMessage({ type: 'spectrum', id, spectrum: p.spectrum });
  const field = emptyField(config, p.rho, p.spectrum, { backend: 'reference', adapter: '', wallMs: 0, precision: 'float64' });
  const T = config.steps;
  for (const k of rows) {
    const traces: SequenceTrace[] = [];
    for (let s = 0; s < config.samples; s++) traces.push(traceSequence(p, rowWeights(p, k, untied), s));
    reduceRow(field, k, traces);
    // [T] per grid, copies of row k (transferred, not cloned).
    const grids = Object.fromEntries(GRID_NAMES.map((g) => [g, field.grids[g].slice(k * T, (k + 1) * T)])) as Record<
      (typeof GRID_NAMES)[number],
      Float64Array
    >;
    const overflow = field.overflow.slice(k * T, (k + 1) * T);
    ctx.postMessage({ type: 'row', id, k, grids, overflow }, [...GRID_NAMES.map((g) => grids[g].buffer), overflow.buffer]);
  }
  ctx.postMessage({ type: 'done', id });
}

ctx.onmessage = (e) => {
  const m = e.data;
  try {
    runRows(m.id, m.config, m.rows, m.sendSpectrum);
  } catch (err) {
    ctx.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
};
