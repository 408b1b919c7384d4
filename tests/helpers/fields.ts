/**
 * One comparison of an engine's field with the float64 reference, shared by the cpu, webgpu and
 * gpujs engine tests, built so that it cannot hide a failure:
 * - every value of every grid (GRID_NAMES) at every (rho_k, t) is either compared or counted as
 *   not compared, with the reason (skipped, excused, out of range in the engine only);
 * - an excuse (a documented float32 effect that the reference confirms) is applied to each
 *   mismatch before any cap on what is reported, and every real mismatch is counted: the cap
 *   only shortens the message;
 * - each test bounds the fraction of cells it did not compare strictly (skipped or excused, and
 *   sensitive), with the reason beside the bound (expectAgreement), so a rule that grows to
 *   excuse everything fails instead of passing quietly.
 * Non-finite values: -Infinity is an exact zero and NaN an undefined value; a non-finite value
 * agrees only with the same non-finite value (Object.is), unless a one-sided check allows it.
 */
import { expect } from 'vitest';
import { GRID_NAMES, STATISTICS, type GridName } from '../../src/core/field.ts';
import type { ToleranceClass } from '../../src/core/statistics.ts';

/** A field as these tests see it: [K, T] grids by name (as fields or under `grids`) and the range flags. */
export interface FieldLike {
  K: number;
  T: number;
  overflow: ArrayLike<number>;
  grids?: Partial<Record<GridName, ArrayLike<number>>>;
}

/** The [K, T] grid `name` of a field, whether it holds its grids as fields or under `grids`. */
export function gridOf(f: FieldLike, name: GridName): ArrayLike<number> {
  const g = f.grids?.[name] ?? (f as unknown as Partial<Record<GridName, ArrayLike<number>>>)[name];
  if (!g) throw new Error(`the field has no grid ${name}`);
  return g;
}

/** One cell: flat index i = k T + (t - 1). */
export interface Cell {
  i: number;
  k: number;
  t: number;
}

/**
 * How one value (grid, cell) is compared:
 * - `{ tol }`: |got - ref| <= tol (or the same non-finite value);
 * - `{ below, above }`: -below <= got - ref <= above, one-sided when one of them is Infinity
 *   (then got = -Infinity may pass against a finite ref);
 * - `{ pooled }`: compared in the pool of the test's sensitive values (CompareRules.pool), with
 *   `pooled` the perturbed reference's own deviation at this value; non-finite values must match;
 * - `{ kindOnly }`: only "same non-finite value, or both finite" (counts as skipped, with the reason);
 * - `{ skip }`: not compared, with the reason.
 * `sensitive: true` marks a tolerance widened because the dynamics amplify rounding.
 */
export type Check =
  | { tol: number; sensitive?: boolean }
  | { below: number; above: number; sensitive?: boolean }
  | { pooled: number }
  | { kindOnly: string }
  | { skip: string };

export interface Mismatch {
  grid: GridName | 'overflow' | 'pool' | 'shape';
  k: number;
  t: number;
  got: number;
  ref: number;
  message: string;
}

export interface CompareRules {
  /** How each value is compared. A Record<GridName, ...> inside keeps a new grid from going unchecked. */
  check(grid: GridName, cell: Cell): Check;
  /**
   * 'equal': the flags must be equal, and values are compared in every cell. 'superset': float32
   * leaves its range before float64, so every cell the reference flags must be flagged, cells
   * flagged by either are not compared, and a cell only the engine flags is skipped (counted),
   * after `extraFlag` (when given) found the reference's reason for it.
   */
  overflow: 'equal' | 'superset';
  /** 'superset' only: why a cell flagged by the engine alone is wrong, or null when the reference explains it. */
  extraFlag?(cell: Cell): string | null;
  /** Why a mismatch is a documented float32 effect the reference confirms, or null when it is real. */
  excuse?(m: Mismatch): string | null;
  /** The pooled values pass when mean |got - ref| <= factor * mean(pooled deviation) + slack. */
  pool?: { factor: number; slack: number };
}

/** What one comparison (or several, combined) saw. Fractions are of cells: K T per field. */
export interface Comparison {
  what: string;
  cells: number;
  /** Values compared (strictly, widened or pooled). */
  compared: number;
  /** Cells with at least one value skipped, compared by kind only, excused, or flagged by the engine only. */
  skippedCells: number;
  /** Cells with at least one value compared with a widened tolerance or pooled. */
  sensitiveCells: number;
  /** Cells with an excused mismatch (also in skippedCells). */
  excusedCells: number;
  /** Cells flagged out of range by both (superset) or by both alike (equal). */
  flaggedCells: number;
  /** Why values were not compared (or excused), with how many values each. */
  reasons: Record<string, number>;
  /** Every real mismatch counted ... */
  mismatchCount: number;
  /** ... and the first MAX_REPORTED of them kept for the message. */
  mismatches: Mismatch[];
  /** Largest |got - ref| over the finite pairs compared, per grid. */
  maxDiff: Partial<Record<GridName, number>>;
}

