/**
 * Theory curves to lay over the measured gradient, per (rho, t).
 *
 * Linear prediction: for phi = identity and a normal W0 of spectral radius 1 (orthogonal,
 * identity), ||dL/dh_t|| = rho^(T-t) ||r||, so log10 ||dL/dh_t|| = (T - t) log10 rho.
 * Pascanu, Mikolov & Bengio 2013 ("On the difficulty of training recurrent neural networks",
 * arXiv 1211.5063), eq. 7: ||dh_T/dh_t|| <= (gamma ||rho W0||_2)^(T-t), gamma = sup phi',
 * an upper bound for every activation.
 */
import { activationFns, type ActivationParams } from './activations.ts';
import type { Config } from './config.ts';

/** (T - t) log10 rho; -Infinity below t = T when rho = 0. */
export function linearPrediction(rho: number, T: number, t: number): number {
  if (t === T) return 0;
  return (T - t) * Math.log10(rho);
}

/** (T - t) log10(gamma rho ||W0||_2), the Pascanu et al. upper bound on log10 ||dL/dh_t|| (||r|| = 1). */
export function pascanuBound(rho: number, T: number, t: number, gamma: number, w0Norm: number): number {
  if (t === T) return 0;
  return (T - t) * Math.log10(gamma * rho * w0Norm);
}

/** Both curves for one rho over t = 1..T (index j = t - 1). */
export function theoryRow(
  config: Pick<Config, 'activation' | 'steps'> & Partial<ActivationParams>,
  rho: number,
  w0Norm: number,
): { linear: Float64Array; pascanu: Float64Array } {
  const T = config.steps;
  const gamma = activationFns(config.activation, config).gamma;
  const linear = new Float64Array(T);
  const pascanu = new Float64Array(T);
  for (let t = 1; t <= T; t++) {
    linear[t - 1] = linearPrediction(rho, T, t);
    pascanu[t - 1] = pascanuBound(rho, T, t, gamma, w0Norm);
  }
  return { linear, pascanu };
}
