/**
 * A Web Worker that computes the eigenvalues of a config's W0 (core/problem.ts eigenvaluesOf:
 * W0 rebuilt from the seed, then hqr, about 6 s at N = 1024), so the spectrum plot of a large
 * run fills in after the first picture without blocking the page; or, asked for a layer t, those
 * of untied weights' W0_t (core/weights.ts layerSpectrum: the matrix the engines use at step t).
 */
import type { Config } from '../core/config.ts';
import type { Spectrum } from '../core/spectrum.ts';
import { spectrumFor } from '../core/weights.ts';

/** What the page asks: the tied W0's eigenvalues, or (layer set) those of W0_layer. */
export interface SpectrumRequest {
  id: number;
  config: Config;
  layer?: number;
}

export type SpectrumReply = { id: number; ok: true; spectrum: Spectrum } | { id: number; ok: false; message: string };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<SpectrumRequest>) => void) | null;
  postMessage(msg: SpectrumReply, transfer?: Transferable[]): void;
};

ctx.onmessage = (e) => {
  const { id, config, layer } = e.data;
  try {
    const spectrum = spectrumFor(config, layer);
    ctx.postMessage({ id, ok: true, spectrum });
  } catch (err) {
    ctx.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