export const MAX_REPORTED = 12;

function within(got: number, ref: number, below: number, above: number): boolean {
  if (Object.is(got, ref)) return true;
  if (Number.isNaN(got) || Number.isNaN(ref)) return false;
  const d = got - ref;
  return d >= -below && d <= above;
}

function sameKind(got: number, ref: number): boolean {
  return (Number.isFinite(got) && Number.isFinite(ref)) || Object.is(got, ref);
}

/** Compare `got` (an engine's field) with `ref` (the reference's) under `rules`; `what` names the seed and config. */
export function compareFields(got: FieldLike, ref: FieldLike, rules: CompareRules, what: string): Comparison {
  const c: Comparison = {
    what,
    cells: ref.K * ref.T,
    compared: 0,
    skippedCells: 0,
    sensitiveCells: 0,
    excusedCells: 0,
    flaggedCells: 0,
    reasons: {},
    mismatchCount: 0,
    mismatches: [],
    maxDiff: {},
  };
  const record = (m: Mismatch): boolean => {
    const why = rules.excuse?.(m) ?? null;
    if (why !== null) {
      c.reasons[`excused: ${why}`] = (c.reasons[`excused: ${why}`] ?? 0) + 1;
      return true;
    }
    c.mismatchCount++;
    if (c.mismatches.length < MAX_REPORTED) c.mismatches.push(m);
    return false;
  };
  const note = (why: string) => {
    c.reasons[why] = (c.reasons[why] ?? 0) + 1;
  };
  if (got.K !== ref.K || got.T !== ref.T) {
    record({ grid: 'shape', k: 0, t: 0, got: got.K * got.T, ref: ref.K * ref.T, message: `shape ${got.K} x ${got.T}, reference ${ref.K} x ${ref.T}` });
    return c;
  }
  const T = ref.T;
  const grids = GRID_NAMES.map((name) => ({ name, a: gridOf(got, name), b: gridOf(ref, name) }));
  const pool = { d: 0, e: 0, n: 0 };
  for (let i = 0; i < c.cells; i++) {
    const cell: Cell = { i, k: Math.floor(i / T), t: (i % T) + 1 };
    // A flag of either kind (src/core/range.ts CELL_FLAG: overflow, out of range)
    const flagGot = got.overflow[i] !== 0;
    const flagRef = ref.overflow[i] !== 0;
    let skipped = false;
    let sensitive = false;
    let excused = false;
    if (flagGot !== flagRef && (rules.overflow === 'equal' || flagRef)) {
      const message = flagRef ? 'the reference flags this cell out of range, the engine does not' : 'the engine flags this cell out of range, the reference does not';
      if (record({ grid: 'overflow', ...cell, got: got.overflow[i], ref: ref.overflow[i], message })) excused = true;
    }
    if (rules.overflow === 'superset' && (flagGot || flagRef)) {
      if (flagGot && !flagRef) {
        const wrong = rules.extraFlag?.(cell) ?? null;
        if (wrong !== null) record({ grid: 'overflow', ...cell, got: got.overflow[i], ref: 0, message: wrong });
        note('out of range in the engine only (float32 leaves its range first)');
        skipped = true;
      } else if (flagGot && flagRef) c.flaggedCells++;
    } else {
      if (flagGot && flagRef) c.flaggedCells++;
      for (const { name, a, b } of grids) {
        const x = a[i];
        const y = b[i];
        const rule = rules.check(name, cell);
        if ('skip' in rule) {
          note(rule.skip);
          skipped = true;
          continue;
        }
        if ('kindOnly' in rule) {
          note(rule.kindOnly);
          skipped = true;
          if (!sameKind(x, y) && record({ grid: name, ...cell, got: x, ref: y, message: `${x} vs ${y}: not the same kind of value` })) excused = true;
          continue;
        }
        c.compared++;
        if ('pooled' in rule) {
          sensitive = true;
          if (Number.isFinite(x) && Number.isFinite(y)) {
            pool.d += Math.abs(x - y);
            pool.e += rule.pooled;
            pool.n++;
          } else if (!Object.is(x, y) && record({ grid: name, ...cell, got: x, ref: y, message: `${x} vs ${y}: not the same kind of value` })) excused = true;
          continue;
        }
        const [below, above] = 'tol' in rule ? [rule.tol, rule.tol] : [rule.below, rule.above];
        if (rule.sensitive) sensitive = true;
        if (Number.isFinite(x) && Number.isFinite(y)) c.maxDiff[name] = Math.max(c.maxDiff[name] ?? 0, Math.abs(x - y));
        if (!within(x, y, below, above)) {
          const allowed = below === above ? `|diff| <= ${below}` : `${-below} <= diff <= ${above}`;
          const message = `${x} vs ${y} (diff ${x - y}, allowed ${allowed}${rule.sensitive ? ', sensitive cell' : ''})`;
          if (record({ grid: name, ...cell, got: x, ref: y, message })) excused = true;
        }
      }
    }
    if (excused) c.excusedCells++;
    if (skipped || excused) c.skippedCells++;
    if (sensitive) c.sensitiveCells++;
  }
  if (pool.n > 0) {
    if (!rules.pool) throw new Error('a check returned { pooled } but the rules give no pool bound');
    const md = pool.d / pool.n;
    const me = pool.e / pool.n;
    const bound = rules.pool.factor * me + rules.pool.slack;
    if (!(md <= bound)) {
      record({ grid: 'pool', k: -1, t: -1, got: md, ref: me, message: `over ${pool.n} pooled values mean |got - ref| ${md.toExponential(2)} > ${rules.pool.factor} x ${me.toExponential(2)} (the perturbed reference's) + ${rules.pool.slack}` });
    }
  }
  return c;
}

