/**
 * The statistics table: its reductions follow the stated rules, its names are unique, every grid
 * is documented in docs/bundle.md, and the WebGPU record generated from it carries every quantity.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRID_NAMES, MENU_GRIDS, QUANTITIES, QUANTITY_NAMES, reduceSamples, STATISTICS, statisticsOf } from '../../src/core/statistics.ts';
import { CELL_BYTES, CELL_MEMBERS, RECORD_BYTES, RECORD_MEMBERS, recordPreludeWgsl } from '../../src/engine/webgpu/record.ts';

describe('reductions', () => {
  it('mean and std: finite samples, exact zeros and undefined values by the rules', () => {
    expect(reduceSamples('mean', [1, 2, 3, 6])).toBe(3);
    expect(reduceSamples('std', [1, 2, 3, 6])).toBeCloseTo(Math.sqrt((4 + 1 + 0 + 9) / 4), 14);
    // Some exact zeros: counted apart, the mean and spread over the others; all zeros: -Infinity, spread 0.
    expect(reduceSamples('mean', [1, -Infinity, 3, -Infinity])).toBe(2);
    expect(reduceSamples('std', [1, -Infinity, 3, -Infinity])).toBe(1);
    expect(reduceSamples('zeroFraction', [1, -Infinity, 3, -Infinity])).toBe(0.5);
    expect(reduceSamples('mean', [-Infinity, -Infinity])).toBe(-Infinity);
    expect(reduceSamples('std', [-Infinity, -Infinity])).toBe(0);
    expect(reduceSamples('zeroFraction', [-Infinity, -Infinity])).toBe(1);
    expect(reduceSamples('zeroFraction', [0.5, 2])).toBe(0);
    // Any undefined sample makes the cell undefined, whatever the others are.
    for (const bad of [NaN, Infinity]) {
      expect(reduceSamples('mean', [1, bad, -Infinity])).toBeNaN();
      expect(reduceSamples('std', [bad, 2])).toBeNaN();
      expect(reduceSamples('zeroFraction', [bad, -Infinity])).toBeNaN();
    }
  });
});

describe('the table', () => {
  it('names are unique and every grid reduces a known quantity', () => {
    const shorts = GRID_NAMES.map((g) => STATISTICS[g].short);
    expect(new Set(shorts).size).toBe(shorts.length);
    const keys = MENU_GRIDS.map((g) => STATISTICS[g].menu!.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const g of GRID_NAMES) expect(QUANTITY_NAMES).toContain(STATISTICS[g].quantity);
    for (const q of QUANTITY_NAMES) expect(statisticsOf(q).length, `quantity ${q} feeds no grid`).toBeGreaterThan(0);
    // A grid of a log quantity's mean is a log grid; fractions are not.
    for (const g of GRID_NAMES) if (STATISTICS[g].reduce === 'mean') expect(STATISTICS[g].log).toBe(QUANTITIES[STATISTICS[g].quantity].log);
  });

  it('docs/bundle.md documents every grid with its unit and description', () => {
    const doc = readFileSync(new URL('../../docs/bundle.md', import.meta.url), 'utf8');
    for (const g of GRID_NAMES) {
      const { unit, description } = STATISTICS[g];
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${g}\` |`));
      expect(row, `docs/bundle.md has no row for ${g}`).toBeDefined();
      expect(row!.replace(/\\\|/g, '|')).toBe(`| \`${g}\` | ${unit} | ${description} |`);
    }
  });
});

describe('the WebGPU record generated from the table', () => {
  it('carries every quantity with its flags, and the sizes follow the members', () => {
    const wgsl = recordPreludeWgsl();
    for (const q of QUANTITY_NAMES) {
      const { encoding, field, zeroFlag, nanFlags } = QUANTITIES[q];
      const fields = encoding === 'splitLog' ? [`${field}E`, `${field}F`] : [field];
      for (const f of fields) expect(RECORD_MEMBERS.map((m) => m.name)).toContain(f);
      expect(CELL_MEMBERS.map((m) => m.name)).toContain(`${q}Nan`);
      if (zeroFlag) expect(CELL_MEMBERS.map((m) => m.name)).toContain(`${q}Zero`);
      for (const f of nanFlags) expect(wgsl).toContain(`FLAG_${f}`);
    }
    expect(RECORD_BYTES).toBe(4 * RECORD_MEMBERS.length);
    expect(CELL_BYTES).toBe(4 * CELL_MEMBERS.length);
    expect(wgsl).toMatch(/struct StepRecord \{[^}]*flags: u32,\n\}/);
  });
});
