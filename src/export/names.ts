/** File names that carry the config: grad-tanh-gaussian-N64-T100-S16-seed1.png. */
import type { Config } from '../core/config.ts';
import { GRID_NAMES, STATISTICS, type GridName } from '../core/field.ts';

/** Short name of each grid in file names: its short name in the statistics table. */
export const GRID_FILE_PREFIX = Object.fromEntries(GRID_NAMES.map((g) => [g, STATISTICS[g].short])) as Record<GridName, string>;

/**
 * activation-init-N-T-S-seed, e.g. tanh-gaussian-N64-T100-S16-seed1; the outlier axis and untied
 * weights add -outlier and -untied, so a tied and an untied run in one folder keep apart.
 */
export function configSlug(config: Pick<Config, 'activation' | 'init' | 'hidden' | 'steps' | 'samples' | 'seed'> & Partial<Pick<Config, 'sweep' | 'weights'>>): string {
  const axis = config.sweep === 'outlier' ? '-outlier' : '';
  const weights = config.weights === 'untied' ? '-untied' : '';
  return `${config.activation}-${config.init}${axis}${weights}-N${config.hidden}-T${config.steps}-S${config.samples}-seed${config.seed}`;
}

/**
 * The file name of an export: a grid's figure (`grad-...png`), its difference figure
 * (`diff-grad-...png`), or the whole field (`field-...csv`, `field-...npz`, `run-...json`).
 */
export function exportFileName(
  config: Pick<Config, 'activation' | 'init' | 'hidden' | 'steps' | 'samples' | 'seed'> & Partial<Pick<Config, 'sweep' | 'weights'>>,
  what: GridName | { difference: GridName } | 'field' | 'run' | 'rate',
  ext: string,
): string {
  const head = typeof what === 'object' ? `diff-${GRID_FILE_PREFIX[what.difference]}` : what === 'field' || what === 'run' || what === 'rate' ? what : GRID_FILE_PREFIX[what];
  return `${head}-${configSlug(config)}.${ext}`;
}
