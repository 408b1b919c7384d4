/**
 * The one Engine interface that the float64 reference, the fast CPU engine, the WebGPU
 * engine and the gpu.js engine all implement.
 */
import type { Config } from './config.ts';
import type { GradientField } from './field.ts';
import type { HistogramRequest, PreactivationHistogram } from './preactivations.ts';

export type EngineName = 'reference' | 'cpu' | 'webgpu' | 'gpujs';

export interface Progress {
  /** 0..1 of the whole run. */
  fraction: number;
  /** What is being done, in words ("forward", "backward", "rho 12 of 64"). */
  phase: string;
}

export interface RunOptions {
  /** Aborting it rejects the run with an AbortError as soon as the engine next checks. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Engine {
  readonly name: EngineName;
  /** The adapter or machine in words, e.g. "float64 JavaScript", "google swiftshader". */
  readonly adapter: string;
  run(config: Config, options?: RunOptions): Promise<GradientField>;
  /**
   * The pre-activations a_t of one row of the sweep (request.rhoIndex), binned by the engine
   * itself for every step t = 1..T (core/preactivations.ts): the forward pass of that row alone,
   * on the sweep's own W0, U, b and inputs, its first request.samples samples. Only the counts
   * come back. Absent where an engine cannot bin at all; an engine that cannot bin a particular
   * config rejects with a HistogramUnsupportedError. Either way the page asks the reference.
   */
  preactivationHistogram?(config: Config, request: HistogramRequest, options?: RunOptions): Promise<PreactivationHistogram>;
  /** Release every resource the engine holds; the engine is unusable afterwards. */
  dispose(): void;
}

/** The error a cancelled run rejects with (name "AbortError", like fetch's). */
export class AbortError extends Error {
  constructor(message = 'the run was cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** Yield to the event loop (so a run stays cancellable and the page responsive). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
