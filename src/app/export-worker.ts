/**
 * Writes the JSON run bundle off the page's thread: rebuilding the matrices (buildProblem: W0
 * and its spectrum, O(N^3), seconds at N = 512) and stringifying ~10^7 numbers would freeze the
 * page. Gets a GradientField (structured clone), answers with the JSON text or an error message.
 */
import { bundleToJson, MATRIX_NUMBER_LIMIT } from '../core/bundle.ts';
import type { GradientField } from '../core/field.ts';
import { buildProblem, type Problem } from '../core/problem.ts';

export type BundleReply = { ok: true; json: string } | { ok: false; message: string };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<GradientField>) => void) | null;
  postMessage(msg: BundleReply): void;
};

ctx.onmessage = (e) => {
  const field = e.data;
  try {
    const c = field.config;
    // Past the limit toBundle leaves the matrices out and says why without reading the problem:
    // do not build them for nothing (W0's spectrum alone takes ~50 s at N = 1024).
    const withMatrices = c.hidden * c.hidden + c.samples * c.steps * c.input <= MATRIX_NUMBER_LIMIT;
    const problem = withMatrices ? buildProblem(c) : ({} as Problem);
    ctx.postMessage({ ok: true, json: bundleToJson(field, problem) });
  } catch (err) {
    ctx.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
