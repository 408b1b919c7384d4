/**
 * Editing the `spectrum` init's eigenvalues by hand (the eigenvalue plot's editor): where the
 * shown network's eigenvalues lie, the edits (move an outlier or the bulk's radius, add or
 * remove an outlier) as new `outliers`/`bulk` texts, and the one-row config that computes the
 * network being shown while an eigenvalue is dragged.
 *
 * The plot shows the network of the slider's row: rho_k W0 (sweep rho; every eigenvalue
 * scaled by rho_k) or W0 with its first outlier at magnitude rho_k (sweep outlier). An edit is
 * given where the user put the point on that plot and is turned back into the spec, so the
 * shown network then has its eigenvalue exactly there.
 */
import { nearestRhoIndex, type GradientField } from './field.ts';
import type { Config } from './config.ts';
import { blockEigenvalues, MAX_EIGENVALUE, MAX_OUTLIERS, movedSpectrum, outlierSlots, parseBulk, parseOutliers, schurBlocks, type BulkSpec, type Outlier } from './spectrum-init.ts';
import { radiusOf, type Spectrum } from './spectrum.ts';

/**
 * Decimal places of an edited eigenvalue: the link stays short and the spec text in it is the
 * one the engines ran (4 places: 1e-4 is well below a pixel of the plot).
 */
export const EDIT_DECIMALS = 4;
/**
 * An outlier whose imaginary part (in the plot's units) is below this is real: what rounds to
 * 0 at EDIT_DECIMALS. (The editor snaps a pointer within a few pixels of the axis onto it.)
 */
export const REAL_AXIS_SNAP = 0.5 * 10 ** -EDIT_DECIMALS;

type SpectrumConfig = Pick<Config, 'init' | 'bulk' | 'outliers' | 'hidden' | 'seed' | 'sweep' | 'rhoMin' | 'rhoMax'>;

function round(v: number): number {
  const s = 10 ** EDIT_DECIMALS;
  const r = Math.round(v * s) / s;
  return r === 0 ? 0 : r; // no "-0" in the link
}

/** The outliers as the `outliers` field writes them ("1.1,0;0.3,0.9"). */
export function formatOutliers(list: readonly Outlier[]): string {
  return list.map((o) => `${round(o.re)},${round(o.im)}`).join(';');
}

export function formatBulk(b: BulkSpec): string {
  return `${b.shape}:${round(b.radius)}`;
}

/** The bulk and outliers of a config, or null where its texts do not parse. */
export function readSpectrumSpec(config: Pick<Config, 'bulk' | 'outliers'>): { bulk: BulkSpec; outliers: Outlier[] } | null {
  const bulk = parseBulk(config.bulk);
  const outliers = parseOutliers(config.outliers);
  return typeof bulk === 'string' || typeof outliers === 'string' ? null : { bulk, outliers };
}

/**
 * The chosen spectrum of W0 without building W0: B's eigenvalues (the outliers first, then the
 * bulk drawn from the seed, as spectrum-init.ts lays them out). W0 = Q B Q^T is normal, so its
 * norm is its radius and ||W0||_F^2 / N = sum |lambda|^2 / N. O(N): cheap enough for every
 * pointer move.
 */
export function chosenSpectrum(config: Pick<Config, 'bulk' | 'outliers' | 'hidden' | 'seed'>): Spectrum | null {
  const spec = readSpectrumSpec(config);
  if (!spec || outlierSlots(spec.outliers) > config.hidden) return null;
  const { re, im } = blockEigenvalues(schurBlocks(config.hidden, spec.bulk, spec.outliers, config.seed), config.hidden);
  let ss = 0;
  for (let i = 0; i < re.length; i++) ss += re[i] * re[i] + im[i] * im[i];
  const radius = radiusOf(re, im);
  return { re, im, radius, norm: radius, meanSquare: config.hidden > 0 ? ss / config.hidden : NaN };
}

/** What the editor draws for the network at the swept value `value` (the slider's row). */
export interface ShownSpectrum {
  /** The network's N eigenvalues. */
  spectrum: Spectrum;
  /** Each outlier where it is shown (the upper one of a pair: im >= 0). */
  outliers: { re: number; im: number }[];
  /** The bulk's shape and its radius as shown. */
  bulk: BulkSpec;
  /** Plot units per spec unit: rho_k on the rho axis (every eigenvalue scaled), 1 on the outlier axis. */
  scale: number;
}

