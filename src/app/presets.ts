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
    config: {},
    view: { compare: 'relu', rho: 1.2 },
    explanation:
      'The same network, the same W0 and the same inputs, once with tanh and once with ReLU. ' +
      'Backpropagation multiplies the gradient by rho·W0ᵀ and by phi\'(a) at every step back in time. ' +
      'tanh\'s derivative is at most 1 and shrinks as units saturate, so even with rho above 1 the tanh gradient stays bounded or vanishes. ' +
      'ReLU\'s derivative is exactly 1 on every active unit, so nothing damps the product: past rho ≈ 1 the ReLU gradient grows exponentially towards early steps. ' +
      'Drag the slider across rho = 1 and watch the difference heatmap turn.',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"',
      url: 'https://arxiv.org/abs/1211.5063',
    },
  },
  {
    id: 'sigmoid-vanishes',
    title: 'sigmoid vanishes',
    config: { activation: 'sigmoid', rhoMin: 0.5, rhoMax: 4 },
    view: { rho: 2 },
    explanation:
      'The logistic sigmoid has a derivative of at most 1/4. ' +
      'Each step back in time multiplies the gradient by at most rho·‖W0‖·1/4, so it shrinks geometrically unless rho is near 4 or larger. ' +
      'The slice chart shows the gradient norm falling in a straight line on this log scale, under the Pascanu bound. ' +
      'This is the vanishing-gradient problem that Bengio, Simard & Frasconi and Hochreiter described for early recurrent networks.',
    paper: {
      cite: 'Bengio, Simard & Frasconi 1994, "Learning long-term dependencies with gradient descent is difficult", IEEE Trans. Neural Networks 5(2)',
      url: 'https://doi.org/10.1109/72.279181',
    },
  },
  {
    id: 'relu-explodes',
    title: 'ReLU explodes',
    config: { activation: 'relu', rhoMin: 0.5, rhoMax: 2 },
    view: { rho: 1.5 },
    explanation:
      'A ReLU unit passes the gradient unchanged when it is active, so backpropagation through T steps is close to multiplying by (rho·W0ᵀ) T times. ' +
      'Below rho = 1 the gradient still decays, but above it the norm grows like rho^(T−t): the surface rises steeply towards t = 1. ' +
      'The hidden state grows too, since nothing saturates. ' +
      'This is why ReLU recurrent networks without careful initialisation or gradient clipping are unstable.',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks"',
      url: 'https://arxiv.org/abs/1211.5063',
    },
  },
  {
    id: 'irnn',
    title: 'IRNN: ReLU + identity init',
    config: { activation: 'relu', init: 'identity', rhoMin: 0.8, rhoMax: 1.2, biasScale: 0 },
    view: { rho: 1 },
    explanation:
      'Le, Jaitly & Hinton initialise W to the identity (and the bias to zero) in a ReLU network. ' +
      'At rho = 1 an active unit copies its value and its gradient unchanged from step to step, so the gradient neither vanishes nor explodes. ' +
      'Move the slider a little either side of 1: the gradient tilts up or down like rho^(T−t), exactly the linear prediction. ' +
      'The identity is a knife edge that training then moves away from, but it starts the network where long memories are possible.',
    paper: {
      cite: 'Le, Jaitly & Hinton 2015, "A simple way to initialize recurrent networks of rectified linear units"',
      url: 'https://arxiv.org/abs/1504.00941',
    },
  },
  {
    id: 'orthogonal',
    title: 'orthogonal W',
    config: { activation: 'linear', init: 'orthogonal', rhoMin: 0.8, rhoMax: 1.2 },
    view: { rho: 1 },
    explanation:
      'An orthogonal matrix keeps the length of every vector, so all its eigenvalues and singular values are 1. ' +
      'With a linear activation the gradient norm is then exactly rho^(T−t): the measured slice lies on the linear prediction for every rho. ' +
      'For a Gaussian W0 the singular values spread out and some directions grow while others shrink; orthogonal W has no such spread. ' +
      'This is the argument for orthogonal initialisation of recurrent weights.',
    paper: {
      cite: 'Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning in deep linear neural networks"',
      url: 'https://arxiv.org/abs/1312.6120',
    },
  },
  {
    id: 'zero-after',
    title: 'zero input after step t0',
    config: { activation: 'tanh', inputs: 'zero-after', inputUntil: 20, rhoMin: 0.5, rhoMax: 1.5 },
    view: { rho: 1.2 },
    explanation:
      'Inputs and bias are switched off after step t0 = 20. ' +
      'For rho below 1 the hidden state then decays to zero, where tanh is linear (tanh\'(0) = 1), so from there on the network is the linear system h_t = rho·W0·h_{t−1} and the gradient follows rho^(T−t). ' +
      'For rho above 1 the zero state is unstable: the state grows until tanh saturates, and saturation is what keeps the gradient from exploding. ' +
      'This is the seed\'s argument: the spectral radius of W alone decides between vanishing and exploding once the drive is gone.',
    paper: {
      cite: 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", section 2.1',
      url: 'https://arxiv.org/abs/1211.5063',
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
