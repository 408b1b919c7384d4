/**
 * Opening a JSON run bundle (src/core/bundle.ts) in the lab: a file picked or dropped becomes a
 * GradientField, checked, or an ImportError with a message the user can act on. Nothing here
 * touches the page; the store shows the field (LabStore.loadField), so a bad file leaves the
 * current view as it was.
 */
import { BundleError, runFromBundle, type BundleView } from '../core/bundle.ts';
import { rhoValues } from '../core/config.ts';
import type { GradientField } from '../core/field.ts';

/**
 * Largest bundle the page reads, bytes. The largest sweep the lab allows (K x T = 512 x 5000,
 * five float64 grids as shortest decimals of ~20 characters, plus the matrices up to
 * MATRIX_NUMBER_LIMIT numbers) is about 330 MB of JSON; V8 strings stop at 2^29 - 24 characters.
 */
export const MAX_BUNDLE_BYTES = 400 * 1024 * 1024;

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

/** Anything with a size, a name and its text (a File, or a Blob with a name in tests). */
export interface BundleSource {
  readonly name?: string;
  readonly size: number;
  text(): Promise<string>;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Read a bundle file into the field it holds, exactly as it was saved. Throws ImportError whose
 * message names the file and the problem (empty, too large, not JSON or truncated, another
 * format or version, a config out of bounds, grids of the wrong shape, non-numeric cells, rho
 * values that are not the config's sweep).
 */
export async function readBundleFile(file: BundleSource, maxBytes = MAX_BUNDLE_BYTES): Promise<GradientField> {
  return (await readBundleRun(file, maxBytes)).field;
}

/** readBundleFile, with the view the bundle was saved with (null when it has none). */
export async function readBundleRun(file: BundleSource, maxBytes = MAX_BUNDLE_BYTES): Promise<{ field: GradientField; view: BundleView | null }> {
  const name = file.name || 'the file';
  if (file.size === 0) throw new ImportError(`${name} is empty; open a run bundle saved by the lab or by rnnlab (run-….json)`);
  if (file.size > maxBytes) {
    throw new ImportError(`${name} is ${mib(file.size)}, more than the ${mib(maxBytes)} the page reads; redraw it with \`rnnlab render ${name}\` instead`);
  }
  let text: string;
  try {
    text = await file.text();
  } catch (e) {
    throw new ImportError(`${name} could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  let field: GradientField;
  let view: BundleView | null;
  try {
    ({ field, view } = runFromBundle(text));
  } catch (e) {
    if (e instanceof BundleError) throw new ImportError(`${name}: ${e.message}`);
    throw e;
  }
  // The slider, the axes and Recompute all assume the grid rows are the config's sweep.
  const want = rhoValues(field.config);
  for (let k = 0; k < field.K; k++) {
    if (Math.abs(field.rho[k] - want[k]) > 1e-12 * Math.max(1, Math.abs(want[k]))) {
      throw new ImportError(`${name}: rho_${k} = ${field.rho[k]}, but the config's sweep (${field.config.rhoMin} to ${field.config.rhoMax} in ${field.K} steps) gives ${want[k]}`);
    }
  }
  return { field, view };
}