/** The eigenvalues of the shown network, or null where the spec is invalid. */
export function shownSpectrum(config: SpectrumConfig, value: number): ShownSpectrum | null {
  const spec = readSpectrumSpec(config);
  const chosen = chosenSpectrum(config);
  if (!spec || !chosen) return null;
  if (config.sweep === 'outlier') {
    const spectrum = movedSpectrum(chosen, config.outliers, value);
    const outliers = spec.outliers.map((o, i) => {
      if (i > 0) return { re: o.re, im: Math.abs(o.im) };
      const m = Math.hypot(o.re, o.im);
      return m === 0 ? { re: 0, im: 0 } : { re: (o.re / m) * value, im: (Math.abs(o.im) / m) * value };
    });
    return { spectrum, outliers, bulk: spec.bulk, scale: 1 };
  }
  const scale = value;
  const spectrum: Spectrum = {
    re: chosen.re.map((v) => v * scale),
    im: chosen.im.map((v) => v * scale),
    radius: chosen.radius * scale,
    norm: chosen.norm * scale,
    meanSquare: chosen.meanSquare * scale * scale,
  };
  return {
    spectrum,
    outliers: spec.outliers.map((o) => ({ re: o.re * scale, im: Math.abs(o.im) * scale })),
    bulk: { shape: spec.bulk.shape, radius: spec.bulk.radius * scale },
    scale,
  };
}

/** One edit, in the plot's coordinates (where the user put the point on the shown network). */
export type SpectrumEdit =
  | { kind: 'move'; index: number; re: number; im: number }
  | { kind: 'radius'; radius: number }
  | { kind: 'add'; re: number; im: number }
  | { kind: 'remove'; index: number };

/** What an edit changes: the two spec texts, and on the outlier axis the slider's value (the first outlier's magnitude). */
export interface EditPatch {
  outliers: string;
  bulk: string;
  /** The slider's new value, where the edit moved the first outlier on the outlier axis. */
  rho?: number;
}

/** Why an outlier cannot be added (no slot: 4 outliers, or N has no room), or null. */
export function addProblem(config: Pick<Config, 'outliers' | 'hidden'>, complex: boolean): string | null {
  const list = parseOutliers(config.outliers);
  if (typeof list === 'string') return 'the outliers do not parse';
  if (list.length >= MAX_OUTLIERS) return `at most ${MAX_OUTLIERS} outliers`;
  if (outlierSlots(list) + (complex ? 2 : 1) > config.hidden) return `N = ${config.hidden} has no room for another eigenvalue`;
  return null;
}

/** Why outlier `index` cannot be removed (the outlier axis needs its first outlier), or null. */
export function removeProblem(config: Pick<Config, 'outliers' | 'sweep'>, index: number): string | null {
  const list = parseOutliers(config.outliers);
  if (typeof list === 'string' || index < 0 || index >= list.length) return 'no such outlier';
  if (config.sweep === 'outlier' && list.length === 1) return 'the outlier axis moves the first outlier: keep it, or sweep rho';
  return null;
}

/**
 * Apply an edit to a config whose plot shows the network at swept value `value`; returns the new
 * texts (and slider value), or the reason the edit cannot be made. A point dragged within
 * REAL_AXIS_SNAP of the real axis is a real outlier; one that would need a second slot that N
 * lacks stays real. Magnitudes are capped at MAX_EIGENVALUE; on the outlier axis the first
 * outlier's magnitude stays within the swept range (its direction follows the pointer).
 */
