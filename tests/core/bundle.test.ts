import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saturationRuleText } from '../../src/core/activations.ts';
import { BUNDLE_BASE_GRIDS, BUNDLE_FORMAT, BUNDLE_FORMAT_1, BundleError, MATRIX_NUMBER_LIMIT, bundleToJson, fieldFromBundle, toBundle } from '../../src/core/bundle.ts';
import { ACTIVATIONS, parseConfig, type Config } from '../../src/core/config.ts';
import { GRID_NAMES, type GradientField } from '../../src/core/field.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { itNeeding, numpyRequirement } from '../helpers/requirements.ts';
import { testSeed } from '../helpers/seed.ts';

const FRESH = testSeed('bundle tests');

async function runWith(partial: Partial<Config>) {
  const config = parseConfig({ seed: FRESH, ...partial });
  const field = await new ReferenceEngine().run(config);
  return { config, field, json: bundleToJson(field, buildProblem(config)) };
}

function expectSameField(a: GradientField, b: GradientField) {
  expect(b.config).toEqual(a.config);
  expect(Array.from(b.rho)).toEqual(Array.from(a.rho));
  for (const g of GRID_NAMES) {
    expect(b.grids[g].length).toBe(a.grids[g].length);
    // Object.is: bit-exact, and NaN equals NaN, -Infinity stays -Infinity.
    for (let i = 0; i < a.grids[g].length; i++) expect(Object.is(b.grids[g][i], a.grids[g][i]), `${g}[${i}] ${a.grids[g][i]} vs ${b.grids[g][i]}`).toBe(true);
  }
  expect(Array.from(b.overflow)).toEqual(Array.from(a.overflow));
  expect(Array.from(b.spectrum.re)).toEqual(Array.from(a.spectrum.re));
  expect(b.meta).toEqual(a.meta);
}

