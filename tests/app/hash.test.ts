/**
 * The URL-hash table: every config field and view field round-trips; bad values are refused
 * with a message naming the field while the other fields are kept; nothing a link can hold
 * makes decoding throw or yield an invalid config.
 */
import { describe, expect, it } from 'vitest';
import { decodeHash, encodeHash, HASH_FIELDS } from '../../src/app/hash.ts';
import { PRESETS } from '../../src/app/presets.ts';
import { BACKEND_CHOICES, COMPARE_OPTIONS, defaultState, KERNEL_CHOICES, OVERLAYS, SHOWN_FIELDS, type LabState } from '../../src/app/state.ts';
import { checkConfig, FIELDS, FIELD_NAMES } from '../../src/core/config.ts';
import { Rng } from '../../src/core/rng.ts';

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng.uniform() * xs.length) % xs.length];
}

/** A random valid state: every config field drawn within its bounds, every view field from its options. */
function randomState(rng: Rng): LabState {
  const s = defaultState();
  const c = s.config as unknown as Record<string, unknown>;
  for (const name of FIELD_NAMES) {
    const f = FIELDS[name];
    if (f.kind === 'enum') c[name] = pick(rng, f.options);
    else if (f.kind === 'text') c[name] = f.default;
    else if (f.kind === 'int') c[name] = Math.floor(f.min + rng.uniform() * (Math.min(f.max, f.min + 5000) - f.min + 1));
    else c[name] = Number((f.min + rng.uniform() * (f.max - f.min)).toPrecision(6));
  }
  if (s.config.rhoMin > s.config.rhoMax) [s.config.rhoMin, s.config.rhoMax] = [s.config.rhoMax, s.config.rhoMin];
  s.config.inputUntil = Math.min(s.config.inputUntil, s.config.steps);
  // The spectrum init takes no normalisation; the outlier axis needs the spectrum init.
  if (s.config.sweep === 'outlier') s.config.init = 'spectrum';
  if (s.config.init === 'spectrum') s.config.normalize = 'radius';
  s.view.field = pick(rng, SHOWN_FIELDS);
  s.view.rho = Number((rng.uniform() * 10).toPrecision(6));
  s.view.compare = pick(rng, COMPARE_OPTIONS);
  s.view.backend = pick(rng, BACKEND_CHOICES);
  s.view.kernel = pick(rng, KERNEL_CHOICES);
  s.view.embed = rng.uniform() < 0.5;
  for (const o of OVERLAYS) s.view.overlays[o] = rng.uniform() < 0.5;
  s.view.camera = rng.uniform() < 0.5 ? null : [Number((rng.uniform() * 360 - 180).toFixed(2)), Number((rng.uniform() * 80).toFixed(2)), Number((1 + rng.uniform() * 5).toFixed(2))];
  s.view.preset = rng.uniform() < 0.5 ? null : pick(rng, PRESETS).id;
  if (rng.uniform() < 0.5) {
    const lo = Number((rng.uniform() * 40 - 30).toPrecision(6));
    s.view.colourLock = { field: pick(rng, SHOWN_FIELDS), min: lo, max: Number((lo + 0.001 + rng.uniform() * 20).toPrecision(6)) };
  }
  return s;
}

