/**
 * The Train view's story presets: each loads a run of the adding problem at T = 150 that tells
 * one part of the story (Le, Jaitly & Hinton 2015) and says what the lab's own runs showed.
 *
 * Every number in an explanation is a held-out loss the float32 CPU trainer computed, listed in
 * the preset's `measured` table (tests/app/train-presets.test.ts checks that each number quoted
 * is one of them, that the text names every model, and that the `command` is this very run).
 * The runs behind them (docs/train-stories.md):
 *
 *   rnnlab train --hidden 64 --iterations 1000 --eval-every 25 --seed S \
 *     --model activation=tanh,init=gaussian --model activation=tanh,init=orthogonal \
 *     --model activation=relu,init=gaussian,clip=1 --model activation=relu,init=gaussian \
 *     --model activation=relu,init=identity --model activation=relu,init=identity,clip=1 \
 *     --model activation=relu,init=identity,inputWeightScale=0.1,clip=1
 *
 * for S = 1, 2, 3, and the same models with --iterations 3000 on seed 1. A model's training
 * does not depend on the other models or on the evaluation schedule (the same batches, its own
 * initial weights from the seed), so the rows of those runs are the rows of each preset's run.
 */
import type { ModelSpec, TrainSettings } from './train-settings.ts';
import { DEFAULT_TRAIN, MODEL_SETTINGS, modelSpecOf, RUN_SETTINGS, specLabel } from './train-settings.ts';

/** A held-out loss a run measured: model (by its label), seed, step. */
export interface Measured {
  model: string;
  seed: number;
  step: number;
  heldoutLoss: number;
}

export interface TrainPreset {
  id: string;
  title: string;
  settings: TrainSettings;
  /** What the runs showed, for a newcomer; every number is in `measured`. */
  explanation: string;
  /** The `rnnlab train` command line of this run (seed 1). */
  command: string;
  measured: readonly Measured[];
  paper: { cite: string; url: string };
}

const LE = {
  cite: 'Le, Jaitly & Hinton 2015, "A simple way to initialize recurrent networks of rectified linear units"',
  url: 'https://arxiv.org/abs/1504.00941',
};
const PASCANU = {
  cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"',
  url: 'https://arxiv.org/abs/1211.5063',
};

const TANH_G = modelSpecOf({ activation: 'tanh', init: 'gaussian' });
const TANH_O = modelSpecOf({ activation: 'tanh', init: 'orthogonal' });
const RELU = modelSpecOf({ activation: 'relu', init: 'gaussian' });
const RELU_CLIP = modelSpecOf({ activation: 'relu', init: 'gaussian', clip: 1 });
const IRNN = modelSpecOf({ activation: 'relu', init: 'identity' });
const IRNN_CLIP = modelSpecOf({ activation: 'relu', init: 'identity', clip: 1 });
const IRNN_SMALL = modelSpecOf({ activation: 'relu', init: 'identity', inputWeightScale: 0.1, clip: 1 });

/** The lab's defaults (adding, T = 150, N = 64, Adam lr 1e-3, batch 32, 3000 steps, seed 1) with these models. */
function run(models: ModelSpec[]): TrainSettings {
  return { ...DEFAULT_TRAIN, models };
}

/** The CLI line of a run: the settings that differ from the CLI's defaults, then each model. */
function commandOf(s: TrainSettings): string {
  const spec = (m: ModelSpec) =>
    [
      `activation=${m.activation}`,
      `init=${m.init}`,
      m.rho !== 1 ? `rho=${m.rho}` : '',
      m.inputWeightScale !== 1 ? `inputWeightScale=${m.inputWeightScale}` : '',
      m.biasInit !== 0 ? `biasInit=${m.biasInit}` : '',
      m.clip > 0 ? `clip=${m.clip}` : '',
    ]
      .filter(Boolean)
      .join(',');
  return `rnnlab train --length ${s.length} --hidden ${s.hidden} --iterations ${s.iterations} --seed ${s.seed} ${s.models.map((m) => `--model ${spec(m)}`).join(' ')}`;
}

function preset(p: Omit<TrainPreset, 'command'>): TrainPreset {
  return { ...p, command: commandOf(p.settings) };
}

