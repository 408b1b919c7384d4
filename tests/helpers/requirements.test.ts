/**
 * The machine requirements and the seed: a missing Chromium is reported with what to install,
 * and RNNLAB_TEST_SEED accepts only a uint32.
 */
import { describe, expect, it } from 'vitest';
import { chromiumRequirement, numpyRequirement } from './requirements.ts';
import { parseSeed } from './seed.ts';

describe('requirements', () => {
  it('a missing Chromium names the path and the package', () => {
    const r = chromiumRequirement({ CHROME_PATH: '/nonexistent/chromium' });
    expect(r.available).toBe(false);
    expect(r.why).toMatch(/no browser at \/nonexistent\/chromium.*chromium package/);
  });

  it('NumPy is reported as available or with the reason and the package to install', () => {
    const r = numpyRequirement();
    if (r.available) expect(r.why).toBe('');
    else expect(r.why).toMatch(/import numpy.*python3-numpy/);
  });
});

describe('RNNLAB_TEST_SEED', () => {
  it('takes a whole number in 0..2^32-1 and refuses anything else, naming the variable', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed(' 4294967295 ')).toBe(4294967295);
    for (const bad of ['', '-1', '4294967296', '1.5', 'abc', '0x10 junk']) expect(() => parseSeed(bad), bad).toThrow(/RNNLAB_TEST_SEED=.*whole number from 0 to 4294967295/);
  });
});
