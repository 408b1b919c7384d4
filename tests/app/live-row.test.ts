/**
 * LiveRow, the drag's scheduler: one run in flight, one request waiting (a newer one replaces it),
 * results in request order only, stop() aborts the run in flight and drops the waiting one.
 */
import { describe, expect, it } from 'vitest';
import { LiveRow } from '../../src/app/live-row.ts';
import { DEFAULT_CONFIG, type Config } from '../../src/core/config.ts';
import { AbortError } from '../../src/core/engine.ts';
import type { GradientField } from '../../src/core/field.ts';

/** A runner whose runs finish when the test says, recording what it was asked for and which were aborted. */
function controlledRunner() {
  const runs: { seed: number; finish(): void; aborted: boolean }[] = [];
  const runner = (config: Config, signal: AbortSignal) =>
    new Promise<GradientField>((resolve, reject) => {
      const run = { seed: config.seed, aborted: false, finish: () => resolve({ config } as GradientField) };
      signal.addEventListener('abort', () => {
        run.aborted = true;
        reject(new AbortError());
      });
      runs.push(run);
    });
  return { runs, runner };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const cfg = (seed: number): Config => ({ ...DEFAULT_CONFIG, seed });

describe('LiveRow', () => {
  it('runs one at a time; a newer request replaces the waiting one; results come in request order', async () => {
    const { runs, runner } = controlledRunner();
    const shown: number[] = [];
    const live = new LiveRow<Config, GradientField>(runner, (r) => shown.push(r.job.seed), (m) => shown.push(-1 * m.length));
    live.request(cfg(1));
    live.request(cfg(2));
    live.request(cfg(3));
    await tick();
    expect(runs.map((r) => r.seed)).toEqual([1]);
    runs[0].finish();
    await tick();
    await tick();
    // 2 never ran: 3 replaced it while 1 was in flight.
    expect(runs.map((r) => r.seed)).toEqual([1, 3]);
    expect(shown).toEqual([1]);
    runs[1].finish();
    await tick();
    expect(shown).toEqual([1, 3]);
    expect(live.busy).toBe(false);
  });

  it('stop() aborts the run in flight, drops the waiting request and shows nothing of them', async () => {
    const { runs, runner } = controlledRunner();
    const shown: number[] = [];
    const live = new LiveRow<Config, GradientField>(runner, (r) => shown.push(r.job.seed), () => shown.push(-1));
    live.request(cfg(1));
    live.request(cfg(2));
    await tick();
    live.stop();
    await tick();
    expect(runs[0].aborted).toBe(true);
    expect(runs.map((r) => r.seed)).toEqual([1]);
    expect(shown).toEqual([]);
    // A later drag starts afresh.
    live.request(cfg(4));
    await tick();
    runs[1].finish();
    await tick();
    expect(shown).toEqual([4]);
  });
});
