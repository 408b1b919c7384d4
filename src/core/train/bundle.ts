/**
 * The training bundle: one JSON file with everything a training run was and produced — the full
 * settings (seed included, so every batch and initial weight can be redrawn), the parameter
 * layout, per-step training curves, the held-out evaluations, the checkpoints of every parameter
 * and any divergence — that reads back into the same TrainResult. Format: docs/train-bundle.md.
 */
import { z } from 'zod';
import type { TrainResult } from '../trainer.ts';
import { LAB_VERSION } from '../version.ts';
import { parseTrainConfig, modelLabel, TrainConfigError } from './config.ts';
import type { EvalRow, ModelRun } from './loop.ts';
import { layoutFor } from './model.ts';
import { taskShape } from './tasks.ts';

export const TRAIN_BUNDLE_FORMAT = 'rnn-gradient-lab.train/1';

export class TrainBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainBundleError';
  }
}

/** The bundle as a plain object (JSON numbers are exact float64 round trips). */
export function toTrainBundle(result: TrainResult) {
  const { config } = result;
  const shape = taskShape(config);
  return {
    format: TRAIN_BUNDLE_FORMAT,
    version: LAB_VERSION,
    backend: result.meta.backend,
    adapter: result.meta.adapter,
    precision: result.meta.precision,
    wallMs: result.meta.wallMs,
    config,
    task: { inputs: shape.inputs, outputs: shape.outputs, outputSteps: shape.outputSteps, baseline: shape.baseline },
    models: result.models.map((run) => {
      const m = config.models[run.model];
      const L = layoutFor(m, shape);
      return {
        model: run.model,
        label: modelLabel(m),
        layout: { N: L.N, D: L.D, O: L.O, W: L.W, U: L.U, b: L.b, V: L.V, c: L.c, size: L.size },
        stepsRun: run.stepsRun,
        diverged: run.diverged,
        steps: {
          trainLoss: Array.from(run.trainLoss.subarray(0, run.stepsRun)),
          gradNorm: Array.from(run.gradNorm.subarray(0, run.stepsRun)),
          clipped: Array.from(run.clipped.subarray(0, run.stepsRun)),
        },
        checkpoints: run.checkpoints.map((c) => ({ iteration: c.iteration, params: Array.from(c.params) })),
      };
    }),
    curves: result.rows,
  };
}

export function trainBundleToJson(result: TrainResult): string {
  return JSON.stringify(toTrainBundle(result));
}

const finite = z.number().refine(Number.isFinite, { error: 'must be a finite number' });
const rowSchema = z.object({
  model: z.number().int().min(0),
  iteration: z.number().int().min(0),
  heldoutLoss: finite,
  trainLoss: finite,
  gradNorm: finite,
  clipped: z.boolean(),
  spectralRadius: finite,
});
const bundleSchema = z.object({
  format: z.literal(TRAIN_BUNDLE_FORMAT, { error: `format: expected "${TRAIN_BUNDLE_FORMAT}"` }),
  version: z.string(),
  backend: z.enum(['reference', 'cpu', 'webgpu', 'gpujs']),
  adapter: z.string(),
  precision: z.enum(['float64', 'float32']),
  wallMs: finite,
  config: z.unknown(),
  models: z.array(
    z.object({
      model: z.number().int().min(0),
      stepsRun: z.number().int().min(0),
      diverged: z.object({ model: z.number().int(), step: z.number().int(), reason: z.string(), message: z.string() }).nullable(),
      steps: z.object({ trainLoss: z.array(finite), gradNorm: z.array(finite), clipped: z.array(z.union([z.literal(0), z.literal(1)])) }),
      checkpoints: z.array(z.object({ iteration: z.number().int().min(0), params: z.array(finite) })),
    }),
  ),
  curves: z.array(rowSchema),
});

/** Read a training bundle back into the run it holds; every inconsistency is a TrainBundleError naming where. */
export function trainResultFromBundle(json: string | unknown): TrainResult {
  let data: unknown = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (e) {
      throw new TrainBundleError(`not JSON: ${(e as Error).message}`);
    }
  }
  const parsed = bundleSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new TrainBundleError(`${i.path.join('.') || 'bundle'}: ${i.message}`);
  }
  const b = parsed.data;
  let config;
  try {
    config = parseTrainConfig(b.config);
  } catch (e) {
    if (e instanceof TrainConfigError) throw new TrainBundleError(`config: ${e.message}`);
    throw e;
  }
  const shape = taskShape(config);
  if (b.models.length !== config.models.length) throw new TrainBundleError(`models: ${b.models.length} runs for ${config.models.length} configured models`);
  const total = config.iterations + 1;
  const models: ModelRun[] = b.models.map((m, k) => {
    const where = `models[${k}]`;
    if (m.model !== k) throw new TrainBundleError(`${where}.model: ${m.model}, expected ${k}`);
    if (m.stepsRun > total || m.steps.trainLoss.length !== m.stepsRun || m.steps.gradNorm.length !== m.stepsRun || m.steps.clipped.length !== m.stepsRun) {
      throw new TrainBundleError(`${where}.steps: expected ${m.stepsRun} entries in trainLoss, gradNorm and clipped (at most iterations + 1 = ${total})`);
    }
    const size = layoutFor(config.models[k], shape).size;
    for (const [j, c] of m.checkpoints.entries()) {
      if (c.params.length !== size) throw new TrainBundleError(`${where}.checkpoints[${j}].params: ${c.params.length} numbers, expected ${size}`);
    }
    const pad = <A extends Float64Array | Uint8Array>(a: A, v: ArrayLike<number>) => (a.set(v), a);
    return {
      model: k,
      stepsRun: m.stepsRun,
      diverged: m.diverged,
      trainLoss: pad(new Float64Array(total), m.steps.trainLoss),
      gradNorm: pad(new Float64Array(total), m.steps.gradNorm),
      clipped: pad(new Uint8Array(total), m.steps.clipped),
      checkpoints: m.checkpoints.map((c) => ({ iteration: c.iteration, params: Float64Array.from(c.params) })),
    };
  });
  const rows: EvalRow[] = b.curves;
  for (const r of rows) if (r.model >= models.length) throw new TrainBundleError(`curves: a row of model ${r.model}, but there are ${models.length} models`);
  return { config, rows, models, meta: { backend: b.backend, adapter: b.adapter, precision: b.precision, wallMs: b.wallMs } };
}
