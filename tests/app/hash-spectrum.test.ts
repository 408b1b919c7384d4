import { describe, expect, it } from 'vitest';
import { decodeHash, encodeHash } from '../../src/app/hash.ts';
import { compareConfig, compareName, defaultState } from '../../src/app/state.ts';

describe('URL hash: the chosen spectrum', () => {
  it('round-trips an edited spectrum, the outlier axis and untied weights exactly', () => {
    const s = defaultState();
    Object.assign(s.config, { init: 'spectrum', bulk: 'circle:0.65', outliers: '1.23,0;-0.4,0.95;0.1,-0.2', sweep: 'outlier', weights: 'untied', rhoMin: 0.8, rhoMax: 1.3 });
    const hash = encodeHash(s);
    expect(hash).toContain('outliers=1.23%2C0%3B-0.4%2C0.95%3B0.1%2C-0.2');
    const d = decodeHash(`#${hash}`);
    expect(d.problems).toEqual([]);
    expect(d.state).toEqual(s);
  });

  it('compare mode untied: B is A with untied weights on the same seed, named by its weights; the link keeps it', () => {
    const s = defaultState();
    s.view.compare = 'untied';
    const b = compareConfig(s.config, 'untied')!;
    expect(b).toEqual({ ...s.config, weights: 'untied' });
    expect(compareName(s.config, 'untied')).toBe('tanh, tied');
    expect(compareName(b, 'untied')).toBe('tanh, untied');
    const d = decodeHash(`#${encodeHash(s)}`);
    expect(d.problems).toEqual([]);
    expect(d.state.view.compare).toBe('untied');
  });

  it('a bad spectrum in a link is reported by field and replaced by the default', () => {
    const d = decodeHash('#init=spectrum&outliers=1,0;2,0;3,0;4,0;5,0&bulk=ring:1');
    expect(d.problems.map((p) => p.key).sort()).toEqual(['bulk', 'outliers']);
    expect(d.problems.find((p) => p.key === 'outliers')!.message).toContain('at most 4');
    expect(d.state.config.outliers).toBe(defaultState().config.outliers);
    // sweep outlier without init spectrum: the rule names sweep, which falls back to rho.
    const e = decodeHash('#sweep=outlier');
    expect(e.problems[0].key).toBe('sweep');
    expect(e.state.config.sweep).toBe('rho');
  });
});