/** Several comparisons as one (a test over several configs bounds its fractions over all of them). */
export function combine(list: readonly Comparison[], what = list.map((c) => c.what).join('; ')): Comparison {
  const out: Comparison = { what, cells: 0, compared: 0, skippedCells: 0, sensitiveCells: 0, excusedCells: 0, flaggedCells: 0, reasons: {}, mismatchCount: 0, mismatches: [], maxDiff: {} };
  for (const c of list) {
    out.cells += c.cells;
    out.compared += c.compared;
    out.skippedCells += c.skippedCells;
    out.sensitiveCells += c.sensitiveCells;
    out.excusedCells += c.excusedCells;
    out.flaggedCells += c.flaggedCells;
    out.mismatchCount += c.mismatchCount;
    for (const m of c.mismatches) if (out.mismatches.length < MAX_REPORTED) out.mismatches.push({ ...m, message: `${m.message} [${c.what}]` });
    for (const [why, n] of Object.entries(c.reasons)) out.reasons[why] = (out.reasons[why] ?? 0) + n;
    for (const [g, d] of Object.entries(c.maxDiff) as [GridName, number][]) out.maxDiff[g] = Math.max(out.maxDiff[g] ?? 0, d);
  }
  return out;
}

/** A bound on a fraction of cells, and why the test may need that much. */
export interface Bound {
  atMost: number;
  because: string;
}

const fraction = (n: number, of: number) => (of === 0 ? 0 : n / of);

/** A readable account: the mismatches (the first MAX_REPORTED of all), fractions and reasons. */
export function describeComparison(c: Comparison): string {
  const lines = [
    `${c.what}`,
    `${c.mismatchCount} mismatches over ${c.cells} cells (${c.compared} values compared); skipped ${c.skippedCells} cells (${(100 * fraction(c.skippedCells, c.cells)).toFixed(2)} %, ${c.excusedCells} excused), sensitive ${c.sensitiveCells} (${(100 * fraction(c.sensitiveCells, c.cells)).toFixed(2)} %), flagged by both ${c.flaggedCells}`,
    ...c.mismatches.map((m) => `  ${m.grid} k=${m.k} t=${m.t}: ${m.message}`),
  ];
  if (c.mismatchCount > c.mismatches.length) lines.push(`  ... and ${c.mismatchCount - c.mismatches.length} more`);
  const reasons = Object.entries(c.reasons);
  if (reasons.length) lines.push(`not compared: ${reasons.map(([why, n]) => `${why} (${n} values)`).join('; ')}`);
  lines.push(`largest |got - ref|: ${JSON.stringify(c.maxDiff)}`);
  return lines.join('\n');
}

/**
 * The comparison found no real mismatch, and the test skipped (or excused) and treated as
 * sensitive no more cells than its bounds allow.
 */
export function expectAgreement(c: Comparison, bounds: { skipped: Bound; sensitive: Bound }): void {
  const text = describeComparison(c);
  if (c.mismatchCount > 0) expect.fail(text);
  const skipped = fraction(c.skippedCells, c.cells);
  const sensitive = fraction(c.sensitiveCells, c.cells);
  if (skipped > bounds.skipped.atMost) expect.fail(`skipped ${skipped} of the cells, more than the bound ${bounds.skipped.atMost} (${bounds.skipped.because})\n${text}`);
  if (sensitive > bounds.sensitive.atMost) expect.fail(`treated ${sensitive} of the cells as sensitive, more than the bound ${bounds.sensitive.atMost} (${bounds.sensitive.because})\n${text}`);
}

/** Every value compared to within one tolerance per grid (a Record, so that every grid has one). */
export function strictRules(tol: Record<GridName, number>, extra: Omit<CompareRules, 'check'> = { overflow: 'equal' }): CompareRules {
  return { ...extra, check: (grid) => ({ tol: tol[grid] }) };
}

/** One tolerance per grid from one per tolerance class of the statistics table (src/core/statistics.ts says why each). */
export function tolerancesByClass(byClass: Record<ToleranceClass, number>): Record<GridName, number> {
  return Object.fromEntries(GRID_NAMES.map((g) => [g, byClass[STATISTICS[g].tolerance]])) as Record<GridName, number>;
}
