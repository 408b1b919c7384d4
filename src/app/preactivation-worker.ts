/**
 * A Web Worker that bins the pre-activations a_t of one row of a sweep in float64 (the reference's
 * histogram, core/reference.ts referenceHistogram): the reference engine's preactivationHistogram
 * in the page, and the derivative panel's fallback where the sweep's engine cannot bin (gpu.js on
 * the outlier axis, say). The problem is rebuilt from the config's seed (W0, U, b, inputs: the
 * draws the sweep ran on) and kept for the next row of the same config; only counts are posted.
 */
import type { Config } from '../core/config.ts';
import { histogramBuffers, type HistogramRequest, type PreactivationHistogram } from '../core/preactivations.ts';
import { buildProblem, type Problem } from '../core/problem.ts';
import { referenceHistogram } from '../core/reference.ts';
import { rowWeights, untiedWeightsSync, type UntiedWeights } from '../core/weights.ts';

export interface PreactivationRequest {
  id: number;
  config: Config;
  request: HistogramRequest;
}

export type PreactivationReply = { id: number; ok: true; histogram: PreactivationHistogram } | { id: number; ok: false; message: string };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<PreactivationRequest>) => void) | null;
  postMessage(msg: PreactivationReply, transfer?: Transferable[]): void;
};

let last: { key: string; problem: Problem; untied: UntiedWeights | null } | null = null;

ctx.onmessage = (e) => {
  const { id, config, request } = e.data;
  try {
    const t0 = performance.now();
    const key = JSON.stringify(config);
    if (last?.key !== key) last = { key, problem: buildProblem(config, { outlierAndUntied: true }), untied: untiedWeightsSync(config) };
    const counts = referenceHistogram(last.problem, rowWeights(last.problem, request.rhoIndex, last.untied), request);
    const histogram = counts.finish(config, request, {
      engine: 'reference',
      adapter: 'float64 JavaScript, a Web Worker',
      precision: 'float64',
      binnedWhere: 'in float64 JavaScript (a worker), as the forward pass runs',
      wallMs: performance.now() - t0,
    });
    ctx.postMessage({ id, ok: true, histogram }, histogramBuffers(histogram));
  } catch (err) {
    ctx.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
