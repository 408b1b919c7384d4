/**
 * The WebGPU engine's per-step record and reduction cell, generated from the statistics table
 * (src/core/statistics.ts), and their decoding on the host.
 *
 * - `StepRecord` (one per sequence and step, written by forward.wgsl and backward.wgsl): the
 *   fields of every quantity in table order (splitLog: `${field}E: i32, ${field}F: f32`; log and
 *   unitSum: f32; unitCount: u32), then the flags word.
 * - `Cell` (one per rho and step, written by reduce.wgsl): per quantity, the sums the host needs
 *   to apply the table's reductions (finishReduction): the sum of the finite values (splitLog: as
 *   an i32 sum of exponents and an f32 sum of rests, so the mean keeps its precision far outside
 *   float range: mean = (sum E log10(2) + sum F) / S in float64 on the host), the counts of exact
 *   zeros and undefined values, and, where a grid takes the spread, the sums of d and d^2 with
 *   d = v - v_0 the difference to the cell's first finite sample v_0 (small numbers, so float32
 *   keeps them: m2 = sum d^2 - (sum d)^2 / n over the n finite samples); where a grid takes the
 *   rms, the largest value so far (peak, split like the values) and the sum of 10^(2 (v - peak)),
 *   an online log-sum-exp rescaled whenever a new peak arrives.
 * - `accumulate(c, rec)` adds one sample's record to a cell.
 * The prelude (recordPreludeWgsl) is prepended to all three shaders, as the matrix preludes are.
 */
import type { GradientField } from '../../core/field.ts';
import { CELL_FLAG } from '../../core/range.ts';
import {
  finishReduction,
  GRID_NAMES,
  QUANTITIES,
  QUANTITY_NAMES,
  RECORD_FLAGS,
  STATISTICS,
  statisticsOf,
  type QuantityName,
  type QuantitySpec,
  type RecordFlag,
} from '../../core/statistics.ts';

type WgslScalar = 'f32' | 'i32' | 'u32';
interface Member {
  name: string;
  type: WgslScalar;
}

const spec = (q: QuantityName): QuantitySpec => QUANTITIES[q];
const needsSpread = (q: QuantityName) => statisticsOf(q).some((g) => STATISTICS[g].reduce === 'std');
const needsRms = (q: QuantityName) => statisticsOf(q).some((g) => STATISTICS[g].reduce === 'rms');
/** Whether the cell counts q's finite samples (for the origin of d and the log-sum-exp's first sample). */
const counts = (q: QuantityName) => needsSpread(q) || needsRms(q);

/** The StepRecord's members, in order. */
export const RECORD_MEMBERS: readonly Member[] = [
  ...QUANTITY_NAMES.flatMap((q): Member[] => {
    const { encoding, field } = spec(q);
    switch (encoding) {
      case 'splitLog':
        return [
          { name: `${field}E`, type: 'i32' },
          { name: `${field}F`, type: 'f32' },
        ];
      case 'log':
      case 'unitSum':
        return [{ name: field, type: 'f32' }];
      case 'unitCount':
        return [{ name: field, type: 'u32' }];
    }
  }),
  { name: 'flags', type: 'u32' },
];

/** The Cell's members, in order. */
export const CELL_MEMBERS: readonly Member[] = [
  ...QUANTITY_NAMES.flatMap((q): Member[] => {
    const { encoding, zeroFlag } = spec(q);
    const m: Member[] =
      encoding === 'splitLog'
        ? [
            { name: `${q}SumE`, type: 'i32' },
            { name: `${q}SumF`, type: 'f32' },
          ]
        : [{ name: `${q}Sum`, type: encoding === 'unitCount' ? 'u32' : 'f32' }];
    if (needsSpread(q)) {
      // v_0, the first finite sample (the origin of d), and the count of finite samples so far
      const origin: Member[] =
        encoding === 'splitLog'
          ? [
              { name: `${q}E0`, type: 'i32' },
              { name: `${q}F0`, type: 'f32' },
            ]
          : [{ name: `${q}V0`, type: 'f32' }];
      m.push(...origin, { name: `${q}D`, type: 'f32' }, { name: `${q}D2`, type: 'f32' });
    }
    if (needsRms(q)) {
      // the largest value so far (peak) and the sum of 10^(2 (v - peak)), the log-sum-exp of rms
      const peak: Member[] =
        encoding === 'splitLog'
          ? [
              { name: `${q}PE`, type: 'i32' },
              { name: `${q}PF`, type: 'f32' },
            ]
          : [{ name: `${q}PV`, type: 'f32' }];
      m.push(...peak, { name: `${q}L`, type: 'f32' });
    }
    if (counts(q)) m.push({ name: `${q}N`, type: 'u32' });
    if (zeroFlag) m.push({ name: `${q}Zero`, type: 'u32' });
    m.push({ name: `${q}Nan`, type: 'u32' });
    return m;
  }),
  { name: 'flagsOr', type: 'u32' },
];

