/** Messages between the page and engine-host-worker.ts (an engine running off the page's thread). */
import type { Config } from '../core/config.ts';
import type { Progress } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';
import type { WebGpuVariantChoice } from '../engine/policy.ts';
import type { HistogramRequest, PreactivationHistogram } from '../core/preactivations.ts';

export type HostedKind = 'cpu' | 'webgpu' | 'gpujs';

/** Test hooks the host answers (robustness tests: device loss, buffer counts, WebGL context loss). */
export type HostTestAction = 'lose-device' | 'live-buffers' | 'lose-context';

export type ToHost =
  | { type: 'init'; kind: HostedKind; workers: number; variant: WebGpuVariantChoice }
  | { type: 'run'; id: number; config: Config }
  /** The derivative panel's histogram of one row (Engine.preactivationHistogram); aborted like a run. */
  | { type: 'histogram'; id: number; config: Config; request: HistogramRequest }
  | { type: 'abort'; id: number }
  | { type: 'dispose' }
  | { type: 'test'; id: number; action: HostTestAction };

export type FromHost =
  | { type: 'ready'; name: string; adapter: string }
  | { type: 'init-failed'; message: string }
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'done'; id: number; field: GradientField }
  | { type: 'histogram-done'; id: number; histogram: PreactivationHistogram }
  /** unsupported: the engine cannot bin this (HistogramUnsupportedError), so the page asks the reference. */
  | { type: 'failed'; id: number; message: string; aborted: boolean; unsupported?: boolean }
  | { type: 'test-result'; id: number; value: number | boolean | null };
