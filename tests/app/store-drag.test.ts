/**
 * Dragging an eigenvalue through the store (Node, float64 reference): while dragging only the
 * shown network is computed (one row, K = 1), never the sweep; the URL follows the drag with one
 * history entry; the drag's end computes the full sweep; the live row is that sweep's row.
 */
import { describe, expect, it } from 'vitest';
import { LabStore, shownValue, type Snapshot } from '../../src/app/store.ts';
import { decodeHash } from '../../src/app/hash.ts';
import { nearestRhoIndex } from '../../src/core/field.ts';
import { storeOnReference } from '../helpers/store.ts';

function setup(hash: string) {
  const { store, engine, history, hash: current } = storeOnReference(hash);
  return { store, engine, history, hash: current };
}

async function until(store: LabStore, ok: (s: Snapshot) => boolean): Promise<Snapshot> {
  for (let i = 0; i < 4000; i++) {
    if (ok(store.snapshot)) return store.snapshot;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out');
}

const HASH = 'init=spectrum&sweep=outlier&outliers=0.9,0&bulk=disk:0.5&activation=linear&hidden=12&steps=30&samples=2&rhoMin=0.8&rhoMax=1.3&rhoCount=6&rho=0.9';

describe('dragging an eigenvalue', () => {
  it('computes one row while dragging, the sweep at the end, and writes the spectrum into the link', async () => {
    const { store, engine, history, hash } = setup(HASH);
    store.start();
    await until(store, (s) => s.result !== null && s.run.status === 'idle');
    const before = engine.started.length;
    const pushesBefore = history.filter((h) => h.mode === 'push').length;
    for (const re of [0.95, 1.05, 1.2]) store.editSpectrum({ kind: 'move', index: 0, re, im: 0 }, 'drag');
    expect(store.snapshot.dragging).toBe(true);
    const live = await until(store, (s) => s.live !== null && s.live.field.rho[0] === 1.2);
    // Only one-row runs while dragging; latest wins: the first request runs, 1.05 was replaced by 1.2 while it ran.
    const during = engine.started.slice(before);
    expect(during.every((c) => c.rhoCount === 1)).toBe(true);
    expect(during.map((c) => c.outliers)).toEqual(['0.95,0', '1.2,0']);
    expect(live.state.config.outliers).toBe('1.2,0');
    expect(shownValue(live)).toBe(1.2);
    // The explosion shows live: above 1 the gradient at t = 1 is larger than at t = T.
    const g = live.live!.field.grids.gradLog10Mean;
    expect(g[0]).toBeGreaterThan(g[live.live!.field.T - 1]);
    expect(history.filter((h) => h.mode === 'push').length).toBe(pushesBefore + 1);

    store.endDrag();
    const done = await until(store, (s) => s.run.status === 'idle' && s.result !== null && s.result.a.config.outliers === '1.2,0');
    expect(done.live).toBeNull();
    expect(done.dragging).toBe(false);
    expect(engine.started.at(-1)!.rhoCount).toBe(6);
    // The live row was the sweep's row at |lambda_1| = 1.2.
    const k = nearestRhoIndex(done.result!.a.rho, 1.2);
    expect(done.result!.a.rho[k]).toBeCloseTo(1.2, 12);
    expect(Math.abs(done.result!.a.grids.gradLog10Mean[k * 30] - g[0])).toBeLessThan(1e-9);
    await new Promise((r) => setTimeout(r, 300));
    const link = decodeHash(hash());
    expect(link.state.config.outliers).toBe('1.2,0');
    expect(link.state.view.rho).toBe(1.2);
  });

  it('in compare mode B follows the drag too: tied A and untied B, both rows of the dragged spectrum, equal to the sweep rows the drag ends with', async () => {
    // The "RNN versus deep feed-forward" comparison: B = A with untied weights, on the same spectrum.
    const { store, engine } = setup(`${HASH}&cmp=untied`);
    store.start();
    await until(store, (s) => s.result?.b != null && s.run.status === 'idle');
    const before = engine.started.length;
    for (const re of [1.05, 1.2]) store.editSpectrum({ kind: 'move', index: 0, re, im: 0 }, 'drag');
    const live = await until(store, (s) => s.live !== null && s.live.field.rho[0] === 1.2);
    const b = live.live!.fieldB!;
    expect(b).not.toBeNull();
    expect(b.config.weights).toBe('untied');
    expect(b.config.outliers).toBe('1.2,0');
    expect(b.rho[0]).toBe(1.2);
    // Each drag frame ran one row of A and one of B, never a sweep.
    const during = engine.started.slice(before);
    expect(during.every((c) => c.rhoCount === 1)).toBe(true);
    expect(during.filter((c) => c.weights === 'untied').length).toBe(during.filter((c) => c.weights === 'tied').length);

    store.endDrag();
    const done = await until(store, (s) => s.run.status === 'idle' && s.result?.b != null && s.result.b.config.outliers === '1.2,0');
    const k = nearestRhoIndex(done.result!.b!.rho, 1.2);
    expect(done.result!.b!.rho[k]).toBeCloseTo(1.2, 12);
    // The float64 reference computed both: B's live row is B's sweep row at |lambda_1| = 1.2, to
    // rounding (the row alone moves the outlier to 1.2 directly, the sweep by the rank-one update).
    const T = done.result!.b!.T;
    const sweepRow = done.result!.b!.grids.gradLog10Mean.subarray(k * T, (k + 1) * T);
    for (let t = 0; t < T; t++) expect(Math.abs(sweepRow[t] - b.grids.gradLog10Mean[t])).toBeLessThan(1e-9);
    // And B is not A: untied layers do not compound the outlier the way the tied W does.
    const a = live.live!.field.grids.gradLog10Mean;
    expect(Math.abs(a[0] - b.grids.gradLog10Mean[0])).toBeGreaterThan(1e-3);
  });

  it('refuses an edit it cannot make and says why, changing nothing', async () => {
    const { store } = setup(HASH);
    store.start();
    await until(store, (s) => s.result !== null && s.run.status === 'idle');
    store.editSpectrum({ kind: 'remove', index: 0 }, 'commit');
    expect(store.snapshot.spectrumMessage).toMatch(/first outlier/);
    expect(store.snapshot.state.config.outliers).toBe('0.9,0');
  });
});
