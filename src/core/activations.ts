/**
 * Activations as {output, der} pairs: the function and its derivative side by side, plus
 * gamma = sup phi' (Pascanu et al. 2013's bound uses it) and the saturation test.
 */
import type { Activation } from './config.ts';

export interface ActivationFns {
  /** phi(a). */
  output(a: number): number;
  /** phi'(a). NaN where a is NaN (an undefined step), never for +-Infinity. */
  der(a: number): number;
  /** sup over a of phi'(a). */
  gamma: number;
  /**
   * Whether a unit at pre-activation a counts as saturated (tanh, sigmoid: phi'(a) below
   * 1% of its maximum) or dead (relu, leaky_relu: a <= 0). Linear never saturates.
   */
  saturated(a: number): boolean;
}

/** The saturation threshold: a unit is saturated when phi'(a) < SATURATION_FRACTION * max phi'. */
export const SATURATION_FRACTION = 0.01;

function sigmoid(a: number): number {
  // Split by sign so exp never overflows: sigmoid(a) = 1 / (1 + e^-a) = e^a / (1 + e^a).
  if (a >= 0) return 1 / (1 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1 + e);
}

export function activationFns(name: Activation, leakyAlpha = 0.01): ActivationFns {
  switch (name) {
    case 'tanh':
      return {
        output: Math.tanh,
        // d tanh(a) = 1 - tanh(a)^2
        der: (a) => {
          const y = Math.tanh(a);
          return 1 - y * y;
        },
        gamma: 1,
        saturated: (a) => {
          const y = Math.tanh(a);
          return 1 - y * y < SATURATION_FRACTION;
        },
      };
    case 'sigmoid':
      return {
        output: sigmoid,
        // d sigmoid(a) = sigmoid(a) (1 - sigmoid(a)), at most 1/4
        der: (a) => {
          const y = sigmoid(a);
          return y * (1 - y);
        },
        gamma: 0.25,
        saturated: (a) => {
          const y = sigmoid(a);
          return y * (1 - y) < SATURATION_FRACTION * 0.25;
        },
      };
    case 'relu':
      return {
        output: (a) => (a > 0 ? a : a <= 0 ? 0 : a),
        // d relu(a) = 1 for a > 0, 0 for a <= 0 (the subgradient 0 at a = 0)
        der: (a) => (a > 0 ? 1 : a <= 0 ? 0 : NaN),
        gamma: 1,
        saturated: (a) => a <= 0,
      };
    case 'leaky_relu':
      return {
        output: (a) => (a > 0 ? a : leakyAlpha * a),
        // d leaky(a) = 1 for a > 0, alpha for a <= 0
        der: (a) => (a > 0 ? 1 : a <= 0 ? leakyAlpha : NaN),
        gamma: Math.max(1, leakyAlpha),
        saturated: (a) => a <= 0,
      };
    case 'linear':
      return {
        output: (a) => a,
        // d a = 1, whatever a is: the backward pass of a linear RNN never needs the forward
        der: () => 1,
        gamma: 1,
        saturated: () => false,
      };
  }
}
