/**
 * A GPU engine that survives a lost device. When a run fails because the GPU device was lost
 * (a driver reset, another tab, a test hook), it says so through the run's progress, acquires
 * a new device (a fresh engine from `recreate`) and runs again; when that fails too, it falls
 * back to the next backend (`fallback`) for this run and all later ones. Nothing waits forever:
 * every step either resolves or rejects with a message the page shows.
 */
import type { Config } from '../core/config.ts';
import { isAbortError, type Engine, type EngineName, type RunOptions } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';
import { HistogramUnsupportedError, type HistogramRequest, type PreactivationHistogram } from '../core/preactivations.ts';

/** Whether an engine error means the GPU (device or context) is gone, so a new one may work. */
export function isGpuLost(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /device was lost|device lost|context (was )?lost|engine worker failed/i.test(msg);
}

function words(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ResilientEngine implements Engine {
  /** What happened to the GPU so far, in words ('' while nothing did); the badge shows it. */
  notice = '';
  /** Recoveries done (new devices acquired) and fallbacks taken, for tests. */
  recoveries = 0;
  fallbacks = 0;
  /** Called with each engine `recreate` makes, before it runs (the robustness tests lose its device here). */
  onRecreated: ((e: Engine) => Promise<void>) | null = null;

  constructor(
    private inner: Engine,
    private readonly recreate: () => Promise<Engine>,
    private readonly fallback: () => Promise<Engine>,
  ) {}

  get name(): EngineName {
    return this.inner.name;
  }

  get adapter(): string {
    return this.inner.adapter;
  }

  /** The engine doing the work now (the original, a recreated one, or the fallback). */
  get current(): Engine {
    return this.inner;
  }

  async run(config: Config, options: RunOptions = {}): Promise<GradientField> {
    const first = this.inner;
    try {
      return await first.run(config, options);
    } catch (e) {
      if (isAbortError(e) || options.signal?.aborted || !isGpuLost(e)) throw e;
      // Another run may already have replaced the engine: use that one.
      if (this.inner === first) {
        options.onProgress?.({ fraction: 0, phase: 'the GPU device was lost: acquiring a new device' });
        first.dispose();
        try {
          this.inner = await this.recreate();
          await this.onRecreated?.(this.inner);
          this.recoveries++;
        } catch (e2) {
          return this.fallBack(config, options, `${words(e)}; no new device: ${words(e2)}`);
        }
      }
      try {
        const field = await this.inner.run(config, options);
        this.notice = `the GPU device was lost during a run (${words(e)}); a new device completed it`;
        return field;
      } catch (e2) {
        if (isAbortError(e2) || options.signal?.aborted || !isGpuLost(e2)) throw e2;
        return this.fallBack(config, options, `lost twice: ${words(e2)}`);
      }
    }
  }

  /** The histogram of the engine doing the work now (a lost device shows as an error; the next sweep recovers it). */
  preactivationHistogram(config: Config, request: HistogramRequest, options: RunOptions = {}): Promise<PreactivationHistogram> {
    const inner = this.inner;
    if (!inner.preactivationHistogram) return Promise.reject(new HistogramUnsupportedError(`the ${inner.name} engine does not bin pre-activations`));
    return inner.preactivationHistogram(config, request, options);
  }

  private async fallBack(config: Config, options: RunOptions, why: string): Promise<GradientField> {
    const lost = this.inner;
    options.onProgress?.({ fraction: 0, phase: 'the GPU failed again: falling back to the next engine' });
    lost.dispose();
    this.inner = await this.fallback();
    this.fallbacks++;
    this.notice = `the GPU device was lost (${why}); fell back to the ${this.inner.name} engine`;
    return this.inner.run(config, options);
  }

  dispose(): void {
    this.inner.dispose();
  }
}
