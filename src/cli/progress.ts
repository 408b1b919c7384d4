/**
 * Progress of a run on stderr. On a terminal: a bar redrawn in place (carriage return) at most
 * ten times a second, once the run has lasted a second. Elsewhere (a pipe, a log file): a plain
 * line every `lineEveryMs` (5 s by default), so a long run in a log says how far it is and how
 * long it has left, without carriage-return noise.
 */
import type { Progress } from '../core/engine.ts';

export interface ProgressSink {
  write: (s: string) => void;
  /** Whether the sink is a terminal. */
  isTTY: boolean;
  /** Terminal width in characters. */
  columns?: number;
}

export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = -Infinity;
  private shown = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly label: string,
    /** Nothing is drawn before this many ms: short runs stay quiet. */
    private readonly delayMs = 1000,
    /** Off a terminal: milliseconds between progress lines. */
    private readonly lineEveryMs = 5000,
  ) {}

  private lastLine = performance.now();

  update(p: Progress): void {
    const now = performance.now();
    if (!this.sink.isTTY) {
      if (now - this.lastLine < this.lineEveryMs) return;
      this.lastLine = now;
      const fraction = Math.min(1, Math.max(0, p.fraction));
      const elapsed = (now - this.start) / 1000;
      const eta = fraction > 0.01 ? `, about ${Math.ceil((elapsed * (1 - fraction)) / fraction)} s left` : '';
      this.sink.write(`${this.label}: ${Math.floor(fraction * 100)}% (${p.phase}), ${elapsed.toFixed(0)} s elapsed${eta}\n`);
      return;
    }
    if (now - this.start < this.delayMs || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = Math.min(1, Math.max(0, p.fraction));
    const elapsed = (now - this.start) / 1000;
    const eta = fraction > 0.01 ? ` ${Math.ceil((elapsed * (1 - fraction)) / fraction)} s left` : '';
    const columns = Math.max(40, this.sink.columns ?? 80);
    const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}%${eta} ${p.phase}`;
    const barWidth = Math.max(10, Math.min(40, columns - this.label.length - tail.length - 4));
    const filled = Math.round(fraction * barWidth);
    let line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`;
    if (line.length > columns - 1) line = line.slice(0, columns - 1);
    this.sink.write(`\r${line.padEnd(this.shown)}`);
    this.shown = line.length;
  }

  /** Erase the bar (if it was drawn) so the summary line starts clean. */
  done(): void {
    if (this.shown > 0) this.sink.write(`\r${' '.repeat(this.shown)}\r`);
    this.shown = 0;
  }
}
