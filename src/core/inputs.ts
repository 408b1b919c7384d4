/** The input sequences, drawn alone (no linear algebra), so workers can rebuild them cheaply. */
import { Rng, STREAM } from './rng.ts';

/**
 * x_1..x_T of sequence s, [T, D] row-major: every step's input is drawn, used or not, so
 * sequence s is the same whatever the input mode; zeros where `inputOn[t - 1]` is off.
 * Every engine that rebuilds the inputs itself (e.g. inside a worker) calls this.
 */
export function sequenceInputs(
  seed: number,
  inputScale: number,
  T: number,
  D: number,
  inputOn: ArrayLike<boolean | number>,
  s: number,
): Float64Array {
  const x = new Rng(seed, STREAM.inputs, s).normals(T * D, inputScale);
  for (let t = 0; t < T; t++) if (!inputOn[t]) x.fill(0, t * D, (t + 1) * D);
  return x;
}