/** Held-out losses (3 significant digits) at steps 0 and 1000 of the runs above, seeds 1, 2, 3. */
const MEASURED: readonly Measured[] = [
  // tanh-gaussian
  { model: 'tanh-gaussian', seed: 1, step: 0, heldoutLoss: 0.945 },
  { model: 'tanh-gaussian', seed: 1, step: 1000, heldoutLoss: 0.185 },
  { model: 'tanh-gaussian', seed: 2, step: 0, heldoutLoss: 0.363 },
  { model: 'tanh-gaussian', seed: 2, step: 1000, heldoutLoss: 0.168 },
  { model: 'tanh-gaussian', seed: 3, step: 0, heldoutLoss: 0.371 },
  { model: 'tanh-gaussian', seed: 3, step: 1000, heldoutLoss: 0.182 },
  // tanh-orthogonal
  { model: 'tanh-orthogonal', seed: 1, step: 0, heldoutLoss: 0.863 },
  { model: 'tanh-orthogonal', seed: 1, step: 1000, heldoutLoss: 0.184 },
  { model: 'tanh-orthogonal', seed: 2, step: 0, heldoutLoss: 0.21 },
  { model: 'tanh-orthogonal', seed: 2, step: 1000, heldoutLoss: 0.168 },
  { model: 'tanh-orthogonal', seed: 3, step: 0, heldoutLoss: 0.303 },
  { model: 'tanh-orthogonal', seed: 3, step: 1000, heldoutLoss: 0.184 },
  // relu-gaussian clip 1
  { model: 'relu-gaussian clip 1', seed: 1, step: 0, heldoutLoss: 0.284 },
  { model: 'relu-gaussian clip 1', seed: 1, step: 1000, heldoutLoss: 0.0999 },
  { model: 'relu-gaussian clip 1', seed: 2, step: 0, heldoutLoss: 0.233 },
  { model: 'relu-gaussian clip 1', seed: 2, step: 1000, heldoutLoss: 0.0915 },
  { model: 'relu-gaussian clip 1', seed: 3, step: 0, heldoutLoss: 0.198 },
  { model: 'relu-gaussian clip 1', seed: 3, step: 1000, heldoutLoss: 0.0658 },
  // relu-gaussian
  { model: 'relu-gaussian', seed: 1, step: 0, heldoutLoss: 0.284 },
  { model: 'relu-gaussian', seed: 1, step: 1000, heldoutLoss: 0.187 },
  { model: 'relu-gaussian', seed: 2, step: 0, heldoutLoss: 0.233 },
  { model: 'relu-gaussian', seed: 2, step: 1000, heldoutLoss: 0.17 },
  { model: 'relu-gaussian', seed: 3, step: 0, heldoutLoss: 0.198 },
  { model: 'relu-gaussian', seed: 3, step: 1000, heldoutLoss: 0.169 },
  // IRNN
  { model: 'IRNN', seed: 1, step: 0, heldoutLoss: 61.6 },
  { model: 'IRNN', seed: 1, step: 1000, heldoutLoss: 0.309 },
  { model: 'IRNN', seed: 2, step: 0, heldoutLoss: 800 },
  { model: 'IRNN', seed: 2, step: 1000, heldoutLoss: 0.178 },
  { model: 'IRNN', seed: 3, step: 0, heldoutLoss: 182 },
  { model: 'IRNN', seed: 3, step: 1000, heldoutLoss: 0.348 },
  // IRNN clip 1
  { model: 'IRNN clip 1', seed: 1, step: 0, heldoutLoss: 61.6 },
  { model: 'IRNN clip 1', seed: 1, step: 1000, heldoutLoss: 0.0344 },
  { model: 'IRNN clip 1', seed: 2, step: 0, heldoutLoss: 800 },
  { model: 'IRNN clip 1', seed: 2, step: 1000, heldoutLoss: 0.0252 },
  { model: 'IRNN clip 1', seed: 3, step: 0, heldoutLoss: 182 },
  { model: 'IRNN clip 1', seed: 3, step: 1000, heldoutLoss: 0.0482 },
  // IRNN input 0.1 clip 1
  { model: 'IRNN input 0.1 clip 1', seed: 1, step: 0, heldoutLoss: 0.75 },
  { model: 'IRNN input 0.1 clip 1', seed: 1, step: 1000, heldoutLoss: 0.00665 },
  { model: 'IRNN input 0.1 clip 1', seed: 2, step: 0, heldoutLoss: 8.22 },
  { model: 'IRNN input 0.1 clip 1', seed: 2, step: 1000, heldoutLoss: 0.0048 },
  { model: 'IRNN input 0.1 clip 1', seed: 3, step: 0, heldoutLoss: 2.04 },
  { model: 'IRNN input 0.1 clip 1', seed: 3, step: 1000, heldoutLoss: 0.00624 },
];

/** The lab's defaults with these models and 1000 steps (evaluated every 25: evalEveryFor(1000)). */
function story(models: ModelSpec[]): TrainSettings {
  return { ...run(models), iterations: 1000 };
}

