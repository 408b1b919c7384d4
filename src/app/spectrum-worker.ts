/**
 * A Web Worker that computes the eigenvalues of a config's W0 (core/problem.ts eigenvaluesOf:
 * W0 rebuilt from the seed, then hqr, about 6 s at N = 1024), so the spectrum plot of a large
 * run fills in after the first picture without blocking the page.
 */
import type { Config } from '../core/config.ts';
import { eigenvaluesOf } from '../core/problem.ts';
import type { Spectrum } from '../core/spectrum.ts';

export type SpectrumReply = { id: number; ok: true; spectrum: Spectrum } | { id: number; ok: false; message: string };

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<{ id: number; config: Config }>) => void) | null;
  postMessage(msg: SpectrumReply, transfer?: Transferable[]): void;
};

ctx.onmessage = (e) => {
  const { id, config } = e.data;
  try {
    const spectrum = eigenvaluesOf(config);
    ctx.postMessage({ id, ok: true, spectrum });
  } catch (err) {
    ctx.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
