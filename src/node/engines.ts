/**
 * Engines in Node, by name. `auto` picks by the same rule as the lab: WebGPU through Dawn on a
 * hardware adapter; on a software adapter (SwiftShader) or none, the fast CPU engine.
 */
import type { Engine, EngineName } from '../core/engine.ts';
import { ReferenceEngine } from '../core/reference.ts';

export type BackendChoice = EngineName | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu', 'reference'];

export interface CreatedEngine {
  engine: Engine;
  /** Why this engine was chosen, in words (for stderr and the badge). */
  why: string;
}

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

export async function createNodeEngine(choice: BackendChoice): Promise<CreatedEngine> {
  switch (choice) {
    case 'reference':
      return { engine: new ReferenceEngine(), why: 'asked for the float64 reference engine' };
    case 'cpu':
    case 'webgpu':
    case 'gpujs':
      throw new BackendError(`the ${choice} engine is not available in this build; use --backend reference`);
    case 'auto':
      return { engine: new ReferenceEngine(), why: 'auto: no faster engine is available in this build, using the float64 reference' };
  }
}
