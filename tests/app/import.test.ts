/**
 * Opening a run bundle, in Node: readBundleFile turns a good bundle into exactly its field and
 * refuses bad ones with a message naming the file and the problem; the store shows an imported
 * field without running anything, and rerun() computes it again (the float64 reference engine
 * is deterministic, so the grids come back identical).
 */
import { describe, expect, it } from 'vitest';
import { ImportError, readBundleFile, readBundleRun } from '../../src/app/import.ts';
import { LabStore } from '../../src/app/store.ts';
import { bundleToJson } from '../../src/core/bundle.ts';
import { DEFAULT_CONFIG, type Config } from '../../src/core/config.ts';
import { GRID_NAMES, type GradientField } from '../../src/core/field.ts';
import { ReferenceEngine } from '../../src/core/reference.ts';
import { storeOnReference } from '../helpers/store.ts';

const CONFIG: Config = { ...DEFAULT_CONFIG, hidden: 8, steps: 12, rhoCount: 5, samples: 2, seed: 11 };

/** A named Blob, as a File is. */
function file(name: string, text: string) {
  const blob = new Blob([text], { type: 'application/json' });
  return { name, size: blob.size, text: () => blob.text() };
}

function store(hash: string) {
  const { store: s, engine, hash: current } = storeOnReference(hash, 'reference');
  return { store: s, engine, hash: current };
}

async function idle(s: LabStore) {
  for (let i = 0; i < 2000; i++) {
    if (s.snapshot.run.status !== 'running' && s.snapshot.result) return s.snapshot;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the store never became idle');
}

function sameGrids(a: GradientField, b: GradientField) {
  for (const g of GRID_NAMES) expect(Array.from(a.grids[g])).toEqual(Array.from(b.grids[g]));
  expect(Array.from(a.overflow)).toEqual(Array.from(b.overflow));
}

describe('readBundleFile', async () => {
  const field = await new ReferenceEngine().run(CONFIG);
  const json = bundleToJson(field);

  it('gives back exactly the saved field', async () => {
    const f = await readBundleFile(file('run.json', json));
    sameGrids(f, field);
    expect(f.config).toEqual(CONFIG);
  });

  it('refuses an empty file, one over the size limit, and rho values that are not the config sweep', async () => {
    await expect(readBundleFile(file('e.json', ''))).rejects.toThrow(/e\.json is empty/);
    await expect(readBundleFile(file('big.json', json), 1000)).rejects.toThrow(/big\.json is .* MiB, more than .*rnnlab render/);
    const b = JSON.parse(json) as { rho: number[] };
    b.rho[2] += 0.01;
    await expect(readBundleFile(file('rho.json', JSON.stringify(b)))).rejects.toThrow(/rho\.json: rho_2 = .*config's sweep/);
    await expect(readBundleFile(file('t.json', json.slice(0, 100)))).rejects.toBeInstanceOf(ImportError);
  });
});

describe('LabStore with an imported field', () => {
  it('shows it without running, and rerun() computes the same grids again', async () => {
    const field = await new ReferenceEngine().run(CONFIG);
    const { store: s, engine, hash } = store('hidden=8&steps=12&rhoCount=5&samples=2&seed=3&backend=cpu');
    s.start();
    await idle(s);
    expect(engine.started).toHaveLength(1);
    s.loadField(field, 'run.json');
    const snap = s.snapshot;
    expect(snap.result?.a).toBe(field);
    expect(snap.imported).toEqual({ source: 'run.json', backend: 'reference', adapter: field.meta.adapter });
    expect(snap.state.config).toEqual(CONFIG);
    expect(snap.state.view.backend).toBe('cpu'); // the user's engine choice is theirs; the badge names who computed it
    expect(hash()).toContain('seed=11');
    expect(hash()).toContain('backend=cpu');
    expect(engine.started).toHaveLength(1);
    // The slider moves over the imported field without computing.
    s.setView({ rho: 1.2 });
    expect(s.snapshot.result?.a).toBe(field);
    expect(engine.started).toHaveLength(1);
    s.rerun();
    const again = await idle(s);
    expect(engine.started).toHaveLength(2);
    expect(again.imported).toBeNull();
    expect(again.result?.a).not.toBe(field);
    sameGrids(again.result!.a, field);
  });

  it('restores the view saved in the bundle (field shown, slider rho, camera) and keeps the engine choice', async () => {
    const field = await new ReferenceEngine().run(CONFIG);
    const saved = await readBundleRun(file('run.json', bundleToJson(field, undefined, { shown: 'hidden', rho: 1.25, camera: [30, 20, 3] })));
    expect(saved.view).toEqual({ shown: 'hidden', rho: 1.25, camera: [30, 20, 3] });
    const { store: s, hash } = store('hidden=8&steps=12&rhoCount=5&samples=2&seed=3&backend=cpu&rho=0.75&compare=relu');
    s.start();
    await idle(s);
    s.loadField(saved.field, 'run.json', saved.view);
    const v = s.snapshot.state.view;
    expect(v).toMatchObject({ field: 'hidden', rho: 1.25, camera: [30, 20, 3], backend: 'cpu', compare: 'off' });
    expect(hash()).toContain('backend=cpu');
    // A bundle without a view (older files, the CLI) keeps the slider where it is, inside the sweep.
    const plain = await readBundleRun(file('cli.json', bundleToJson(field)));
    expect(plain.view).toBeNull();
    s.loadField(plain.field, 'cli.json', plain.view);
    expect(s.snapshot.state.view).toMatchObject({ field: 'hidden', rho: 1.25 });
  });

  it('an import while a run is in flight wins over that run', async () => {
    const field = await new ReferenceEngine().run(CONFIG);
    const { store: s } = store('hidden=8&steps=12&rhoCount=5&samples=2&seed=3');
    s.start();
    await idle(s);
    s.setField('seed', '4'); // starts a run
    s.loadField(field, 'run.json');
    await new Promise((r) => setTimeout(r, 200));
    expect(s.snapshot.result?.a).toBe(field);
    expect(s.snapshot.imported?.source).toBe('run.json');
  });
});
