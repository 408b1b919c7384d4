/**
 * A Web Worker that bins the pre-activations a_t of one row of a sweep (core/preactivations.ts)
 * for the derivative panel: the problem is rebuilt from the config's seed (W0, U, b, inputs:
 * the draws the sweep ran on) and kept for the next row of the same config.
 */
import type { Config } from '../core/config.ts';
import { activationFns } from '../core/activations.ts';
import { buildProblem, type Problem } from '../core/problem.ts';
import { preactivationRange, preactivationRow, samplesWithin, type PreactivationRow } from '../core/preactivations.ts';

export interface PreactivationRequest {
  id: number;
  config: Config;
  rho: number;
  /** Multiply-adds the forward passes may cost (N^2 T per sample). */
  budget: number;
  bins: number;
}

export type PreactivationReply = { id: number; ok: true; row: PreactivationRow; ms: number } | { id: number; ok: false; message: string };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<PreactivationRequest>) => void) | null;
  postMessage(msg: PreactivationReply, transfer?: Transferable[]): void;
};

let last: { key: string; problem: Problem } | null = null;

ctx.onmessage = (e) => {
  const { id, config, rho, budget, bins } = e.data;
  try {
    const t0 = performance.now();
    const key = JSON.stringify(config);
    if (last?.key !== key) last = { key, problem: buildProblem(config) };
    const X = preactivationRange(config.activation, config);
    const samples = samplesWithin(config.hidden, config.steps, config.samples, budget);
    const row = preactivationRow(last.problem, rho, { samples, lo: -X, hi: X, bins, fns: activationFns(config.activation, config) });
    ctx.postMessage({ id, ok: true, row, ms: performance.now() - t0 }, [row.counts.buffer, row.below.buffer, row.above.buffer, row.nonFinite.buffer, row.meanDeriv.buffer]);
  } catch (err) {
    ctx.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
