/**
 * The Train view's story presets say what their runs are: every model of the run is named in the
 * text, every number quoted is a held-out loss the runs measured
 * (the preset's table, from docs/train-stories.md), the CLI line is exactly this run, and the
 * settings are valid and find their preset again.
 */
import { describe, expect, it } from 'vitest';
import { TRAIN_PRESETS, trainPresetById, trainPresetMatching } from '../../src/app/train-presets.ts';
import { DEFAULT_TRAIN, specLabel, trainConfigOf, withSetting } from '../../src/app/train-settings.ts';
import { parseTrainArgs } from '../../src/cli/train.ts';

/** "0.0486" as the tables print a loss: 3 significant digits. */
const shown = (x: number) => Number(x.toPrecision(3));

describe('Train story presets', () => {
  it('there are the three stories of the issue, with distinct ids', () => {
    expect(TRAIN_PRESETS.map((p) => p.id)).toEqual(['tanh-150', 'relu-clip', 'irnn']);
    for (const p of TRAIN_PRESETS) expect(trainPresetById(p.id)).toBe(p);
  });

  for (const p of TRAIN_PRESETS) {
    describe(p.title, () => {
      const check = trainConfigOf(p.settings);

      it('is a valid run at T = 150, N = 64 that its settings find again', () => {
        expect(check.ok).toBe(true);
        expect(p.settings).toMatchObject({ task: 'adding', length: 150, hidden: 64 });
        expect(trainPresetMatching(structuredClone(p.settings))).toBe(p);
        const changed = withSetting(p.settings, 'seed', '7');
        expect(changed.ok && trainPresetMatching(changed.settings)).toBe(null);
      });

      it('names every model of its run, and quotes T, N and the steps it runs', () => {
        for (const m of p.settings.models) expect(p.explanation).toContain(specLabel(m));
        expect(p.explanation).toContain(`T = ${p.settings.length}`);
      });

      it('quotes only held-out losses its runs measured, each on a seed and step of the table', () => {
        // The numbers in the models' own labels ("IRNN input 0.1 clip 1") are settings, not results.
        let text = p.explanation;
        const labels = p.settings.models.map(specLabel).sort((a, b) => b.length - a.length); // "IRNN" after "IRNN input 0.1 clip 1"
        for (const l of labels) text = text.replaceAll(l, '');
        const quoted = [...text.matchAll(/\b0\.\d+\b/g)].map((m) => Number(m[0]));
        expect(quoted.length).toBeGreaterThan(0);
        const measured = new Set(p.measured.map((r) => shown(r.heldoutLoss)));
        for (const q of quoted) expect(measured, `${q} in "${p.title}"`).toContain(q);
        for (const r of p.measured) {
          expect(p.settings.models.map(specLabel)).toContain(r.model);
          expect(r.step).toBeLessThanOrEqual(p.settings.iterations);
          expect([1, 2, 3]).toContain(r.seed);
        }
      });

      it('gives the CLI line of exactly this run', () => {
        expect(p.command.startsWith('rnnlab train ')).toBe(true);
        const cli = parseTrainArgs(p.command.split(' ').slice(2)).config;
        if (!check.ok) throw new Error('invalid preset');
        // The view evaluates every evalEveryFor(iterations) steps; the CLI every 50 by default.
        expect({ ...cli, evalEvery: 0 }).toEqual({ ...check.config, evalEvery: 0 });
      });
    });
  }

  it('the defaults are no story (their text would not match their models)', () => {
    expect(trainPresetMatching(DEFAULT_TRAIN)).toBe(null);
  });
});
