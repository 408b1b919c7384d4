/**
 * ||G||_2 of the gaussian init's raw matrix G (seed, N, index of the W0 stream), before
 * normalisation: what a CPU-engine worker computes while the engine's thread finds the radius
 * (problem.ts recurrentMatrixBeside). The same number, bit for bit, that problem.ts computes
 * inline (spectrum.ts spectralNorm is this Lanczos iteration on the same draw). A module of its
 * own so that the worker's bundle takes only the generator and the Krylov code.
 */
import { lanczosNorm } from './krylov.ts';
import { gaussianDraw } from './rng.ts';

export function gaussianRawNorm(seed: number, n: number, index = 0): number {
  return lanczosNorm(gaussianDraw(seed, n, index), n).norm;
}
