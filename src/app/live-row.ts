/**
 * The live row of a drag: while an eigenvalue is dragged, only the network being shown (one row,
 * the S sequences; in compare mode A's and B's) is computed, as often as the engine allows.
 * Latest wins and nothing queues: at most one job is in flight and one waits (each new request
 * replaces the waiting one); a result older than one already shown is dropped; stop() aborts the
 * job in flight.
 */
import { isAbortError } from '../core/engine.ts';

/** Computes one job (the row, or A's and B's rows), honouring the signal. */
export type JobRunner<J, V> = (job: J, signal: AbortSignal) => Promise<V>;

export interface LiveRowResult<J, V> {
  value: V;
  /** The job as it was requested. */
  job: J;
  /** Wall time of this job, ms (the drag frame's compute). */
  wallMs: number;
}

export class LiveRow<J, V> {
  private inFlight: AbortController | null = null;
  private waiting: { job: J; serial: number } | null = null;
  private serial = 0;
  private shownSerial = 0;

  constructor(
    private readonly runner: JobRunner<J, V>,
    private readonly onResult: (r: LiveRowResult<J, V>) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Ask for this job; replaces any request still waiting. */
  request(job: J): void {
    this.waiting = { job, serial: ++this.serial };
    if (!this.inFlight) void this.next();
  }

  /** Abort the job in flight and forget the waiting request (the drag ended, or the state moved on). */
  stop(): void {
    this.serial++;
    this.shownSerial = this.serial;
    this.waiting = null;
    this.inFlight?.abort();
    this.inFlight = null;
  }

  /** Whether a job is in flight or waiting. */
  get busy(): boolean {
    return this.inFlight !== null || this.waiting !== null;
  }

  private async next(): Promise<void> {
    const w = this.waiting;
    if (!w) return;
    this.waiting = null;
    const ctrl = new AbortController();
    this.inFlight = ctrl;
    const t0 = performance.now();
    try {
      const value = await this.runner(w.job, ctrl.signal);
      if (!ctrl.signal.aborted && w.serial > this.shownSerial) {
        this.shownSerial = w.serial;
        this.onResult({ value, job: w.job, wallMs: performance.now() - t0 });
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
