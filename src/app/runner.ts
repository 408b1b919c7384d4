/**
 * Runs sweeps, latest wins: a new request aborts the one in flight through its
 * AbortController. Compare mode runs configuration A then B on the same engine.
 */
import type { Config } from '../core/config.ts';
import { isAbortError, type Engine } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';

export interface RunProgress {
  /** 0..1 over all runs of the request. */
  fraction: number;
  phase: string;
}

export type RunOutcome =
  | { kind: 'done'; fields: GradientField[]; wallMs: number }
  | { kind: 'failed'; message: string }
  | { kind: 'cancelled' };

export class RunController {
  private current: AbortController | null = null;

  /** Start a request (one config, or A and B) on an engine; any request in flight is cancelled. */
  async request(engine: Engine, configs: Config[], onProgress: (p: RunProgress) => void): Promise<RunOutcome> {
    this.current?.abort();
    const ctrl = new AbortController();
    this.current = ctrl;
    const started = performance.now();
    try {
      const fields: GradientField[] = [];
      for (let i = 0; i < configs.length; i++) {
        const label = configs.length > 1 ? `${i === 0 ? 'A' : 'B'} (${configs[i].activation}): ` : '';
        fields.push(
          await engine.run(configs[i], {
            signal: ctrl.signal,
            onProgress: (p) => onProgress({ fraction: (i + p.fraction) / configs.length, phase: label + p.phase }),
          }),
        );
      }
      if (ctrl.signal.aborted) return { kind: 'cancelled' };
      return { kind: 'done', fields, wallMs: performance.now() - started };
    } catch (e) {
      if (isAbortError(e) || ctrl.signal.aborted) return { kind: 'cancelled' };
      return { kind: 'failed', message: e instanceof Error ? e.message : String(e) };
    } finally {
      if (this.current === ctrl) this.current = null;
    }
  }

  cancel(): void {
    this.current?.abort();
    this.current = null;
  }
}
