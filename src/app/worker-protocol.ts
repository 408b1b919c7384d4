/** Messages between the page and engine-worker.ts. */
import type { Config } from '../core/config.ts';
import type { GridName } from '../core/field.ts';
import type { Spectrum } from '../core/spectrum.ts';

export interface WorkerRequest {
  type: 'run';
  id: number;
  config: Config;
  /** The rho indices k this worker computes. */
  rows: number[];
  /** Whether this worker also sends W0's spectrum (one worker does). */
  sendSpectrum: boolean;
}

export type WorkerReply =
  | { type: 'spectrum'; id: number; spectrum: Spectrum }
  /** Row k of every grid, [T] each. */
  | { type: 'row'; id: number; k: number; grids: Record<GridName, Float64Array>; overflow: Uint8Array }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };
