/**
 * Trainers in Node, by name. `auto` is the CPU trainer: there is no WebGPU trainer yet, and the
 * float64 reference is for tests (about 3x slower per model and single-threaded).
 */
import { ReferenceTrainer } from '../core/train/trainer.ts';
import type { Trainer } from '../core/trainer.ts';
import { createNodeCpuTrainer } from '../engine/cpu/train/pool-node.ts';

export const TRAIN_BACKENDS = ['auto', 'cpu', 'reference'] as const;
export type TrainBackend = (typeof TRAIN_BACKENDS)[number];

export function createNodeTrainer(choice: TrainBackend): { trainer: Trainer; why: string } {
  switch (choice) {
    case 'reference':
      return { trainer: new ReferenceTrainer(), why: 'asked for the float64 reference trainer' };
    case 'cpu':
      return { trainer: createNodeCpuTrainer(), why: 'asked for the float32 CPU trainer' };
    case 'auto':
      return { trainer: createNodeCpuTrainer(), why: 'auto: the float32 CPU trainer (no WebGPU trainer yet)' };
  }
}
