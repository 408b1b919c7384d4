/** The browser half of the benchmark: the same engines inside headless Chromium. */
import type { Row } from './run.ts';
import type { Workload } from './workloads.ts';

export async function runBrowserBench(
  _workloads: readonly Workload[],
  _runs: number,
  _engines: Set<string> | null,
): Promise<{ rows: Row[]; ceilings: Record<string, number> }> {
  console.log('browser benchmark: not wired yet');
  return { rows: [], ceilings: {} };
}
