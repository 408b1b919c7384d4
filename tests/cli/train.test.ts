/**
 * rnnlab train end to end with tiny configs: the files and their columns, flags shared by every
 * model unless a SPEC overrides them, the bundle reading back into the same run, and bad input
 * exiting 2 with the field named and nothing written; the WebGPU trainer through Dawn, and auto's choice.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainResultFromBundle } from '../../src/core/train/bundle.ts';
import { main } from '../../src/cli/main.ts';
import { CURVE_COLUMNS } from '../../src/export/train.ts';
import { dawnRequirement, describeNeeding } from '../helpers/requirements.ts';

const DAWN = await dawnRequirement();

const BIN = resolve('bin/rnnlab.mjs');
const TINY = ['--length', '12', '--iterations', '6', '--eval-every', '3', '--batch', '4', '--heldout', '8', '--seed', '5'];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnnlab-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rnnlab(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function inProcess(args: string[]) {
  let err = '';
  const code = await main(args, { out: () => {}, err: (s) => (err += s) });
  return { code, err };
}

describe('rnnlab train', () => {
  it('writes curves.csv and train.json for the models given, in order, and reports the run and a summary', () => {
    const r = rnnlab([
      'train', ...TINY, '--hidden', '5', '--backend', 'cpu', '--out', 'run',
      '--model', 'activation=tanh,init=orthogonal',
      '--model', 'activation=relu,init=identity,clip=1,hidden=7',
    ]);
    expect(r.stderr).toMatch(/trainer cpu/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rnnlab: 2 models, task adding, T = 12, adam lr 0.001, batch 4, 6 iterations, seed 5/);
    expect(r.stderr).toMatch(/baseline \(best constant output\) 0\.167/);
    expect(r.stderr).toMatch(/1 relu-identity clip 1 /);
    expect(r.stderr.trimEnd().split('\n').pop()).toMatch(/^rnnlab: done: trainer cpu .*wrote run\/curves\.csv, run\/train\.json$/);
    const csv = readFileSync(join(dir, 'run', 'curves.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe(CURVE_COLUMNS.join(','));
    const rows = csv.filter((l) => l !== '' && !l.startsWith('#')).slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((x) => [x[0], x[1]])).toEqual([[0, 0], [0, 3], [0, 6], [1, 0], [1, 3], [1, 6]]);
    for (const row of rows) {
      expect(row).toHaveLength(7);
      for (const v of row) expect(Number.isFinite(v)).toBe(true);
      expect([0, 1]).toContain(row[5]);
    }
    const result = trainResultFromBundle(readFileSync(join(dir, 'run', 'train.json'), 'utf8'));
    // --hidden 5 reached model 0; model 1's SPEC overrode it
    expect(result.config.models.map((m) => [m.activation, m.init, m.hidden, m.clip])).toEqual([['tanh', 'orthogonal', 5, 0], ['relu', 'identity', 7, 1]]);
    expect(result.config).toMatchObject({ task: 'adding', length: 12, iterations: 6, batch: 4, seed: 5 });
    expect(result.rows.map((x) => x.heldoutLoss)).toEqual(rows.map((x) => x[2]));
    expect(result.models[1].checkpoints.at(-1)!.params).toHaveLength(7 * 7 + 7 * 2 + 7 + 7 + 1);
  });

  it('trains the four default models without --model, on the reference trainer too', async () => {
    const { code, err } = await inProcess(['train', ...TINY, '--hidden', '4', '--iterations', '2', '--backend', 'reference', '--out', join(dir, 'defaults')]);
    expect(code).toBe(0);
    const result = trainResultFromBundle(readFileSync(join(dir, 'defaults', 'train.json'), 'utf8'));
    expect(result.meta.precision).toBe('float64');
    expect(result.models).toHaveLength(4);
    expect(err).toMatch(/3 relu-identity/);
  });

  const bad: [string, string[], RegExp][] = [
    ['a bad learning rate', ['--lr', '-1'], /lr: -1 is not allowed; expected a number in 1e-8..10/],
    ['an unknown optimiser', ['--optimizer', 'rmsprop'], /optimizer: "rmsprop" is not allowed; expected one of adam, sgd/],
    ['a bad SPEC value', ['--model', 'activation=relu', '--model', 'clip=-3'], /models\[1\]\.clip: -3 is not allowed/],
    ['an unknown SPEC key', ['--model', 'activaton=relu'], /--model "activaton=relu" \(models\[0\]\): unknown key "activaton"; known keys: activation,/],
    ['a SPEC part without =', ['--model', 'relu'], /"relu" is not key=value/],
    ['a shared flag out of range', ['--hidden', '0'], /models\[0\]\.hidden: 0 is not allowed; expected an integer in 1..512/],
    ['too many models', Array.from({ length: 9 }, () => ['--model', 'hidden=4']).flat(), /models: 9 models is not allowed; expected a list of 1..8 models/],
    ['a backend without a trainer', ['--backend', 'gpujs'], /backend: "gpujs" is not allowed; gpujs has no trainer; expected one of auto, webgpu, cpu, reference/],
    ['a text where a number belongs', ['--iterations', 'many'], /iterations: "many" is not allowed; expected an integer/],
  ];
  for (const [what, args, message] of bad) {
    it(`exits 2 on ${what}, names the field and writes nothing`, async () => {
      const out = join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      const { code, err } = await inProcess(['train', ...TINY, ...args, '--out', out]);
      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describeNeeding(DAWN, 'rnnlab train on WebGPU', () => {
  it('trains on the WebGPU trainer with --backend webgpu, and auto says why it picks a trainer', async () => {
    const { code, err } = await inProcess(['train', ...TINY, '--hidden', '4', '--iterations', '3', '--model', 'activation=tanh', '--backend', 'webgpu', '--out', join(dir, 'webgpu')]);
    expect(code, err).toBe(0);
    expect(err).toMatch(/^rnnlab: trainer webgpu \(.+\): asked for the WebGPU trainer$/m);
    const gpu = trainResultFromBundle(readFileSync(join(dir, 'webgpu', 'train.json'), 'utf8'));
    expect(gpu.meta).toMatchObject({ backend: 'webgpu', precision: 'float32' });
    const ref = await inProcess(['train', ...TINY, '--hidden', '4', '--iterations', '3', '--model', 'activation=tanh', '--backend', 'reference', '--out', join(dir, 'webgpu-ref')]);
    expect(ref.code).toBe(0);
    const want = trainResultFromBundle(readFileSync(join(dir, 'webgpu-ref', 'train.json'), 'utf8'));
    // float32 against float64 over 3 updates of a tiny model: 1e-4 (tests/engine/webgpu-train.test.ts says why)
    gpu.rows.forEach((r, i) => expect(Math.abs(r.heldoutLoss - want.rows[i].heldoutLoss)).toBeLessThanOrEqual(1e-4 * want.rows[i].heldoutLoss));
    // auto: a hardware adapter gets the WebGPU trainer, a software one (SwiftShader here) the CPU trainer
    const auto = await inProcess(['train', ...TINY, '--hidden', '4', '--iterations', '1', '--model', 'activation=tanh', '--out', join(dir, 'auto')]);
    expect(auto.code).toBe(0);
    expect(auto.err).toMatch(/^rnnlab: trainer (webgpu .*: auto: hardware WebGPU adapter|cpu .*: auto: the WebGPU adapter is software \(.+\), slower than the CPU trainer there)/m);
  }, 120_000);
});
