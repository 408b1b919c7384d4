/** Small fields from the float64 reference engine, shared by the export tests. */
import { parseConfig, type Config } from '../../src/core/config.ts';
import type { GradientField } from '../../src/core/field.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';

const cache = new Map<string, Promise<GradientField>>();

export function referenceField(overrides: Partial<Config>): Promise<GradientField> {
  const key = JSON.stringify(overrides);
  let p = cache.get(key);
  if (!p) {
    p = new ReferenceEngine().run(parseConfig(overrides));
    cache.set(key, p);
  }
  return p;
}

/** A tanh sweep across rho = 1, small enough to run in well under a second. */
export const SMALL: Partial<Config> = { hidden: 8, input: 3, steps: 40, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 12, samples: 3, seed: 7 };

/**
 * Linear activation with rho from 0 to 10 over 400 steps: rho = 0 gives exact zeros (-Infinity)
 * before t = T, and rho = 10 overflows float64 after ~308 steps (10^308), so the field holds all
 * three kinds of cell.
 */
export const EXTREMES: Partial<Config> = { activation: 'linear', hidden: 6, input: 2, steps: 400, rhoMin: 0, rhoMax: 10, rhoCount: 6, samples: 1, seed: 3 };
