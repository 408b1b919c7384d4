/**
 * `rnnlab train`: several vanilla RNNs trained side by side on a long-memory task, headless.
 *
 *   rnnlab train --task adding --length T --model SPEC [--model SPEC ...] --iterations N --batch B
 *                --optimizer adam|sgd --lr X --seed S --backend NAME --out DIR
 *
 * SPEC is a comma-separated key=value list of the model fields (src/core/train/config.ts:
 * activation, init, hidden, rho, inputWeightScale, biasInit, clip, ...). A model flag given outside
 * --model (--hidden 64) applies to every model unless its SPEC sets that field. Without --model,
 * the four default models. Writes DIR/curves.csv and DIR/train.json (docs/train-bundle.md);
 * bad input exits 2 naming the field and writes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command, Option } from 'commander';
import { isAbortError } from '../core/engine.ts';
import {
  DEFAULT_MODEL_SPECS,
  MODEL_FIELDS,
  MODEL_FIELD_NAMES,
  RUN_FIELDS,
  RUN_FIELD_NAMES,
  TrainConfigError,
  checkTrainConfig,
  describeSpec,
  modelLabel,
  type ModelField,
  type TrainConfig,
} from '../core/train/config.ts';
import { trainBundleToJson } from '../core/train/bundle.ts';
import type { EvalRow } from '../core/train/loop.ts';
import { taskShape } from '../core/train/tasks.ts';
import type { FieldSpec } from '../core/config.ts';
import { TrainInterrupted, type Trainer, type TrainOptions, type TrainResult } from '../core/trainer.ts';
import { createNodeCpuTrainer } from '../engine/cpu/train/pool-node.ts';
import { curvesCsv } from '../export/train.ts';
import { BackendError } from '../node/engines.ts';
import { TRAIN_BACKENDS, createNodeTrainer, type TrainBackend } from '../node/trainers.ts';
import { UsageError, checkWritable } from './outputs.ts';
import { ProgressBar } from './progress.ts';

/** The same exit codes as the rest of rnnlab. */
const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

export interface TrainIo {
  out: (s: string) => void;
  err: (s: string) => void;
  errIsTTY?: boolean;
  columns?: number;
  signal?: AbortSignal;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A flag's text to a field value: a number where the field is numeric, else the text (so a message can quote it). */
function toValue(spec: FieldSpec, text: string): unknown {
  if (spec.kind === 'enum') return text;
  const v = text.trim() === '' ? NaN : Number(text);
  return Number.isNaN(v) ? text : v;
}

/** "activation=relu,init=identity,clip=1" -> fields; keys are the config's names (camelCase or kebab-case). */
export function parseModelSpec(spec: string, index: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const where = `--model ${JSON.stringify(spec)} (models[${index}])`;
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`${where}: ${JSON.stringify(part)} is not key=value; expected e.g. activation=relu,init=identity,clip=1`);
    const key = camel(part.slice(0, eq).trim());
    const value = part.slice(eq + 1).trim();
    if (!(MODEL_FIELD_NAMES as string[]).includes(key)) {
      throw new UsageError(`${where}: unknown key ${JSON.stringify(part.slice(0, eq).trim())}; known keys: ${MODEL_FIELD_NAMES.join(', ')}`);
    }
    if (key in out) throw new UsageError(`${where}: ${key} is given twice`);
    out[key] = toValue(MODEL_FIELDS[key as ModelField], value);
  }
  return out;
}

/** The train command's options (run fields, --model, model fields for every model, --backend, --out). */
function defineTrainOptions(cmd: Command): Command {
  for (const name of RUN_FIELD_NAMES) {
    const f: FieldSpec = RUN_FIELDS[name];
    cmd.addOption(new Option(`--${kebab(name)} <value>`, `${f.help}; ${describeSpec(f)} (default ${f.default})`));
  }
  cmd.addOption(
    new Option('--model <spec>', 'a model as key=value,... of the model fields below plus clip, e.g. activation=relu,init=identity,clip=1; repeat for more (default: the four of the lab)').argParser(
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    ),
  );
  for (const name of MODEL_FIELD_NAMES) {
    const f: FieldSpec = MODEL_FIELDS[name];
    cmd.addOption(new Option(`--${kebab(name)} <value>`, `every model: ${f.help}; ${describeSpec(f)} (default ${f.default})`));
  }
  cmd.addOption(new Option('--backend <name>', `trainer: ${TRAIN_BACKENDS.join(', ')} (auto = webgpu on a hardware GPU, else cpu)`).default('auto'));
  cmd.addOption(new Option('--out <dir>', 'directory for curves.csv and train.json').default('.'));
  return cmd;
}

