/**
 * What the benchmark ran on, for its JSON: CPU model and the instruction-set flags that decide
 * which kernels a BLAS or a JavaScript engine can use, cores, load, and the software versions.
 * Figures from different machines are not comparable (the same kind of cloud machine has been
 * an Intel Xeon and an AMD EPYC on different days); this is how a result says which one it was.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { LAB_VERSION } from '../src/core/version.ts';

/** The flags that matter for float32 kernels, in the order printed. */
const FLAGS_OF_INTEREST = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512dq', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'amx_tile'];

export interface Machine {
  cpuModel: string;
  /** x86 family/model/stepping from /proc/cpuinfo (e.g. 25/1/1: AMD Zen 3), where a hypervisor hides the model name's details. */
  cpuId: string;
  /** Of FLAGS_OF_INTEREST, those /proc/cpuinfo lists. */
  flags: string[];
  avx512: boolean;
  logicalCpus: number;
  availableParallelism: number;
  memoryGiB: number;
  /** 1-minute load average when the benchmark started (other processes share the machine). */
  loadAverageAtStart: number;
  versions: Record<string, string>;
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  let cpuId = 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? model;
    const all = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    flags = FLAGS_OF_INTEREST.filter((f) => all.has(f));
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
    cpuId = `family ${field('cpu family')}, model ${field('model')}, stepping ${field('stepping')}`;
  } catch {
    // not Linux: the model from os.cpus(), no flags
  }
  return {
    cpuModel: model,
    cpuId,
    flags,
    avx512: flags.includes('avx512f'),
    logicalCpus: cpus().length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg()[0],
    versions: { lab: LAB_VERSION, node: process.version, v8: process.versions.v8, webgpu: packageVersion('webgpu') },
  };
}

export function machineLine(m: Machine): string {
  return `${m.logicalCpus} x ${m.cpuModel} (${m.cpuId}; ${m.flags.join(' ') || 'flags unknown'}; AVX-512 ${m.avx512 ? 'yes' : 'no'}), load ${m.loadAverageAtStart.toFixed(2)} at start; Node ${m.versions.node}`;
}
