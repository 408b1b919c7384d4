/**
 * The numbers behind the spectrum presets' texts (src/app/presets.ts), computed on the float64
 * reference with each preset's own configuration, and the gaussian tied-versus-untied comparison
 * at large N that the "RNN versus deep feed-forward" text reports. Prints them and writes
 * bench/results/preset-numbers-<time>.json. Not a test: tests/app/presets-spectrum.test.ts
 * recomputes the quoted numbers and fails when a text and the engine disagree.
 *
 *   node --import ./src/node/register.mjs bench/preset-numbers.ts [--large-n 256]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { presetById, presetState } from '../src/app/presets.ts';
import { parseConfig, type Config } from '../src/core/config.ts';
import type { GradientField } from '../src/core/field.ts';
import { ReferenceEngine } from '../src/core/reference.ts';
import { outlierSummary } from '../src/core/spectrum-edit.ts';

const { values: args } = parseArgs({ options: { 'large-n': { type: 'string', default: '256' } } });
const largeN = Number(args['large-n']);

const engine = new ReferenceEngine();
const run = (c: Partial<Config>): Promise<GradientField> => engine.run(parseConfig(c));
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : String(v));

/** log10 ||dL/dh_1|| per row, and the rows' swept values. */
function rowsAtT1(f: GradientField, at: readonly number[]): { value: number; gradT1: number; slopeT1: number }[] {
  return at.map((v) => {
    const s = outlierSummary(f, v);
    return { value: s.value, gradT1: s.gradT1, slopeT1: s.slopeT1 };
  });
}

const out: Record<string, unknown> = { loadAverage: loadavg()[0] };
const AT = [0.8, 0.9, 0.95, 1, 1.05, 1.1, 1.2, 1.3];

const above = presetById('one-eigenvalue-above-1');
if (above) {
  const base = presetState(above).config;
  const results: Record<string, unknown> = {};
  for (const activation of ['linear', 'relu', 'tanh'] as const) {
    const f = await run({ ...base, activation });
    const rows = rowsAtT1(f, AT);
    results[activation] = rows;
    console.log(`one eigenvalue above 1, ${activation}: ${rows.map((r) => `|λ₁| ${r.value.toFixed(2)}: log10‖dL/dh_1‖ ${fmt(r.gradT1)} (slope at t=1 ${fmt(r.slopeT1)})`).join('; ')}`);
  }
  out.oneAbove = results;
}

const ff = presetById('rnn-vs-feedforward');
if (ff) {
  const base = presetState(ff).config;
  const results: Record<string, unknown> = {};
  for (const weights of ['tied', 'untied'] as const) {
    const f = await run({ ...base, weights });
    const rows = rowsAtT1(f, AT);
    results[weights] = rows;
    console.log(`RNN vs feed-forward, ${weights}: ${rows.map((r) => `|λ₁| ${r.value.toFixed(2)}: ${fmt(r.gradT1)}`).join('; ')}`);
  }
  out.feedForward = results;
}

// Plain gaussian W0 (radius-normalised), linear, tied against untied at large N: the average
// growth rate per step, (log10 ||dL/dh_1|| - log10 ||dL/dh_T||) / (T - 1).
const gaussian: Record<string, unknown> = {};
for (const weights of ['tied', 'untied'] as const) {
  const t0 = performance.now();
  const f = await run({ activation: 'linear', init: 'gaussian', hidden: largeN, steps: 100, samples: 16, rhoMin: 0.9, rhoMax: 1.1, rhoCount: 3, weights, seed: 1 });
  const rows = [0, 1, 2].map((k) => ({ rho: f.rho[k], gradT1: f.grids.gradLog10Mean[k * f.T], perStep: (f.grids.gradLog10Mean[k * f.T] - f.grids.gradLog10Mean[k * f.T + f.T - 1]) / (f.T - 1) }));
  gaussian[weights] = rows;
  console.log(`gaussian N=${largeN}, linear, ${weights} (${((performance.now() - t0) / 1000).toFixed(1)} s): ${rows.map((r) => `ρ ${r.rho.toFixed(2)}: log10‖dL/dh_1‖ ${fmt(r.gradT1)}, ${r.perStep.toFixed(4)} decades/step`).join('; ')}`);
}
out.gaussian = { N: largeN, T: 100, samples: 16, seed: 1, rows: gaussian };

mkdirSync('bench/results', { recursive: true });
const file = `bench/results/preset-numbers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(out, null, 2));
console.log(`load average ${loadavg()[0].toFixed(1)}; wrote ${file}`);
