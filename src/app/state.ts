/**
 * The lab's state: the experiment's Config (validated, from src/core/config.ts) plus the view
 * (which field is shown, where the rho slider sits, compare mode, overlays, embed, camera).
 * Everything here is plain data; the URL hash table (hash.ts) serialises exactly this.
 */
import { ACTIVATIONS, DEFAULT_CONFIG, type Activation, type Config } from '../core/config.ts';
import { MENU_GRIDS, STATISTICS, type GridName, type MenuKey } from '../core/statistics.ts';
import type { BackendChoice, WebGpuVariantChoice as KernelChoice } from '../engine/policy.ts';
import { DEFAULT_TRAIN, type TrainSettings } from './train-settings.ts';

/** The fields the plots can show, by their URL names: the menu entries of the statistics table. */
export const SHOWN_FIELDS = MENU_GRIDS.map((g) => STATISTICS[g].menu!.key as MenuKey);
export type ShownField = MenuKey;

/** Which grid of the GradientField each shown field reads. */
export const SHOWN_GRID = Object.fromEntries(MENU_GRIDS.map((g) => [STATISTICS[g].menu!.key, g])) as Record<ShownField, GridName>;

const menuOf = (f: ShownField) => STATISTICS[SHOWN_GRID[f]].menu!;
export const SHOWN_LABEL = Object.fromEntries(SHOWN_FIELDS.map((f) => [f, menuOf(f).label])) as Record<ShownField, string>;

/** Short names for plot headings. */
export const SHOWN_SHORT = Object.fromEntries(SHOWN_FIELDS.map((f) => [f, menuOf(f).heading])) as Record<ShownField, string>;

/**
 * Overlays of the slice chart, each toggleable (meanfield: the mean-field prediction,
 * src/core/meanfield.ts; grad: the gradient as a second line where Show is another field).
 */
export const OVERLAYS = ['std', 'hidden', 'linear', 'pascanu', 'meanfield', 'grad'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Which engine computes (the one list, in src/engine/policy.ts): auto (the rule in backends.ts) or one forced by name. */
export { BACKEND_CHOICES, type BackendChoice } from '../engine/policy.ts';

/** The WebGPU engine's step kernels: auto (tiled on hardware, persistent on a software adapter) or one by name (`#kernel=`). */
export { WEBGPU_VARIANT_CHOICES as KERNEL_CHOICES, type WebGpuVariantChoice as KernelChoice } from '../engine/policy.ts';

/**
 * Compare mode: off, the activation of configuration B (same W0, inputs and sweep as A), or
 * `untied`: B is A with untied weights (a fresh W0_t per step: the RNN against a deep
 * feed-forward net of the same widths, on the same seed).
 */
export type CompareMode = 'off' | Activation | 'untied';
export const COMPARE_OPTIONS: readonly CompareMode[] = ['off', ...ACTIVATIONS, 'untied'];

/** A compare option in the menu's words. */
export function compareOptionLabel(o: CompareMode): string {
  return o === 'untied' ? 'untied weights' : o;
}

/** What names A or B in compare mode: the activation, and the weights when they are compared. */
export function compareName(config: Config, compare: CompareMode): string {
  return compare === 'untied' ? `${config.activation}, ${config.weights}` : config.activation;
}

/** Which view fills the page: the gradient field at initialisation, or training. */
export const TABS = ['gradient', 'train'] as const;
export type Tab = (typeof TABS)[number];

/** A colour range the user locked for one Show field (the heatmaps, the surfaces and their exports keep it across runs). */
export interface ColourLock {
  field: ShownField;
  min: number;
  max: number;
}

export interface ViewState {
  tab: Tab;
  /** The Train view's settings (replaced, never mutated, on every change). */
  train: TrainSettings;
  field: ShownField;
  /** The slider's rho; snapped to the nearest swept value when drawn. */
  rho: number;
  compare: CompareMode;
  /** Hide the controls (slides, course pages). */
  embed: boolean;
  overlays: Record<Overlay, boolean>;
  /** Camera of the 3D view as [azimuth deg, elevation deg, distance], or null for the default. */
  camera: [number, number, number] | null;
  /** The locked colour range, or null for the auto, noise-aware one; applies while Show is its field. */
  colourLock: ColourLock | null;
  /** The preset the view came from (for its explanation), or null. */
  preset: string | null;
  /** Which engine computes: auto (the rule in backends.ts) or one forced by name. */
  backend: BackendChoice;
  /**
   * The WebGPU engine's step kernels (persistent or tiled, engine/webgpu/plan.ts), or auto: the
   * engine's own rule. Only the link sets it (`#kernel=tiled`): for comparing the two on one GPU.
   */
  kernel: KernelChoice;
}

export interface LabState {
  config: Config;
  view: ViewState;
}

export const DEFAULT_VIEW: Readonly<ViewState> = Object.freeze({
  tab: 'gradient',
  train: DEFAULT_TRAIN,
  field: 'grad',
  rho: 1,
  compare: 'off',
  embed: false,
  overlays: { std: true, hidden: false, linear: true, pascanu: true, meanfield: true, grad: false },
  camera: null,
  colourLock: null,
  preset: null,
  backend: 'auto',
  kernel: 'auto',
});

export function defaultState(): LabState {
  return { config: { ...DEFAULT_CONFIG }, view: { ...DEFAULT_VIEW, overlays: { ...DEFAULT_VIEW.overlays } } };
}

/** Configuration B of compare mode: A with another activation (or untied weights), so W0 and the inputs are the same draws. */
export function compareConfig(config: Config, compare: CompareMode): Config | null {
  if (compare === 'off') return null;
  if (compare === 'untied') return { ...config, weights: 'untied' };
  return { ...config, activation: compare };
}
