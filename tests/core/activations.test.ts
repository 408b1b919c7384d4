import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_PARAMS,
  ACTIVATION_RECORDS,
  ACTIVATIONS,
  activationByCode,
  activationFns,
  activationParams,
  activationRecord,
  activationTitle,
  paramConstName,
  SATURATION_FRACTION,
  saturationLimit,
  saturationWords,
  type ActivationParams,
} from '../../src/core/activations.ts';
import { checkConfig, DEFAULT_CONFIG, FIELDS } from '../../src/core/config.ts';
import { Rng } from '../../src/core/rng.ts';

const SEED = Number(process.env.ACTIVATION_TEST_SEED ?? ((Date.now() ^ (process.pid << 8)) >>> 0));
console.log(`activation table tests: seed ${SEED} (replay with ACTIVATION_TEST_SEED=${SEED})`);

/** Every parameter drawn uniformly from its bounds. */
function randomParams(rng: Rng): ActivationParams {
  return activationParams(Object.fromEntries(ACTIVATION_PARAMS.map((q) => [q.key, q.min + (q.max - q.min) * rng.uniform()])));
}

describe('the activation table', () => {
  it('numbers the activations once: codes 0, 1, 2, ... in table order; unknown names and codes throw', () => {
    expect(ACTIVATION_RECORDS.map((d) => d.code)).toEqual(ACTIVATIONS.map((_, i) => i));
    for (const d of ACTIVATION_RECORDS) {
      expect(activationRecord(d.name)).toBe(d);
      expect(activationByCode(d.code)).toBe(d);
    }
    expect(() => activationRecord('gelu')).toThrow(/unknown activation "gelu"; known: tanh, relu/);
    expect(() => activationByCode(ACTIVATIONS.length)).toThrow(/unknown activation code/);
    expect(() => activationByCode(-1)).toThrow(/unknown activation code/);
    expect(() => activationByCode(0.5)).toThrow(/unknown activation code/);
  });

  it('a SIMD column emitter is used only by records whose saturation rule it counts', () => {
    for (const d of ACTIVATION_RECORDS) {
      if (d.cpu.simd?.kind === 'tanh') expect(d.saturation, d.name).toBe('derivative');
      if (d.cpu.simd?.kind === 'rect') expect(d.saturation, d.name).toBe('dead');
    }
  });

  it('each parameter is a config field with the bounds and default of the table', () => {
    expect(ACTIVATION_PARAMS.map((q) => q.key)).toEqual(['leakyAlpha', 'eluAlpha']);
    for (const q of ACTIVATION_PARAMS) {
      expect(FIELDS[q.key]).toMatchObject({ kind: 'real', min: q.min, max: q.max, default: q.default });
      expect(DEFAULT_CONFIG[q.key]).toBe(q.default);
      expect(checkConfig({ [q.key]: q.max }).ok).toBe(true);
      const r = checkConfig({ [q.key]: q.max + 1 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.problems[0].field).toBe(q.key);
    }
    expect(paramConstName('leakyAlpha')).toBe('LEAKY_ALPHA');
    expect(paramConstName('eluAlpha')).toBe('ELU_ALPHA');
  });

  it('der is the derivative of output: central differences at random points, random parameters', () => {
    // Central difference with h = 1e-6 on |a| <= 8: truncation h^2 |phi'''| / 6 < 2e-12 (|phi'''| <= 10
    // for every record, elu with alpha <= 10 included), rounding 2.2e-16 |phi| / h < 3e-9 (|phi| <= 10),
    // so a tolerance of 1e-7 absolute plus 1e-7 relative. Points within 1e-4 of a kink (0) are skipped.
    const rng = new Rng(SEED, 1);
    const h = 1e-6;
    for (const d of ACTIVATION_RECORDS) {
      for (let n = 0; n < 200; n++) {
        const p = randomParams(rng);
        const a = (rng.uniform() * 2 - 1) * 8;
        if (d.kink(p) && Math.abs(a) < 1e-4) continue;
        const fd = (d.output(a + h, p) - d.output(a - h, p)) / (2 * h);
        const der = d.der(a, p);
        expect(Math.abs(der - fd), `${d.name} at a = ${a}, params ${JSON.stringify(p)}`).toBeLessThan(1e-7 + 1e-7 * Math.abs(der));
      }
    }
  });

  it('gamma is sup phi\': never exceeded, and approached, on a fine grid', () => {
    const rng = new Rng(SEED, 2);
    for (const d of ACTIVATION_RECORDS) {
      for (let n = 0; n < 10; n++) {
        const p = randomParams(rng);
        const gamma = d.gamma(p);
        let sup = 0;
        for (let i = -6000; i <= 6000; i++) sup = Math.max(sup, d.der(i / 100, p)); // a = 0 included (elu's sup)
        expect(sup, d.name).toBeLessThanOrEqual(gamma);
        // softplus' = sigmoid approaches 1 only as a -> Infinity: sigmoid(60) = 1 - 9e-27
        expect(sup, d.name).toBeGreaterThan(gamma * (1 - 1e-12));
      }
    }
  });

  it('kinks: phi\' jumps at 0 exactly where the table says (relu, leaky_relu, elu with alpha != 1)', () => {
    const kinked = (name: (typeof ACTIVATIONS)[number], params: Partial<ActivationParams> = {}) => activationFns(name, params).kink;
    expect(ACTIVATIONS.filter((n) => kinked(n))).toEqual(['relu', 'leaky_relu']);
    expect(kinked('elu', { eluAlpha: 0.5 })).toBe(true);
    expect(kinked('leaky_relu', { leakyAlpha: 1 })).toBe(false);
    const rng = new Rng(SEED, 3);
    for (const d of ACTIVATION_RECORDS) {
      for (let n = 0; n < 20; n++) {
        const p = randomParams(rng);
        const jump = Math.abs(d.der(1e-12, p) - d.der(-1e-12, p));
        if (d.kink(p)) expect(jump, d.name).toBeGreaterThan(1e-9);
        else expect(jump, d.name).toBeLessThan(1e-9);
      }
    }
  });

  it('NaN in, NaN phi\' out (an undefined step) unless phi\' is constant; +-Infinity give defined values', () => {
    for (const d of ACTIVATION_RECORDS) {
      const p = activationParams();
      expect(Number.isNaN(d.output(NaN, p)), d.name).toBe(true);
      expect(Number.isNaN(d.der(NaN, p)), d.name).toBe(d.name !== 'linear');
      for (const a of [Infinity, -Infinity]) {
        expect(Number.isNaN(d.der(a, p)), `${d.name} phi'(${a})`).toBe(false);
        expect(Number.isNaN(d.output(a, p)), `${d.name} phi(${a})`).toBe(false);
      }
      expect(d.bounded, d.name).toBe(Number.isFinite(d.output(Infinity, p)) && Number.isFinite(d.output(-Infinity, p)));
    }
  });

  it('saturation: one threshold, phi\' < SATURATION_FRACTION * gamma, or a <= 0 for the dead rule', () => {
    const rng = new Rng(SEED, 4);
    for (const d of ACTIVATION_RECORDS) {
      const p = randomParams(rng);
      const fns = activationFns(d.name, p);
      expect(saturationLimit(d.name, p)).toBe(SATURATION_FRACTION * d.gamma(p));
      for (let n = 0; n < 200; n++) {
        const a = (rng.uniform() * 2 - 1) * 20;
        const expected = d.saturation === 'dead' ? a <= 0 : d.der(a, p) < SATURATION_FRACTION * d.gamma(p);
        expect(fns.saturated(a), `${d.name} at ${a}`).toBe(expected);
      }
    }
    // The thresholds in closed form: tanh' = 0.01 at atanh(sqrt(0.99)) = 2.9932, sigmoid' = 1% of 1/4 at
    // 5.9864, softplus' = sigmoid = 0.01 at ln(1/99) = -4.5951, elu' = e^a = 0.01 at ln(0.01) = -4.6052.
    const edge = (name: (typeof ACTIVATIONS)[number], at: number, dir: 1 | -1) => {
      expect(activationFns(name).saturated(at - dir * 1e-3), `${name} inside ${at}`).toBe(false);
      expect(activationFns(name).saturated(at + dir * 1e-3), `${name} beyond ${at}`).toBe(true);
    };
    edge('tanh', 2.9932, 1);
    edge('tanh', -2.9932, -1);
    edge('sigmoid', 5.9864, 1);
    edge('softplus', -4.5951, -1);
    edge('elu', -4.6052, -1);
    expect(activationFns('linear').saturated(-1e9)).toBe(false);
    expect(activationFns('leaky_relu').saturated(0)).toBe(true);
  });

  it('softplus is log(1 + e^a) without overflow or cancellation, and its derivative is sigmoid', () => {
    const f = activationFns('softplus');
    expect(f.output(800)).toBe(800);
    expect(f.output(-800)).toBe(0); // e^-800 underflows float64
    const e = Math.exp(-30);
    expect(Math.abs(f.output(-30) / (e - (e * e) / 2) - 1)).toBeLessThan(1e-15); // log1p(e) = e - e^2/2 + ...
    expect(Math.abs(f.output(0) - Math.LN2)).toBeLessThan(1e-16);
    expect(f.output(36.7)).toBe(36.7 + Math.exp(-36.7));
    expect(f.der(800)).toBe(1);
    expect(Math.abs(f.der(-30) / Math.exp(-30) - 1)).toBeLessThan(1e-12);
    expect(f.gamma).toBe(1);
    expect(f.kink).toBe(false);
  });

  it('ELU: alpha (e^a - 1) below 0, tending to -alpha; phi\' = alpha e^a', () => {
    const f = activationFns('elu', { eluAlpha: 2.5 });
    expect(f.output(3)).toBe(3);
    expect(f.output(-Infinity)).toBe(-2.5);
    expect(Math.abs(f.output(-1e-9) / (2.5 * (-1e-9 + 1e-18 / 2)) - 1)).toBeLessThan(1e-15); // expm1: no cancellation near 0
    expect(f.der(-1)).toBe(2.5 * Math.exp(-1));
    expect(f.gamma).toBe(2.5);
    expect(activationFns('elu').gamma).toBe(1);
    expect(activationFns('elu', { eluAlpha: 0 }).output(-3)).toBe(-0); // alpha = 0 is relu
  });

  // fastTanh is accurate to 2e-11 relative (its comment, measured), expNeg to 1e-15; phi' = 1 - y^2
  // near saturation carries the cancellation of 1 - y^2 (2.2e-16 absolute), as the reference's does.
  // All far below float32's 6e-8, where the CPU engine stores the results.
  it('the CPU engine\'s scalar path agrees with the float64 functions (2e-11 relative, far below float32)', () => {
    const rng = new Rng(SEED, 5);
    for (const d of ACTIVATION_RECORDS) {
      const p = randomParams(rng);
      const cpu = d.cpu.scalar(p);
      for (let n = 0; n < 500; n++) {
        const a = (rng.uniform() * 2 - 1) * 40;
        const y = cpu.output(a);
        const close = (x: number, ref: number, what: string) =>
          expect(Math.abs(x - ref), `${d.name} ${what} at ${a}`).toBeLessThanOrEqual(2e-11 * Math.abs(ref) + 1e-15);
        close(y, d.output(a, p), 'phi');
        close(cpu.der(a, y), d.der(a, p), "phi'");
      }
      expect(Number.isNaN(cpu.der(NaN, cpu.output(NaN))), d.name).toBe(d.name !== 'linear');
    }
  });

  it('the saturation words state thresholds where the saturated test flips, for every activation', () => {
    const rng = new Rng(SEED, 6);
    for (const d of ACTIVATION_RECORDS) {
      const p = randomParams(rng);
      const words = saturationWords(d.name, p);
      const fns = activationFns(d.name, p);
      // Rounded to 2 decimals: 0.01 on either side is on either side of the threshold.
      const sym = /\|a\| > (-?[\d.]+)/.exec(words);
      const one = /i\.e\. a ([<>]) (-?[\d.]+)/.exec(words);
      if (sym) {
        const x = Number(sym[1]);
        for (const s of [1, -1]) {
          expect(fns.saturated(s * (x - 0.01)), `${d.name}: ${words}`).toBe(false);
          expect(fns.saturated(s * (x + 0.01)), `${d.name}: ${words}`).toBe(true);
        }
      } else if (one) {
        const x = Number(one[2]);
        const dir = one[1] === '<' ? -1 : 1;
        expect(fns.saturated(x - dir * 0.01), `${d.name}: ${words}`).toBe(false);
        expect(fns.saturated(x + dir * 0.01), `${d.name}: ${words}`).toBe(true);
      } else if (d.saturation === 'dead') {
        expect(words, d.name).toMatch(/a ≤ 0/);
        expect(fns.saturated(0) && !fns.saturated(1e-9)).toBe(true);
      } else {
        expect(words, d.name).toMatch(/always 0/);
        for (let a = -60; a <= 60; a += 0.5) expect(fns.saturated(a), `${d.name} at ${a}`).toBe(false);
      }
    }
    expect(saturationWords('tanh')).toBe("fraction of units saturated: φ'(a) below 1% of its maximum 1, i.e. |a| > 2.99");
    expect(saturationWords('softplus')).toMatch(/a < -4\.60$/);
    expect(saturationWords('elu', { eluAlpha: 2 })).toMatch(/maximum 2, i\.e\. a < -4\.61$/);
    expect(saturationWords('leaky_relu', { leakyAlpha: 0.1 })).toBe("fraction of units on the negative side: a ≤ 0, where φ'(a) = 0.1");
  });

  it('titles name the activation and its own parameters', () => {
    expect(activationTitle('tanh', DEFAULT_CONFIG)).toBe('tanh');
    expect(activationTitle('leaky_relu', { leakyAlpha: 0.2 })).toBe('leaky ReLU (α = 0.2)');
    expect(activationTitle('elu', DEFAULT_CONFIG)).toBe('ELU (α = 1)');
    expect(activationTitle('softplus')).toBe('softplus');
  });
});
