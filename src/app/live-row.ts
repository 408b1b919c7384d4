/**
 * The live row of a drag: while an eigenvalue is dragged, only the network being shown (one row,
 * the S sequences) is computed, as often as the engine allows. Latest wins and nothing queues:
 * at most one run is in flight and one request waits (each new request replaces the waiting
 * one); a result older than one already shown is dropped; stop() aborts the run in flight.
 */
import type { Config } from '../core/config.ts';
import { isAbortError } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';

/** Computes one config (the engine chosen for it), honouring the signal. */
export type RowRunner = (config: Config, signal: AbortSignal) => Promise<GradientField>;

export interface LiveRowResult<T> {
  field: GradientField;
  /** What the caller attached to the request (the row in the sweep's own terms). */
  tag: T;
  /** Wall time of this run, ms (the drag frame's compute). */
  wallMs: number;
}

export class LiveRow<T> {
  private inFlight: AbortController | null = null;
  private waiting: { config: Config; tag: T; serial: number } | null = null;
  private serial = 0;
  private shownSerial = 0;

  constructor(
    private readonly runner: RowRunner,
    private readonly onResult: (r: LiveRowResult<T>) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Ask for this row; replaces any request still waiting. */
  request(config: Config, tag: T): void {
    this.waiting = { config, tag, serial: ++this.serial };
    if (!this.inFlight) void this.next();
  }

  /** Abort the run in flight and forget the waiting request (the drag ended, or the state moved on). */
  stop(): void {
    this.serial++;
    this.shownSerial = this.serial;
    this.waiting = null;
    this.inFlight?.abort();
    this.inFlight = null;
  }

  /** Whether a run is in flight or waiting. */
  get busy(): boolean {
    return this.inFlight !== null || this.waiting !== null;
  }

  private async next(): Promise<void> {
    const job = this.waiting;
    if (!job) return;
    this.waiting = null;
    const ctrl = new AbortController();
    this.inFlight = ctrl;
    const t0 = performance.now();
    try {
      const field = await this.runner(job.config, ctrl.signal);
      if (!ctrl.signal.aborted && job.serial > this.shownSerial) {
        this.shownSerial = job.serial;
        this.onResult({ field, tag: job.tag, wallMs: performance.now() - t0 });
      }
    } catch (e) {
      if (!isAbortError(e) && !ctrl.signal.aborted) this.onError(e instanceof Error ? e.message : String(e));
    } finally {
      if (this.inFlight === ctrl) {
        this.inFlight = null;
        void this.next();
      }
    }
  }
}
