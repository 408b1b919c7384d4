/**
 * What some tests need from the machine: NumPy (the cross-checks of the docs snippet and the NPZ
 * files), Chromium (the browser tests) and a Dawn adapter (WebGPU in Node). A missing one is a
 * failure that names what to install, on every machine: nothing passes by skipping. `.ci/run`
 * installs all three.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it, type TestFunction } from 'vitest';
import { dawnGpu } from '../../src/node/dawn.ts';

export interface Requirement {
  /** What is needed, in words. */
  name: string;
  available: boolean;
  /** Why it is missing, and how to get it (empty when available). */
  why: string;
}

/** python3 that can import numpy. */
export function numpyRequirement(): Requirement {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  const detail = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').pop();
  return {
    name: 'python3 with NumPy',
    available: r.status === 0,
    why: r.status === 0 ? '' : `python3 -c 'import numpy' failed (${detail}); install it with apt-get install -y python3-numpy (.ci/run does)`,
  };
}

/** The Chromium binary the browser tests launch (CHROME_PATH, else /usr/bin/chromium). */
export function chromiumRequirement(env: NodeJS.ProcessEnv = process.env): Requirement {
  const path = env.CHROME_PATH ?? '/usr/bin/chromium';
  const available = existsSync(path);
  return { name: 'Chromium', available, why: available ? '' : `no browser at ${path}; install Debian's chromium package or set CHROME_PATH (.ci/run installs it)` };
}

/** A WebGPU adapter from Dawn (SwiftShader's Vulkan driver on a machine without a GPU). */
export async function dawnRequirement(): Promise<Requirement> {
  const name = 'a Dawn WebGPU adapter';
  try {
    const adapter = await dawnGpu().requestAdapter();
    if (adapter) return { name, available: true, why: '' };
    return { name, available: false, why: `Dawn found no adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}); install chromium (its SwiftShader Vulkan driver) and libvulkan1 (.ci/run does)` };
  } catch (e) {
    return { name, available: false, why: `Dawn could not start: ${(e as Error).message}` };
  }
}

function missing(reqs: Requirement[]): Requirement[] {
  return reqs.filter((r) => !r.available);
}

function explain(reqs: Requirement[]): string {
  return reqs.map((r) => `${r.name} is missing: ${r.why}`).join('; ');
}

/**
 * describe(name, body) when every requirement is met; otherwise the test file fails as it is
 * collected, naming what is missing and how to install it (before any file-level hook tries to use it).
 */
export function describeNeeding(reqs: Requirement | Requirement[], name: string, body: () => void): void {
  const gone = missing(Array.isArray(reqs) ? reqs : [reqs]);
  if (gone.length > 0) throw new Error(`"${name}": ${explain(gone)}`);
  describe(name, body);
}

/** it(name, fn) when every requirement is met; otherwise a test that fails, naming what is missing. */
export function itNeeding(reqs: Requirement | Requirement[], name: string, fn: TestFunction, timeout?: number): void {
  const gone = missing(Array.isArray(reqs) ? reqs : [reqs]);
  if (gone.length > 0) {
    it(name, () => {
      throw new Error(explain(gone));
    });
  } else it(name, fn, timeout);
}
