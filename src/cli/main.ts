/**
 * `rnnlab`: the lab's experiment from the shell. Thin over core + engines: flags are built from
 * the config's field table, so every field has a flag, its default and its bounds in --help.
 */
import { Command, CommanderError, Option } from 'commander';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleToJson } from '../core/bundle.ts';
import { ConfigError, FIELDS, FIELD_NAMES, checkConfig, describeAllowed, parseRhoSpec, type FieldName } from '../core/config.ts';
import { buildProblem } from '../core/problem.ts';
import { BACKEND_CHOICES, createNodeEngine, type BackendChoice } from '../node/engines.ts';

/** Exit codes: 0 done, 1 the run failed, 2 bad input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

class UsageError extends Error {}

/** camelCase field name -> --kebab-case flag. */
export function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Fields set by their own flag (rhoMin/rhoMax/rhoCount come together as --rho). */
const FLAG_FIELDS = FIELD_NAMES.filter((f) => !f.startsWith('rho'));

/** A flag's text to the config value: numbers where the field is numeric, text kept so the message can quote it. */
function toValue(name: FieldName, text: string): unknown {
  if (FIELDS[name].kind === 'enum') return text;
  const v = text.trim() === '' ? NaN : Number(text);
  return Number.isNaN(v) ? text : v;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function buildProgram(io: Io): Command {
  const program = new Command('rnnlab')
    .description('RNN Gradient Lab: how the spectral radius of W and the activation shape the BPTT gradient of a vanilla RNN')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run rnnlab sweep --help for the flags)');

  const sweep = program
    .command('sweep')
    .description('run a sweep over rho and write the run bundle (JSON)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const name of FLAG_FIELDS) {
    const f = FIELDS[name];
    const opt = new Option(`${flagOf(name)} <value>`, `${f.help}; ${describeAllowed(name)}`).default(f.default);
    sweep.addOption(opt);
  }
  sweep.addOption(
    new Option('--rho <min:max:count>', 'the rho sweep: K values from MIN to MAX inclusive').default(
      `${FIELDS.rhoMin.default}:${FIELDS.rhoMax.default}:${FIELDS.rhoCount.default}`,
    ),
  );
  sweep.addOption(new Option('--backend <name>', 'engine that runs the sweep').choices(BACKEND_CHOICES as string[]).default('auto'));
  sweep.addOption(new Option('--out <file>', 'where to write the bundle').default('rnnlab-run.json'));
  return program;
}

/** Everything the sweep command needs, validated. Throws ConfigError or UsageError. */
function sweepSettings(opts: Record<string, unknown>) {
  const raw: Record<string, unknown> = {};
  for (const name of FLAG_FIELDS) raw[name] = toValue(name, String(opts[name]));
  Object.assign(raw, parseRhoSpec(String(opts.rho)));
  const checked = checkConfig(raw);
  if (!checked.ok) throw checked.error;
  return { config: checked.config, backend: opts.backend as BackendChoice, out: resolve(String(opts.out)) };
}

/** Write a file all at once: a temporary name beside it, then a rename, so nothing half-written is left. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const program = buildProgram(io);
  let action: (() => Promise<number>) | null = null;
  program.commands[0].action((opts: Record<string, unknown>) => {
    const settings = sweepSettings(opts);
    action = () => runSweep(settings, io);
  });
  try {
    if (argv.length === 0) throw new UsageError('no command given; try: rnnlab sweep --help');
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput; // commander has printed its message already
    }
    if (e instanceof ConfigError || e instanceof UsageError) {
      io.err(`rnnlab: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
  if (!action) return EXIT.ok;
  return (action as () => Promise<number>)();
}

async function runSweep(settings: ReturnType<typeof sweepSettings>, io: Io): Promise<number> {
  const { config, backend, out } = settings;
  let created;
  try {
    created = await createNodeEngine(backend);
  } catch (e) {
    io.err(`rnnlab: ${(e as Error).message}\n`);
    return EXIT.badInput;
  }
  const { engine, why } = created;
  io.err(`rnnlab: backend ${engine.name} (${engine.adapter}): ${why}\n`);
  try {
    const field = await engine.run(config);
    const json = bundleToJson(field, buildProblem(config));
    try {
      writeAtomic(out, json);
    } catch (e) {
      io.err(`rnnlab: cannot write ${out}: ${(e as Error).message}\n`);
      return EXIT.badInput;
    }
    io.err(`rnnlab: ${engine.name} on ${engine.adapter}, ${(field.meta.wallMs / 1000).toFixed(2)} s, wrote ${out}\n`);
    return EXIT.ok;
  } catch (e) {
    io.err(`rnnlab: the run failed: ${(e as Error).message}\n`);
    return EXIT.failed;
  } finally {
    engine.dispose();
  }
}