/** Bytes of one StepRecord and one Cell (every member is one 4-byte word). */
export const RECORD_BYTES = RECORD_MEMBERS.length * 4;
export const CELL_BYTES = CELL_MEMBERS.length * 4;

const CELL_WORD: Record<string, number> = Object.fromEntries(CELL_MEMBERS.map((m, i) => [m.name, i]));

const struct = (name: string, members: readonly Member[]) => `struct ${name} {\n${members.map((m) => `  ${m.name}: ${m.type},`).join('\n')}\n}`;

/** Statements that copy `rec`'s value of q into the cell's members named by `to` (E0/F0 or V0; PE/PF or PV). */
function copyCode(q: QuantityName, to: 'origin' | 'peak'): string {
  const { encoding, field } = spec(q);
  const [e, f, v] = to === 'origin' ? ['E0', 'F0', 'V0'] : ['PE', 'PF', 'PV'];
  return encoding === 'splitLog' ? `(*c).${q}${e} = rec.${field}E; (*c).${q}${f} = rec.${field}F;` : `(*c).${q}${v} = rec.${field};`;
}

/** v - (the cell's origin or peak) of a log quantity of `rec` as an f32 expression (splitLog: exponents subtracted exactly). */
function logDiff(q: QuantityName, from: 'origin' | 'peak'): string {
  const { encoding, field } = spec(q);
  const [e, f, v] = from === 'origin' ? ['E0', 'F0', 'V0'] : ['PE', 'PF', 'PV'];
  return encoding === 'splitLog'
    ? `f32(rec.${field}E - (*c).${q}${e}) * LOG10_2 + (rec.${field}F - (*c).${q}${f})`
    : `rec.${field} - (*c).${q}${v}`;
}

/** The statements of accumulate() for quantity q. */
function accumulateCode(q: QuantityName): string {
  const { encoding, field, zeroFlag, nanFlags } = spec(q);
  const sum =
    encoding === 'splitLog'
      ? [`(*c).${q}SumE += rec.${field}E;`, `(*c).${q}SumF += rec.${field}F;`]
      : [`(*c).${q}Sum += rec.${field};`];
  if (counts(q)) sum.push(`let first = (*c).${q}N == 0u;`);
  // d = v - v_0 from the first finite sample
  if (needsSpread(q)) sum.push(`if (first) { ${copyCode(q, 'origin')} }`, `let d = ${logDiff(q, 'origin')};`, `(*c).${q}D += d;`, `(*c).${q}D2 += d * d;`);
  // online log-sum-exp: L = sum of 10^(2 (v - peak)), rescaled when a new peak arrives (10^x = 2^(x log2 10))
  if (needsRms(q)) {
    sum.push(
      `if (first) { ${copyCode(q, 'peak')} }`,
      `let dp = ${logDiff(q, 'peak')};`,
      `if (dp > 0.0) { (*c).${q}L = (*c).${q}L * exp2(-2.0 * dp * LOG2_10) + 1.0; ${copyCode(q, 'peak')} } else { (*c).${q}L += exp2(2.0 * dp * LOG2_10); }`,
    );
  }
  if (counts(q)) sum.push(`(*c).${q}N += 1u;`);
  const finite = `{\n    ${sum.join('\n    ')}\n  }`;
  const zero = zeroFlag ? ` else if ((rec.flags & FLAG_${zeroFlag}) != 0u) { (*c).${q}Zero += 1u; }` : '';
  const nan = nanFlags.map((f) => `FLAG_${f}`).join(' | ');
  return `  // ${q}: ${spec(q).description}\n  if ((rec.flags & (${nan})) != 0u) { (*c).${q}Nan += 1u; }${zero} else ${finite}`;
}

/**
 * The WGSL prelude of forward.wgsl, backward.wgsl and reduce.wgsl: the flag constants, the
 * StepRecord and Cell structs, LOG10_2 and accumulate().
 */
