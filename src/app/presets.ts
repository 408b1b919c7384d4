/**
 * Presets: each reproduces one claim from the literature with one configuration, a
 * plain-language explanation to read beside the plots, and the paper it comes from.
 */
import { DEFAULT_CONFIG, type Config } from '../core/config.ts';
import { DEFAULT_VIEW, type ViewState } from './state.ts';

export interface Preset {
  id: string;
  title: string;
  /** Config fields that differ from the defaults. */
  config: Partial<Config>;
  /** View fields that differ from the defaults (the slider's rho, compare mode, overlays). */
  view: Partial<ViewState>;
  /** 3-6 sentences, for a newcomer. */
  explanation: string;
  paper: { cite: string; url: string };
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'tanh-vs-relu',
    title: 'tanh vs ReLU',
    config: { rhoMin: 0.5, rhoMax: 2, rhoCount: 61 },
    view: { compare: 'relu', rho: 1.75 },
    explanation:
      'The same network, the same W0 and the same inputs, once with tanh (A) and once with ReLU (B). ' +
      'Backpropagation multiplies the gradient by ρ·W0ᵀ and by phi\'(a) at every step back in time. ' +
      'tanh\'s derivative is at most 1 and shrinks as units saturate, so even at ρ = 2 the tanh gradient still shrinks towards early steps. ' +
      'ReLU\'s derivative is exactly 1 on every active unit; about half the units are off at each step, which delays the blow-up, but past ρ ≈ 1.4 nothing damps the product and the ReLU gradient grows exponentially towards t = 1. ' +
      'Drag the slider from 1 to 2 and watch the difference heatmap turn from white to deep blue.',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"',
      url: 'https://arxiv.org/abs/1211.5063',
    },
  },
  {
    id: 'sigmoid-vanishes',
    title: 'sigmoid vanishes',
    config: { activation: 'sigmoid', rhoMin: 0.5, rhoMax: 4, rhoCount: 71 },
    view: { rho: 2 },
    explanation:
      'The logistic sigmoid has a derivative of at most 1/4, reached only at a = 0. ' +
      'Each step back in time multiplies the gradient by at most ρ·‖W0‖/4, so it shrinks geometrically: the whole surface lies far below zero. ' +
      'Even at ρ = 4 the gradient that reaches t = 1 is smaller than 10^-20, and the measured slice stays under the Pascanu bound. ' +
      'This is the vanishing-gradient problem that Bengio, Simard & Frasconi (and Hochreiter before them) found in early recurrent networks.',
    paper: {
      cite: 'Bengio, Simard & Frasconi 1994, "Learning long-term dependencies with gradient descent is difficult", IEEE Trans. Neural Networks 5(2)',
      url: 'https://doi.org/10.1109/72.279181',
    },
  },
  {
    id: 'relu-explodes',
    title: 'ReLU explodes',
    config: { activation: 'relu', rhoMin: 0.5, rhoMax: 2.5, rhoCount: 81 },
    view: { rho: 2 },
    explanation:
      'A ReLU unit passes the gradient unchanged while it is active, so backpropagation through T steps multiplies by ρ·W0ᵀ restricted to the active units, again and again. ' +
      'Nothing saturates: once ρ is large enough (about 1.4 here, where the surface crosses zero) the gradient grows exponentially towards t = 1, by about 10^15 at ρ = 2 over 100 steps. ' +
      'The hidden state grows with it (switch the field to the hidden-state norm). ' +
      'This is why ReLU recurrent networks need careful initialisation or gradient clipping.',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"',
      url: 'https://arxiv.org/abs/1211.5063',
    },
  },
  {
    id: 'irnn',
    title: 'IRNN: ReLU + identity init',
    config: { activation: 'relu', init: 'identity', rhoMin: 0.8, rhoMax: 1.2, rhoCount: 65, biasScale: 0 },
    view: { rho: 1 },
    explanation:
      'Le, Jaitly & Hinton initialise W to the identity and the bias to zero in a ReLU network (IRNN). ' +
      'At ρ = 1 an active unit copies its value and its gradient unchanged from step to step, so the gradient reaching t = 1 stays within about a decade of its size at t = T: it neither vanishes nor explodes. ' +
      'With W = ρ·I a unit that is off at a step passes no gradient back through it, so now and then a sample loses every path back and its gradient is exactly 0 (at ρ = 1 here, 1 of the 16 samples at t = 1): the lab counts such samples apart (Show: fraction of samples with dL/dh_t exactly 0) and averages log10 over the others. ' +
      'Above 1 the gradient grows close to the linear prediction ρ^(T−t). ' +
      'Below 1 the units decay until the inputs switch them off, and more and more samples lose every path (at ρ = 0.9, 15 of 16 at t = 1); below about 0.85 the early steps are exactly 0 in every sample (−∞ in log10, drawn at the bottom of the colour range). ' +
      'ρ = 1 is the knife edge where long memories are possible.',
    paper: {
      cite: 'Le, Jaitly & Hinton 2015, "A simple way to initialize recurrent networks of rectified linear units"',
      url: 'https://arxiv.org/abs/1504.00941',
    },
  },
  {
    id: 'orthogonal',
    title: 'orthogonal W',
    config: { activation: 'linear', init: 'orthogonal', rhoMin: 0.8, rhoMax: 1.2, rhoCount: 65 },
    view: { rho: 1 },
    explanation:
      'An orthogonal matrix keeps the length of every vector: all its eigenvalues lie on the unit circle and all its singular values are 1. ' +
      'With a linear activation the gradient norm is then exactly ρ^(T−t), so the measured slice lies on the linear prediction for every ρ, and at ρ = 1 it is flat. ' +
      'A Gaussian W0 of the same spectral radius has singular values up to about 1.8, so some directions grow while others shrink; an orthogonal W0 has no such spread. ' +
      'This is the argument for orthogonal initialisation of recurrent weights.',
    paper: {
      cite: 'Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning in deep linear neural networks"',
      url: 'https://arxiv.org/abs/1312.6120',
    },
  },
  {
    id: 'zero-after',
    title: 'zero input after step t0',
    config: { activation: 'tanh', inputs: 'zero-after', inputUntil: 20, rhoMin: 0.5, rhoMax: 1.5, rhoCount: 41 },
    view: { rho: 0.8 },
    explanation:
      'Inputs and bias are switched off after step t0 = 20. ' +
      'For ρ below 1 the hidden state then decays to zero, where tanh is linear (tanh\'(0) = 1), so from t0 on the network is the linear system h_t = ρ·W0·h_{t−1} and the gradient falls like ρ^(T−t), parallel to the linear prediction. ' +
      'For ρ above 1 the zero state is unstable: the state grows until tanh saturates (switch the field to the hidden-state norm), and saturation keeps the gradient from exploding. ' +
      'He Zhiyuan makes this argument in his answer to "Why do RNNs use tanh rather than ReLU as the activation?" on Zhihu (2017): once the drive is gone, the spectral radius of W decides between vanishing and exploding, and tanh caps the explosion.',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", section 2.1',
      url: 'https://arxiv.org/abs/1211.5063',
    },
  },
  {
    id: 'one-eigenvalue-above-1',
    title: 'One eigenvalue above 1',
    config: { activation: 'linear', init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0', sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3, rhoCount: 26 },
    view: { compare: 'relu', rho: 1.1 },
    explanation:
      'W0 = Q B Qᵀ has every eigenvalue in the disk of radius 0.8 but one real outlier, which the sweep moves from 0.8 to 1.3 (drag it on the eigenvalue plot). ' +
      'With a linear activation (A) backpropagation multiplies by Wᵀ at every step, and the outlier alone decides: the gradient at t = 1 is 10^-10.6 at |λ₁| = 0.8, 10^-1.4 at 1.0 and 10^9.9 at 1.3. ' +
      'The slice\'s slope at t = 1 changes sign as the outlier passes 1 (+0.05 decades per step at 0.9, −0.04 at 1.1): every other eigenvalue is inside the unit circle, yet the gradient explodes. ' +
      'With ReLU (B) the same outlier is not enough over this range: about half the units are off at each step, which breaks up the outlier\'s direction, and the gradient at t = 1 is still 10^-13.8 at 1.3 (10^-33.4 at 0.8). ' +
      'tanh (compare with tanh) does the same: phi\' is below 1 on average and the gradient at t = 1 reaches only 10^-13.3 at 1.3. ' +
      'Numbers: float64 reference, this preset\'s seed, N = 64, T = 100, S = 16 (bench/preset-numbers.ts).',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", section 3',
      url: 'https://arxiv.org/abs/1211.5063',
    },
  },
  {
    id: 'rnn-vs-feedforward',
    title: 'RNN versus deep feed-forward',
    config: { activation: 'linear', init: 'spectrum', bulk: 'disk:0.8', outliers: '1.1,0', sweep: 'outlier', rhoMin: 0.8, rhoMax: 1.3, rhoCount: 26 },
    view: { compare: 'untied', rho: 1.1 },
    explanation:
      'The same spectrum (disk of radius 0.8, one real outlier swept from 0.8 to 1.3), linear, in two networks on the same seed. ' +
      'A is the RNN: one W at every step, so the backward product Wᵀ…Wᵀ lines up with the outlier\'s eigenvector and compounds: the gradient at t = 1 goes from 10^-10.6 at |λ₁| = 0.8 to 10^9.9 at 1.3. ' +
      'B is a 100-layer feed-forward network of the same widths (untied weights): every layer has exactly the same eigenvalues but its own eigenvectors (a fresh Q_t), so one layer\'s outlier points where the next has only bulk, and nothing compounds: the gradient at t = 1 stays within a decade of 10^-23 (10^-23.9 at 0.8, 10^-22.8 at 1.3). ' +
      'One eigenvalue above 1 is an RNN\'s problem because its weights are shared across time. ' +
      'Numbers: float64 reference, this preset\'s seed, N = 64, T = 100, S = 16 (bench/preset-numbers.ts).',
    paper: {
      cite: 'Chen, Pennington & Schoenholz 2018, "Dynamical isometry and a mean field theory of RNNs: gating enables signal propagation in recurrent neural networks"',
      url: 'https://arxiv.org/abs/1806.05394',
    },
  },
];

export function presetById(id: string | null): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The full state a preset sets: defaults, then the preset's fields. */
export function presetState(p: Preset): { config: Config; view: ViewState } {
  return {
    config: { ...DEFAULT_CONFIG, ...p.config },
    view: { ...DEFAULT_VIEW, overlays: { ...DEFAULT_VIEW.overlays }, ...p.view, preset: p.id },
  };
}

/** Whether the config still equals the preset's (otherwise the explanation says "modified"). */
export function presetMatches(p: Preset, config: Config): boolean {
  const want = { ...DEFAULT_CONFIG, ...p.config };
  return (Object.keys(want) as (keyof Config)[]).every((k) => want[k] === config[k]);
}
