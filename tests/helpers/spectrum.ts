/**
 * A random chosen spectrum for the engines' random configs (init spectrum): a bulk of radius
 * 0.2..0.9 and one or two outliers of magnitude 0.4..1.2 (a real one or a conjugate pair), so the
 * stable-regime tolerances of each test apply as they do to a normalised W0 (radius 1).
 */
import { BULK_SHAPES } from '../../src/core/spectrum-init.ts';
import type { Rng } from '../../src/core/rng.ts';

export function randomSpectrum(rng: Rng, hidden: number): { bulk: string; outliers: string } {
  const shape = BULK_SHAPES[Math.floor(rng.uniform() * BULK_SHAPES.length)];
  const bulk = `${shape}:${(0.2 + 0.7 * rng.uniform()).toFixed(3)}`;
  const outliers: string[] = [];
  let slots = 0;
  const count = 1 + Math.floor(rng.uniform() * 2);
  for (let i = 0; i < count; i++) {
    const m = 0.4 + 0.8 * rng.uniform();
    const complex = rng.uniform() < 0.5 && slots + 2 <= hidden;
    if (!complex && slots + 1 > hidden) break;
    const theta = complex ? Math.PI * rng.uniform() : rng.uniform() < 0.5 ? 0 : Math.PI;
    outliers.push(`${(m * Math.cos(theta)).toFixed(4)},${complex ? (m * Math.sin(theta)).toFixed(4) : '0'}`);
    slots += complex ? 2 : 1;
  }
  return { bulk, outliers: outliers.join(';') };
}

/**
 * A random config's fields with, for init spectrum, the normalisation it takes (none: radius) and
 * a random chosen spectrum drawn after the other fields (so their draws are unchanged).
 */
export function withSpectrum<C extends { init?: string; hidden?: number; normalize?: string }>(rng: Rng, fields: C): C {
  if (fields.init !== 'spectrum') return fields;
  return { ...fields, normalize: 'radius', ...randomSpectrum(rng, fields.hidden ?? 64) };
}