export function addTrainCommand(program: Command, io: TrainIo, setAction: (a: () => Promise<number>) => void): void {
  const cmd = defineTrainOptions(
    program
      .command('train')
      .description('train vanilla RNNs side by side on the adding or copy task; writes curves.csv and train.json')
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err }),
  );
  cmd.action((opts: Record<string, unknown>) => {
    const settings = trainSettings(opts);
    setAction(() => runTrain(settings, io));
  });
}

/**
 * The settings of a `rnnlab train` command line (the words after `train`), exactly as the command
 * would run them, without running: what the lab's story presets quote is checked with it.
 * Throws TrainConfigError or UsageError, or commander's error for an unknown flag.
 */
export function parseTrainArgs(args: readonly string[]): TrainSettings {
  const cmd = defineTrainOptions(new Command('train').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} }));
  cmd.parse([...args], { from: 'user' });
  return trainSettings(cmd.opts());
}

export interface TrainSettings {
  config: TrainConfig;
  backend: TrainBackend;
  out: string;
}

/** Everything the command needs, validated. Throws TrainConfigError or UsageError. */
export function trainSettings(opts: Record<string, unknown>): TrainSettings {
  const raw: Record<string, unknown> = {};
  for (const name of RUN_FIELD_NAMES) if (opts[name] !== undefined) raw[name] = toValue(RUN_FIELDS[name], String(opts[name]));
  const shared: Record<string, unknown> = {};
  for (const name of MODEL_FIELD_NAMES) if (opts[name] !== undefined) shared[name] = toValue(MODEL_FIELDS[name], String(opts[name]));
  const specs = (opts.model as string[] | undefined)?.map((s, i) => parseModelSpec(s, i)) ?? DEFAULT_MODEL_SPECS.map((s) => ({ ...s }));
  raw.models = specs.map((s) => ({ ...shared, ...s }));
  const checked = checkTrainConfig(raw);
  if (!checked.ok) throw checked.error;
  const backend = String(opts.backend);
  if (!(TRAIN_BACKENDS as readonly string[]).includes(backend)) {
    const why = backend === 'gpujs' ? 'gpujs has no trainer; ' : '';
    throw new UsageError(`backend: ${JSON.stringify(backend)} is not allowed; ${why}expected one of ${TRAIN_BACKENDS.join(', ')}`);
  }
  return { config: checked.config, backend: backend as TrainBackend, out: String(opts.out) };
}

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toPrecision(3));

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

/** The end-of-run table: per model, the first, best and last held-out loss against the baseline. */
export function summary(result: TrainResult): string {
  const { config } = result;
  const baseline = taskShape(config).baseline;
  const lines = [`baseline (best constant output) ${fmt(baseline)}`];
  const labels = config.models.map((m, k) => `${k} ${modelLabel(m)}`);
  const width = Math.max(...labels.map((l) => l.length));
  lines.push(`${'model'.padEnd(width)}  held-out: start     best     last  clipped  radius`);
  for (const run of result.models) {
    const rows = result.rows.filter((r) => r.model === run.model);
    const label = labels[run.model].padEnd(width);
    if (rows.length === 0) {
      lines.push(`${label}  ${run.diverged?.message ?? 'no evaluation'}`);
      continue;
    }
    const first = rows[0];
    const last = rows[rows.length - 1];
    const best = Math.min(...rows.map((r) => r.heldoutLoss));
    let clipped = 0;
    for (let i = 0; i < run.stepsRun; i++) clipped += run.clipped[i];
    const frac = run.stepsRun > 0 ? clipped / run.stepsRun : 0;
    lines.push(
      `${label}  ${fmt(first.heldoutLoss).padStart(15)} ${fmt(best).padStart(8)} ${fmt(last.heldoutLoss).padStart(8)} ${`${(frac * 100).toFixed(0)}%`.padStart(8)} ${fmt(last.spectralRadius).padStart(7)}${run.diverged ? `  (${run.diverged.message})` : ''}`,
    );
  }
  return lines.map((l) => `rnnlab:   ${l}\n`).join('');
}

