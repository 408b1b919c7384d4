/**
 * The colour-range lock: kept in the URL hash (field:min:max, refused with a message naming the
 * key), used by the heatmaps and surfaces of its field while Show is that field, kept as it is
 * across a recompute with another rho range (where the auto range moves), said in the legend
 * ("locked range" against "auto, noise-aware"), and used by the exported heatmap figure.
 */
import { describe, expect, it } from 'vitest';
import { decodeHash, encodeHash } from '../../src/app/hash.ts';
import { defaultState } from '../../src/app/state.ts';
import type { LabStore, Snapshot } from '../../src/app/store.ts';
import { statisticRange } from '../../src/export/colormap.ts';
import { buildHeatmapScene } from '../../src/export/figure.ts';
import { derivePlots } from '../../src/ui/derive.ts';
import { testFont } from '../export/font-file.ts';
import { storeOnReference } from '../helpers/store.ts';

async function idle(store: LabStore, after: (s: Snapshot) => boolean = () => true): Promise<Snapshot> {
  for (let i = 0; i < 4000; i++) {
    const s = store.snapshot;
    if (s.run.status !== 'running' && s.result && after(s)) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the store never became idle');
}

describe('colour-range lock', () => {
  it('round-trips through the URL hash and refuses bad values, naming the key', () => {
    const s = defaultState();
    s.view.colourLock = { field: 'hidden', min: -2.5, max: 0.75 };
    const hash = encodeHash(s);
    expect(decodeURIComponent(hash)).toContain('lock=hidden:-2.5:0.75');
    const d = decodeHash(`#${hash}`);
    expect(d.problems).toEqual([]);
    expect(d.state.view.colourLock).toEqual({ field: 'hidden', min: -2.5, max: 0.75 });
    expect(encodeHash(defaultState())).not.toContain('lock');
    for (const bad of ['grad:1:0', 'grad:a:1', 'nosuch:0:1', 'grad:0', 'grad:0:1:2']) {
      const r = decodeHash(`#lock=${bad}&seed=5`);
      expect(r.state.view.colourLock, bad).toBeNull();
      expect(r.state.config.seed).toBe(5);
      expect(r.problems[0].message, bad).toMatch(/^lock: .* is not a colour range; expected field:min:max with min < max/);
    }
  });

  it('survives a recompute with another rho range, for its field only, and says so in the legend', async () => {
    const { store, hash } = storeOnReference('hidden=8&steps=20&rhoCount=6&samples=2&lock=grad:-6:0.5');
    store.start();
    const first = await idle(store);
    expect(first.state.view.colourLock).toEqual({ field: 'grad', min: -6, max: 0.5 });
    const p1 = derivePlots(first.result!, 'grad', first.state.view.colourLock);
    expect([p1.heatA.range.min, p1.heatA.range.max]).toEqual([-6, 0.5]);
    expect([p1.a.range.min, p1.a.range.max]).toEqual([-6, 0.5]);
    expect(p1.heatA.locked).toBe(true);
    expect(p1.heatA.rangeNote?.short).toBe('colours: locked range -6..0.5');

    store.setField('rhoMax', '3');
    const second = await idle(store, (s) => s.result!.a.config.rhoMax === 3);
    expect(second.result!.a.rho[second.result!.a.K - 1]).toBe(3);
    expect(second.state.view.colourLock).toEqual({ field: 'grad', min: -6, max: 0.5 });
    expect(decodeURIComponent(hash())).toContain('lock=grad:-6:0.5');
    const p2 = derivePlots(second.result!, 'grad', second.state.view.colourLock);
    expect([p2.heatA.range.min, p2.heatA.range.max]).toEqual([-6, 0.5]);
    // The auto range of the new run is another one (rho up to 3 explodes): the lock is what kept it.
    const auto = statisticRange([{ values: second.result!.a.grids.gradLog10Mean, overflow: second.result!.a.overflow }], 'gradLog10Mean', second.result!.a.T);
    expect(auto.max).toBeGreaterThan(0.5);
    // Another field shown: its own auto, noise-aware range.
    const hidden = derivePlots(second.result!, 'hidden', second.state.view.colourLock);
    expect(hidden.heatA.locked).toBe(false);
    expect(hidden.heatA.rangeNote?.short).toMatch(/^colours: auto, noise-aware/);
    // Unlocking leaves the hash without it.
    store.setView({ colourLock: null });
    expect(hash()).not.toContain('lock=');
  });

  it('goes into the exported heatmap with the legend saying so', async () => {
    const { store } = storeOnReference('hidden=8&steps=20&rhoCount=6&samples=2');
    store.start();
    const s = await idle(store);
    const font = testFont();
    const scene = buildHeatmapScene(s.result!.a, font, { grid: 'gradLog10Mean', range: { min: -6, max: 0.5 }, rangeWords: 'colours: locked range -6..0.5' });
    expect([scene.range.min, scene.range.max]).toEqual([-6, 0.5]);
    const words = scene.items.filter((i) => i.kind === 'text').map((i) => (i as { text: string }).text);
    expect(words).toContain('colours: locked range -6..0.5');
    const auto = buildHeatmapScene(s.result!.a, font, { grid: 'gradLog10Mean' });
    expect(auto.items.some((i) => i.kind === 'text' && /^colours: auto, noise-aware/.test(i.text))).toBe(true);
  });
});
