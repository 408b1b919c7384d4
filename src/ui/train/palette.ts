/** One colour per model (Okabe & Ito's colour-blind-safe set), in the order of the models. */
export const MODEL_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#8a7a00', '#555555'] as const;

export function modelColour(k: number): string {
  return MODEL_COLOURS[k % MODEL_COLOURS.length];
}