describe('URL hash table', () => {
  it('holds every config field of the core FIELDS table, plus the view fields', () => {
    const keys = HASH_FIELDS.map((f) => f.key);
    for (const name of FIELD_NAMES) expect(keys).toContain(name);
    for (const v of ['field', 'rho', 'cmp', 'backend', 'kernel', 'ov', 'embed', 'cam', 'lock', 'preset']) expect(keys).toContain(v);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('writes nothing for the default state and reads it back', () => {
    expect(encodeHash(defaultState())).toBe('');
    expect(decodeHash('').state).toEqual(defaultState());
    expect(decodeHash('#').problems).toEqual([]);
  });

  it('round-trips 300 random valid states exactly', () => {
    const rng = new Rng(20260, 9);
    for (let i = 0; i < 300; i++) {
      const s = randomState(rng);
      expect(checkConfig(s.config).ok).toBe(true);
      const d = decodeHash(`#${encodeHash(s)}`);
      expect(d.problems).toEqual([]);
      expect(d.state).toEqual(s);
    }
  });

  it('refuses a bad value with a message naming the field, value and range, and keeps the other fields', () => {
    const d = decodeHash('#hidden=5000&seed=7&activation=relu');
    expect(d.state.config.hidden).toBe(FIELDS.hidden.default);
    expect(d.state.config.seed).toBe(7);
    expect(d.state.config.activation).toBe('relu');
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0].message).toMatch(/Hidden size N must be a whole number between 1 and 1024; you entered 5000/);
  });

  it("carries the WebGPU kernels (kernel=persistent|tiled|auto), and refuses another name by the field's key", () => {
    for (const kernel of ['persistent', 'tiled'] as const) {
      const s = defaultState();
      s.view.backend = 'webgpu';
      s.view.kernel = kernel;
      expect(encodeHash(s)).toBe(`backend=webgpu&kernel=${kernel}`);
      const d = decodeHash(`#${encodeHash(s)}`);
      expect(d.problems).toEqual([]);
      expect(d.state.view).toEqual(s.view);
    }
    // auto is the default: not written.
    expect(decodeHash('#kernel=auto').state.view.kernel).toBe('auto');
    expect(encodeHash(decodeHash('#kernel=auto').state)).toBe('');
    const bad = decodeHash('#kernel=fast&seed=9&backend=webgpu');
    expect(bad.state.view.kernel).toBe('auto');
    expect(bad.state.config.seed).toBe(9);
    expect(bad.state.view.backend).toBe('webgpu');
    expect(bad.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^kernel: "fast" is not allowed; expected one of auto, persistent, tiled/)]);
  });

  it('reports unknown keys, repeated keys, and cross-field rules (rhoMin <= rhoMax)', () => {
    const d = decodeHash('#bogus=1&seed=3&seed=4&rhoMin=2&rhoMax=1');
    expect(d.state.config.seed).toBe(4);
    expect(d.problems.some((p) => p.message.includes('unknown setting "bogus"'))).toBe(true);
    expect(d.problems.some((p) => p.message.includes('seed appears more than once'))).toBe(true);
    expect(d.problems.some((p) => p.key === 'rhoMax')).toBe(true);
    expect(checkConfig(d.state.config).ok).toBe(true);
    // rhoMax's default (1.5) is still below 2, so rhoMin goes back to its default as well.
    expect(d.state.config.rhoMax).toBe(FIELDS.rhoMax.default);
    expect(d.state.config.rhoMin).toBe(FIELDS.rhoMin.default);
    // A consistent pair is kept.
    expect(decodeHash('#rhoMin=2&rhoMax=3').state.config).toMatchObject({ rhoMin: 2, rhoMax: 3 });
    expect(decodeHash('#inputUntil=300&steps=400').state.config).toMatchObject({ inputUntil: 300, steps: 400 });
  });

  it('never throws and never yields an invalid config on 1000 hostile hashes', () => {
    const rng = new Rng(4242, 3);
    const keys = [...HASH_FIELDS.map((f) => f.key), 'x', '', '<script>', 'constructor', '__proto__'];
    const values = ['', 'NaN', 'Infinity', '-Infinity', '-1', '1e309', '0x10', '1e-400', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '%E0%A4%A', '%', 'tanh', '1,2', '1,2,3', 'x'.repeat(5000), ' 5', '5 ', '3.', '.5', '+7'];
    for (let i = 0; i < 1000; i++) {
      const parts: string[] = [];
      const n = Math.floor(rng.uniform() * 8);
      for (let j = 0; j < n; j++) {
        const r = rng.uniform();
        if (r < 0.2) {
          // Random bytes.
          parts.push(Array.from({ length: Math.floor(rng.uniform() * 30) }, () => String.fromCharCode(Math.floor(rng.uniform() * 256))).join(''));
        } else {
          const k = pick(rng, keys);
          let v = r < 0.6 ? pick(rng, values) : String((rng.uniform() - 0.3) * 10 ** Math.floor(rng.uniform() * 12));
          if (rng.uniform() < 0.2) v = v.slice(0, Math.floor(rng.uniform() * v.length));
          parts.push(`${k}=${rng.uniform() < 0.5 ? encodeURIComponent(v) : v}`);
        }
      }
      const hash = `#${parts.join('&')}`;
      const d = decodeHash(hash);
      expect(checkConfig(d.state.config).ok).toBe(true);
      for (const p of d.problems) {
        expect(typeof p.message).toBe('string');
        expect(p.message.length).toBeLessThan(400);
      }
      // What the page writes back is itself a clean link.
      expect(decodeHash(encodeHash(d.state)).problems).toEqual([]);
    }
  });
});