export function recordPreludeWgsl(): string {
  const flags = (Object.keys(RECORD_FLAGS) as RecordFlag[]).map((f) => `const FLAG_${f}: u32 = ${RECORD_FLAGS[f]}u;`);
  return [
    '// Generated from the statistics table (src/core/statistics.ts) by src/engine/webgpu/record.ts.',
    ...flags,
    'const LOG10_2: f32 = 0.30102999566398120;',
    'const LOG2_10: f32 = 3.3219280948873622;',
    struct('StepRecord', RECORD_MEMBERS),
    struct('Cell', CELL_MEMBERS),
    '// Add one sample of a (rho, t) cell to its sums.',
    'fn accumulate(c: ptr<function, Cell>, rec: StepRecord) {',
    '  (*c).flagsOr |= rec.flags;',
    ...QUANTITY_NAMES.map(accumulateCode),
    '}',
    '',
  ].join('\n');
}

const LOG10_2 = Math.log10(2);

/** The cell flag (src/core/range.ts CELL_FLAG) of the OR of a cell's record flags: which kinds its samples raised. */
export function cellFlagOf(flags: number): number {
  const F = RECORD_FLAGS;
  return (flags & (F.FWD_OVERFLOW | F.BWD_INVALID) ? CELL_FLAG.overflow : 0) | (flags & (F.FWD_RANGE | F.BWD_RANGE) ? CELL_FLAG.range : 0);
}

/** The record flags a forward flag kind sets (the backward kernel's kill mask is written in these). */
export function recordFlagsOf(cellFlag: number): number {
  return (cellFlag & CELL_FLAG.overflow ? RECORD_FLAGS.FWD_OVERFLOW : 0) | (cellFlag & CELL_FLAG.range ? RECORD_FLAGS.FWD_RANGE : 0);
}

/**
 * Write rows k0 .. k0 + rows - 1 of the field from the cells [rows][T] of one chunk (`data`, the
 * mapped readback buffer): every grid of the table by its reduction, and the overflow flag.
 */
export function decodeCells(field: GradientField, data: ArrayBuffer, k0: number, rows: number, samples: number, hidden: number): void {
  const T = field.T;
  const i32 = new Int32Array(data);
  const u32 = new Uint32Array(data);
  const f32 = new Float32Array(data);
  const S = samples;
  const W = CELL_MEMBERS.length;
  const word = (name: string) => CELL_WORD[name];
  // Per grid: the reduction, and where its quantity's sums are.
  const plan = GRID_NAMES.map((g) => {
    const { quantity: q, reduce } = STATISTICS[g];
    const { encoding } = spec(q);
    return {
      out: field.grids[g],
      reduce,
      encoding,
      sum: word(encoding === 'splitLog' ? `${q}SumE` : `${q}Sum`),
      sumF: encoding === 'splitLog' ? word(`${q}SumF`) : -1,
      d: needsSpread(q) ? word(`${q}D`) : -1,
      d2: needsSpread(q) ? word(`${q}D2`) : -1,
      peak: needsRms(q) ? word(encoding === 'splitLog' ? `${q}PE` : `${q}PV`) : -1,
      peakF: needsRms(q) && encoding === 'splitLog' ? word(`${q}PF`) : -1,
      scaled: needsRms(q) ? word(`${q}L`) : -1,
      zero: spec(q).zeroFlag ? word(`${q}Zero`) : -1,
      nan: word(`${q}Nan`),
    };
  });
  const flagsOr = word('flagsOr');
  for (let kr = 0; kr < rows; kr++) {
    for (let j = 0; j < T; j++) {
      const o = (kr * T + j) * W;
      const idx = (k0 + kr) * T + j;
      for (const p of plan) {
        const zeros = p.zero >= 0 ? u32[o + p.zero] : 0;
        const nans = u32[o + p.nan];
        let sum: number;
        switch (p.encoding) {
          case 'splitLog': // (sum of exponents) log10(2) is exact in float64; the float32 rests are small
            sum = i32[o + p.sum] * LOG10_2 + f32[o + p.sumF];
            break;
          case 'log':
            sum = f32[o + p.sum];
            break;
          case 'unitCount':
            sum = u32[o + p.sum] / hidden;
            break;
          case 'unitSum':
            sum = f32[o + p.sum] / hidden;
            break;
        }
        const n = S - zeros - nans;
        const m2 = p.d >= 0 && n > 0 ? Math.max(0, f32[o + p.d2] - (f32[o + p.d] * f32[o + p.d]) / n) : NaN;
        const peak = p.peak < 0 ? NaN : p.peakF >= 0 ? i32[o + p.peak] * LOG10_2 + f32[o + p.peakF] : f32[o + p.peak];
        const scaled = p.scaled >= 0 ? f32[o + p.scaled] : NaN;
        p.out[idx] = finishReduction(p.reduce, { S, sum, m2, zeros, undefined: nans, peak, scaled });
      }
      field.overflow[idx] = cellFlagOf(u32[o + flagsOr]);
    }
  }
}
