/**
 * `rnnlab`: the lab's experiment from the shell. Thin over core + engines + export: flags are
 * built from the config's field table, so every field has a flag, its default and its bounds
 * in --help; the files come from src/export, the same writers the lab uses.
 *
 *   rnnlab sweep [config flags] [--backend B] [--format json,csv,npy,png,svg] [--out DIR|FILE.json]
 *   rnnlab render BUNDLE.json [--format png,svg,csv,npy] [--figure heatmap,slice,spectrum,rate] [--at-rho R] [--out DIR]
 *   rnnlab train [--task adding|copy] [--model SPEC ...] [training flags] [--out DIR]   (train.ts)
 */
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { BundleError, fieldFromBundle } from '../core/bundle.ts';
import { GRID_NAMES, STATISTICS } from '../core/statistics.ts';
import { ConfigError, FIELDS, FIELD_NAMES, checkConfig, describeAllowed, fieldValue, parseRhoSpec, type Config, type FieldName } from '../core/config.ts';
import { isAbortError, type Engine } from '../core/engine.ts';
import type { GradientField } from '../core/field.ts';
import { buildProblem } from '../core/problem.ts';
import { formatDuration, sequenceCount, sweepFlops, untiedCost, untiedRefusal } from '../core/work.ts';
import { COLORMAPS } from '../export/colormap.ts';
import { BACKEND_CHOICES, BackendError, createNodeEngine, WEBGPU_VARIANT_CHOICES, type BackendChoice, type WebGpuVariantChoice } from '../node/engines.ts';
import {
  FORMATS,
  UsageError,
  checkWritable,
  destination,
  parseAtRho,
  parseColormap,
  parseFields,
  parseFigures,
  parseFormats,
  parsePlotSize,
  parseRange,
  parseScale,
  plannedFiles,
  type Destination,
  type FigureSettings,
  type Format,
} from './outputs.ts';
import { ProgressBar } from './progress.ts';
import { TrainConfigError, addTrainCommand } from './train.ts';

/** Exit codes: 0 done, 1 the run failed, 2 bad input, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

/** camelCase field name -> --kebab-case flag. */
export function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Fields set by their own flag (rhoMin/rhoMax/rhoCount come together as --rho). */
const FLAG_FIELDS = FIELD_NAMES.filter((f) => !f.startsWith('rho'));

/** A flag's text to the config value: numbers where the field is numeric, text kept so the message can quote it. */

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether stderr is a terminal (the progress bar is drawn only then). */
  errIsTTY?: boolean;
  /** Terminal width, for the progress bar. */
  columns?: number;
  /** Aborted when the user interrupts (Ctrl-C). */
  signal?: AbortSignal;
}

const SWEEP_FORMATS: readonly Format[] = FORMATS;
const RENDER_FORMATS: readonly Format[] = ['png', 'svg', 'csv', 'npy'];

function figureOptions(cmd: Command): void {
  const grids = GRID_NAMES.map((g) => (STATISTICS[g].short === g ? g : `${g}=${STATISTICS[g].short}`)).join(', ');
  cmd.addOption(new Option('--field <grids>', `grids drawn as figures: all, or a comma list (${grids})`).default('gradLog10Mean'));
  cmd.addOption(new Option('--figure <list>', 'figures png/svg draw: all, or a comma list of heatmap (one per --field), slice (the slice chart at --at-rho with its theory curves), spectrum (the eigenvalues of rho W0 at --at-rho), rate (the rate per step of log10 ||dL/dh_t|| against rho over the sweep, with the mean-field, linear and Pascanu rates; the --at-rho row highlighted)').default('heatmap'));
  cmd.addOption(new Option('--at-rho <value>', "rho of the slice chart and the eigenvalue plot, snapped to the sweep's nearest rho").default('1'));
  cmd.addOption(new Option('--scale <n>', 'PNG pixel density: 1, 2 or 4 times the figure size').default('1'));
  cmd.addOption(new Option('--colormap <name>', `colour map: ${COLORMAPS.join(', ')}`).default('viridis'));
  cmd.addOption(new Option('--range <min:max>', 'colour range: auto (the data) or MIN:MAX').default('auto'));
  cmd.addOption(new Option('--plot-size <WxH>', 'plot area in CSS px (the figure adds axes, colour bar and legend); each PNG pixel column shows the nearest step').default('600x360'));
}

