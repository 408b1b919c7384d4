/**
 * The Train view's settings: the defaults are the core's four story models at the run
 * settings; every setting round-trips through the URL hash; a bad value (in the form or in a
 * link) is refused with a message naming the field and the value while everything else is kept.
 */
import { describe, expect, it } from 'vitest';
import { decodeHash, encodeHash } from '../../src/app/hash.ts';
import { defaultState } from '../../src/app/state.ts';
import { CHOICES, decodeModels, DEFAULT_TRAIN, encodeModels, evalEveryFor, nextModel, specLabel, trainConfigOf, withSetting, type TrainSettings } from '../../src/app/train-settings.ts';
import { DEFAULT_MODEL_SPECS, MAX_MODELS } from '../../src/core/train/config.ts';
import { Rng } from '../../src/core/rng.ts';

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng.uniform() * xs.length) % xs.length];
}

function randomSettings(rng: Rng): TrainSettings {
  const n = 1 + Math.floor(rng.uniform() * MAX_MODELS);
  return {
    task: pick(rng, CHOICES.task),
    length: 10 + Math.floor(rng.uniform() * 200),
    hidden: 1 + Math.floor(rng.uniform() * 128),
    optimizer: pick(rng, CHOICES.optimizer),
    lr: Number((rng.uniform() * 0.1 + 1e-6).toPrecision(4)),
    batch: 1 + Math.floor(rng.uniform() * 64),
    iterations: 1 + Math.floor(rng.uniform() * 5000),
    seed: Math.floor(rng.uniform() * 1e6),
    models: Array.from({ length: n }, () => ({
      activation: pick(rng, CHOICES.activation),
      init: pick(rng, CHOICES.init),
      rho: Number((rng.uniform() * 3).toPrecision(3)),
      clip: rng.uniform() < 0.5 ? 0 : Number((rng.uniform() * 10).toPrecision(3)),
      // Half the models keep the defaults (their link entry stays activation:init:rho:clip).
      inputWeightScale: rng.uniform() < 0.5 ? 1 : Number((rng.uniform() * 2).toPrecision(3)),
      biasInit: rng.uniform() < 0.5 ? 0 : Number((rng.uniform() * 2 - 1).toPrecision(3)),
    })),
  };
}

describe('Train settings', () => {
  it('default to the four story models at N = 64, T = 150, Adam lr 1e-3, batch 32, 3000 iterations', () => {
    const r = trainConfigOf(DEFAULT_TRAIN);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({ task: 'adding', length: 150, optimizer: 'adam', lr: 1e-3, batch: 32, iterations: 3000 });
    expect(r.config.models).toHaveLength(DEFAULT_MODEL_SPECS.length);
    r.config.models.forEach((m, k) => {
      expect(m).toMatchObject(DEFAULT_MODEL_SPECS[k]);
      expect(m.hidden).toBe(64);
    });
    expect(DEFAULT_TRAIN.models.map(specLabel)).toEqual(['tanh-gaussian', 'tanh-orthogonal', 'relu-gaussian clip 1', 'IRNN']);
  });

  it('evaluate about 40 times a run, at most every 50 iterations, at least every iteration', () => {
    expect(evalEveryFor(3000)).toBe(50);
    expect(evalEveryFor(400)).toBe(10);
    expect(evalEveryFor(20)).toBe(1);
    expect(evalEveryFor(1)).toBe(1);
  });

  it('round-trip through the URL hash (200 random settings), with the tab; the defaults write nothing', () => {
    expect(encodeHash(defaultState())).toBe('');
    const rng = new Rng(4242, 3);
    for (let i = 0; i < 200; i++) {
      const s = defaultState();
      s.view.tab = 'train';
      s.view.train = randomSettings(rng);
      if (!trainConfigOf(s.view.train).ok) continue; // e.g. copy with T < 2k, or past the memory limit
      const d = decodeHash(encodeHash(s));
      expect(d.problems).toEqual([]);
      expect(d.state).toEqual(s);
    }
  });

  it('refuse a bad value with the field, the value and what is allowed, and keep the settings', () => {
    const r = withSetting(DEFAULT_TRAIN, 'lr', 'fast');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^lr: "fast" is not allowed; expected a number in/);
    const c = withSetting(DEFAULT_TRAIN, 'models[2].clip', '-1');
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.message).toMatch(/^models\[2\]\.clip: -1 is not allowed/);
    const n = withSetting(DEFAULT_TRAIN, 'hidden', '0');
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.message).toMatch(/^hidden: 0 is not allowed/);
    const ok = withSetting(DEFAULT_TRAIN, 'models[3].rho', '0.9');
    expect(ok.ok && ok.settings.models[3].rho).toBe(0.9);
    expect(DEFAULT_TRAIN.models[3].rho).toBe(1);
  });

  it('a link with bad train values reports each by its key and keeps the rest', () => {
    const d = decodeHash('#tab=train&t.T=20&t.lr=abc&t.models=tanh:gaussian:1:0~relu:bogus:1:0&t.N=8');
    expect(d.state.view.tab).toBe('train');
    expect(d.state.view.train.length).toBe(20);
    expect(d.state.view.train.hidden).toBe(8);
    expect(d.state.view.train.lr).toBe(DEFAULT_TRAIN.lr);
    expect(d.state.view.train.models).toEqual(DEFAULT_TRAIN.models);
    expect(d.problems.map((p) => p.key)).toEqual(['t.lr', 't.models']);
    expect(d.problems[0].message).toMatch(/^t\.lr: lr: "abc" is not allowed/);
    expect(d.problems[1].message).toMatch(/init "bogus" is not one of/);
    expect(decodeHash('#tab=plots').problems[0].message).toMatch(/^tab: "plots" is not allowed; expected one of gradient, train/);
  });

  it('links name the input weight scale and bias init only off their defaults; older four-field entries still read', () => {
    const irnn = { activation: 'relu', init: 'identity', rho: 1, clip: 1, inputWeightScale: 0.1, biasInit: 0 } as const;
    expect(encodeModels([DEFAULT_TRAIN.models[0], irnn])).toBe('tanh:gaussian:1:0~relu:identity:1:1:0.1:0');
    expect(decodeModels('tanh:gaussian:1:0~relu:identity:1:1:0.1:0')).toEqual({ ok: true, models: [DEFAULT_TRAIN.models[0], irnn] });
    expect(specLabel(irnn)).toBe('IRNN input 0.1 clip 1');
    const bad = decodeModels('relu:identity:1:1:0.1');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^model 1 "relu:identity:1:1:0.1" is not activation:init:rho:clip or .*inputWeightScale:biasInit/);
    const range = decodeModels('relu:identity:1:1:-3:0');
    expect(range.ok).toBe(false);
    if (!range.ok) expect(range.message).toMatch(/inputWeightScale: -3 is not allowed/);
  });

  it('add models up to the core limit', () => {
    let s: TrainSettings = DEFAULT_TRAIN;
    while (nextModel(s)) s = { ...s, models: [...s.models, nextModel(s)!] };
    expect(s.models).toHaveLength(MAX_MODELS);
    expect(trainConfigOf(s).ok).toBe(true);
  });
});