describe('bundle', () => {
  it('round-trips a run exactly, non-finite values included', async () => {
    // rho = 0 gives -Infinity cells; linear rho = 2 with a long T overflows the forward pass (NaN).
    const { field, json } = await runWith({ activation: 'linear', hidden: 5, steps: 1100, rhoMin: 0, rhoMax: 2, rhoCount: 3, samples: 2, biasScale: 0.5 });
    expect(field.grids.gradLog10Mean.some((v) => v === -Infinity)).toBe(true);
    expect(field.grids.hiddenLog10Mean.some((v) => Number.isNaN(v))).toBe(true);
    const parsed = JSON.parse(json);
    expect(parsed.format).toBe(BUNDLE_FORMAT);
    expect(parsed.grids.gradLog10Mean[0][0]).toBeNull();
    expectSameField(field, fieldFromBundle(json));
  });

  it('a bundle written before a grid existed loads without it; one without a base grid is refused', async () => {
    const { field, json } = await runWith({ hidden: 5, steps: 6, rhoCount: 2, samples: 2 });
    const old = JSON.parse(json);
    const later = GRID_NAMES.filter((g) => !BUNDLE_BASE_GRIDS.includes(g));
    expect(later.length).toBeGreaterThan(0);
    for (const g of later) {
      delete old.grids[g];
      delete old.nonFinite[g];
    }
    const back = fieldFromBundle(old);
    expect(back.meta.absentGrids).toEqual(later);
    for (const g of later) expect(Array.from(back.grids[g]).every((v) => Number.isNaN(v))).toBe(true);
    for (const g of BUNDLE_BASE_GRIDS) expect(Array.from(back.grids[g])).toEqual(Array.from(field.grids[g]));
    const broken = JSON.parse(json);
    delete broken.grids.gradLog10Mean;
    expect(() => fieldFromBundle(broken)).toThrow(/grids\.gradLog10Mean/);
  });

  it('reads format 1, whose log10 means were -Infinity when one sample was 0, as format 2 means', async () => {
    const { field } = await runWith({ hidden: 5, steps: 6, rhoCount: 2, samples: 2 });
    const g = field.grids;
    g.gradLog10Mean[0] = -Infinity; // format 1: some sample exactly 0 (std Infinity)
    g.gradLog10Std[0] = Infinity;
    g.gradLog10Mean[1] = -Infinity; // format 1: every sample exactly 0 (std 0)
    g.gradLog10Std[1] = 0;
    g.hiddenLog10Mean[2] = -Infinity; // no spread to tell which
    const old = toBundle(field) as unknown as { format: string; grids: Record<string, unknown>; nonFinite: Record<string, unknown> };
    old.format = BUNDLE_FORMAT_1;
    for (const x of GRID_NAMES.filter((x) => !BUNDLE_BASE_GRIDS.includes(x))) {
      delete old.grids[x];
      delete old.nonFinite[x];
    }
    const back = fieldFromBundle(old).grids;
    expect(back.gradLog10Mean[0]).toBeNaN(); // the mean over the non-zero samples is not in the file
    expect(back.gradLog10Std[0]).toBeNaN();
    expect(back.gradLog10Mean[1]).toBe(-Infinity);
    expect(back.gradLog10Std[1]).toBe(0);
    expect(back.hiddenLog10Mean[2]).toBeNaN();
    expect(back.gradLog10Mean[3]).toBe(field.grids.gradLog10Mean[3]);
  });

  it('round-trips float32-valued grids bit-exactly', async () => {
    const { field } = await runWith({ hidden: 6, steps: 9, rhoCount: 4, samples: 3 });
    for (const g of GRID_NAMES) field.grids[g].set(Float32Array.from(field.grids[g]));
    expectSameField(field, fieldFromBundle(bundleToJson(field)));
  });

  it('holds the matrices actually used, with shapes from the config', async () => {
    const { config, json } = await runWith({ hidden: 4, input: 3, steps: 5, samples: 2, rhoCount: 2 });
    const b = JSON.parse(json);
    const p = buildProblem(config);
    expect(b.matrices.W0.flat()).toEqual(Array.from(p.W0));
    expect(b.matrices.U).toHaveLength(4);
    expect(b.matrices.U[0]).toHaveLength(3);
    expect(b.matrices.inputs).toHaveLength(2);
    expect(b.matrices.inputs[1]).toHaveLength(5);
    expect(b.matrices.inputs[1].flat()).toEqual(Array.from(p.inputsFor(1)));
  });

  it('leaves the matrices out, saying why, past the size limit', async () => {
    const config = parseConfig({ hidden: 2, input: 64, steps: 5000, samples: 7, rhoCount: 1 });
    expect(2 * 2 + 7 * 5000 * 64).toBeGreaterThan(MATRIX_NUMBER_LIMIT);
    const field = await new ReferenceEngine().run(parseConfig({ ...config, steps: 2, samples: 1 }));
    const b = toBundle({ ...field, config }, buildProblem(config));
    expect(b.matrices).toBeNull();
    expect(b.matricesOmitted).toMatch(/exceeds 2000000/);
  });

  it('refuses bad bundles with a reason', async () => {
    const { json } = await runWith({ hidden: 3, steps: 4, rhoCount: 2, samples: 1 });
    const good = JSON.parse(json);
    const cases: [unknown, RegExp][] = [
      [json.slice(0, json.length / 2), /not valid JSON/],
      ['[]', /no "format" field/],
      [{ ...good, format: 'rnn-gradient-lab.run/9' }, /unsupported bundle format/],
      [{ ...good, rho: [1] }, /rho has 1 values/],
      [{ ...good, config: { ...good.config, hidden: 0 } }, /config is invalid: Hidden size N/],
      [{ ...good, grids: { ...good.grids, saturation: good.grids.saturation.slice(1) } }, /grid saturation has 1 rows/],
      [{ ...good, grids: { ...good.grids, gradLog10Mean: [[1, 2, 'x', 4], [1, 2, 3, 4]] } }, /malformed at grids.gradLog10Mean/],
    ];
    for (const [input, why] of cases) expect(() => fieldFromBundle(input), String(why)).toThrow(BundleError);
    for (const [input, why] of cases) expect(() => fieldFromBundle(input)).toThrow(why);
  });

  it('docs/bundle.md states the saturation rule of the activation table and covers every activation', () => {
    const doc = readFileSync(new URL('../../docs/bundle.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain(saturationRuleText());
    for (const activation of ACTIVATIONS) expect(doc).toContain(`"${activation}": (`);
  });

  itNeeding(numpyRequirement(), 'the NumPy snippet in docs/bundle.md recomputes gradLog10Mean', async () => {
    const doc = readFileSync(new URL('../../docs/bundle.md', import.meta.url), 'utf8');
    const code = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-'));
    for (const activation of ACTIVATIONS) {
      // Parameters away from their defaults, so that the snippet must read them from the config.
      const { json } = await runWith({ activation, leakyAlpha: 0.1, eluAlpha: 1.7, hidden: 7, input: 3, steps: 30, rhoMin: 0.5, rhoMax: 1.8, rhoCount: 4, samples: 3, inputs: 'zero-after', inputUntil: 12, biasScale: 0.2 });
      writeFileSync(join(dir, 'run.json'), json);
      writeFileSync(join(dir, 'recompute.py'), code!);
      const out = execFileSync('python3', [join(dir, 'recompute.py'), join(dir, 'run.json')], { encoding: 'utf8' });
      // Same float64 arithmetic in another order: agreement to ~1e-12.
      expect(Number(out.trim()), activation).toBeLessThan(1e-10);
    }
  });
});