export function applyEdit(config: SpectrumConfig, value: number, edit: SpectrumEdit): EditPatch | string {
  const spec = readSpectrumSpec(config);
  if (!spec) return 'the spectrum does not parse';
  const outlierAxis = config.sweep === 'outlier';
  const list = spec.outliers.map((o) => ({ ...o }));
  const bulk = { ...spec.bulk };
  let rho: number | undefined;
  // Plot units per spec unit of the eigenvalues other than the swept first outlier.
  const scale = outlierAxis ? 1 : value;
  if (!(scale > 0)) return 'at this slider value every eigenvalue is 0: move the slider to edit';
  const toSpec = (re: number, im: number, real: boolean) => {
    let r = re / scale;
    let i = real || Math.abs(im) < REAL_AXIS_SNAP ? 0 : Math.abs(im) / scale;
    const m = Math.hypot(r, i);
    if (m > MAX_EIGENVALUE) {
      r *= MAX_EIGENVALUE / m;
      i *= MAX_EIGENVALUE / m;
    }
    return { re: round(r), im: round(i) };
  };
  switch (edit.kind) {
    case 'move': {
      const o = list[edit.index];
      if (!o) return 'no such outlier';
      // A real outlier may become a pair only where N has a second slot for its conjugate.
      const others = list.filter((_, j) => j !== edit.index);
      const realOnly = o.im === 0 && outlierSlots(others) + 2 > config.hidden;
      if (outlierAxis && edit.index === 0) {
        const m = Math.hypot(edit.re, realOnly || Math.abs(edit.im) < REAL_AXIS_SNAP ? 0 : edit.im);
        if (m === 0) return 'the first outlier needs a direction on the outlier axis';
        const snapped = toSpec(edit.re, edit.im, realOnly);
        if (snapped.re === 0 && snapped.im === 0) return 'the first outlier needs a direction on the outlier axis';
        list[0] = snapped;
        rho = Math.min(config.rhoMax, Math.max(config.rhoMin, m));
      } else list[edit.index] = toSpec(edit.re, edit.im, realOnly);
      break;
    }
    case 'radius':
      bulk.radius = Math.min(MAX_EIGENVALUE, round(Math.abs(edit.radius) / scale));
      break;
    case 'add': {
      const real = Math.abs(edit.im) < REAL_AXIS_SNAP;
      const why = addProblem(config, !real);
      if (why) return why;
      list.push(toSpec(edit.re, edit.im, real));
      break;
    }
    case 'remove': {
      const why = removeProblem(config, edit.index);
      if (why) return why;
      list.splice(edit.index, 1);
      break;
    }
  }
  return { outliers: formatOutliers(list), bulk: formatBulk(bulk), ...(rho !== undefined ? { rho } : {}) };
}

/**
 * The network at swept value `value` alone: one row (K = 1) with the same S sequences. `run` is
 * what an engine computes: on the rho axis the config with rho min = max = value; on the outlier
 * axis, init spectrum with the first outlier placed at magnitude `value` on the rho axis at
 * rho = 1 (the same matrix as row k of the outlier sweep, W0 + (m_k - |lambda_0|) D = Q B(m_k) Q^T,
 * and a tied rho sweep every engine computes). `shown` is that row in the sweep's own terms (its
 * axis and labels) for the slice chart.
 */
export function previewConfigs(config: Config, value: number): { run: Config; shown: Config } {
  const row = { rhoMin: value, rhoMax: value, rhoCount: 1 };
  const shown = { ...config, ...row };
  if (config.sweep !== 'outlier') return { run: shown, shown };
  const list = parseOutliers(config.outliers);
  if (typeof list === 'string' || list.length === 0) return { run: shown, shown };
  const m0 = Math.hypot(list[0].re, list[0].im);
  const moved = list.map((o, i) => (i === 0 && m0 > 0 ? { re: (o.re / m0) * value, im: (o.im / m0) * value } : o));
  // Not rounded: the run's first outlier is exactly at magnitude value along the given ray.
  const outliers = moved.map((o) => `${o.re},${o.im}`).join(';');
  return { run: { ...config, sweep: 'rho', outliers, rhoMin: 1, rhoMax: 1, rhoCount: 1 }, shown };
}

/**
 * Row `value` of a field at t = 1: log10 ||dL/dh_1|| and the slice's slope there, log10 ||dL/dh_2||
 * - log10 ||dL/dh_1|| (positive: the gradient shrinks going back in time, it vanishes; negative:
 * it grows going back, it explodes).
 */
export function outlierSummary(f: GradientField, value: number): { k: number; value: number; gradT1: number; slopeT1: number } {
  const k = nearestRhoIndex(f.rho, value);
  const g = f.grids.gradLog10Mean;
  const at = k * f.T;
  return { k, value: f.rho[k], gradT1: g[at], slopeT1: f.T > 1 ? g[at + 1] - g[at] : NaN };
}
