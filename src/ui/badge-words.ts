/**
 * The engine badge in words: a short label for the header ("CPU, 2 workers · 0.31 s") and the
 * details behind it (the adapter, the last run's timings, what the WebGPU probe found, why this
 * engine runs). Pure, so it is tested without a page (tests/ui/badge-words.test.ts).
 */
import type { BackendInfo } from '../app/backends.ts';
import type { RunResult } from '../app/store.ts';

/** Each engine's name for people. */
const ENGINE_NAMES: Record<string, string> = {
  cpu: 'CPU',
  webgpu: 'WebGPU',
  gpujs: 'gpu.js (WebGL2)',
  reference: 'float64 reference',
};

/** Two significant digits for small rates, two decimals otherwise. */
export function fmtRate(g: number): string {
  return g >= 1 ? g.toFixed(2) : g.toPrecision(2);
}

/** Seconds with two decimals below 10 s, one below 100 s, whole seconds above. */
export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(2)} s` : s < 100 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/** The engine and how it runs, in a few words: "CPU, 2 workers", "WebGPU". */
export function engineShort(b: BackendInfo): string {
  const name = ENGINE_NAMES[b.engine] ?? b.engine;
  if (b.engine !== 'cpu') return name;
  // The CPU engine's adapter reads "float32 WebAssembly SIMD, 2 workers" or "..., calling thread".
  const workers = /(\d+) workers?/.exec(b.adapter);
  if (workers) return `${name}, ${workers[1]} worker${workers[1] === '1' ? '' : 's'}`;
  return /calling thread/.test(b.adapter) ? `${name}, 1 thread` : name;
}

/** The header's label: the engine and the last run's wall time. */
export function badgeLabel(b: BackendInfo | null, r: RunResult | null): string {
  if (!b) return 'engine starting…';
  return r ? `${engineShort(b)} · ${fmtSeconds(r.wallMs)}` : engineShort(b);
}

/** What the WebGPU probe found, when another engine runs. */
export function webgpuWords(b: BackendInfo): string {
  const w = b.webgpu;
  if (!w.available) return `unavailable (${w.description})`;
  const name = w.description.replace(/ \(software\)$/, '');
  return w.isFallback ? `${name} (software, skipped)` : b.engine === 'webgpu' ? name : `${name} (not used)`;
}

/** The popover's rows: a term and its text. */
export function badgeDetails(b: BackendInfo | null, r: RunResult | null): { term: string; text: string }[] {
  if (!b) return [{ term: 'Engine', text: 'starting: probing WebGPU and WebGL' }];
  const rows = [{ term: 'Engine', text: `${b.engine} on ${b.adapter}` }];
  if (r) {
    rows.push({
      term: 'Last run',
      text: `${fmtSeconds(r.wallMs)} · ${r.msPerStep.toFixed(2)} ms/step · ${fmtRate(r.gflops)} GFLOP/s (${r.a.meta.precision})`,
    });
  }
  rows.push({ term: 'WebGPU', text: webgpuWords(b) });
  rows.push({ term: 'Why', text: b.why });
  return rows;
}