function buildProgram(io: Io): Command {
  const program = new Command('rnnlab')
    .description('RNN Gradient Lab: how the spectral radius of W and the activation shape the BPTT gradient of a vanilla RNN')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run rnnlab <command> --help for the flags)');

  const sweep = program
    .command('sweep')
    .description('run a sweep over rho and write the run bundle (JSON) and any of CSV, NPY, PNG, SVG')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const name of FLAG_FIELDS) {
    const f = FIELDS[name];
    sweep.addOption(new Option(`${flagOf(name)} <value>`, `${f.help}; ${describeAllowed(name)}`).default(f.default));
  }
  sweep.addOption(
    new Option(
      '--rho <min:max:count>',
      "the sweep: K values from MIN to MAX inclusive; rho with --sweep rho, the first outlier's magnitude (along its ray) with --sweep outlier",
    ).default(`${FIELDS.rhoMin.default}:${FIELDS.rhoMax.default}:${FIELDS.rhoCount.default}`),
  );
  sweep.addOption(
    new Option('--outlier <re,im>', 'init spectrum: one outlier eigenvalue (repeat the flag, up to 4; im != 0 brings its conjugate); replaces --outliers').argParser(
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    ),
  );
  sweep.addHelpText(
    'after',
    `
A chosen spectrum (init spectrum): W0 = Q B Q^T, Q a seeded random orthogonal matrix, B block
diagonal with exactly the eigenvalues asked for (W0 is normal; --normalize does not apply):
  rnnlab sweep --init spectrum --bulk disk:0.8 --outlier 1.1,0 --outlier 0.3,0.9
Sweep one eigenvalue: the first outlier moves along its ray, its magnitude from MIN to MAX of --rho:
  rnnlab sweep --init spectrum --bulk disk:0.8 --outlier 1.1,0 --sweep outlier --rho 0.8:1.3:26 --activation relu
Untied weights (a fresh W0_t per step, a T-layer feed-forward net): --weights untied. It holds T
matrices of N x N float64 (refused before the run where they do not fit) and builds them first:
for a gaussian init that is T eigenvalue computations (progress is shown).
sweep outlier and weights untied run on the float64 reference engine (auto chooses it).`,
  );
  sweep.addOption(new Option('--backend <name>', 'engine that runs the sweep').choices(BACKEND_CHOICES as string[]).default('auto'));
  sweep.addOption(
    new Option('--webgpu-variant <name>', "the WebGPU engine's kernels: auto (tiled on a hardware GPU, persistent on a software one such as SwiftShader), persistent or tiled")
      .choices(WEBGPU_VARIANT_CHOICES as unknown as string[])
      .default('auto'),
  );
  sweep.addOption(new Option('--progress-every <seconds>', 'when stderr is not a terminal: seconds between progress lines (a number > 0)').default('5'));
  sweep.addOption(new Option('--format <list>', `what to write: all, or a comma list of ${SWEEP_FORMATS.join(', ')} (npy writes one .npz of .npy files)`).default('json'));
  sweep.addOption(new Option('--out <path>', 'directory for the files (named by the config); with --format json alone, a FILE.json is allowed (default rnnlab-run.json, or . with other formats)'));
  figureOptions(sweep);

  const render = program
    .command('render')
    .description('redraw a saved run (a bundle from rnnlab sweep or the lab) without recomputing it')
    .argument('<bundle>', 'the run bundle, a .json file')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  render.addOption(new Option('--format <list>', `what to write: all, or a comma list of ${RENDER_FORMATS.join(', ')} (npy writes one .npz of .npy files)`).default('png'));
  render.addOption(new Option('--out <dir>', 'directory for the files (named by the config)').default('.'));
  figureOptions(render);
  return program;
}

function figureSettings(opts: Record<string, unknown>): FigureSettings {
  return {
    figures: parseFigures(String(opts.figure)),
    atRho: parseAtRho(String(opts.atRho)),
    fields: parseFields(String(opts.field)),
    scale: parseScale(String(opts.scale)),
    colormap: parseColormap(String(opts.colormap)),
    range: parseRange(String(opts.range)),
    ...parsePlotSize(String(opts.plotSize)),
  };
}

interface SweepSettings {
  config: Config;
  backend: BackendChoice;
  webgpuVariant: WebGpuVariantChoice;
  /** Off a terminal: ms between progress lines. */
  progressEveryMs: number;
  formats: Format[];
  dest: Destination;
  figure: FigureSettings;
}