async function runTrain(s: TrainSettings, io: TrainIo): Promise<number> {
  const started = performance.now();
  const undoDirs = checkWritable({ kind: 'dir', path: s.out });
  let created: { trainer: Trainer; why: string };
  try {
    created = await createNodeTrainer(s.backend);
  } catch (e) {
    undoDirs();
    if (e instanceof BackendError) {
      io.err(`rnnlab: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
  let { trainer } = created;
  const { why } = created;
  const { config } = s;
  io.err(`rnnlab: trainer ${trainer.name} (${trainer.adapter}): ${why}\n`);
  io.err(`rnnlab: ${config.models.length} models, task ${config.task}, T = ${config.length}, ${config.optimizer} lr ${config.lr}, batch ${config.batch}, ${config.iterations} iterations, seed ${config.seed}\n`);
  const bar = new ProgressBar({ write: io.err, isTTY: io.errIsTTY === true, columns: io.columns }, 'rnnlab: training');
  // The bar (a line every few seconds off a terminal) shows every model's held-out loss at the
  // slowest worker's step (workers run ahead of each other: each model's last row at or before it).
  const seen: EvalRow[][] = config.models.map(() => []);
  const lossesAt = (iteration: number) =>
    seen
      .map((rows, k) => {
        const r = rows.filter((x) => x.iteration <= iteration).at(-1);
        return r ? `${k}: ${fmt(r.heldoutLoss)}` : null;
      })
      .filter((x) => x !== null)
      .join('  ');
  let result: TrainResult;
  try {
    const options: TrainOptions = {
      signal: io.signal,
      onRow: (r) => {
        seen[r.model].push(r);
      },
      onDiverged: (d) => {
        bar.done();
        io.err(`rnnlab: ${d.message}; the other models go on\n`);
      },
      onProgress: (p) => {
        const losses = lossesAt(p.iteration);
        bar.update({ fraction: p.fraction, phase: losses === '' ? p.phase : `${p.phase}; held-out ${losses}` });
      },
    };
    try {
      result = await trainer.train(config, options);
    } catch (e) {
      if (!(e instanceof TrainInterrupted)) throw e;
      // The GPU device was lost: go on from the last step on the CPU trainer, and say so.
      bar.done();
      io.err(`rnnlab: ${e.message}; resuming on the CPU trainer\n`);
      trainer.dispose();
      trainer = createNodeCpuTrainer();
      result = await trainer.train(config, { ...options, resume: e.snapshot });
    }
  } catch (e) {
    bar.done();
    undoDirs();
    if (isAbortError(e)) {
      io.err('rnnlab: interrupted; nothing was written\n');
      return EXIT.interrupted;
    }
    io.err(`rnnlab: training failed: ${(e as Error).message}\n`);
    return EXIT.failed;
  } finally {
    trainer.dispose();
  }
  bar.done();
  const files = [
    { path: join(s.out, 'curves.csv'), text: curvesCsv(result) },
    { path: join(s.out, 'train.json'), text: trainBundleToJson(result) },
  ];
  for (const f of files) {
    try {
      writeFileSync(f.path, f.text);
    } catch (e) {
      throw new UsageError(`cannot write ${f.path}: ${(e as Error).message}; choose another --out`);
    }
  }
  io.err(summary(result));
  const total = (performance.now() - started) / 1000;
  io.err(
    `rnnlab: done: trainer ${result.meta.backend} on ${result.meta.adapter}, training ${(result.meta.wallMs / 1000).toFixed(2)} s, total ${total.toFixed(2)} s; wrote ${files.map((f) => shown(f.path)).join(', ')}\n`,
  );
  return EXIT.ok;
}

export { TrainConfigError };
