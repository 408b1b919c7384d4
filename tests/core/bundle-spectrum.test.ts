/**
 * The bundle of a chosen-spectrum run: what rebuilds W at every row and step (the rule, Q, B's
 * blocks, the bulk drawn, the outlier's direction, the untied W0_t), checked with NumPy alone
 * through the snippet in docs/bundle.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleToJson, fieldFromBundle, MATRIX_NUMBER_LIMIT, toBundle, type Bundle } from '../../src/core/bundle.ts';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { buildProblem } from '../../src/core/problem.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { itNeeding, numpyRequirement } from '../helpers/requirements.ts';
import { testSeed } from '../helpers/seed.ts';

const FRESH = testSeed('bundle spectrum tests');

async function runWith(partial: Partial<Config>) {
  const config = parseConfig({ seed: FRESH, hidden: 7, input: 3, steps: 20, rhoCount: 4, samples: 3, biasScale: 0.2, ...partial });
  const field = await new ReferenceEngine().run(config);
  const problem = buildProblem(config, { outlierAndUntied: true });
  return { config, field, problem, json: bundleToJson(field, problem) };
}

const CASES: [string, Partial<Config>][] = [
  ['spectrum, sweep rho, tied', { init: 'spectrum', bulk: 'disk:0.7', outliers: '1.1,0;0.3,0.9', activation: 'tanh', rhoMin: 0.5, rhoMax: 1.4 }],
  ['spectrum, sweep outlier (real), tied', { init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0', sweep: 'outlier', activation: 'relu', rhoMin: 0.8, rhoMax: 1.3 }],
  ['spectrum, sweep outlier (pair), untied', { init: 'spectrum', bulk: 'circle:0.5', outliers: '-0.5,0.7', sweep: 'outlier', weights: 'untied', activation: 'linear', rhoMin: 0.6, rhoMax: 1.2 }],
  ['gaussian, untied', { weights: 'untied', activation: 'leaky_relu', rhoMin: 0.5, rhoMax: 1.5 }],
];

describe('bundle: the weights of a chosen spectrum, the outlier axis and untied weights', () => {
  it('stores the rule, the blocks, the bulk drawn, Q, the direction and the untied W0_t; reads back the same run', async () => {
    const { config, field, problem, json } = await runWith(CASES[2][1]);
    const b = JSON.parse(json) as Bundle;
    const w = b.weights!;
    expect(w.rule).toMatch(/first outlier moved to magnitude m_k.*untied/);
    expect(w.rhoScale).toEqual([1, 1, 1, 1]);
    expect(w.shift[0]).toBeCloseTo(0.6 - Math.hypot(0.5, 0.7), 14);
    expect(w.chosen!.blocks[0]).toEqual([0, 2, -0.5, 0.7]);
    expect(w.chosen!.bulk.re).toHaveLength(config.hidden - 2);
    expect(w.chosen!.bulk.re.every((re, i) => Math.abs(Math.hypot(re, w.chosen!.bulk.im[i]) - 0.5) < 1e-14)).toBe(true);
    expect(w.chosen!.Q).toHaveLength(config.hidden);
    expect(w.chosen!.direction!.P).toHaveLength(2);
    expect(w.untied!.W0).toHaveLength(config.steps);
    expect(w.untied!.directions.every((d) => d !== null && d.P.length === 2)).toBe(true);
    expect(problem.chosen).not.toBeNull();
    const back = fieldFromBundle(JSON.parse(json));
    expect(back.config).toEqual(config);
    expect(Array.from(back.grids.gradLog10Mean)).toEqual(Array.from(field.grids.gradLog10Mean));
  });

  it('untied W0_t over the size limit are left out, saying why and how to regenerate them', async () => {
    const config = parseConfig({ seed: FRESH, hidden: 200, steps: 60, rhoCount: 1, samples: 1, weights: 'untied', init: 'identity' });
    // Only the bundle's planning is exercised: T N^2 = 2.4e6 numbers exceed the limit.
    expect(config.steps * config.hidden ** 2).toBeGreaterThan(MATRIX_NUMBER_LIMIT);
    const field = await new ReferenceEngine().run({ ...config, steps: 60 });
    const b = toBundle(field, buildProblem(config, { outlierAndUntied: true }));
    expect(b.weights!.untied).toBeNull();
    expect(b.weights!.untiedOmitted).toMatch(/T\*N\*N = 2400000 numbers.*rerun the config .*untiedWeights in src\/core\/weights\.ts/);
  });

  itNeeding(numpyRequirement(), 'the NumPy snippet in docs/bundle.md rebuilds W0 = Q B Q^T and every W_{k,t}, and recomputes gradLog10Mean', async () => {
    const doc = readFileSync(new URL('../../docs/bundle.md', import.meta.url), 'utf8');
    const code = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-'));
    writeFileSync(join(dir, 'recompute.py'), code!);
    for (const [what, partial] of CASES) {
      const { json } = await runWith(partial);
      writeFileSync(join(dir, 'run.json'), json);
      const out = execFileSync('python3', [join(dir, 'recompute.py'), join(dir, 'run.json')], { encoding: 'utf8' });
      // The same float64 arithmetic in another order (the rank-one/two update and Q B Q^T
      // included): agreement to ~1e-13 over T = 20 steps; 1e-10 leaves a wide margin.
      expect(Number(out.trim()), what).toBeLessThan(1e-10);
    }
  });
});
