import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  FIELDS,
  FIELD_NAMES,
  checkConfig,
  parseConfig,
  parseRhoSpec,
  rhoValues,
  rhoCountWithOne,
  rhoOneMissed,
  ConfigError,
} from '../../src/core/config.ts';
import { PRESETS } from '../../src/app/presets.ts';
import { LAB_VERSION } from '../../src/core/version.ts';
import pkg from '../../package.json' with { type: 'json' };

describe('config', () => {
  it('fills every field with its default from the table', () => {
    const c = parseConfig({});
    for (const name of FIELD_NAMES) expect(c[name]).toBe(FIELDS[name].default);
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c).toMatchObject({ activation: 'tanh', hidden: 64, input: 8, steps: 100, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 65, samples: 16 });
  });

  // Every numeric field: its bounds are accepted, one step outside is refused with a message
  // that names the field, the bad value and the range.
  for (const name of FIELD_NAMES) {
    const f = FIELDS[name];
    if (f.kind === 'enum') {
      it(`${name}: accepts each option and refuses others by name`, () => {
        // sweep outlier moves an eigenvalue of init spectrum, so it is checked beside it.
        const base = name === 'sweep' ? { init: 'spectrum' } : {};
        for (const o of f.options) expect(checkConfig({ ...base, [name]: o }).ok).toBe(true);
        const r = checkConfig({ [name]: 'gelu' });
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.message).toContain(`${f.label} must be one of`);
          expect(r.error.message).toContain('you entered "gelu"');
          expect(r.error.message).toContain(f.options.join(', '));
          expect(r.error.problems[0].field).toBe(name);
        }
        expect(checkConfig({ [name]: 3 }).ok).toBe(false);
      });
    } else if (f.kind === 'text') {
      // Text fields (the spectrum's bulk and outliers) have their own tests in spectrum-init.test.ts.
      it(`${name}: accepts its default and refuses non-text by name`, () => {
        expect(checkConfig({ [name]: f.default }).ok).toBe(true);
        for (const v of [3, null, ['a']]) {
          const r = checkConfig({ [name]: v });
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.problems[0].field).toBe(name);
        }
      });
    } else {
      it(`${name}: accepts ${f.min}..${f.max}, refuses outside, non-numbers${f.kind === 'int' ? ' and fractions' : ''}`, () => {
        const base = name === 'inputUntil' ? { steps: 5000 } : name === 'rhoMin' ? { rhoMax: 10 } : name === 'rhoMax' ? { rhoMin: 0 } : {};
        const ok = (v: number) => checkConfig({ ...base, [name]: v }).ok;
        expect(ok(f.min)).toBe(true);
        expect(ok(f.max)).toBe(true);
        const below = f.kind === 'int' ? f.min - 1 : f.min - 1e-9;
        const above = f.kind === 'int' ? f.max + 1 : f.max + 1e-9;
        for (const bad of [below, above, NaN, Infinity, -Infinity]) {
          const r = checkConfig({ ...base, [name]: bad });
          expect(r.ok, `${name}=${bad}`).toBe(false);
          if (!r.ok) {
            // By its label, with the bounds in words and what was entered; never "NaN".
            expect(r.error.message).toContain(f.label);
            expect(r.error.message).toContain(`between ${f.min} and ${f.max}`);
            if (Number.isNaN(bad)) expect(r.error.message).toBe(`${f.label} is not a number; enter ${f.kind === 'int' ? 'a whole number' : 'a number'} between ${f.min} and ${f.max}`);
            else expect(r.error.message).toContain(`you entered ${bad}`);
          }
        }
        // Text that is not a number is quoted; an empty field says it is empty.
        const letters = checkConfig({ [name]: 'abc' });
        expect(letters.ok).toBe(false);
        if (!letters.ok) expect(letters.error.message).toBe(`${f.label} must be a number (${f.kind === 'int' ? 'a whole number' : 'a number'} between ${f.min} and ${f.max}); you entered "abc"`);
        const empty = checkConfig({ [name]: ' ' });
        if (!empty.ok) expect(empty.error.message).toMatch(new RegExp(`^${f.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is empty; enter`));
        expect(empty.ok).toBe(false);
        expect(checkConfig({ [name]: '12' }).ok).toBe(false);
        expect(checkConfig({ [name]: null }).ok).toBe(false);
        if (f.kind === 'int') expect(ok(f.min + 0.5)).toBe(false);
      });
    }
  }

  it('speaks as the lab does: "Hidden size N must be a whole number between 1 and 1024; you entered 5000"', () => {
    const r = checkConfig({ hidden: 5000 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('Hidden size N must be a whole number between 1 and 1024; you entered 5000');
    const f = checkConfig({ rhoMax: 2.5, rhoMin: 12 });
    if (!f.ok) expect(f.error.message).toBe('rho min must be a number between 0 and 10; you entered 12');
  });

  it('refuses unknown fields, naming them', () => {
    const r = checkConfig({ hidden: 8, hiddenSize: 8, colour: 'red' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain('"hiddenSize"');
      expect(r.error.message).toContain('"colour"');
    }
  });

  it('refuses non-objects', () => {
    for (const v of [null, 3, 'tanh', [1, 2]]) expect(checkConfig(v).ok).toBe(false);
  });

  it('refuses rhoMin > rhoMax and inputUntil beyond the last step', () => {
    const a = checkConfig({ rhoMin: 2, rhoMax: 1 });
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error.message).toMatch(/rho min \(2\) must not be above rho max \(1\)/);
    expect(checkConfig({ steps: 5 }).ok).toBe(true); // inputUntil matters only in zero-after mode
    const b = checkConfig({ steps: 10, inputUntil: 11, inputs: 'zero-after' });
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.error.problems[0].field).toBe('inputUntil');
  });

  it('collects every problem, one message each', () => {
    const r = checkConfig({ hidden: 0, steps: 'x', activation: 'gelu' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.problems.map((p) => p.field).sort()).toEqual(['activation', 'hidden', 'steps']);
  });

  it('rho = 1 is a grid point of the default sweep and of every preset; a count that misses it gets a suggestion', () => {
    const def = rhoValues(DEFAULT_CONFIG);
    expect(def[32]).toBe(1);
    expect(def[1] - def[0]).toBeCloseTo(1 / 64, 15);
    for (const p of PRESETS) {
      const c = parseConfig(p.config);
      expect(rhoValues(c).includes(1), p.id).toBe(true);
      expect(rhoOneMissed(c)).toBe(false);
    }
    expect(rhoValues({ rhoMin: 0.8, rhoMax: 1.2, rhoCount: 65 })[32]).toBe(1); // 1 + 2e-16 before snapping
    const old = { rhoMin: 0.5, rhoMax: 1.5, rhoCount: 64 };
    expect(rhoOneMissed(old)).toBe(true);
    expect(rhoCountWithOne(old)).toBe(65);
    expect(rhoCountWithOne({ rhoMin: 0.5, rhoMax: 2, rhoCount: 50 })).toBe(49); // step 1.5/48 = 1/32
    expect(rhoOneMissed({ rhoMin: 1.1, rhoMax: 2, rhoCount: 64 })).toBe(false); // 1 is not in the range
    expect(rhoCountWithOne({ rhoMin: 1.1, rhoMax: 2, rhoCount: 64 })).toBeNull();
  });

  it('rho values are evenly spaced and inclusive', () => {
    expect(Array.from(rhoValues({ rhoMin: 0.5, rhoMax: 1.5, rhoCount: 5 }))).toEqual([0.5, 0.75, 1, 1.25, 1.5]);
    expect(Array.from(rhoValues({ rhoMin: 0.7, rhoMax: 0.9, rhoCount: 1 }))).toEqual([0.7]);
    const r = rhoValues({ rhoMin: 0.1, rhoMax: 0.7, rhoCount: 7 });
    expect(r[6]).toBe(0.7);
  });

  it('parses MIN:MAX:COUNT and refuses malformed specs with a clear message', () => {
    expect(parseRhoSpec('0.5:1.5:64')).toEqual({ rhoMin: 0.5, rhoMax: 1.5, rhoCount: 64 });
    expect(parseRhoSpec(' 0 : 2 : 3 ')).toEqual({ rhoMin: 0, rhoMax: 2, rhoCount: 3 });
    for (const bad of ['', '1:2', '1:2:3:4', 'a:2:3', '1::3', '1:2:x', '2:1:3', '0:11:3', '0:1:0', '0:1:2.5', '-1:1:3', '1:2:Infinity']) {
      expect(() => parseRhoSpec(bad), bad).toThrow(ConfigError);
    }
    expect(() => parseRhoSpec('1:2')).toThrow(/rho: "1:2" does not have three parts; expected MIN:MAX:COUNT/);
  });

  it('LAB_VERSION matches package.json', () => {
    expect(LAB_VERSION).toBe(pkg.version);
  });
});
