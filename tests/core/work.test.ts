import { expect, it } from 'vitest';
import { formatBytes, formatDuration, sweepFlops } from '../../src/core/work.ts';
import { DEFAULT_CONFIG } from '../../src/core/config.ts';

it('sweep-64 is 1.78 GFLOP (the figure README quotes)', () => {
  expect(sweepFlops({ ...DEFAULT_CONFIG, rhoCount: 64 }) / 1e9).toBeCloseTo(1.78, 2);
});

it('durations and sizes read as a person says them', () => {
  expect(formatDuration(850)).toBe('850 ms');
  expect(formatDuration(12_400)).toBe('12 s');
  expect(formatDuration(220_000)).toBe('3 min 40 s');
  expect(formatDuration(6_000_000)).toBe('1 h 40 min');
  expect(formatDuration(5 * 86_400_000)).toBe('5 days');
  expect(formatDuration(NaN)).toBe('unknown');
  expect(formatBytes(1536)).toBe('1.5 KiB');
});