/** Everything the sweep command needs, validated. Throws ConfigError or UsageError. */
function sweepSettings(opts: Record<string, unknown>): SweepSettings {
  const raw: Record<string, unknown> = {};
  for (const name of FLAG_FIELDS) raw[name] = fieldValue(name, String(opts[name]));
  Object.assign(raw, parseRhoSpec(String(opts.rho)));
  if (Array.isArray(opts.outlier) && opts.outlier.length > 0) {
    if (opts.outliers !== FIELDS.outliers.default) throw new UsageError('give the outliers as --outlier RE,IM (repeated) or as --outliers "RE,IM;RE,IM", not both');
    if (opts.outlier.some((o: string) => o.includes(';'))) throw new UsageError(`--outlier takes one outlier RE,IM per flag, not ${JSON.stringify(opts.outlier.find((o: string) => o.includes(';')))}; repeat the flag`);
    raw.outliers = opts.outlier.join(';');
  }
  const checked = checkConfig(raw);
  if (!checked.ok) throw checked.error;
  // Planned before anything is allocated: the untied weights' memory.
  const refusal = untiedRefusal(checked.config);
  if (refusal) throw new UsageError(refusal);
  if (opts.webgpuVariant !== 'auto' && (opts.backend === 'cpu' || opts.backend === 'reference')) {
    throw new UsageError(`--webgpu-variant ${String(opts.webgpuVariant)} applies to the webgpu backend, not --backend ${String(opts.backend)}`);
  }
  const formats = parseFormats(String(opts.format), SWEEP_FORMATS);
  const dest = destination(opts.out === undefined ? undefined : String(opts.out), formats);
  const every = Number(String(opts.progressEvery));
  if (!(every > 0) || !Number.isFinite(every)) throw new UsageError(`--progress-every must be a number of seconds > 0, not ${JSON.stringify(String(opts.progressEvery))}`);
  return { config: checked.config, backend: opts.backend as BackendChoice, webgpuVariant: opts.webgpuVariant as WebGpuVariantChoice, progressEveryMs: every * 1000, formats, dest, figure: figureSettings(opts) };
}

interface RenderSettings {
  bundle: string;
  formats: Format[];
  dest: Destination;
  figure: FigureSettings;
}