function measuredFor(models: ModelSpec[]): Measured[] {
  const labels = new Set(models.map(specLabel));
  return MEASURED.filter((m) => labels.has(m.model));
}

const TANH_STORY = [TANH_G, TANH_O, RELU_CLIP, IRNN_SMALL];
const CLIP_STORY = [RELU, RELU_CLIP];
const IRNN_STORY = [IRNN, IRNN_CLIP, IRNN_SMALL];

export const TRAIN_PRESETS: readonly TrainPreset[] = [
  preset({
    id: 'tanh-150',
    title: 'tanh cannot carry 150 steps',
    settings: story(TANH_STORY),
    explanation:
      'Four networks learn the adding problem at T = 150: the target is the sum of the two values marked among 150 steps, and always answering the mean scores the dashed baseline. ' +
      'In the lab\'s runs on seeds 1, 2 and 3, tanh-gaussian and tanh-orthogonal ended step 1000 at or above the baseline (0.185, 0.168, 0.182 and 0.184, 0.168, 0.184): the error at the end has to travel back through up to 150 tanh steps to reach the first marked value, and their gradient norm was under 10 at every evaluation. ' +
      'relu-gaussian clip 1 ended below it on every seed (0.0999, 0.0915, 0.0658) and IRNN input 0.1 clip 1 lowest (0.00665, 0.0048, 0.00624). ' +
      'When a curve leaves the baseline depends on the seed (IRNN input 0.1 clip 1 first fell under a tenth at step 525, 325, 475); the order was the same on all three. ' +
      'Watch the spectral radius and the eigenvalues: the ReLU models\' W grows past 1 while they learn.',
    measured: measuredFor(TANH_STORY),
    paper: LE,
  }),
  preset({
    id: 'relu-clip',
    title: 'ReLU explodes without clipping, learns with it',
    settings: story(CLIP_STORY),
    explanation:
      'The same ReLU network from the same gaussian W (ρ = 1) at T = 150, once as it is (relu-gaussian) and once with the gradient clipped to global norm 1 before each step (relu-gaussian clip 1). ' +
      'On seed 1 the unclipped gradient norm reached 2.1e8 within 1000 steps and the loss ended above the baseline (0.187). ' +
      'On seeds 2 and 3 it did not explode in those 1000 steps (its gradient norm was at most 2.05 and 3.25 at the evaluations, every 25 steps), and it did not learn either (0.17, 0.169): whether the explosion shows depends on the seed. ' +
      'relu-gaussian clip 1 clipped 15%, 38% and 26% of its steps and ended below the baseline on all three seeds (0.0999, 0.0915, 0.0658). ' +
      'The gradient-norm chart draws the clip threshold: every point above it was scaled down to it.',
    measured: measuredFor(CLIP_STORY),
    paper: PASCANU,
  }),
  preset({
    id: 'irnn',
    title: 'IRNN',
    settings: story(IRNN_STORY),
    explanation:
      'IRNN is a ReLU network with W = I and zero bias, so at first each unit adds up its input over all T = 150 steps. ' +
      'With the lab\'s default input weights (scale 1) that sum is large: the held-out loss starts at 61.6, 800 and 182 on seeds 1, 2 and 3, and the plain IRNN, its gradient norm reaching 3.75e5, 1.01e6 and 5.09e5, ended step 1000 above the baseline (0.309, 0.178, 0.348). ' +
      'IRNN clip 1 (clipped on 97% to 100% of its steps) learned on every seed (0.0344, 0.0252, 0.0482), and IRNN input 0.1 clip 1, whose input weights start ten times smaller, learned fastest of all these runs (0.00665, 0.0048, 0.00624). ' +
      'The eigenvalues leave 1 as they learn: the spectral radius of W ended between 1.21 and 1.83 in the clipped models.',
    measured: measuredFor(IRNN_STORY),
    paper: LE,
  }),
];

export function trainPresetById(id: string): TrainPreset | undefined {
  return TRAIN_PRESETS.find((p) => p.id === id);
}

/** The preset whose settings are exactly these (its text shows while nothing was changed), or null. */
export function trainPresetMatching(s: TrainSettings): TrainPreset | null {
  const key = settingsKey(s);
  return TRAIN_PRESETS.find((p) => settingsKey(p.settings) === key) ?? null;
}

/** The settings as text in a fixed field order (objects from a link or the form order their keys differently). */
function settingsKey(s: TrainSettings): string {
  return JSON.stringify([RUN_SETTINGS.map((f) => s[f]), s.models.map((m) => MODEL_SETTINGS.map((f) => m[f]))]);
}