function renderSettings(bundle: string, opts: Record<string, unknown>): RenderSettings {
  const formats = parseFormats(String(opts.format), RENDER_FORMATS);
  return { bundle, formats, dest: destination(String(opts.out), formats), figure: figureSettings(opts) };
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const program = buildProgram(io);
  let action: (() => Promise<number>) | null = null;
  program.commands[0].action((opts: Record<string, unknown>) => {
    const settings = sweepSettings(opts);
    action = () => runSweep(settings, io);
  });
  program.commands[1].action((bundle: string, opts: Record<string, unknown>) => {
    const settings = renderSettings(bundle, opts);
    action = () => runRender(settings, io);
  });
  addTrainCommand(program, io, (a) => (action = a));
  try {
    if (argv.length === 0) throw new UsageError('no command given; try: rnnlab sweep --help, rnnlab render --help, or rnnlab train --help');
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput; // commander has printed its message already
    }
    if (e instanceof ConfigError) {
      // Each problem under the flag the user typed: "--hidden: Hidden size N must be …".
      const flag = (f: string | null) => (f && (FIELD_NAMES as string[]).includes(f) ? `${flagOf(f as FieldName)}: ` : '');
      io.err(`rnnlab: ${e.problems.map((p) => `${flag(p.field)}${p.message}`).join('; ')}\n`);
      return EXIT.badInput;
    }
    if (e instanceof TrainConfigError || e instanceof UsageError) {
      io.err(`rnnlab: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
  if (!action) return EXIT.ok;
  try {
    return await (action as () => Promise<number>)();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rnnlab: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
}

function defaultIo(): Io {
  // The first Ctrl-C cancels the run cleanly (nothing written); a second one kills as usual.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  return {
    signal: interrupt.signal,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    errIsTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
  };
}

/** Paths for the summary: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

/** Write every planned file; a failed write is bad output input (exit 2) and names the path. */
function writeAll(files: { path: string; write: () => void }[]): string[] {
  for (const f of files) {
    try {
      f.write();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code) throw new UsageError(`cannot write ${f.path}: ${err.message}; choose another --out`);
      throw e;
    }
  }
  return files.map((f) => shown(f.path));
}

async function runSweep(s: SweepSettings, io: Io): Promise<number> {
  const started = performance.now();
  const undoDirs = checkWritable(s.dest); // before a long run, not after it
  let created;
  try {
    created = await createNodeEngine(s.backend, { webgpuVariant: s.webgpuVariant });
  } catch (e) {
    undoDirs();
    if (e instanceof BackendError) {
      io.err(`rnnlab: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
  const { engine, why } = created;
  io.err(`rnnlab: backend ${engine.name} (${engine.adapter}): ${why}\n`);
  let field: GradientField;
  try {
    io.err(`rnnlab: ${await forecast(engine, s.config, io.signal)}\n`);
    if (s.config.weights === 'untied') io.err(`rnnlab: ${untiedCost(s.config)}, built before the sweep\n`);
    const bar = new ProgressBar({ write: io.err, isTTY: io.errIsTTY === true, columns: io.columns }, 'rnnlab: sweeping', 1000, s.progressEveryMs);
    try {
      field = await engine.run(s.config, { signal: io.signal, onProgress: (p) => bar.update(p) });
    } finally {
      bar.done();
    }
  } catch (e) {
    undoDirs();
    if (isAbortError(e)) {
      io.err('rnnlab: interrupted; nothing was written\n');
      return EXIT.interrupted;
    }
    io.err(`rnnlab: the run failed: ${(e as Error).message}\n`);
    return EXIT.failed;
  } finally {
    engine.dispose();
  }
  const needsProblem = s.formats.includes('json');
  const files = plannedFiles(field, s.formats, s.dest, s.figure, needsProblem ? buildProblem(s.config, { outlierAndUntied: true }) : undefined);
  const written = writeAll(files);
  const total = (performance.now() - started) / 1000;
  io.err(
    `rnnlab: done: backend ${engine.name} on ${engine.adapter}, run ${(field.meta.wallMs / 1000).toFixed(2)} s, total ${total.toFixed(2)} s; wrote ${written.join(', ')}\n`,
  );
  return EXIT.ok;
}

/** Sweeps with at least this much work get a timed sample run to predict their time. */
export const FORECAST_MIN_FLOPS = 2e9;

/**
 * What the sweep will cost, in words: its work (sweepFlops: forward + BPTT) and, for sweeps of
 * FORECAST_MIN_FLOPS or more, the time the engine's speed predicts, measured here and now: after
 * a one-step run that starts the workers (or compiles the pipelines) and builds W0, which the
 * sweep then reuses, a one-step and a k-step sample of the same sweep (k about 4% of T) are
 * timed; their difference gives the rate per step, the rest is the per-run cost.
 */
async function forecast(engine: Engine, config: Config, signal: AbortSignal | undefined): Promise<string> {
  const flops = sweepFlops(config);
  const work = `work ${formatFlops(flops)} (forward + BPTT, ${sequenceCount(config)} sequences x ${config.steps} steps)`;
  if (flops < FORECAST_MIN_FLOPS || config.steps < 3) return work;
  const timed = async (steps: number) => {
    const t0 = performance.now();
    await engine.run({ ...config, steps }, { signal });
    return (performance.now() - t0) / 1000;
  };
  await timed(1);
  const k = Math.max(2, Math.round(config.steps / 25));
  const t1 = await timed(1);
  const tk = await timed(k);
  const perStep = tk > t1 ? (tk - t1) / (k - 1) : tk / k; // a loaded machine can invert the two: then the plain rate
  const fixed = Math.max(0, t1 - perStep);
  const rate = flops / config.steps / perStep;
  return `${work}; the ${engine.name} engine ran ${k}-step and 1-step samples at ${formatFlops(rate)}/s here: about ${formatDuration(1000 * (fixed + perStep * config.steps))}`;
}

function formatFlops(f: number): string {
  return f >= 1e12 ? `${(f / 1e12).toPrecision(3)} TFLOP` : f >= 1e9 ? `${(f / 1e9).toPrecision(3)} GFLOP` : `${(f / 1e6).toPrecision(3)} MFLOP`;
}

async function runRender(s: RenderSettings, io: Io): Promise<number> {
  const started = performance.now();
  let text: string;
  try {
    text = readFileSync(s.bundle, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the bundle ${s.bundle}: ${(e as Error).message}`);
  }
  let field: GradientField;
  try {
    field = fieldFromBundle(text);
  } catch (e) {
    if (e instanceof BundleError) throw new UsageError(`${basename(s.bundle)} is not a usable run bundle: ${e.message}`);
    throw e;
  }
  checkWritable(s.dest);
  const written = writeAll(plannedFiles(field, s.formats, s.dest, s.figure));
  const total = (performance.now() - started) / 1000;
  io.err(
    `rnnlab: done: rendered a ${field.meta.backend} run (${field.meta.adapter}, ${field.K} x ${field.T}) from ${shown(s.bundle)} in ${total.toFixed(2)} s; wrote ${written.join(', ')}\n`,
  );
  return EXIT.ok;
}
